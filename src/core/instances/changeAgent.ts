/**
 * Change Agent (issue 21): records another agent for an instance — the one its next terminal (or
 * headless launch) runs — after the current one failed to start, or simply to try another. Decided
 * under the repository lock: refused while the current agent runs (two agents would share one
 * worktree), and on bad input nothing changes. The recorded conversation belongs to the old agent
 * and is dropped; an `AgentChanged` event makes the row read "<agent> not started" again.
 */
import { AxiomError } from '../errors';
import type { RepoInfo } from '../git/repo';
import { appendAgentEvent } from '../processes/agentState';
import { agentRunning } from '../processes/processes';
import { locateInstance } from './locate';
import { withRepoLock } from './lock';
import { updateMetadata } from './metadata';

/** The event appended to the instance's status file: the agent's phase starts over ("not started"). */
export const AGENT_CHANGED_EVENT = 'AgentChanged';

export interface ChangeAgentOptions {
  /** For `custom`: the command template ({prompt}, {id}, {worktree}); absent = the front end's configured one. */
  command?: string | null;
  /** The agent names the caller can start (its presets); an agent outside them is refused. */
  known?: readonly string[];
}

export interface ChangeAgentResult {
  id: string;
  path: string;
  previous: string | null;
  agent: string;
  /** The custom command recorded for the instance (null: none, the configured one applies). */
  command: string | null;
}

const AGENT_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** Checks the request before anything is read or written: the agent's name and its command. */
function validate(agent: string, options: ChangeAgentOptions): { agent: string; command: string | null } {
  const name = agent.trim();
  if (!AGENT_NAME.test(name)) throw new AxiomError('InvalidArgument', `${JSON.stringify(agent)} is not an agent name (e.g. claude, codex, custom).`);
  if (options.known && !options.known.includes(name)) {
    throw new AxiomError('InvalidArgument', `Unknown agent ${JSON.stringify(name)}: use one of ${options.known.join(', ')}.`);
  }
  const raw = options.command ?? null;
  if (raw !== null && name !== 'custom') throw new AxiomError('InvalidArgument', `A command goes with the custom agent only, not with ${name}.`);
  const command = raw === null ? null : raw.trim();
  if (command === '') throw new AxiomError('InvalidArgument', 'The custom agent\'s command is empty: give the command line to run (e.g. "my-agent {prompt}").');
  return { agent: name, command };
}

export async function changeAgent(repo: RepoInfo, id: string, agent: string, options: ChangeAgentOptions = {}): Promise<ChangeAgentResult> {
  const wanted = validate(agent, options);
  return withRepoLock(repo.commonDir, async () => {
    const inst = await locateInstance(repo, id);
    if (inst.missing) throw new AxiomError('NotFound', `The worktree of ${inst.id} (${inst.path}) is missing: run repair or clean it up. Nothing was changed.`, { path: inst.path });
    const previous = inst.metadata.agent;
    if (await agentRunning(inst.adminDir)) {
      throw new AxiomError(
        'AgentRunning',
        `The agent of ${inst.id} (${previous ?? 'its agent'}) is still running: stop it first (Stop Agent, or axiom stop ${inst.id}), then change the agent. Nothing was changed.`,
        { path: inst.path },
      );
    }
    await updateMetadata(inst.adminDir, (m) => {
      const { session: _session, agentCommand: _command, ...rest } = m;
      return { ...rest, agent: wanted.agent, ...(wanted.command !== null ? { agentCommand: wanted.command } : {}) };
    });
    await appendAgentEvent(inst.adminDir, { event: AGENT_CHANGED_EVENT, phase: 'unknown', detail: `${previous ?? 'none'} → ${wanted.agent}` });
    return { id: inst.id, path: inst.path, previous, agent: wanted.agent, command: wanted.command };
  });
}
