/**
 * Instance metadata: a small JSON file inside the worktree's own admin dir
 * (`<common-dir>/worktrees/<name>/axiom.json`). Git deletes that dir with the worktree, so the
 * metadata can never outlive it.
 */
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { reportDamage } from './damage';
import { ID_PATTERN } from './ids';

export const METADATA_FILE = 'axiom.json';

export type LaunchMode = 'terminal' | 'headless' | 'none';

export interface MergeRecord {
  into: string;
  strategy: string;
  at: string;
  /** The instance's HEAD when it was merged: unchanged HEAD means "nothing new since". */
  headSha: string;
  /**
   * The commit the landing made on `into` (absent in records older than it). While the branch is
   * still at `headSha` and this commit is in the history of `into`, the instance stays landed
   * whatever `into` does next (status.ts, risk.ts): a squash leaves no ancestry to judge by otherwise.
   */
  landingSha?: string;
}

export interface TerminalRequest {
  requestedAt: string;
  takenAt?: string;
  /** Lines an MCP client asked to type into the terminal, consumed by the extension. */
  pendingInput?: string[];
}

/** The agent conversation Axiom started (Claude Code's --session-id): reopening the terminal resumes it. */
export interface AgentSession {
  id: string;
  agent: string;
  startedAt: string;
}

/**
 * Where an instance came from when something other than Axiom's own front ends asked for it:
 * Claude Code's `WorktreeCreate` hook (`claude --worktree`, subagents with `isolation: worktree`).
 */
export interface InstanceSource {
  kind: 'claude-worktree';
  /** The worktree name Claude asked for (the id is made valid and unique from it). */
  name: string;
}

/** The source in words for rows, lists and tooltips ("Claude Code worktree"); null for Axiom's own spawns. */
export function sourceWords(meta: Pick<InstanceMetadata, 'source'> | null | undefined): string | null {
  return meta?.source?.kind === 'claude-worktree' ? 'Claude Code worktree' : null;
}

/**
 * What `publish` did (publish.ts): the branch pushed to a remote, and the pull request opened for it
 * (or the page to open one by hand). A hint for people and front ends; what a cleanup keeps is still
 * judged by content (the remote-tracking ref holds what was pushed, see risk.ts), never by this record.
 */
export interface PublishRecord {
  remote: string;
  /** The branch's name on the remote (the instance's own branch name). */
  branch: string;
  /** The commit that was pushed (the branch tip then). */
  pushedSha: string;
  pushedAt: string;
  /** The branch the pull request asks to merge into (on the remote). */
  base: string;
  /** The pull request `gh` opened (absent: none was opened). */
  pr?: { url: string; state: PullRequestState; number: number | null; checkedAt?: string };
  /** Where to open one by hand when no pull request was opened; null when the remote has no web page Axiom knows. */
  compareUrl?: string | null;
}

/** As opened (`open`, `draft`), or as `axiom publish --refresh` last found it on the host (also `merged`, `closed`). */
export type PullRequestState = 'open' | 'draft' | 'merged' | 'closed';
export const PULL_REQUEST_STATES: readonly PullRequestState[] = ['open', 'draft', 'merged', 'closed'];

/** One shared folder (or file) put into the worktree at spawn; `mode` is what actually happened. */
export interface ProvisionedEntry {
  path: string;
  mode: 'clone' | 'copy' | 'hardlink' | 'symlink';
  requested: 'clone' | 'hardlink' | 'symlink';
  ms: number;
  files: number;
  /** Why `mode` differs from `requested` (e.g. no reflink on this filesystem). */
  note?: string;
}

/** What provisioning put into the worktree (`.axiom.json` share and include). */
export interface ProvisionRecord {
  provisioned: ProvisionedEntry[];
  /** Ignored files copied from the main worktree (a folder matched as a whole is one entry). */
  included: string[];
  /** Paths left out, and why (e.g. tracked at the base; a share source that does not exist). */
  skipped: { path: string; reason: string }[];
  ms: number;
}

export interface InstanceMetadata {
  version: 1;
  id: string;
  branch: string;
  base: string;
  /** The base commit the instance was created from. */
  baseSha: string;
  agent: string | null;
  /** For the `custom` agent: its command template, recorded by Change Agent (absent: the configured one). */
  agentCommand?: string;
  prompt: string | null;
  launch: LaunchMode;
  createdAt: string;
  merged?: MergeRecord;
  terminal?: TerminalRequest;
  session?: AgentSession;
  /** Expand: the instance this one was spawned from (its base is that instance's branch). */
  parent?: string | null;
  /** The race this instance is a member of (`refs/axiom/races/<task>/<ms>`). */
  race?: string | null;
  /** The port block leased to the instance (stable for its life, released at cleanup). */
  ports?: number[];
  /** `env` of the worktree configuration with its placeholders filled at spawn. */
  env?: Record<string, string>;
  provision?: ProvisionRecord;
  /** Made for another tool (Claude Code's worktree hook); absent for Axiom's own spawns. */
  source?: InstanceSource;
  /** Set once the instance was published (pushed, and a pull request opened or offered); absent in older records. */
  published?: PublishRecord;
}

/** The publish record when it has the shape this version writes; a hand-edited or foreign one is left out. */
function validPublished(p: unknown): PublishRecord | undefined {
  const r = p as Partial<PublishRecord> | null | undefined;
  if (!r || typeof r !== 'object') return undefined;
  const strings = (['remote', 'branch', 'pushedSha', 'pushedAt', 'base'] as const).every((k) => typeof r[k] === 'string');
  if (!strings) return undefined;
  const pr =
    r.pr && typeof r.pr.url === 'string' && PULL_REQUEST_STATES.includes(r.pr.state)
      ? { url: r.pr.url, state: r.pr.state, number: typeof r.pr.number === 'number' ? r.pr.number : null, ...(typeof r.pr.checkedAt === 'string' ? { checkedAt: r.pr.checkedAt } : {}) }
      : undefined;
  return {
    remote: r.remote!,
    branch: r.branch!,
    pushedSha: r.pushedSha!,
    pushedAt: r.pushedAt!,
    base: r.base!,
    ...(pr ? { pr } : {}),
    ...(typeof r.compareUrl === 'string' || r.compareUrl === null ? { compareUrl: r.compareUrl } : {}),
  };
}

export async function readMetadata(adminDir: string): Promise<InstanceMetadata | null> {
  return (await readMetadataFile(adminDir)).metadata;
}

/** The metadata, or why there is none: absent (not Axiom's worktree) or unreadable (damaged: repair rewrites it). */
export async function readMetadataFile(adminDir: string): Promise<{ metadata: InstanceMetadata | null; problem: string | null }> {
  let text: string;
  try {
    text = await fs.readFile(path.join(adminDir, METADATA_FILE), 'utf8');
  } catch {
    return { metadata: null, problem: null };
  }
  return parseMetadataText(adminDir, text);
}

/** {@link readMetadataFile}, synchronously: for the status snapshot's pass over many admin dirs (status.ts). */
export function readMetadataFileSync(adminDir: string): { metadata: InstanceMetadata | null; problem: string | null } {
  let text: string;
  try {
    text = fsSync.readFileSync(path.join(adminDir, METADATA_FILE), 'utf8');
  } catch {
    return { metadata: null, problem: null };
  }
  return parseMetadataText(adminDir, text);
}

function parseMetadataText(adminDir: string, text: string): { metadata: InstanceMetadata | null; problem: string | null } {
  try {
    const m = JSON.parse(text) as Partial<InstanceMetadata> | null;
    const strings = m && (['id', 'branch', 'base', 'baseSha', 'createdAt'] as const).every((k) => typeof m[k] === 'string');
    if (m && strings && ID_PATTERN.test(m.id!) && (m.launch === undefined || ['terminal', 'headless', 'none'].includes(m.launch))) {
      const { published, ...rest } = m;
      const pub = published === undefined ? undefined : validPublished(published);
      return { metadata: { ...rest, launch: m.launch ?? 'none', agent: m.agent ?? null, prompt: m.prompt ?? null, ...(pub ? { published: pub } : {}) } as InstanceMetadata, problem: null };
    }
  } catch {
    /* a torn or hand-edited file */
  }
  const file = path.join(adminDir, METADATA_FILE);
  reportDamage({ kind: 'metadata', name: file, problem: 'not a metadata file Axiom can read' });
  return { metadata: null, problem: `Axiom's record of this worktree (${file}) is damaged; run axiom repair to set it aside and rebuild it.` };
}

/** Atomic write (temp file + rename) so a reader never sees half a file. */
export async function writeMetadata(adminDir: string, meta: InstanceMetadata): Promise<void> {
  const target = path.join(adminDir, METADATA_FILE);
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(meta, null, 2) + '\n');
  await fs.rename(tmp, target);
}

/**
 * Records that the instance landed on `into` (merge.ts; land.ts through it): its branch tip then and
 * the commit the landing made. What judges "landed" later is this record plus ancestry (the landing
 * commit still in `into`'s history, the branch unchanged), not content equality alone.
 */
export async function recordLanding(adminDir: string, landing: Omit<MergeRecord, 'at'> & { at?: string }): Promise<InstanceMetadata | null> {
  return updateMetadata(adminDir, (m) => ({ ...m, merged: { ...landing, at: landing.at ?? new Date().toISOString() } }));
}

/**
 * The landing commit to check for ancestry when the record says `tip` landed on `base` (the branch
 * did not move since); null when there is no such record.
 */
export function recordedLanding(meta: InstanceMetadata | null, base: string, tip: string | null): string | null {
  const m = meta?.merged;
  return m?.landingSha && m.into === base && tip !== null && m.headSha === tip ? m.landingSha : null;
}

export async function updateMetadata(
  adminDir: string,
  change: (meta: InstanceMetadata) => InstanceMetadata,
): Promise<InstanceMetadata | null> {
  const meta = await readMetadata(adminDir);
  if (!meta) return null;
  const next = change(meta);
  await writeMetadata(adminDir, next);
  return next;
}

/** The admin dir of a worktree, read from its `.git` file ("gitdir: …"); null when missing. */
export async function adminDirOf(worktreePath: string): Promise<string | null> {
  try {
    const text = await fs.readFile(path.join(worktreePath, '.git'), 'utf8');
    const m = /^gitdir:\s*(.+)$/m.exec(text);
    return m ? path.resolve(worktreePath, m[1]!.trim()) : null;
  } catch {
    return null;
  }
}

export interface AdminEntry {
  adminDir: string;
  /** The worktree path the admin dir points to (from its `gitdir` file), resolved. */
  worktreePath: string | null;
  metadata: InstanceMetadata | null;
  /** Set when a metadata file exists but cannot be used. */
  problem: string | null;
}

/** Every linked worktree's admin dir with its metadata: file reads only, no git process. */
export async function readAdminEntries(commonDir: string): Promise<AdminEntry[]> {
  const root = path.join(commonDir, 'worktrees');
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  return Promise.all(names.map((name) => readAdminEntry(path.join(root, name))));
}

/** One linked worktree's admin dir with its metadata (file reads only). */
export async function readAdminEntry(adminDir: string): Promise<AdminEntry> {
  const [gitdir, meta] = await Promise.all([fs.readFile(path.join(adminDir, 'gitdir'), 'utf8').then((t) => t.trim(), () => null), readMetadataFile(adminDir)]);
  // null: not a worktree admin dir
  return { adminDir, worktreePath: gitdir === null ? null : path.dirname(path.resolve(adminDir, gitdir)), ...meta };
}
