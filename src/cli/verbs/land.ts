import { MERGE_STRATEGIES, type MergeStrategy } from '../../core/choices';
import { plural } from '../../core/text';
import type { LandingPreview, LandResult, PublishLandResult } from '../../core';
import { EXIT, UsageError, noExtra, stringOption, type Verb } from '../context';
import { backend } from '../lazy';

export const land: Verb = {
  usage: [
    'land <task> [--pick <id>] [--strategy merge|squash|rebase|cherry-pick] [--keep-losers] [--preview]',
    '                                                                 merge the winner, salvage and remove the other members',
    'land <task> --publish [--pick <id>] [--remote <name>] [--draft]   publish the winner (pull request) instead of merging it',
    'land --all [--strategy …]                                        land every live instance with commits, in the forecast order',
  ],
  summary: 'Merges the winner of a race into its base, salvages the other members\' work and removes them; --all lands every live instance in the forecast order.',
  options: {
    pick: { type: 'string', value: '<id>', description: 'Land this member instead of the best-ranked one (also when none passed or it changed since its evaluation).', default: 'the best-ranked member that passed', complete: 'instance' },
    strategy: { type: 'string', value: 'merge|squash|rebase|cherry-pick', description: 'How the work is brought back.', default: 'merge', complete: MERGE_STRATEGIES },
    'keep-losers': { type: 'boolean', description: 'Keep the other members instead of salvaging and removing them.' },
    preview: { type: 'boolean', description: 'Say what would be merged, salvaged and removed, changing nothing.' },
    all: { type: 'boolean', description: 'Land every live instance with commits, in the forecast order (no race needed).' },
    publish: { type: 'boolean', description: 'Publish the winner instead of merging it locally: push its branch and open a pull request (axiom publish); the other members are salvaged and removed all the same.' },
    remote: { type: 'string', value: '<name>', description: 'With --publish: the remote to push to.', default: "the branch's upstream remote, its base's, else origin" },
    draft: { type: 'boolean', description: 'With --publish: open the pull request as a draft.' },
  },
  operands: 'race',
  examples: ['axiom land login --preview  # what landing race login would do', 'axiom land login --pick login-2 --strategy squash', 'axiom land login --publish --draft  # a draft pull request of the winner; losers salvaged'],
  async run(ctx) {
    const strategy = (stringOption(ctx.values, 'strategy') ?? 'merge') as MergeStrategy;
    if (!MERGE_STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${MERGE_STRATEGIES.join(', ')}.`);
    const engine = await ctx.engine();
    if (ctx.values.all) {
      noExtra(ctx.args, 0);
      if (ctx.values.pick !== undefined || ctx.values['keep-losers'] || ctx.values.preview) throw new UsageError('land --all takes only --strategy.');
      const r = await engine.explore.landAll(strategy);
      const { forecast: _forecast, ...doc } = r;
      ctx.print(doc, () =>
        [
          `Landed ${plural(r.landed.length, 'instance')}${r.landed.length ? `: ${r.landed.map((l) => `${l.id} → ${l.into}`).join(', ')}` : ''}.`,
          ...(r.cleaned.length ? [`Cleaned up: ${r.cleaned.join(', ')}.`] : []),
          ...r.kept.map((k) => `Kept ${k.id}: ${k.reason}`),
          ...r.skipped.map((s) => `Skipped ${s.id}: ${s.reason}`),
        ].join('\n') + '\n',
      );
      return r.skipped.length > 0 ? EXIT.refused : EXIT.ok;
    }
    const task = ctx.args[0];
    if (!task) throw new UsageError('Missing task name (axiom land <task>, or --all).');
    noExtra(ctx.args, 1);
    const pick = stringOption(ctx.values, 'pick');
    const options = { strategy, ...(pick !== undefined ? { pick } : {}), ...(ctx.values['keep-losers'] ? { keepLosers: true } : {}) };
    const remote = stringOption(ctx.values, 'remote');
    if (!ctx.values.publish && (remote !== undefined || ctx.values.draft)) throw new UsageError('--remote and --draft go with land --publish.');
    if (ctx.values.publish) {
      if (ctx.values.preview || ctx.values.strategy !== undefined) throw new UsageError('land --publish takes no --preview or --strategy: the winner is pushed, not merged.');
      const r = await engine.explore.landPublished(task, options, { ...(remote !== undefined ? { remote } : {}), draft: ctx.values.draft === true });
      ctx.print(r, () => describeLanded(r));
      return EXIT.ok;
    }
    if (ctx.values.preview) {
      const plan = await engine.explore.planLanding(task, options);
      ctx.print(backend().landingPreviewDocument(plan), () => describePlan(plan));
      return EXIT.ok;
    }
    const r = await engine.explore.land(task, options);
    ctx.print(r, () => describeLanded(r));
    return EXIT.ok;
  },
};

function describeLanded(r: LandResult | PublishLandResult): string {
  let head: string;
  if ('published' in r) {
    const p = r.published;
    head = `Published ${r.winner}, winner of race ${r.task}: ${p.branch} (${plural(p.commits, 'commit')}) pushed to ${p.remote}. ${backend().describePublished(p)}`;
  } else if (r.resumed) {
    head = `Finished the interrupted landing of race ${r.task}: ${r.winner} was already ${(r.merged.strategy as string) === 'publish' ? 'published for' : 'merged into'} ${r.merged.into}${r.merged.newTargetSha ? ` as ${r.merged.newTargetSha.slice(0, 10)}` : ''}; nothing else was merged.`;
  } else {
    head = `Landed ${r.winner} into ${r.merged.into} (${r.merged.strategy}, ${plural(r.merged.commits, 'commit')}, ${plural(r.merged.files, 'file')}) → ${r.merged.newTargetSha?.slice(0, 10)}.`;
  }
  return (
    [
      head,
      ...r.salvaged.map((s) => `Salvaged ${s.id} in ${s.ref} (axiom salvage restore ${s.ref})`),
      ...(r.cleaned.length ? [`Removed: ${r.cleaned.join(', ')}.`] : []),
      ...r.kept.map((k) => `Kept ${k.id}: ${k.reason}`),
    ].join('\n') + '\n'
  );
}

function describePlan(plan: LandingPreview): string {
  const lines = [
    `Landing race ${plan.race.task} would merge ${plan.winner} into ${plan.into} (${plan.strategy}): ${plural(plan.merge.commits.length, 'commit')}, ${plural(plan.merge.files.length, 'file')}${plan.commitsUncommitted ? ', its uncommitted work committed first' : ''}.`,
    ...plan.merge.files.map((f) => `  ${f.status} ${f.path}`),
  ];
  for (const l of plan.losers) {
    if (l.action === 'salvage') lines.push(`${l.id}: salvaged (${plural(l.atRisk.commits, 'commit')}, ${plural(l.atRisk.files, 'uncommitted file')}) and removed`);
    else if (l.action === 'remove') lines.push(`${l.id}: removed (nothing of its own to keep)`);
    else lines.push(`${l.id}: kept — ${l.reason}`);
  }
  return lines.join('\n') + '\n';
}
