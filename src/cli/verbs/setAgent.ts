import { AGENT_NAMES } from '../../agents/names';
import { EXIT, need, noExtra, stringOption, type Verb } from '../context';

export const setAgent: Verb = {
  usage: ['set-agent <id> <agent> [--agent-command <template>]               record another agent for an instance (its next launch runs it)'],
  summary: `Records another agent (${AGENT_NAMES.join(', ')}) for an instance, e.g. after its agent failed to start: its next launch (VS Code's Open Terminal) runs it. Refused while the current agent runs; the old conversation is not resumed.`,
  examples: ['axiom set-agent fix-login codex   # claude failed to start: its next terminal runs codex', 'axiom set-agent fix-login custom --agent-command "my-agent --fast {prompt}"  # a command of your own'],
  operands: 'instance',
  options: {
    'agent-command': { type: 'string', value: '"<template>"', description: 'The command of the custom agent ({prompt}, {id}, {worktree} filled in).', default: 'axiom.customAgentCommand in VS Code' },
  },
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom set-agent <id> <agent>)');
    const agent = need(ctx.args, 1, `agent (one of ${AGENT_NAMES.join(', ')})`);
    noExtra(ctx.args, 2);
    const command = stringOption(ctx.values, 'agent-command');
    const r = await (await ctx.engine()).changeAgent(id, agent, { known: AGENT_NAMES, ...(command !== undefined ? { command } : {}) });
    ctx.print(r, () => `${r.id} now runs ${r.agent}${r.command ? ` (${r.command})` : ''} instead of ${r.previous ?? 'no agent'} from its next launch.\n`);
    return EXIT.ok;
  },
};
