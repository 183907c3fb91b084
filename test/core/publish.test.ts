/**
 * Publish (issue 20 part 2): a local bare repository is the remote, a stand-in `gh` first on a PATH
 * built for the test records its argv. No network.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, GitRunner, compareUrlOf, pullRequestStateOf, webRepoOf } from '../../src/core';
import { commitIn, expectAxiomError, git, makeRepo, runCli, type TempRepo } from './helpers';
import { ghStandIn } from './ghStandIn';
import { writeStandIns } from './standIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** A bare repository beside the test repository, added as `name`, with main pushed to it. */
function addBareRemote(r: TempRepo, name = 'origin'): string {
  const bare = path.join(r.parent, `${name}.git`);
  git(r.parent, 'init', '-q', '--bare', bare);
  git(r.dir, 'remote', 'add', name, bare);
  git(r.dir, 'push', '-q', name, 'main');
  return bare;
}

function remoteTip(bare: string, branch: string): string | null {
  try {
    return git(bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`).trim();
  } catch {
    return null;
  }
}

test('publish pushes the branch to origin and opens the pull request with gh: --head, --base, --title, --body, --draft as given; the record says where', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('pub', { prompt: 'Fix the login form\nIt breaks on empty passwords.' });
  const sha = commitIn(inst.path, 'fix login', { 'login.txt': 'fixed\n' });

  const r = await engine.publish('pub', { draft: true, title: 'Login fix', body: 'Body text', env: gh.env });
  assert.equal(remoteTip(bare, inst.branch), sha, 'the branch is on the remote at the tip');
  assert.deepEqual(gh.calls(), [
    ['auth', 'status'],
    ['pr', 'create', '--head', inst.branch, '--base', 'main', '--title', 'Login fix', '--body', 'Body text', '--draft'],
  ]);
  assert.deepEqual(r.pr, { url: 'https://github.com/acme/widgets/pull/7', number: 7, state: 'draft', existing: false });
  assert.equal(r.remote, 'origin');
  assert.equal(r.pushedSha, sha);
  assert.equal(r.commits, 1);
  const s = await engine.status('pub');
  assert.equal(s.metadata?.published?.pr?.url, 'https://github.com/acme/widgets/pull/7');
  assert.equal(s.metadata?.published?.pr?.state, 'draft');
  assert.equal(s.metadata?.published?.pushedSha, sha);
  assert.equal(s.metadata?.published?.remote, 'origin');
});

test('publish without --title/--body: the title is the prompt\'s first line, the body the prompt, the commits and the evaluation with its score', async () => {
  repo = makeRepo();
  addBareRemote(repo);
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('scored', { prompt: 'Speed up the parser\nKeep the API.' });
  commitIn(inst.path, 'faster parser', { 'parser.txt': 'fast\n' });
  await engine.explore.evaluate('scored', { command: `${JSON.stringify(process.execPath)} -e "console.log('AXIOM_SCORE=42')"` });

  const r = await engine.publish('scored', { env: gh.env });
  const create = gh.calls().find((c) => c[0] === 'pr')!;
  assert.equal(create[create.indexOf('--title') + 1], 'Speed up the parser');
  const body = create[create.indexOf('--body') + 1]!;
  assert.match(body, /> Speed up the parser\n> Keep the API\./);
  assert.match(body, /faster parser/);
  assert.match(body, /Passed/);
  assert.match(body, /Score: 42 \(higher is better\)/);
  assert.ok(!create.includes('--draft'));
  assert.equal(r.pr?.state, 'open');
});

test('gh not signed in: the branch is pushed and the compare URL of the remote is offered and recorded (https remote, push URL the bare repository)', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  // The fetch URL names the web host; pushes go to the local bare repository (no network).
  git(repo.dir, 'remote', 'set-url', 'origin', 'https://github.com/acme/widgets.git');
  git(repo.dir, 'remote', 'set-url', '--push', 'origin', bare);
  const gh = ghStandIn(repo.parent, { GH_STANDIN_AUTH: 'fail' });
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('nopr');
  const sha = commitIn(inst.path, 'work', { 'w.txt': 'w\n' });

  const r = await engine.publish('nopr', { env: gh.env });
  assert.equal(remoteTip(bare, inst.branch), sha);
  assert.deepEqual(gh.calls(), [['auth', 'status', '--hostname', 'github.com']], 'no pr create without a signed-in gh');
  assert.equal(r.pr, null);
  assert.equal(r.compareUrl, `https://github.com/acme/widgets/compare/main...${inst.branch}`);
  assert.match(r.prNote ?? '', /not signed in/);
  const meta = (await engine.status('nopr')).metadata!;
  assert.equal(meta.published?.compareUrl, r.compareUrl);
  assert.equal(meta.published?.pr, undefined);

  // gh not installed at all: the same, said so.
  commitIn(inst.path, 'more', { 'm.txt': 'm\n' });
  const none = ghStandIn(repo.parent, {}, false);
  const again = await engine.publish('nopr', { env: none.env });
  assert.match(again.prNote ?? '', /not installed/);
  assert.equal(again.compareUrl, r.compareUrl);
});

test('publishing again pushes the new commits into the recorded pull request and opens no second one', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('twice');
  commitIn(inst.path, 'one', { 'a.txt': 'a\n' });
  await engine.publish('twice', { env: gh.env });
  const later = commitIn(inst.path, 'two', { 'b.txt': 'b\n' });
  const r = await engine.publish('twice', { env: gh.env });
  assert.equal(remoteTip(bare, inst.branch), later);
  assert.equal(gh.calls().filter((c) => c[0] === 'pr').length, 1);
  assert.equal(r.pr?.existing, true);
  assert.equal((await engine.status('twice')).metadata?.published?.pushedSha, later);
});

test('a rejected push (the remote branch has a commit this one lacks) is a PushRejected refusal with git\'s reason; nothing is recorded, no gh runs, the remote keeps its commit', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('diverged');
  commitIn(inst.path, 'local work', { 'l.txt': 'l\n' });
  // Someone else pushed a different commit under the same branch name.
  const other = path.join(repo.parent, 'other');
  git(repo.parent, 'clone', '-q', bare, other);
  git(other, 'checkout', '-q', '-b', inst.branch);
  const theirs = commitIn(other, 'their work', { 't.txt': 't\n' });
  git(other, 'push', '-q', 'origin', inst.branch);

  const e = await expectAxiomError(engine.publish('diverged', { env: gh.env }), 'PushRejected');
  assert.match(e.message, /rejected/);
  assert.match(e.message, /fetch first|non-fast-forward/);
  assert.match(e.message, /never force-pushes/);
  assert.equal(remoteTip(bare, inst.branch), theirs);
  assert.deepEqual(gh.calls(), []);
  assert.equal((await engine.status('diverged')).metadata?.published, undefined);
});

test('no remote, no origin, an unknown --remote: clear NoRemote refusals that list the remotes; nothing pushed', async () => {
  repo = makeRepo();
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('lonely');
  commitIn(inst.path, 'work', { 'w.txt': 'w\n' });
  const none = await expectAxiomError(engine.publish('lonely', { env: gh.env }), 'NoRemote');
  assert.match(none.message, /no remote: add one \(git remote add origin <url>\)/);

  const upstream = addBareRemote(repo, 'upstream');
  addBareRemote(repo, 'fork');
  const which = await expectAxiomError(engine.publish('lonely', { env: gh.env }), 'NoRemote');
  assert.match(which.message, /The remotes are: (fork, upstream|upstream, fork)/);
  assert.deepEqual(which.details.hint, { next: [{ option: 'remote' }] });
  const unknown = await expectAxiomError(engine.publish('lonely', { remote: 'origin', env: gh.env }), 'NoRemote');
  assert.match(unknown.message, /no remote named "origin"/);
  assert.equal(remoteTip(upstream, inst.branch), null);
  assert.deepEqual(gh.calls(), []);
  assert.equal((await engine.status('lonely')).metadata?.published, undefined);

  // Named, it goes there.
  const r = await engine.publish('lonely', { remote: 'upstream', env: gh.env });
  assert.equal(r.remote, 'upstream');
  assert.ok(remoteTip(upstream, inst.branch));
});

test('the default remote is the one the base tracks, and the pull request targets the base\'s name there', async () => {
  repo = makeRepo();
  const up = addBareRemote(repo, 'upstream');
  addBareRemote(repo, 'origin');
  git(repo.dir, 'push', '-q', 'upstream', 'main:trunk');
  git(repo.dir, 'fetch', '-q', 'upstream');
  git(repo.dir, 'branch', '-q', '--set-upstream-to', 'upstream/trunk', 'main');
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('tracked');
  commitIn(inst.path, 'work', { 'w.txt': 'w\n' });
  const r = await engine.publish('tracked', { env: gh.env });
  assert.equal(r.remote, 'upstream');
  assert.equal(r.base, 'trunk');
  assert.ok(remoteTip(up, inst.branch));
  const create = gh.calls().find((c) => c[0] === 'pr')!;
  assert.equal(create[create.indexOf('--base') + 1], 'trunk');
});

test('nothing beyond the base, or an untrusted workspace: refused before any push', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('empty');
  await expectAxiomError(engine.publish('empty', { env: gh.env }), 'NothingToMerge');
  commitIn(inst.path, 'work', { 'w.txt': 'w\n' });
  const untrusted = await AxiomEngine.open(repo.dir, { runner: new GitRunner({ untrusted: true }) });
  await expectAxiomError(untrusted.publish('empty', { env: gh.env }), 'Untrusted');
  assert.equal(remoteTip(bare, inst.branch), null);
  assert.deepEqual(gh.calls(), []);
});

test('cleanup after publish: the pushed commits are safe on the remote (said so, not work); a commit made after the push is still work, refused unforced and salvaged forced', async () => {
  repo = makeRepo();
  addBareRemote(repo);
  const gh = ghStandIn(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);

  // Everything pushed: nothing at risk, the cleanup goes ahead without force and salvages nothing.
  const done = await engine.spawn('done');
  commitIn(done.path, 'pushed work', { 'd.txt': 'd\n' });
  await engine.publish('done', { env: gh.env });
  const safe = await engine.atRisk('done');
  assert.deepEqual(safe.commits, []);
  assert.equal(safe.pushed?.commits, 1);
  assert.equal(safe.pushed?.remote, 'origin');
  const cleaned = await engine.cleanup('done');
  assert.equal(cleaned.salvageRef, null);

  const inst = await engine.spawn('later');
  const pushed = commitIn(inst.path, 'pushed', { 'p.txt': 'p\n' });
  await engine.publish('later', { env: gh.env });
  const after = commitIn(inst.path, 'after the push', { 'a.txt': 'a\n' });
  const risk = await engine.atRisk('later');
  assert.deepEqual(risk.commits.map((c) => c.sha), [after]);
  assert.equal(risk.pushed?.commits, 1);
  const e = await expectAxiomError(engine.cleanup('later'), 'UnmergedCommits');
  assert.match(e.message, /after the push/);
  assert.match(e.message, /1 commit is on origin \(origin\/axiom\/later\/[^)]*\): safe on the remote/);
  const forced = await engine.cleanup('later', { force: true });
  assert.ok(forced.salvageRef);
  git(repo.dir, 'merge-base', '--is-ancestor', after, forced.salvageRef!);
  git(repo.dir, 'merge-base', '--is-ancestor', pushed, `refs/remotes/origin/${inst.branch}`);
});

test('compare URLs from every remote URL form: https (credentials dropped), ssh://, scp-like, git://, GitLab, unknown hosts and local paths', () => {
  const cases: [string, string | null][] = [
    ['https://github.com/acme/widgets.git', 'https://github.com/acme/widgets/compare/main...axiom/x/1'],
    ['https://github.com/acme/widgets', 'https://github.com/acme/widgets/compare/main...axiom/x/1'],
    ['https://user:s3cret@github.com/acme/widgets.git/', 'https://github.com/acme/widgets/compare/main...axiom/x/1'],
    ['ssh://git@github.com/acme/widgets.git', 'https://github.com/acme/widgets/compare/main...axiom/x/1'],
    ['ssh://git@git.example.com:2222/team/tool.git', 'https://git.example.com/team/tool/compare/main...axiom/x/1'],
    ['git@github.com:acme/widgets.git', 'https://github.com/acme/widgets/compare/main...axiom/x/1'],
    ['github.com:acme/widgets', 'https://github.com/acme/widgets/compare/main...axiom/x/1'],
    ['git://git.example.com/team/tool', 'https://git.example.com/team/tool/compare/main...axiom/x/1'],
    ['http://git.example.com:8080/team/tool.git', 'http://git.example.com:8080/team/tool/compare/main...axiom/x/1'],
    ['git@gitlab.com:group/sub/proj.git', 'https://gitlab.com/group/sub/proj/-/compare/main...axiom/x/1'],
    ['https://gitlab.example.org/group/proj.git', 'https://gitlab.example.org/group/proj/-/compare/main...axiom/x/1'],
    ['/srv/git/proj.git', null],
    ['../proj.git', null],
    ['file:///srv/git/proj.git', null],
    ['C:\\repos\\proj.git', null],
    ['https://github.com/only-owner', null],
  ];
  for (const [url, expected] of cases) assert.equal(compareUrlOf(url, 'main', 'axiom/x/1'), expected, url);
  assert.equal(compareUrlOf('git@github.com:acme/widgets.git', 'release 1', 'feature#2'), 'https://github.com/acme/widgets/compare/release%201...feature%232');
  assert.equal(webRepoOf('https://user:s3cret@github.com/acme/widgets.git')?.web.includes('s3cret'), false);
  assert.deepEqual(webRepoOf('git@github.com:acme/widgets.git'), { web: 'https://github.com/acme/widgets', host: 'github.com', path: 'acme/widgets', kind: 'github' });
});

test('axiom publish: pushes and prints the pull request; status and list show it; a refusal exits 3 with --remote as the next step; axiom help publish explains it', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo, 'upstream');
  addBareRemote(repo, 'fork');
  const gh = ghStandIn(repo.parent, { GH_STANDIN_URL: 'https://github.com/acme/widgets/pull/12' });
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('cli-pub', { prompt: 'Add a CLI flag' });
  const sha = commitIn(inst.path, 'flag', { 'f.txt': 'f\n' });

  const refused = await runCli(['-C', repo.dir, 'publish', 'cli-pub'], { env: gh.env });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /Next: pass --remote <name>\./);

  const r = await runCli(['-C', repo.dir, 'publish', 'cli-pub', '--remote', 'upstream', '--draft', '--title', 'A flag'], { env: gh.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Pushed axiom\/cli-pub\/\d+ \(1 commit, [0-9a-f]{10}\) to upstream\./);
  assert.match(r.stdout, /Draft pull request: https:\/\/github\.com\/acme\/widgets\/pull\/12/);
  assert.match(r.stderr, /Pushing cli-pub to upstream…/);
  assert.equal(remoteTip(bare, inst.branch), sha);
  const create = gh.calls().find((c) => c[0] === 'pr')!;
  assert.equal(create[create.indexOf('--title') + 1], 'A flag');
  assert.ok(create.includes('--draft'));

  const status = await runCli(['-C', repo.dir, 'status', 'cli-pub']);
  assert.match(status.stdout, /published: axiom\/cli-pub\/\d+ on upstream at [0-9a-f]{10}/);
  assert.match(status.stdout, /pull request: https:\/\/github\.com\/acme\/widgets\/pull\/12 \(draft\)/);
  const list = await runCli(['-C', repo.dir, 'list']);
  assert.match(list.stdout, /cli-pub .*\(PR draft\)/);
  const json = JSON.parse((await runCli(['-C', repo.dir, 'status', 'cli-pub', '--json'])).stdout);
  assert.equal(json.metadata.published.pr.number, 12);

  const help = await runCli(['help', 'publish']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--remote <name>/);
  assert.match(help.stdout, /--draft/);
});

test('axiom land --publish: the race winner is pushed and its pull request opened (body with score and rank) instead of a local merge; the losers are salvaged and removed, the winner stays; the race is landed once', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  const s = writeStandIns(repo.parent);
  const raced = await runCli(['-C', repo.dir, 'race', 'fix', '--count', '3', '--agent-command', s.agentCommand, '--prompt', 'make it better', '--evaluate', s.evaluateCommand, '--wait', '--json']);
  assert.equal(raced.code, 0, raced.stderr);
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const gh = ghStandIn(repo.parent);

  const mixed = await runCli(['-C', repo.dir, 'land', 'fix', '--publish', '--strategy', 'squash'], { env: gh.env });
  assert.equal(mixed.code, 2, 'publish does not merge: no strategy');
  const r = await runCli(['-C', repo.dir, 'land', 'fix', '--publish', '--draft', '--json'], { env: gh.env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { winner: string; published: { branch: string; pushedSha: string; pr: { state: string } }; salvaged: { id: string }[]; kept: { id: string }[] };
  assert.equal(doc.winner, 'fix-3');
  assert.equal(doc.published.pr.state, 'draft');
  assert.equal(remoteTip(bare, doc.published.branch), doc.published.pushedSha);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore, 'nothing merged locally');
  assert.deepEqual(doc.salvaged.map((x) => x.id), ['fix-1', 'fix-2']);
  assert.deepEqual(doc.kept.map((x) => x.id), ['fix-3']);
  const create = gh.calls().find((c) => c[0] === 'pr')!;
  assert.ok(create.includes('--draft'));
  const body = create[create.indexOf('--body') + 1]!;
  assert.match(body, /Score: 5 \(higher is better\)/);
  assert.match(body, /Race fix: ranked 1 of 3/);

  const again = await runCli(['-C', repo.dir, 'land', 'fix', '--publish'], { env: gh.env });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /already landed: fix-3 was published for main/);
});

test('the metadata record stays backward compatible: no published field reads as before, one of another shape is left out, a valid one reads back', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('rec', { prompt: 'keep me' });
  const file = path.join((await engine.locate('rec')).adminDir, 'axiom.json');
  const original = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal('published' in original, false, 'a spawn writes no published field');
  fs.writeFileSync(file, JSON.stringify({ ...original, published: { remote: 5, pr: 'x' } }));
  const odd = await engine.status('rec');
  assert.equal(odd.metadata?.published, undefined);
  assert.equal(odd.metadata?.prompt, 'keep me');
  const valid = { remote: 'origin', branch: 'axiom/rec/1', pushedSha: 'a'.repeat(40), pushedAt: '2026-01-01T00:00:00.000Z', base: 'main', pr: { url: 'https://github.com/a/b/pull/1', state: 'open', number: 1 } };
  fs.writeFileSync(file, JSON.stringify({ ...original, published: valid }));
  assert.deepEqual((await engine.status('rec')).metadata?.published, valid);
});

test('axiom publish --refresh: gh pr view reads the state (merged) and it is recorded on the instance, shown by status and list; nothing is pushed; no pull request recorded is NotFound; --refresh takes no push option', async () => {
  repo = makeRepo();
  const bare = addBareRemote(repo);
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('refr', { prompt: 'Refresh me' });
  const sha = commitIn(inst.path, 'work', { 'r.txt': 'r\n' });
  await engine.publish('refr', { draft: true, env: ghStandIn(repo.parent).env });
  commitIn(inst.path, 'later', { 'r.txt': 'later\n' });

  const gh = ghStandIn(repo.parent, { GH_STANDIN_PR_STATE: 'MERGED' });
  const mixed = await runCli(['-C', repo.dir, 'publish', 'refr', '--refresh', '--draft'], { env: gh.env });
  assert.equal(mixed.code, 2, mixed.stderr);
  const r = await runCli(['-C', repo.dir, 'publish', 'refr', '--refresh'], { env: gh.env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Pull request of refr: https://github.com/acme/widgets/pull/7 is merged (was draft).\n');
  assert.deepEqual(gh.calls(), [['pr', 'view', 'https://github.com/acme/widgets/pull/7', '--json', 'state,url,isDraft']]);
  const pub = (await engine.status('refr')).metadata?.published;
  assert.equal(pub?.pr?.state, 'merged');
  assert.match(pub?.pr?.checkedAt ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual([pub?.pushedSha, remoteTip(bare, inst.branch)], [sha, sha], 'nothing pushed: the later commit stays local');
  assert.match((await runCli(['-C', repo.dir, 'status', 'refr'])).stdout, /pull request: https:\/\/github\.com\/acme\/widgets\/pull\/7 \(merged, checked \d{4}-/);
  assert.match((await runCli(['-C', repo.dir, 'list'])).stdout, /refr .*\(PR merged\)/);

  // Published without a pull request (gh not installed then): nothing to refresh, gh not asked.
  const other = await engine.spawn('nopr2', { prompt: 'p' });
  commitIn(other.path, 'w', { 'n.txt': 'n\n' });
  await engine.publish('nopr2', { env: ghStandIn(repo.parent, {}, false).env });
  const asked = ghStandIn(repo.parent);
  const none = await expectAxiomError(engine.refreshPullRequest('nopr2', { env: asked.env }), 'NotFound');
  assert.match(none.message, /nopr2 has no pull request recorded \(it was pushed, but no pull request was opened\)/);
  assert.deepEqual(asked.calls(), []);
  assert.deepEqual(
    [pullRequestStateOf({ state: 'OPEN', isDraft: true }), pullRequestStateOf({ state: 'OPEN' }), pullRequestStateOf({ state: 'CLOSED' }), pullRequestStateOf({ state: 'weird' })],
    ['draft', 'open', 'closed', null],
  );
});
