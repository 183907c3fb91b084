/**
 * The tool's actions, one file each, wired through this table: adding an action is a schema entry
 * in ../schema.ts plus one file and one line here.
 */
import type { McpContext } from '../context';
import type { Action, ToolArgs } from '../schema';
import { cleanup } from './cleanup';
import { diff } from './diff';
import { list } from './list';
import { merge } from './merge';
import { publish } from './publish';
import { send } from './send';
import { spawn } from './spawn';
import { status } from './status';
import { stop } from './stop';
import { EXPLORE_HANDLERS } from './explore';
import { search } from './search';

export type ActionHandler<A extends Action> = (ctx: McpContext, args: Extract<ToolArgs, { action: A }>) => Promise<Record<string, unknown>>;

export const ACTION_HANDLERS: { [A in Action]: ActionHandler<A> } = { spawn, status, list, diff, merge, cleanup, send, stop, publish, ...EXPLORE_HANDLERS, search };

/** Runs the handler of `args.action` (arguments already checked by parseToolArgs). */
export function runAction(ctx: McpContext, args: ToolArgs): Promise<Record<string, unknown>> {
  const handler = ACTION_HANDLERS[args.action] as ActionHandler<Action>;
  return handler(ctx, args as never);
}
