/**
 * `axiom publish <id> --refresh` (issue 20 part 2): what became of a published instance's pull request.
 * Asks the user's GitHub CLI — `gh pr view <url> --json state,url,isDraft`, an argument array, never a
 * shell — and records the state it reports (open, draft, merged, closed) and when it was checked in the
 * instance's metadata, where status, list, MCP and the VS Code row show it. Nothing is pushed and no
 * ref moves; a pull request recorded by an earlier publish is the only input (none recorded: NotFound).
 */
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import type { RepoInfo } from '../git/repo';
import { locateInstance } from '../instances/locate';
import { updateMetadata, type PublishRecord, type PullRequestState } from '../instances/metadata';
import { firstErrorLine, ghEnv, runProgram } from './publish';

export interface RefreshOptions {
  /** The environment `gh` runs with (its PATH finds it); default this process's. */
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
}

export interface RefreshResult {
  id: string;
  path: string;
  url: string;
  /** The state recorded before and now. */
  previous: PullRequestState;
  state: PullRequestState;
  checkedAt: string;
  record: PublishRecord;
}

/** gh's `state` (OPEN, CLOSED, MERGED) and `isDraft` as Axiom's state; null for anything else. */
export function pullRequestStateOf(view: { state?: unknown; isDraft?: unknown }): PullRequestState | null {
  const state = typeof view.state === 'string' ? view.state.toUpperCase() : '';
  if (state === 'MERGED') return 'merged';
  if (state === 'CLOSED') return 'closed';
  if (state === 'OPEN') return view.isDraft === true ? 'draft' : 'open';
  return null;
}

/** Reads the pull request's state with `gh pr view` and records it on the instance. */
export async function refreshPullRequest(git: GitRunner, repo: RepoInfo, id: string, options: RefreshOptions = {}): Promise<RefreshResult> {
  if (git.untrusted) throw new AxiomError('Untrusted', 'This workspace is not trusted: refreshing a pull request runs gh in it. Nothing was changed.');
  const inst = await locateInstance(repo, id);
  const pr = inst.metadata.published?.pr;
  if (!pr) {
    throw new AxiomError('NotFound', `${inst.id} has no pull request recorded${inst.metadata.published ? ' (it was pushed, but no pull request was opened)' : ''}: there is nothing to refresh. Publish it first.`);
  }
  const cwd = inst.missing ? (repo.mainWorktree ?? repo.commonDir) : inst.path;
  const view = await runProgram('gh', ['pr', 'view', pr.url, '--json', 'state,url,isDraft'], cwd, ghEnv(options.env ?? process.env), options.signal);
  if (view.missing) throw new AxiomError('NotFound', 'The GitHub CLI (gh) is not installed: the state of the pull request cannot be read. Nothing was changed.');
  if (view.exitCode !== 0) throw new AxiomError('IoFailed', `gh pr view ${pr.url} failed: ${firstErrorLine(view.stderr || view.stdout)}. Nothing was changed.`);
  let parsed: { state?: unknown; url?: unknown; isDraft?: unknown };
  try {
    parsed = JSON.parse(view.stdout) as typeof parsed;
  } catch {
    throw new AxiomError('IoFailed', `gh pr view ${pr.url} printed no JSON (${firstErrorLine(view.stdout)}). Nothing was changed.`);
  }
  const state = parsed && typeof parsed === 'object' ? pullRequestStateOf(parsed) : null;
  if (!state) throw new AxiomError('IoFailed', `gh pr view ${pr.url} reported a state Axiom does not know (${JSON.stringify(parsed?.state ?? null)}). Nothing was changed.`);
  const url = typeof parsed.url === 'string' && /^https?:\/\/\S+$/.test(parsed.url) ? parsed.url : pr.url;
  const checkedAt = new Date().toISOString();
  let record: PublishRecord | undefined;
  await updateMetadata(inst.adminDir, (m) => {
    // Only the pull request this refresh read is updated (a publish in between may have replaced it).
    if (!m.published?.pr || m.published.pr.url !== pr.url) return m;
    record = { ...m.published, pr: { ...m.published.pr, url, state, checkedAt } };
    return { ...m, published: record };
  });
  if (!record) throw new AxiomError('TargetMoved', `${inst.id}'s pull request record changed while it was read; refresh again. Nothing was changed.`);
  return { id: inst.id, path: inst.path, url, previous: pr.state, state, checkedAt, record };
}
