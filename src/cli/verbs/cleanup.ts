import { plural, type TeardownResult } from '../../core';
import { EXIT, need, noExtra, UsageError, type Verb } from '../context';

export const cleanup: Verb = {
  usage: [
    'cleanup <id> [--force] [--keep-branch]                           run the teardown, remove an instance (refuses if work would be lost)',
    'cleanup --all [--merged-only]                                    remove every instance that can go safely',
  ],
  options: {
    force: { type: 'boolean' },
    'keep-branch': { type: 'boolean' },
    all: { type: 'boolean' },
    'merged-only': { type: 'boolean' },
  },
  async run(ctx) {
    const engine = await ctx.engine();
    if (ctx.values.all) {
      noExtra(ctx.args, 0);
      if (ctx.values.force || ctx.values['keep-branch'])
        throw new UsageError('cleanup --all takes only --merged-only: it never forces.');
      const r = await engine.cleanupAll({ mergedOnly: ctx.values['merged-only'] === true });
      ctx.print(
        r,
        () =>
          [
            `Cleaned up ${plural(r.cleaned.length, 'instance')}${r.cleaned.length ? ': ' + r.cleaned.map((c) => c.id).join(', ') : ''}.`,
            ...r.refused.map((x) => `Kept ${x.id}: ${x.message.split('\n')[0]}`),
            ...(r.skipped.length
              ? [`Skipped: ${r.skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}`]
              : []),
          ].join('\n') + '\n',
      );
      return r.refused.length > 0 ? EXIT.refused : EXIT.ok;
    }
    if (ctx.values['merged-only']) throw new UsageError('--merged-only goes with cleanup --all.');
    const id = need(ctx.args, 0, 'instance id (axiom cleanup <id>, or --all)');
    noExtra(ctx.args, 1);
    const r = await engine.cleanup(id, {
      force: ctx.values.force === true,
      keepBranch: ctx.values['keep-branch'] === true,
    });
    ctx.print(
      r,
      () =>
        teardownText(r.teardown) +
        `Removed ${r.id} (${r.path})${r.branchDeleted ? ` and branch ${r.branch}` : r.atRisk.branchTip ? `; branch ${r.branch} kept` : ''}.
` +
        (r.salvageRef
          ? `Work kept in ${r.salvageRef}. Restore it with: axiom salvage restore ${r.salvageRef}\n`
          : '') +
        (r.rebasedChildren.length ? `Instances spawned from ${r.id} now have its base as theirs: ${r.rebasedChildren.join(', ')}.\n` : '') +
        (r.atRisk.provisionedChanged ?? []).map((line) => `${line}\n`).join(''),
    );
    return EXIT.ok;
  },
};

function teardownText(t: TeardownResult | null): string {
  if (!t) return '';
  if (t.state === 'skipped') return `Teardown skipped: ${t.reason}.\n`;
  if (t.state === 'succeeded') return `Teardown done (${plural(t.steps.length, 'command')}).\n`;
  return `Teardown failed (forced anyway):\n${(t.logTail ?? '').replace(/^/gm, '  ')}\n`;
}
