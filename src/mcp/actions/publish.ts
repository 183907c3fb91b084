/** `publish`: push the instance's branch (never forced), open a pull request with gh or return the compare URL. */
import { describePublished } from '../../core';
import type { McpContext } from '../context';
import type { PublishArgs } from '../schema';

export async function publish(ctx: McpContext, args: PublishArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
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
    ...(r.uncommitted ? { warning: `${r.uncommitted} uncommitted change(s) were not published: commit them, then publish again.` } : {}),
  };
}
