import { plural } from '../../core/text';
import type { TeardownResult } from '../../core';
import { EXIT, need, noExtra, UsageError, type Verb } from '../context';
import { backend } from '../lazy';

export const cleanup: Verb = {
  usage: [
    'cleanup <id> [--force] [--keep-branch]                           run the teardown, remove an instance (refuses if work would be lost)',
    'cleanup --all [--merged-only]                                    remove every instance that can go safely',
  ],
  summary: 'Runs the teardown and removes an instance and its branch; refuses when work would be lost unless forced, and then keeps that work in a salvage ref.',
  options: {
    force: { type: 'boolean', description: 'Remove even though work would be lost; the work is first saved under refs/axiom/salvage/… (restorable).' },
    'keep-branch': { type: 'boolean', description: 'Keep the instance branch; only the worktree goes.' },
    all: { type: 'boolean', description: 'Remove every instance that can go without losing work (never forces).' },
    'merged-only': { type: 'boolean', description: 'With --all: only instances whose work is merged.' },
  },
  operands: 'instance',
  examples: ['axiom cleanup fix-login            # refuses and says what is at stake if work would be lost', 'axiom cleanup --all --merged-only  # tidy up after merging'],
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
        (backend().describePushed(r.atRisk) ? `${backend().describePushed(r.atRisk)}\n` : '') +
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
