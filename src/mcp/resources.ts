/** Read-only resources a client can poll cheaply: the list, each instance's status, each headless agent's log tail. */
import { AxiomError } from '../core';
import { readLogTail } from '../agents/headless';
import type { McpContext } from './context';
import { list } from './actions/list';
import { readStatus } from './actions/status';
import { json } from './refusal';
import { statusView } from './views';

export interface ResourceEntry {
  uri: string;
  name: string;
  mimeType: string;
  description?: string;
}

export async function readResource(ctx: McpContext, uri: string): Promise<{ uri: string; mimeType: string; text: string }> {
  if (uri === 'axiom://instances') return { uri, mimeType: 'application/json', text: json(await list(ctx)) };
  const m = /^axiom:\/\/instances\/([^/]+)(\/log)?$/.exec(uri);
  if (!m) throw new AxiomError('NotFound', `Unknown resource ${JSON.stringify(uri)}: use axiom://instances, axiom://instances/{id} or axiom://instances/{id}/log.`);
  const id = decodeURIComponent(m[1]!);
  const engine = await ctx.engine();
  if (m[2]) {
    const inst = await engine.locate(id);
    const tail = await readLogTail(inst.adminDir);
    return { uri, mimeType: 'text/plain', text: tail.text };
  }
  return { uri, mimeType: 'application/json', text: json(statusView(await readStatus(ctx, id))) };
}

export async function listResources(ctx: McpContext): Promise<ResourceEntry[]> {
  const out: ResourceEntry[] = [
    { uri: 'axiom://instances', name: 'instances', mimeType: 'application/json', description: 'Every Axiom instance with its status (cheap to poll).' },
  ];
  try {
    const engine = await ctx.engine();
    const snap = await engine.snapshot({ conflicts: false });
    for (const w of snap.worktrees) {
      if (w.kind !== 'instance' || !w.id) continue;
      out.push({ uri: `axiom://instances/${w.id}`, name: `instance ${w.id}`, mimeType: 'application/json' });
      if (w.launch === 'headless') out.push({ uri: `axiom://instances/${w.id}/log`, name: `agent log ${w.id}`, mimeType: 'text/plain' });
    }
  } catch {
    /* not a repository (yet): the list resource still answers with the error */
  }
  return out;
}

export const RESOURCE_TEMPLATES = [
  { uriTemplate: 'axiom://instances/{id}', name: 'instance status', mimeType: 'application/json', description: 'One instance: worktreePath, branch, dirty, aheadBehind, agentPhase, lastActivity.' },
  { uriTemplate: 'axiom://instances/{id}/log', name: 'agent log', mimeType: 'text/plain', description: 'The last 16 KiB of a headless agent\'s output.' },
];
