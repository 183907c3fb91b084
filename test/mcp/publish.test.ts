/** MCP action `publish`: a bare repository as the remote, the stand-in gh first on the server's PATH (no network). */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ghStandIn } from '../core/ghStandIn';
import { commitIn, connect, git, makeRepo, type McpSession, type TempRepo } from './helpers';

let repo: TempRepo;
let mcp: McpSession | undefined;
afterEach(async () => {
  await mcp?.close();
  repo?.cleanup();
});

test('publish over MCP: pushes, opens the pull request with gh, and status/list show it; no remote is NoRemote naming the remote argument; bad arguments (publish, land with publish) are InvalidArgument', async () => {
  repo = makeRepo();
  const gh = ghStandIn(repo.parent, { GH_STANDIN_URL: 'https://github.com/acme/widgets/pull/3' });
  mcp = await connect(repo.dir, { env: gh.env });
  const spawned = await mcp.call({ action: 'spawn', instanceId: 'mcp-pub', prompt: 'Tidy the docs', launch: 'none' });
  assert.equal(spawned.isError, false, spawned.text);
  const wt = spawned.doc.worktreePath as string;
  const sha = commitIn(wt, 'tidy docs', { 'docs.txt': 'tidy\n' });

  const none = await mcp.call({ action: 'publish', instanceId: 'mcp-pub' });
  assert.equal(none.isError, true);
  assert.equal(none.doc.error.code, 'NoRemote');

  const bare = path.join(repo.parent, 'fork.git');
  git(repo.parent, 'init', '-q', '--bare', bare);
  git(repo.dir, 'remote', 'add', 'fork', bare);
  const which = await mcp.call({ action: 'publish', instanceId: 'mcp-pub' });
  assert.equal(which.doc.error.code, 'NoRemote');
  assert.match(which.doc.error.message, /Next: pass the argument "remote"/);

  const bad = await mcp.call({ action: 'publish', instanceId: 'mcp-pub', remote: '--exec=x' });
  assert.equal(bad.doc.error.code, 'InvalidArgument');

  const mixed = await mcp.call({ action: 'land', task: 'fix', publish: true, strategy: 'squash' });
  assert.equal(mixed.doc.error.code, 'InvalidArgument');
  assert.match(mixed.doc.error.message, /publish: true takes no strategy/);
  const stray = await mcp.call({ action: 'land', task: 'fix', remote: 'fork' });
  assert.match(stray.doc.error.message, /remote and draft go with publish: true/);

  const r = await mcp.call({ action: 'publish', instanceId: 'mcp-pub', remote: 'fork', draft: true });
  assert.equal(r.isError, false, r.text);
  assert.equal(r.doc.pushedSha, sha);
  assert.deepEqual(r.doc.pr, { url: 'https://github.com/acme/widgets/pull/3', number: 3, state: 'draft', existing: false });
  assert.match(r.doc.summary, /Draft pull request: https:\/\/github\.com\/acme\/widgets\/pull\/3/);
  assert.equal(git(bare, 'rev-parse', `refs/heads/${r.doc.branch as string}`).trim(), sha);
  const create = gh.calls().find((c) => c[0] === 'pr')!;
  assert.equal(create[create.indexOf('--title') + 1], 'Tidy the docs');

  const status = await mcp.call({ action: 'status', instanceId: 'mcp-pub' });
  assert.equal(status.doc.published.pr.url, 'https://github.com/acme/widgets/pull/3');
  assert.equal(status.doc.published.remote, 'fork');
  const list = await mcp.call({ action: 'list' });
  const row = (list.doc.instances as { instanceId: string; pullRequest: unknown }[]).find((w) => w.instanceId === 'mcp-pub');
  assert.deepEqual(row?.pullRequest, { url: 'https://github.com/acme/widgets/pull/3', state: 'draft', number: 3 });
});

test('publish over MCP with refresh: true: the state gh pr view reports (closed) is recorded and list shows it; refresh with a push argument is InvalidArgument', async () => {
  repo = makeRepo();
  const bare = path.join(repo.parent, 'origin.git');
  git(repo.parent, 'init', '-q', '--bare', bare);
  git(repo.dir, 'remote', 'add', 'origin', bare);
  const gh = ghStandIn(repo.parent, { GH_STANDIN_PR_STATE: 'CLOSED' });
  mcp = await connect(repo.dir, { env: gh.env });
  const spawned = await mcp.call({ action: 'spawn', instanceId: 'mcp-ref', prompt: 'Close me', launch: 'none' });
  commitIn(spawned.doc.worktreePath as string, 'work', { 'c.txt': 'c\n' });
  const published = await mcp.call({ action: 'publish', instanceId: 'mcp-ref' });
  assert.equal(published.isError, false, published.text);

  const mixed = await mcp.call({ action: 'publish', instanceId: 'mcp-ref', refresh: true, draft: true });
  assert.equal(mixed.doc.error.code, 'InvalidArgument');
  const r = await mcp.call({ action: 'publish', instanceId: 'mcp-ref', refresh: true });
  assert.equal(r.isError, false, r.text);
  assert.deepEqual([r.doc.previous, r.doc.state, r.doc.url], ['open', 'closed', 'https://github.com/acme/widgets/pull/7']);
  assert.deepEqual(gh.calls().filter((c) => c[1] === 'view'), [['pr', 'view', 'https://github.com/acme/widgets/pull/7', '--json', 'state,url,isDraft']]);
  const list = await mcp.call({ action: 'list' });
  const row = (list.doc.instances as { instanceId: string; pullRequest: { state: string } | null }[]).find((w) => w.instanceId === 'mcp-ref');
  assert.equal(row?.pullRequest?.state, 'closed');
});
