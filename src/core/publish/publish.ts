/**
 * Publish an instance (issue 20 part 2): push its branch to a remote — never forced — then open a
 * pull request with the user's GitHub CLI (`gh`) when it is installed and signed in, else offer the
 * remote's compare page. Axiom handles no tokens: `gh` and git's own credential setup do.
 *
 * 1. refuse in an untrusted workspace (a push runs what the repository configures: hooks, ssh
 *    commands, credential helpers) and when the branch has nothing beyond its base;
 * 2. the remote: `--remote`, else the branch's upstream remote, else its base's, else `origin`,
 *    else a refusal naming the remotes;
 * 3. `git push --porcelain <remote> <tip>:refs/heads/<branch>` — the tip read once, so what is
 *    recorded is exactly what was pushed; no `+`, no `--force`: a remote branch that moved on is a
 *    `PushRejected` refusal with git's reason, and nothing is recorded;
 * 4. record the push in the instance's metadata (remote, branch, sha), then the pull request (or the
 *    compare URL) once there is one. A pull request recorded for this remote and branch is not opened
 *    again: publishing later pushes the new commits into it.
 *
 * The push is not under the repository lock: it may wait on the network, and it changes no local ref
 * Axiom decides by except the remote-tracking one, which only ever adds reachability (risk.ts).
 * Cleanup judges pushed commits by that ref (content), never by this record.
 */
import { spawn } from 'node:child_process';
import { AxiomError, isAxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import type { RepoInfo } from '../git/repo';
import { locateInstance, type LocatedInstance } from '../instances/locate';
import { updateMetadata, type InstanceMetadata, type PublishRecord, type PullRequestState } from '../instances/metadata';
import { commitsBetween, isAncestor, type CommitInfo } from '../git/commits';
import { latestByMember, readEvaluations, type EvaluationRecord } from '../explore/attempts';
import { listRaces } from '../explore/raceRecord';
import { raceRows } from '../explore/rank';
import { parseStatusV2 } from '../git/parse';
import { readProvisioned, withoutProvisioned } from '../provision/provisioned';
import { compareUrlOf, webRepoOf } from './publishUrl';
import { plural } from '../text';

export interface PublishOptions {
  /** The remote to push to (default: the branch's upstream remote, its base's, else `origin`). */
  remote?: string;
  /** Open the pull request as a draft. */
  draft?: boolean;
  /** The pull request's title and body (default: from the prompt, the commits and the evaluation). */
  title?: string;
  body?: string;
  /** The environment `gh` runs with (its PATH finds it); default this process's. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Push only if the branch is still at this commit (a landing publishes exactly the evaluated state). */
  expectedTip?: string;
  /** Told when each step starts (front ends show progress). */
  onStep?: (step: 'push' | 'pull-request') => void;
  signal?: AbortSignal;
}

export interface PublishResult {
  id: string;
  /** The instance's worktree folder. */
  path: string;
  remote: string;
  branch: string;
  /** The branch the pull request targets on the remote. */
  base: string;
  pushedSha: string;
  /** Commits of the branch not in its base, now on the remote. */
  commits: number;
  /** Uncommitted changes in the worktree: not published (commit them and publish again). */
  uncommitted: number;
  /** The pull request (opened now, or earlier: `existing`), null when none was opened. */
  pr: { url: string; state: PullRequestState; number: number | null; existing: boolean } | null;
  /** When no pull request was opened: the page to open one by hand (null: the remote has no web page Axiom knows). */
  compareUrl: string | null;
  /** Why no pull request was opened (gh missing, not signed in, its error), null when one was. */
  prNote: string | null;
  title: string;
  body: string;
  record: PublishRecord;
}

/** Longest body handed to `gh` (one argv element: Linux takes at most 128 KiB per argument). */
const MAX_BODY = 60_000;
const MAX_LISTED_COMMITS = 50;
const GH_TIMEOUT_MS = 120_000;

interface BranchFacts {
  tip: string | null;
  /** The upstream's remote name ('.' for a local branch) and its branch (refs/heads/…), '' when none. */
  remote: string;
  remoteRef: string;
}

/** Tip and upstream of each named local branch, in one process. */
async function branchFacts(git: GitRunner, repo: RepoInfo, names: string[]): Promise<Map<string, BranchFacts>> {
  const out = await git.out(
    repo.commonDir,
    ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(upstream:remotename)%00%(upstream:remoteref)', ...names.map((n) => `refs/heads/${n}`)],
    { readOnly: true },
  );
  const facts = new Map<string, BranchFacts>();
  for (const line of out.split('\n')) {
    const [ref, tip, remote, remoteRef] = line.split('\0');
    if (ref?.startsWith('refs/heads/')) facts.set(ref.slice('refs/heads/'.length), { tip: tip ?? null, remote: remote ?? '', remoteRef: remoteRef ?? '' });
  }
  return facts;
}

/** The repository's remotes by name (`git remote`). */
export async function listRemotes(git: GitRunner, repo: RepoInfo): Promise<string[]> {
  return (await git.out(repo.commonDir, ['remote'], { readOnly: true })).split('\n').filter(Boolean);
}

/** The remote asked for, else the branch's upstream remote, its base's, else `origin`; a refusal naming the remotes otherwise. */
export function chooseRemote(remotes: readonly string[], asked: string | undefined, upstreams: readonly string[]): string {
  const names = remotes.length ? `The remotes are: ${remotes.join(', ')}.` : 'This repository has no remote: add one (git remote add origin <url>).';
  if (asked !== undefined) {
    // A name like an option never reaches git's command line, even when the config has such a remote.
    if (remotes.includes(asked) && !asked.startsWith('-')) return asked;
    throw new AxiomError('NoRemote', `There is no remote named ${JSON.stringify(asked)}. ${names} Nothing was pushed.`, { hint: { next: remotes.length ? [{ option: 'remote' }] : [] } });
  }
  const found = upstreams.find((r) => r !== '' && r !== '.' && !r.startsWith('-') && remotes.includes(r)) ?? (remotes.includes('origin') ? 'origin' : undefined);
  if (found) return found;
  throw new AxiomError(
    'NoRemote',
    remotes.length
      ? `The instance's branch and its base track no remote, and there is no remote named origin: choose the remote to publish to. ${names} Nothing was pushed.`
      : `${names} Nothing was pushed.`,
    { hint: { next: remotes.length ? [{ option: 'remote' }] : [] } },
  );
}

/** What a rejected push's porcelain lines say (`!\t<src>:<dst>\t[rejected] (fetch first)`). */
export function pushRejection(porcelain: string): string | null {
  const lines = porcelain.split('\n').filter((l) => l.startsWith('!'));
  if (lines.length === 0) return null;
  return lines.map((l) => l.split('\t').slice(2).join(' ').trim() || 'rejected').join('; ');
}

export interface TextInputs {
  id: string;
  prompt: string | null;
  agent: string | null;
  commits: readonly CommitInfo[];
  pushedSha: string;
  evaluation: EvaluationRecord | null;
  /** The instance's place in its race's ranking, when it is a member. */
  race: { task: string; rank: number; members: number } | null;
}

function firstLine(text: string | null): string | null {
  const line = text?.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return line ? line : null;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** The default title and body of the pull request: the prompt, the commits, the evaluation and the race. Pure. */
export function defaultPullRequestText(t: TextInputs): { title: string; body: string } {
  const promptLine = firstLine(t.prompt);
  const title = cut(promptLine ?? (t.commits.length === 1 ? t.commits[0]!.subject : `${t.id}: ${plural(t.commits.length, 'commit')}`), 72);
  const sections: string[] = [];
  if (t.prompt?.trim()) sections.push(`## Task\n\n${t.prompt.trim().split('\n').map((l) => `> ${l}`.trimEnd()).join('\n')}`);
  if (t.commits.length) {
    const shown = t.commits.slice(-MAX_LISTED_COMMITS).map((c) => `- ${c.sha.slice(0, 10)} ${c.subject}`);
    const more = t.commits.length > MAX_LISTED_COMMITS ? [`- … and ${t.commits.length - MAX_LISTED_COMMITS} earlier`] : [];
    sections.push(`## Commits\n\n${[...more, ...shown].join('\n')}`);
  }
  const e = t.evaluation;
  if (e) {
    const lines = [
      `- ${e.passed ? 'Passed' : 'Failed'}${e.timedOut ? ' (timed out)' : e.exitCode !== null ? ` (exit code ${e.exitCode})` : ''}: \`${e.command.join(' ')}\``,
      ...(e.score !== null ? [`- Score: ${e.score} (${e.scoreDirection} is better)`] : []),
      ...(t.race ? [`- Race ${t.race.task}: ranked ${t.race.rank} of ${t.race.members}`] : []),
      `- Evaluated ${e.at} at ${e.head.slice(0, 10)}${e.snapshot ? ' with uncommitted work' : ''}${e.head === t.pushedSha && !e.snapshot ? '' : ' (the published commit differs from the evaluated state)'}`,
    ];
    sections.push(`## Evaluation\n\n${lines.join('\n')}`);
  }
  sections.push(`Published with Axiom Worktrees from instance \`${t.id}\`${t.agent ? ` (agent ${t.agent})` : ''}.`);
  return { title, body: cut(sections.join('\n\n'), MAX_BODY) };
}

/** The instance's latest evaluation (this attempt: same id and creation time) and its race's ranking. */
async function evaluationOf(git: GitRunner, repo: RepoInfo, meta: InstanceMetadata): Promise<Pick<TextInputs, 'evaluation' | 'race'>> {
  const all = await readEvaluations(git, repo);
  const mine = all.filter((r) => r.id === meta.id && r.createdAt === meta.createdAt);
  const evaluation = mine[mine.length - 1] ?? null;
  if (!meta.race || !evaluation) return { evaluation, race: null };
  const race = (await listRaces(git, repo)).find((r) => r.ref === meta.race);
  const row = race ? raceRows(race, latestByMember(all, race.ref), []).find((r) => r.id === meta.id) : undefined;
  return { evaluation, race: race && row ? { task: race.task, rank: row.rank, members: race.members.length } : null };
}

async function uncommittedCount(git: GitRunner, inst: LocatedInstance): Promise<number> {
  if (inst.missing) return 0;
  const out = await git.out(inst.path, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all'], { readOnly: true });
  return withoutProvisioned(parseStatusV2(out).entries, readProvisioned(inst.adminDir)).length;
}

export interface ProgramResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Could not start (not installed: ENOENT). */
  missing: boolean;
}

/** Runs a program (argument array, no shell, stdin closed) with a time limit. */
export function runProgram(program: string, args: string[], cwd: string, env: Record<string, string>, signal?: AbortSignal): Promise<ProgramResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: ProgramResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const child = spawn(program, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, timeout: GH_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e: NodeJS.ErrnoException) => done({ exitCode: null, stdout, stderr: stderr || e.message, missing: e.code === 'ENOENT' }));
    child.on('close', (code) => done({ exitCode: code, stdout, stderr, missing: false }));
  });
}

/** The environment `gh` runs with: the caller's, never prompting, no update check. */
export function ghEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1', NO_COLOR: '1' };
}

export function firstErrorLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'no message';
}

/** Opens the pull request with `gh` when it can; otherwise says why (the caller offers the compare URL). */
async function openPullRequest(
  cwd: string,
  remoteUrl: string,
  pr: { head: string; base: string; title: string; body: string; draft: boolean },
  options: PublishOptions,
): Promise<{ url: string; number: number | null } | { note: string }> {
  const web = webRepoOf(remoteUrl);
  if (web && (web.kind === 'gitlab' || web.kind === 'bitbucket')) return { note: `gh opens pull requests on GitHub; ${web.host} is not GitHub.` };
  const env = ghEnv(options.env ?? process.env);
  const auth = await runProgram('gh', ['auth', 'status', ...(web ? ['--hostname', web.host] : [])], cwd, env, options.signal);
  if (auth.missing) return { note: 'the GitHub CLI (gh) is not installed.' };
  if (auth.exitCode !== 0) return { note: `gh is not signed in${web ? ` to ${web.host}` : ''} (run gh auth login).` };
  const args = ['pr', 'create', '--head', pr.head, '--base', pr.base, '--title', pr.title, '--body', pr.body, ...(pr.draft ? ['--draft'] : []), ...(web ? ['--repo', `${web.host}/${web.path}`] : [])];
  const created = await runProgram('gh', args, cwd, env, options.signal);
  const url = created.stdout.split('\n').map((l) => l.trim()).reverse().find((l) => /^https?:\/\/\S+$/.test(l));
  if (created.exitCode !== 0 || !url) return { note: `gh pr create failed: ${firstErrorLine(created.stderr || created.stdout)}` };
  const n = /\/(?:pull|pulls|merge_requests)\/(\d+)/.exec(url)?.[1];
  return { url, number: n ? Number(n) : null };
}

export async function publishInstance(git: GitRunner, repo: RepoInfo, id: string, options: PublishOptions = {}): Promise<PublishResult> {
  if (git.untrusted) {
    throw new AxiomError('Untrusted', 'This workspace is not trusted: publishing runs what the repository configures (hooks, ssh and credential programs). Nothing was pushed.');
  }
  const inst = await locateInstance(repo, id);
  const meta = inst.metadata;
  const [facts, remotes] = await Promise.all([branchFacts(git, repo, [meta.branch, meta.base]), listRemotes(git, repo)]);
  const own = facts.get(meta.branch);
  if (!own?.tip) throw new AxiomError('NotFound', `The branch of ${inst.id} (${meta.branch}) does not exist any more; there is nothing to publish.`, { branch: meta.branch });
  const baseFacts = facts.get(meta.base);
  const baseTip = baseFacts?.tip ?? meta.baseSha;
  const remote = chooseRemote(remotes, options.remote, [own.remote, baseFacts?.remote ?? '']);
  const tip = own.tip;
  if (options.expectedTip !== undefined && options.expectedTip !== tip) {
    throw new AxiomError('StaleEvaluation', `${inst.id}'s branch moved (now ${tip.slice(0, 10)}, expected ${options.expectedTip.slice(0, 10)}) since it was chosen: evaluate it again. Nothing was pushed.`, { branch: meta.branch });
  }
  const [contained, uncommitted] = await Promise.all([isAncestor(git, repo.commonDir, tip, baseTip), uncommittedCount(git, inst)]);
  if (contained) {
    throw new AxiomError(
      'NothingToMerge',
      `${inst.id} has no commits beyond its base ${meta.base}${uncommitted ? ` (its ${plural(uncommitted, 'uncommitted change')} must be committed first)` : ''}: there is nothing to publish. Nothing was pushed.`,
      { branch: meta.branch },
    );
  }
  // The pull request targets the base's own name on this remote when the base tracks it there.
  const prBase = baseFacts && baseFacts.remote === remote && baseFacts.remoteRef.startsWith('refs/heads/') ? baseFacts.remoteRef.slice('refs/heads/'.length) : meta.base;

  options.onStep?.('push');
  const push = await git
    .run(repo.commonDir, ['push', '--porcelain', '--', remote, `${tip}:refs/heads/${meta.branch}`], { okExitCodes: [1], ...(options.signal ? { signal: options.signal } : {}) })
    .catch((e: unknown) => {
      if (!isAxiomError(e)) throw e;
      const reason = firstErrorLine(e.details.stderr ?? e.message);
      throw new AxiomError('PushRejected', `Pushing ${meta.branch} to ${remote} failed: ${reason}. Nothing was published or recorded.`, { ...e.details, branch: meta.branch });
    });
  if (push.exitCode !== 0) {
    const reason = pushRejection(push.stdout) ?? 'rejected';
    throw new AxiomError(
      'PushRejected',
      `${remote} rejected the push of ${meta.branch}: ${reason}. The remote branch has commits this one does not (or a hook declined it); Axiom never force-pushes. Fetch and look at ${remote}/${meta.branch}, or publish under another remote. Nothing was recorded.`,
      { branch: meta.branch, stderr: push.stdout },
    );
  }
  const pushedAt = new Date().toISOString();
  const previous = meta.published?.remote === remote && meta.published.branch === meta.branch ? meta.published : undefined;
  const pushed: PublishRecord = { remote, branch: meta.branch, pushedSha: tip, pushedAt, base: prBase, ...(previous?.pr ? { pr: previous.pr } : {}) };
  await updateMetadata(inst.adminDir, (m) => ({ ...m, published: pushed }));

  const [commits, evaluated] = await Promise.all([commitsBetween(git, repo.commonDir, baseTip, tip), evaluationOf(git, repo, meta)]);
  const text = defaultPullRequestText({ id: inst.id, prompt: meta.prompt, agent: meta.agent, commits, pushedSha: tip, ...evaluated });
  const title = options.title?.trim() ? options.title : text.title;
  const body = options.body ?? text.body;
  const remoteUrl = (await git.out(repo.commonDir, ['remote', 'get-url', '--', remote], { readOnly: true })).trim();
  let pr: PublishResult['pr'] = previous?.pr ? { ...previous.pr, existing: true } : null;
  let prNote: string | null = null;
  if (!pr) {
    options.onStep?.('pull-request');
    const opened = await openPullRequest(inst.missing ? (repo.mainWorktree ?? repo.commonDir) : inst.path, remoteUrl, { head: meta.branch, base: prBase, title, body, draft: options.draft === true }, options);
    if ('url' in opened) pr = { url: opened.url, number: opened.number, state: options.draft ? 'draft' : 'open', existing: false };
    else prNote = opened.note;
  }
  const compareUrl = pr ? null : compareUrlOf(remoteUrl, prBase, meta.branch);
  const record: PublishRecord = { ...pushed, ...(pr ? { pr: { url: pr.url, state: pr.state, number: pr.number } } : { compareUrl }) };
  await updateMetadata(inst.adminDir, (m) => ({ ...m, published: record }));
  return { id: inst.id, path: inst.path, remote, branch: meta.branch, base: prBase, pushedSha: tip, commits: commits.length, uncommitted, pr, compareUrl, prNote, title, body, record };
}

/** One line saying where a publish left things, for the CLI and the notifications. */
export function describePublished(r: Pick<PublishResult, 'id' | 'remote' | 'branch' | 'pr' | 'compareUrl' | 'prNote' | 'base'>): string {
  if (r.pr) return `${r.pr.existing ? 'Pull request (already open)' : r.pr.state === 'draft' ? 'Draft pull request' : 'Pull request'}: ${r.pr.url}`;
  const why = r.prNote ? `No pull request was opened: ${r.prNote}` : 'No pull request was opened.';
  return r.compareUrl
    ? `${why} Open one here: ${r.compareUrl}`
    : `${why} ${r.remote} has no web page Axiom knows; the branch ${r.branch} is on ${r.remote}: open a pull request into ${r.base} there.`;
}
