import { plural } from '../../core/text';
import type { ProvisionEvent, SpawnedInstance, SpawnOptions } from '../../core';
import { EXIT, integerOption, need, noExtra, stringOption, type ExitCode, type Verb, type VerbContext } from '../context';
import { formatMs, setupFailure } from '../setupOutput';

export const spawn: Verb = {
  usage: [
    'spawn <id> [--base <branch>] [--agent <name>] [--prompt <text>] [--no-setup]   create an instance (branch + worktree, provisioned, setup run)',
    'spawn <id> --from <instance> …                                   a child instance: starts from that instance\'s branch, merges back into it',
    'spawn <prefix> --count N …                                       N instances <prefix>-1 … <prefix>-N in one go (all refused if one cannot be made)',
  ],
  summary: 'Creates an instance: a branch and a worktree beside the repository, provisioned and with its setup run.',
  options: {
    base: { type: 'string', value: '<branch>', description: 'The branch to start from.', default: 'the repository\'s default branch' },
    from: { type: 'string', value: '<instance>', description: 'Start from that instance\'s branch (a child instance that merges back into it).', complete: 'instance' },
    agent: { type: 'string', value: '<name>', description: 'The agent recorded for the instance.', default: 'none' },
    prompt: { type: 'string', value: '<text>', description: 'The task recorded for the instance\'s agent.' },
    'no-setup': { type: 'boolean', description: 'Skip the setup commands (run them later with axiom setup <id>).' },
    count: {
      type: 'string',
      value: 'N',
      description:
        'Spawn N instances named <prefix>-1 … <prefix>-N at once: the limit and the ids are checked for all before any is created; checkouts run two at a time.',
      default: 'one instance named <id>',
    },
  },
  examples: ['axiom spawn fix-login --base main --agent claude --prompt "Fix the login bug"', 'axiom spawn try --count 5 --prompt "Make the build faster"'],
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom spawn <id>)');
    noExtra(ctx.args, 1);
    const count = integerOption(ctx.values, 'count', 1);
    if (count !== undefined) return spawnSeveral(ctx, id, count);
    // Each provisioning and setup step is printed as it happens (not with --json: one document only).
    const progress = ctx.json ? undefined : (e: ProvisionEvent) => ctx.io.out(formatProgress(e));
    const inst = await (await ctx.engine()).spawn(id, { ...spawnOptions(ctx), ...(progress ? { onProgress: progress } : {}) });
    ctx.print(inst, () => spawnedText(inst));
    if (inst.setup?.state === 'failed') return setupFailure(ctx, inst.id, inst.setup);
    return EXIT.ok;
  },
};

/** The options one spawn and several share, from the command line. */
function spawnOptions(ctx: VerbContext): SpawnOptions {
  const base = stringOption(ctx.values, 'base');
  const from = stringOption(ctx.values, 'from');
  return {
    ...(base !== undefined ? { base } : {}),
    ...(from !== undefined ? { from } : {}),
    agent: stringOption(ctx.values, 'agent') ?? null,
    prompt: stringOption(ctx.values, 'prompt') ?? null,
    setup: ctx.values['no-setup'] ? 'skip' : 'run',
  };
}

/** `spawn <prefix> --count N`: one engine call; one line per instance, or one JSON document `{ instances: […] }`. */
async function spawnSeveral(ctx: VerbContext, prefix: string, count: number): Promise<ExitCode> {
  const progress = ctx.json ? undefined : (inst: SpawnedInstance, done: number, total: number) => ctx.io.out(`  [${done}/${total}] ${inst.id} at ${inst.path}\n`);
  const instances = await (await ctx.engine()).spawnMany(prefix, count, { ...spawnOptions(ctx), ...(progress ? { onSpawned: progress } : {}) });
  ctx.print({ instances }, () => {
    const first = instances[0]!;
    const warnings = first.warnings.map((w) => `warning: ${w}\n`).join('');
    const setupSkipped = first.setup?.state === 'skipped' ? `Setup skipped (--no-setup): run it with axiom setup <id>\n` : '';
    return `${warnings}Spawned ${instances.length} instances from ${first.base}: ${instances.map((i) => i.id).join(', ')} (branches axiom/<id>/…, folders beside ${first.path.replace(/[^/\\]*$/, '')})\n${setupSkipped}`;
  });
  const failed = instances.find((i) => i.setup?.state === 'failed');
  return failed ? setupFailure(ctx, failed.id, failed.setup!) : EXIT.ok;
}

function spawnedText(inst: SpawnedInstance): string {
  const lines = inst.warnings.map((w) => `warning: ${w}`);
  const parent = inst.metadata.parent ? `instance ${inst.metadata.parent}, ` : '';
  lines.push(`Spawned ${inst.id} on ${inst.branch} (from ${parent}${inst.base}) at ${inst.path}`);
  if (inst.setup?.state === 'skipped')
    lines.push(`Setup skipped (--no-setup): run it with axiom setup ${inst.id}`);
  if (inst.setup?.state !== 'failed') {
    lines.push(`Next: cd ${JSON.stringify(inst.path)} and start your agent, or open it in VS Code.`);
  }
  return lines.join('\n') + '\n';
}

/** One line per step: what was done and how long it took. */
export function formatProgress(e: ProvisionEvent): string {
  const step = (name: string, what: string, ms?: number): string =>
    `  ${name.padEnd(8)} ${what}${ms === undefined ? '' : `  (${formatMs(ms)})`}\n`;
  switch (e.step) {
    case 'ports':
      return step('ports', e.ports.join(', '));
    case 'share':
      return step(
        'share',
        `${e.path}: ${e.mode}${e.mode === 'symlink' ? '' : `, ${plural(e.files, 'file')}`}${e.note ? ` — ${e.note}` : ''}`,
        e.ms,
      );
    case 'include':
      return step(
        'include',
        `${plural(e.copied, 'ignored file')} copied${e.skipped ? `, ${e.skipped} left out (tracked at the base)` : ''}`,
        e.ms,
      );
    case 'setup':
      if (!e.done) return step('setup', `[${e.index + 1}/${e.total}] ${e.command}`);
      return step(
        '',
        e.done.exitCode === 0
          ? 'ok'
          : e.done.timedOut
            ? 'stopped: timed out'
            : `failed: exit ${e.done.exitCode ?? '?'}`,
        e.done.ms,
      );
  }
}
