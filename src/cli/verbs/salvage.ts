import { plural } from '../../core/text';
import { EXIT, integerOption, need, noExtra, stringOption, UsageError, type Verb } from '../context';
import { relativeTime } from '../format';

export const salvage: Verb = {
  usage: ['salvage list | restore <ref> [--as <id>] | expire [--days N]    work kept by forced cleanups'],
  summary: 'Lists, restores or expires the work that forced cleanups and landings kept in salvage refs.',
  options: {
    as: { type: 'string', value: '<id>', description: 'restore: the id of the restored instance.', default: 'the salvaged instance\'s id' },
    days: { type: 'string', value: 'N', description: 'expire: drop salvage refs older than this many days.', default: '30 (git config axiom.salvageDays)' },
  },
  operands: ['list', 'restore', 'expire'],
  examples: ['axiom salvage list', 'axiom salvage restore refs/axiom/salvage/fix-login/1700000000000 --as fix-login-2'],
  async run(ctx) {
    const sub = need(ctx.args, 0, 'salvage subcommand (list, restore or expire)');
    const engine = await ctx.engine();
    if (sub === 'list') {
      noExtra(ctx.args, 1);
      const refs = await engine.listSalvage();
      ctx.print(refs, () =>
        refs.length === 0
          ? 'No salvage refs.\n'
          : refs.map((s) => `${s.ref}\t${relativeTime(s.date * 1000)}\t${s.branch ?? ''}`).join('\n') +
            '\nRestore one with: axiom salvage restore <ref> [--as <id>]\n',
      );
      return EXIT.ok;
    }
    if (sub === 'restore') {
      const ref = need(ctx.args, 1, 'salvage ref (axiom salvage restore <ref>)');
      noExtra(ctx.args, 2);
      const as = stringOption(ctx.values, 'as');
      const r = await engine.restore(ref, as !== undefined ? { as } : {});
      ctx.print(
        r,
        () =>
          `Restored ${r.salvage.ref} as ${r.id} at ${r.path} (branch ${r.branch}).\nThe salvage ref stays; drop it with: axiom salvage expire --days 0\n`,
      );
      return EXIT.ok;
    }
    if (sub === 'expire') {
      noExtra(ctx.args, 1);
      const removed = await engine.expireSalvage(integerOption(ctx.values, 'days'));
      ctx.print(removed, () => `Expired ${plural(removed.length, 'salvage ref')}.\n`);
      return EXIT.ok;
    }
    throw new UsageError(`Unknown salvage subcommand ${JSON.stringify(sub)} (use list, restore or expire).`);
  },
};
