/**
 * Pull requests in a real VS Code (issue 20 part 2): Publish… on an instance pushes its branch to a
 * bare repository beside the workspace (its `origin`) and opens the pull request with a stand-in `gh`
 * (test/core/ghStandIn.ts) that records its argv — no network. The extension host runs the engine in
 * its own process, so the stand-in goes first on that process's PATH for the file's tests (restored
 * after). The row says `PR #7 open`, its tooltip the url; Publish… again opens no second pull request;
 * Refresh Pull Request reads gh pr view and the row follows; Land Best… of a search publishes its node
 * when the repository has a remote.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { findSearch, type PublishResult, type RefreshResult, type Search } from '../../src/core';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import { landingChoice, PUBLISH_AS_DRAFT, PUBLISH_AS_PULL_REQUEST, searchLandingButtons, type LandSearchResult } from '../../src/extension/searchLand';
import { ghStandIn, type GhStandIn } from '../core/ghStandIn';
import { writeSearchStandIns } from '../core/searchStandIns';
import { commitFile, errorCode, EXTENSION_ID, git, repoRoot, row, spawnForTest, theModel, waitFor } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));
const PR_URL = 'https://github.com/acme/widgets/pull/7';

/** The tooltip's text without the markdown escapes. */
function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return (typeof t === 'string' ? t : (t?.value ?? '')).replace(/\\/g, '');
}

/** The row of `id` once its description satisfies `match`. */
async function rowSaying(model: RepositoryModel, id: string, match: RegExp): Promise<vscode.TreeItem> {
  let seen = '(no row)';
  return waitFor(model, async () => {
    const r = await row(id);
    seen = r ? String(r.item.description) : '(no row)';
    return r && match.test(seen) ? r.item : undefined;
  }, `the row of ${id} to match ${String(match)}`).catch((e: unknown) => {
    throw new Error(`${String(e)}; the row says: ${seen}`);
  });
}

/** The row-menu clause of a command, as package.json contributes it. */
function rowMenuWhen(command: string): string {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { menus: Record<string, { command?: string; when?: string }[]> } };
  const entry = pkg.contributes.menus['view/item/context']!.find((m) => m.command === command);
  assert.ok(entry?.when, `${command} is on the row menu`);
  return entry.when;
}

/** Whether a row with this context value shows the entry (its `viewItem =~ /…/` term). */
function offeredOn(when: string, viewItem: string): boolean {
  const m = /viewItem =~ \/(.*?)\/ &&/.exec(when);
  assert.ok(m, when);
  return new RegExp(m[1]!).test(viewItem);
}

describe('Pull requests in VS Code (issue 20 part 2)', () => {
  let model: RepositoryModel;
  let repo: string;
  let tmp: string;
  let bare: string;
  let gh: GhStandIn;
  const saved: Record<string, string | undefined> = {};
  const env = (key: string, value: string | undefined): void => {
    if (!(key in saved)) saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  const prCreates = (): string[][] => gh.calls().filter((c) => c[0] === 'pr' && c[1] === 'create');
  const addOrigin = (): void => {
    if (git(repo, 'remote').split('\n').includes('origin')) return;
    git(repo, 'remote', 'add', 'origin', bare);
    git(repo, 'push', '-q', 'origin', 'main');
  };

  /** An instance with one commit beyond main, published (with these arguments of Publish…): its result. */
  async function published(id: string, args: Record<string, unknown> = {}): Promise<PublishResult> {
    const w = await spawnForTest(id);
    commitFile(w.path, `${id}.txt`, 'one\n', `Add ${id}`);
    return exec<PublishResult>('axiom.publish', { id, confirm: true, ...args });
  }

  before(() => {
    repo = repoRoot();
    tmp = fs.mkdtempSync(path.join(path.dirname(repo), 'publish-'));
    bare = path.join(tmp, 'remote.git');
    git(tmp, 'init', '-q', '--bare', '-b', 'main', bare);
    gh = ghStandIn(tmp);
    // The engine runs gh from this process's environment: the stand-in first on its PATH.
    env('PATH', [path.join(tmp, 'gh-bin'), process.env.PATH ?? ''].join(path.delimiter));
    env('GH_STANDIN_LOG', gh.env.GH_STANDIN_LOG);
    return theModel().then((m) => {
      model = m;
    });
  });

  afterEach(() => {
    env('GH_STANDIN_PR_STATE', undefined);
  });

  after(() => {
    // The search's refs and the salvage of its slots go with it (even after a failure half-way).
    for (const ref of git(repo, 'for-each-ref', '--format=%(refname)', 'refs/axiom/searches/prs/', 'refs/axiom/salvage/').split('\n').filter(Boolean)) {
      if (ref.startsWith('refs/axiom/searches/prs/') || /\/prs-[nlo]\d+(\/|$)/.test(ref)) git(repo, 'update-ref', '-d', ref);
    }
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (git(repo, 'remote').split('\n').includes('origin')) git(repo, 'remote', 'remove', 'origin');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('Publish… on an instance pushes its branch and opens its pull request once: the row says PR #7 open, its tooltip links it; Publish… again pushes into the same pull request', async function () {
    this.timeout(120_000);
    addOrigin();
    const first = await published('pub');
    assert.deepEqual([first.remote, first.base, first.commits], ['origin', 'main', 1]);
    assert.deepEqual(first.pr, { url: PR_URL, number: 7, state: 'open', existing: false });
    assert.equal(git(bare, 'rev-parse', `refs/heads/${first.branch}`).trim(), first.pushedSha, 'the branch is on the remote at the published commit');
    assert.equal(prCreates().length, 1);
    const create = prCreates()[0]!;
    assert.deepEqual([create[create.indexOf('--head') + 1], create[create.indexOf('--base') + 1], create[create.indexOf('--title') + 1]], [first.branch, 'main', 'Add pub']);

    const item = await rowSaying(model, 'pub', /PR #7 open/);
    assert.ok(tooltipText(item).includes(`Pull request: [${PR_URL}](${PR_URL}) (open)`), `the tooltip links the pull request: ${tooltipText(item)}`);
    assert.match(tooltipText(item), /Published: axiom\/pub\/\d+ on origin at [0-9a-f]{10} .*, into main/);
    assert.equal(item.contextValue, 'instance.pr', 'a row with a pull request has the pr facet');

    const w = model.find('pub')!;
    const tip = commitFile(w.path, 'pub.txt', 'one\ntwo\n', 'More of pub');
    const second = await exec<PublishResult>('axiom.publish', { id: 'pub', confirm: true });
    assert.deepEqual(second.pr, { url: PR_URL, number: 7, state: 'open', existing: true }, 'the recorded pull request, not a new one');
    assert.equal(prCreates().length, 1, 'gh pr create ran once');
    assert.equal(git(bare, 'rev-parse', `refs/heads/${second.branch}`).trim(), tip, 'the new commit is pushed into the same branch');
    await rowSaying(model, 'pub', /PR #7 open/);
    assert.ok(!prCreates()[0]!.includes('--draft'), 'a pull request, not a draft');
  });

  it('Publish… as a draft: --draft reaches gh pr create and the row says PR #7 draft', async function () {
    this.timeout(120_000);
    addOrigin();
    const before = prCreates().length;
    const r = await published('pub-draft', { draft: true });
    assert.equal(r.pr?.state, 'draft');
    assert.equal(prCreates().length, before + 1);
    const create = prCreates().at(-1)!;
    assert.equal(create[create.indexOf('--head') + 1], r.branch);
    assert.ok(create.includes('--draft'), create.join(' '));
    await rowSaying(model, 'pub-draft', /PR #7 draft/);
  });

  it('Refresh Pull Request reads gh pr view and the row follows: merged, then closed; it is offered only on a row with a pull request', async function () {
    this.timeout(120_000);
    addOrigin();
    await published('ref');
    await rowSaying(model, 'ref', /PR #7 open/);
    const when = rowMenuWhen('axiom.refreshPullRequest');
    assert.deepEqual(['instance.pr', 'instance.setup.review.pr', 'instance', 'instance.setup', 'instance-missing'].map((v) => offeredOn(when, v)), [true, true, false, false, false]);

    env('GH_STANDIN_PR_STATE', 'MERGED');
    const merged = await exec<RefreshResult>('axiom.refreshPullRequest', { id: 'ref' });
    assert.deepEqual([merged.url, merged.previous, merged.state], [PR_URL, 'open', 'merged']);
    assert.ok(gh.calls().some((c) => c.join(' ') === `pr view ${PR_URL} --json state,url,isDraft`), JSON.stringify(gh.calls()));
    const item = await rowSaying(model, 'ref', /PR #7 merged/);
    assert.ok(tooltipText(item).includes(`Pull request: [${PR_URL}](${PR_URL}) (merged, checked `), tooltipText(item));

    env('GH_STANDIN_PR_STATE', 'CLOSED');
    const closed = await exec<RefreshResult>('axiom.refreshPullRequest', { id: 'ref' });
    assert.deepEqual([closed.previous, closed.state], ['merged', 'closed']);
    await rowSaying(model, 'ref', /PR #7 closed/);

    await spawnForTest('nopr');
    await assert.rejects(exec('axiom.refreshPullRequest', { id: 'nopr' }), (e) => errorCode(e) === 'NotFound' && /no pull request recorded/.test((e as Error).message));
    assert.equal((await row('nopr'))?.item.contextValue, 'instance', 'no pr facet without a pull request');
  });

  it('Land Best… of a search offers Publish as Pull Request and as Draft when the repository has a remote: the node is pushed and its draft pull request opened once, nothing merged into main', async function () {
    this.timeout(300_000);
    if (git(repo, 'remote').split('\n').includes('origin')) git(repo, 'remote', 'remove', 'origin');
    const mainAt = git(repo, 'rev-parse', 'main').trim();
    const { agentCommand, evaluateCommand } = writeSearchStandIns(tmp, { tests: 1, node: JSON.stringify(process.execPath) });
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    // Asynchronously: the extension host goes on while the CLI drives the search (one attempt fixes the one test).
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, '-C', repo, 'search', 'prs', '--prompt', 'make the tests pass', '--agent-command', agentCommand, '--evaluate', evaluateCommand, '--width', '1', '--parallel', '1', '--attempts', '1', '--wait', '--json'],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
    );
    const ended = (JSON.parse(stdout) as { search: Search }).search;
    assert.deepEqual(ended.nodes.map((n) => [n.id, n.result?.passed]), [[0, false], [1, true]]);
    const best = ended.nodes[1]!;

    // No remote: Land only, and a publish asked for is refused before anything is made.
    assert.deepEqual(searchLandingButtons(best, await model.engine.remotes()), ['Land #1']);
    await assert.rejects(exec('axiom.landSearch', { search: 'prs', confirm: true, publish: true }), (e) => errorCode(e) === 'NoRemote');
    assert.equal(model.find('prs-l1'), undefined);
    assert.equal((await findSearch(model.engine.git, model.engine.repo, 'prs')).landed, undefined);

    addOrigin();
    const buttons = searchLandingButtons(best, await model.engine.remotes());
    assert.deepEqual(buttons, ['Land #1', PUBLISH_AS_PULL_REQUEST, PUBLISH_AS_DRAFT]);
    assert.deepEqual(buttons.map((b) => landingChoice(b, buttons)), [{ to: 'land' }, { to: 'publish', draft: false }, { to: 'publish', draft: true }]);
    assert.equal(landingChoice(undefined, buttons), undefined, 'dismissed: nothing');
    const before = prCreates().length;
    const r = await exec<LandSearchResult>('axiom.landSearch', { search: 'prs', confirm: true, publish: true, draft: true });
    assert.equal(r.outcome, 'published');
    assert.ok(r.outcome === 'published' && r.published);
    const p = r.published;
    assert.deepEqual([p.id, p.remote, p.pushedSha, p.pr?.url, r.mergedSha], ['prs-l1', 'origin', best.commit, PR_URL, null]);
    assert.equal(git(bare, 'rev-parse', `refs/heads/${p.branch}`).trim(), best.commit, 'exactly the node\'s commit is on the remote');
    assert.equal(prCreates().length, before + 1);
    assert.ok(prCreates().at(-1)!.includes('--draft'), 'a draft pull request');
    assert.equal(git(repo, 'rev-parse', 'main').trim(), mainAt, 'nothing merged into main');
    await rowSaying(model, 'prs-l1', /PR #7 draft/);
    assert.deepEqual((await findSearch(model.engine.git, model.engine.repo, 'prs')).landed?.published, { instance: 'prs-l1', remote: 'origin', branch: p.branch, url: PR_URL });

    await assert.rejects(exec('axiom.landSearch', { search: 'prs', confirm: true, publish: true }), (e) => errorCode(e) === 'AlreadyLanded');
    assert.equal(prCreates().length, before + 1, 'a search publishes once');
  });
});
