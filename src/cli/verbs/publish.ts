import { plural } from '../../core/text';
import type { PublishResult } from '../../core';
import { EXIT, UsageError, need, noExtra, stringOption, type Verb } from '../context';
import { backend } from '../lazy';

export const publish: Verb = {
  usage: [
    'publish <id> [--remote <name>] [--draft] [--title <t>] [--body <b>]       push the branch, open a pull request',
    'publish <id> --refresh                                                   read the pull request\'s state (open, draft, merged, closed) with gh and record it',
  ],
  summary:
    "Pushes an instance's branch to a remote (never forced) and opens a pull request with the GitHub CLI (gh) when it is installed and signed in; otherwise prints the remote's compare page. The pull request is recorded on the instance. A race's winner is published with axiom land <task> --publish, a search's node with axiom search land <name> --publish.",
  options: {
    remote: { type: 'string', value: '<name>', description: 'The remote to push to.', default: "the branch's upstream remote, its base's, else origin" },
    draft: { type: 'boolean', description: 'Open the pull request as a draft.' },
    title: { type: 'string', value: '<t>', description: 'The pull request title.', default: "the prompt's first line (else the commit subject)" },
    body: { type: 'string', value: '<b>', description: 'The pull request body.', default: 'the prompt, the commits and the evaluation (score, race rank)' },
    refresh: {
      type: 'boolean',
      description: "Push nothing: read the recorded pull request's state with gh pr view (open, draft, merged or closed) and record it on the instance, where status and list show it. Alone: no other option.",
    },
  },
  operands: 'instance',
  examples: [
    'axiom publish fix-login --draft      # push, then open a draft pull request with gh',
    'axiom publish fix-login --remote fork  # push to the remote named fork',
    'axiom publish fix-login --refresh    # was it merged? (gh pr view), then axiom list shows (PR merged)',
  ],
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom publish <id>)');
    noExtra(ctx.args, 1);
    const remote = stringOption(ctx.values, 'remote');
    const title = stringOption(ctx.values, 'title');
    const body = stringOption(ctx.values, 'body');
    if (ctx.values.refresh) {
      if (remote !== undefined || title !== undefined || body !== undefined || ctx.values.draft) throw new UsageError('--refresh pushes nothing: it takes no --remote, --draft, --title or --body.');
      const refreshed = await (await ctx.engine()).refreshPullRequest(id);
      ctx.print(refreshed, () => `Pull request of ${refreshed.id}: ${refreshed.url} is ${refreshed.state}${refreshed.previous !== refreshed.state ? ` (was ${refreshed.previous})` : ''}.\n`);
      return EXIT.ok;
    }
    const r = await (await ctx.engine()).publish(id, {
      ...(remote !== undefined ? { remote } : {}),
      ...(title !== undefined ? { title } : {}),
      ...(body !== undefined ? { body } : {}),
      draft: ctx.values.draft === true,
      // Progress on stderr (stdout stays the result, one JSON document with --json).
      onStep: (step) => void (ctx.json ? undefined : ctx.io.err(step === 'push' ? `Pushing ${id} to ${remote ?? 'its remote'}…\n` : 'Opening the pull request with gh…\n')),
    });
    ctx.print(r, () => describePublish(r));
    return EXIT.ok;
  },
};

function describePublish(r: PublishResult): string {
  const lines = [
    `Pushed ${r.branch} (${plural(r.commits, 'commit')}, ${r.pushedSha.slice(0, 10)}) to ${r.remote}.`,
    backend().describePublished(r),
  ];
  if (r.uncommitted) lines.push(`${plural(r.uncommitted, 'uncommitted change')} in ${r.id} ${r.uncommitted === 1 ? 'was' : 'were'} not published: commit, then publish again.`);
  return lines.join('\n') + '\n';
}
