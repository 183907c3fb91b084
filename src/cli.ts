#!/usr/bin/env node
/**
 * `axiom`: the command line over the engine. Human output is short and says what to do next;
 * `--json` prints exactly one JSON document. Exit codes: 0 done, 1 unexpected failure, 2 usage,
 * 3 refused (to protect work or by a rule), 4 merge conflict.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AxiomEngine, AxiomError, MERGE_STRATEGIES, REFUSAL_CODES, plural, type MergeStrategy, type WorktreeStatus } from './core';
import { formatCounts, formatStatusLine, relativeTime } from './cliFormat';

export const EXIT = { ok: 0, failure: 1, usage: 2, refused: 3, conflict: 4 } as const;

const USAGE = `Usage: axiom [-C <path>] <command> [options]

Commands:
  spawn <id> [--base <branch>] [--agent <name>] [--prompt <text>]   create an instance (branch + worktree)
  list                                                             every worktree with its status
  status <id>                                                      one instance
  diff <id>                                                        files changed against the merge-base
  merge <id> [--strategy merge|squash|rebase|cherry-pick] [--into <branch>] [--preview] [--commit-message <m>]
  cleanup <id> [--force] [--keep-branch]                           remove an instance (refuses if work would be lost)
  cleanup --all [--merged-only]                                    remove every instance that can go safely
  salvage list | restore <ref> [--as <id>] | expire [--days N]    work kept by forced cleanups
  repair                                                           prune, re-link, report orphans
  mcp [--repo <path>]                                              run the MCP server on stdio

Options: --json (one JSON document), -C <path> (run as if started in <path>), -h/--help, --version.
Exit codes: 0 done, 1 failure, 2 usage, 3 refused to protect work or by a rule, 4 merge conflict.`;

class UsageError extends Error {}

const OPTIONS = {
  C: { type: 'string', short: 'C' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  base: { type: 'string' },
  agent: { type: 'string' },
  prompt: { type: 'string' },
  strategy: { type: 'string' },
  into: { type: 'string' },
  preview: { type: 'boolean' },
  'commit-message': { type: 'string' },
  force: { type: 'boolean' },
  'keep-branch': { type: 'boolean' },
  all: { type: 'boolean' },
  'merged-only': { type: 'boolean' },
  as: { type: 'string' },
  days: { type: 'string' },
  repo: { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
}

function need(positionals: string[], index: number, what: string): string {
  const v = positionals[index];
  if (v === undefined || v === '') throw new UsageError(`Missing ${what}.`);
  return v;
}

function noExtra(positionals: string[], max: number): void {
  if (positionals.length > max) throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[max])}.`);
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (e) {
    io.err(`axiom: ${(e as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (values.version) {
    io.out(`${VERSION}\n`);
    return EXIT.ok;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const json = values.json === true;
  const print = (doc: unknown, human: () => string): void => io.out(json ? JSON.stringify(doc, null, 2) + '\n' : human());
  try {
    if (command === 'mcp') {
      const { startMcpServer } = await import('./mcp/server');
      await startMcpServer({ repo: values.repo ?? values.C ?? io.cwd });
      return EXIT.ok;
    }
    const engine = await AxiomEngine.open(values.C ?? io.cwd);
    switch (command) {
      case 'spawn': {
        const id = need(rest, 0, 'instance id (axiom spawn <id>)');
        noExtra(rest, 1);
        const inst = await engine.spawn(id, {
          ...(values.base !== undefined ? { base: values.base } : {}),
          agent: values.agent ?? null,
          prompt: values.prompt ?? null,
        });
        print(inst, () => `Spawned ${inst.id} on ${inst.branch} (from ${inst.base}) at ${inst.path}\nNext: cd ${JSON.stringify(inst.path)} and start your agent, or open it in VS Code.\n`);
        return EXIT.ok;
      }
      case 'list': {
        noExtra(rest, 0);
        const snap = await engine.snapshot();
        print(snap, () => formatList(snap.worktrees));
        return EXIT.ok;
      }
      case 'status': {
        const id = need(rest, 0, 'instance id (axiom status <id>)');
        noExtra(rest, 1);
        const s = await engine.status(id);
        print(s, () => formatStatus(s));
        return EXIT.ok;
      }
      case 'diff': {
        const id = need(rest, 0, 'instance id (axiom diff <id>)');
        noExtra(rest, 1);
        const d = await engine.diff(id);
        print(d, () =>
          d.files.length === 0
            ? `${id} has no changes against ${d.base}.\n`
            : d.files.map((f) => `${f.status} ${f.added === null ? 'bin' : `+${f.added} -${f.deleted}`}\t${f.path}`).join('\n') +
              `\n${plural(d.files.length, 'file')}, +${d.added} -${d.deleted} against the merge-base with ${d.base} (${d.mergeBase.slice(0, 10)}).\n`,
        );
        return EXIT.ok;
      }
      case 'merge': {
        const id = need(rest, 0, 'instance id (axiom merge <id>)');
        noExtra(rest, 1);
        const strategy = (values.strategy ?? 'merge') as MergeStrategy;
        if (!MERGE_STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${MERGE_STRATEGIES.join(', ')}.`);
        const r = await engine.merge(id, {
          strategy,
          ...(values.into !== undefined ? { into: values.into } : {}),
          ...(values.preview ? { preview: true } : {}),
          ...(values['commit-message'] !== undefined ? { commitMessage: values['commit-message'] } : {}),
        });
        print(r, () => {
          const head = `${r.strategy} ${r.id} (${plural(r.commits.length, 'commit')}, ${plural(r.files.length, 'file')}) into ${r.target}`;
          if (!('merged' in r)) {
            const lines = [`Preview: ${head}${r.targetWorktree ? ` (checked out at ${r.targetWorktree})` : ' (not checked out: merged without a working tree)'}`];
            if (r.conflicts.length) lines.push(`Conflicts in ${plural(r.conflicts.length, 'file')}:`, ...r.conflicts.map((f) => `  ${f}`));
            else lines.push('No conflicts.');
            if (r.uncommitted.length) lines.push(`${plural(r.uncommitted.length, 'uncommitted change')} in the instance: pass --commit-message to commit them first.`);
            if (r.targetChanges.length) lines.push(`${r.target} has uncommitted changes at ${r.targetWorktree}: commit or stash them first.`);
            return lines.join('\n') + '\n';
          }
          return `Merged: ${head} → ${r.newTargetSha?.slice(0, 10)}\nNext: axiom cleanup ${r.id}\n`;
        });
        if (values.preview && 'conflicts' in r && r.conflicts.length > 0) return EXIT.conflict;
        return EXIT.ok;
      }
      case 'cleanup': {
        if (values.all) {
          noExtra(rest, 0);
          const r = await engine.cleanupAll({ mergedOnly: values['merged-only'] === true });
          print(r, () =>
            [
              `Cleaned up ${plural(r.cleaned.length, 'instance')}${r.cleaned.length ? ': ' + r.cleaned.map((c) => c.id).join(', ') : ''}.`,
              ...r.refused.map((x) => `Kept ${x.id}: ${x.message.split('\n')[0]}`),
              ...(r.skipped.length ? [`Skipped (not merged): ${r.skipped.map((s) => s.id).join(', ')}`] : []),
            ].join('\n') + '\n',
          );
          return r.refused.length > 0 ? EXIT.refused : EXIT.ok;
        }
        const id = need(rest, 0, 'instance id (axiom cleanup <id>, or --all)');
        noExtra(rest, 1);
        const r = await engine.cleanup(id, { force: values.force === true, keepBranch: values['keep-branch'] === true });
        print(r, () =>
          `Removed ${r.id} (${r.path})${r.branchDeleted ? ` and branch ${r.branch}` : `; branch ${r.branch} kept`}.\n` +
          (r.salvageRef ? `Work kept in ${r.salvageRef}. Restore it with: axiom salvage restore ${r.salvageRef}\n` : ''),
        );
        return EXIT.ok;
      }
      case 'salvage':
        return await salvageCommand(engine, rest, values, print);
      case 'repair': {
        noExtra(rest, 0);
        const r = await engine.repair();
        print(r, () => {
          const lines = [
            ...r.removedHalfSpawned.map((p) => `Removed unfinished spawn ${p}`),
            ...r.pruned.map((p) => `Pruned ${p} (folder was gone)`),
            ...r.relinked.map((x) => `Re-linked ${x.id} at ${x.path}`),
            ...r.orphanBranches.map((b) =>
              b.action === 'deleted' ? `Deleted empty branch ${b.branch}` : `Kept branch ${b.branch}: ${plural(b.unmergedCommits, 'unmerged commit')}, no worktree`,
            ),
          ];
          return (lines.length ? lines.join('\n') : 'Nothing to repair.') + '\n';
        });
        return EXIT.ok;
      }
      default:
        throw new UsageError(`Unknown command ${JSON.stringify(command)}.`);
    }
  } catch (e) {
    return reportError(e, json, io);
  }
}

async function salvageCommand(
  engine: AxiomEngine,
  rest: string[],
  values: Values,
  print: (doc: unknown, human: () => string) => void,
): Promise<number> {
  const sub = need(rest, 0, 'salvage subcommand (list, restore or expire)');
  if (sub === 'list') {
    noExtra(rest, 1);
    const refs = await engine.listSalvage();
    print(refs, () =>
      refs.length === 0
        ? 'No salvage refs.\n'
        : refs.map((s) => `${s.ref}\t${relativeTime(s.date * 1000)}\t${s.branch ?? ''}`).join('\n') + '\nRestore one with: axiom salvage restore <ref> [--as <id>]\n',
    );
    return EXIT.ok;
  }
  if (sub === 'restore') {
    const ref = need(rest, 1, 'salvage ref (axiom salvage restore <ref>)');
    noExtra(rest, 2);
    const r = await engine.restore(ref, values.as !== undefined ? { as: values.as } : {});
    print(r, () => `Restored ${r.salvage.ref} as ${r.id} at ${r.path} (branch ${r.branch}).\n`);
    return EXIT.ok;
  }
  if (sub === 'expire') {
    noExtra(rest, 1);
    const days = values.days === undefined ? undefined : Number(values.days);
    if (days !== undefined && (!Number.isFinite(days) || days < 0)) throw new UsageError('--days takes a number of days ≥ 0.');
    const removed = await engine.expireSalvage(days);
    print(removed, () => `Expired ${plural(removed.length, 'salvage ref')}.\n`);
    return EXIT.ok;
  }
  throw new UsageError(`Unknown salvage subcommand ${JSON.stringify(sub)} (use list, restore or expire).`);
}

function reportError(e: unknown, json: boolean, io: CliIO): number {
  if (e instanceof UsageError) {
    io.err(json ? JSON.stringify({ error: { code: 'Usage', message: e.message } }) + '\n' : `axiom: ${e.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (e instanceof AxiomError) {
    const code =
      e.code === 'MergeConflict' ? EXIT.conflict
      : e.code === 'InvalidId' || e.code === 'InvalidArgument' ? EXIT.usage
      : REFUSAL_CODES.has(e.code) ? EXIT.refused
      : EXIT.failure;
    io.err(json ? JSON.stringify({ error: e.toJSON() }, null, 2) + '\n' : `axiom: ${e.message}\n`);
    return code;
  }
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.err(json ? JSON.stringify({ error: { code: 'Unexpected', message } }) + '\n' : `axiom: unexpected failure: ${message}\n`);
  return EXIT.failure;
}

function formatList(worktrees: WorktreeStatus[]): string {
  if (worktrees.length === 0) return 'No worktrees.\n';
  const instances = worktrees.filter((w) => w.kind === 'instance').length;
  return worktrees.map(formatStatusLine).join('\n') + `\n${plural(instances, 'instance')}. Spawn one with: axiom spawn <id>\n`;
}

function formatStatus(s: WorktreeStatus): string {
  return [
    `${s.id} — ${s.branch ?? '(detached)'} from ${s.base ?? '?'}`,
    `  path:    ${s.path}`,
    `  changes: ${formatCounts(s)}`,
    `  ahead ${s.ahead ?? '?'}, behind ${s.behind ?? '?'}${s.conflictsWithBase ? `, conflicts with ${s.base} in ${plural(s.conflictFiles.length, 'file')}` : ''}${s.merged ? ', merged' : ''}`,
    `  agent:   ${s.agent ?? 'none'} (${s.agentState.phase})`,
    `  created: ${s.createdAt ?? '?'}`,
  ].join('\n') + '\n';
}

declare const __AXIOM_VERSION__: string;
const VERSION = typeof __AXIOM_VERSION__ === 'string' ? __AXIOM_VERSION__ : 'dev';

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), cwd: process.cwd() }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`axiom: ${String(e)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
