import { plural } from '../../core/text';
import { EXIT, need, noExtra, type Verb } from '../context';
import { formatCounts, publishedLines, readyLines } from '../format';
import { backend } from '../lazy';

export const status: Verb = {
  usage: ['status <id>                                                      one instance'],
  summary: 'Shows one instance: branch, path, changes, ahead/behind, conflicts with its base, agent state.',
  options: {},
  operands: 'instance',
  examples: ['axiom status fix-login'],
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom status <id>)');
    noExtra(ctx.args, 1);
    const s = await (await ctx.engine()).status(id);
    ctx.print(
      s,
      () =>
        [
          `${s.id} — ${s.branch ?? '(detached)'} from ${s.base ?? '?'}`,
          `  path:    ${s.path}`,
          `  changes: ${formatCounts(s)}`,
          `  ahead ${s.ahead ?? '?'}, behind ${s.behind ?? '?'}${s.conflictsWithBase ? `, conflicts with ${s.base} in ${plural(s.conflictFiles.length, 'file')}` : ''}${s.merged ? ', merged' : ''}`,
          `  agent:   ${s.agent ?? 'none'} (${backend().describeAgentState(s.agentState)})`,
          ...(s.agentState.sessionId ?? s.metadata?.session?.id ? [`  session: ${s.agentState.sessionId ?? s.metadata?.session?.id}`] : []),
          `  created: ${s.createdAt ?? '?'}`,
          ...(backend().sourceWords(s.metadata) ? [`  source:  ${backend().sourceWords(s.metadata)} (name ${JSON.stringify(s.metadata!.source!.name)})`] : []),
          ...publishedLines(s.metadata),
          ...readyLines(s),
        ].join('\n') + '\n',
    );
    return EXIT.ok;
  },
};
