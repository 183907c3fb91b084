/** `publish`: push the instance's branch (never forced), open a pull request with gh or return the compare URL. */
import { AxiomError, describePublished, plural } from '../../core';
import type { McpContext } from '../context';
import type { PublishArgs } from '../schema';

export async function publish(ctx: McpContext, args: PublishArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  if (args.refresh) {
    if (args.remote !== undefined || args.title !== undefined || args.body !== undefined || args.draft !== undefined) {
      throw new AxiomError('InvalidArgument', 'refresh: true pushes nothing: it takes no remote, draft, title or body.');
    }
    const refreshed = await engine.refreshPullRequest(args.instanceId);
    return { ...refreshed, summary: `The pull request of ${refreshed.id} (${refreshed.url}) is ${refreshed.state}.` };
  }
  const r = await engine.publish(args.instanceId, {
    ...(args.remote !== undefined ? { remote: args.remote } : {}),
    ...(args.title !== undefined ? { title: args.title } : {}),
    ...(args.body !== undefined ? { body: args.body } : {}),
    draft: args.draft === true,
  });
  const { body: _body, record: _record, ...rest } = r;
  return {
    ...rest,
    summary: describePublished(r),
    ...(r.uncommitted ? { warning: `${plural(r.uncommitted, 'uncommitted change')} ${r.uncommitted === 1 ? 'was' : 'were'} not published: ${r.uncommitted === 1 ? 'commit it' : 'commit them'}, then publish again.` } : {}),
  };
}
