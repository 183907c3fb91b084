/** Ready-to-run instances over MCP: spawn provisions and runs the setup before the headless agent, which sees the instance environment; status reports setup and ports. */
import { after, afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect, makeRepo, waitFor, writeFile, type McpSession, type TempRepo } from './helpers';

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

let repo: TempRepo;
let mcp: McpSession;
afterEach(async () => {
  await mcp?.close();
  repo?.cleanup();
});

/** Writes the environment it got (and whether the setup ran before it) to agent-env.json. */
const ENV_AGENT = [
  process.execPath,
  '-e',
  "const e=process.env;require('fs').writeFileSync('agent-env.json',JSON.stringify({id:e.AXIOM_INSTANCE_ID,wt:e.AXIOM_WORKTREE,base:e.AXIOM_BASE,port:e.AXIOM_PORT,ports:e.AXIOM_PORTS,PORT:e.PORT,db:e.DATABASE_URL,setupFirst:require('fs').existsSync('setup.done'),secret:require('fs').readFileSync('.env','utf8')}))",
];

function configured(setup: string[]): TempRepo {
  const r = makeRepo({
    'README.md': '# r\n',
    '.gitignore': '.env\nsetup.done\nagent-env.json\n',
    '.axiom.json': JSON.stringify({
      include: ['.env'],
      ports: 2,
      portRange: '44100-44199',
      env: { DATABASE_URL: 'postgres://localhost/app_{id}_{port+1}' },
      setup,
    }),
  });
  writeFile(r.dir, '.env', 'TOKEN=from-main\n');
  return r;
}

test('spawn provisions and runs the setup before the headless agent, which gets the instance environment', async () => {
  repo = configured(["node -e \"require('fs').writeFileSync('setup.done', '')\""]);
  mcp = await connect(repo.dir, { env: { AXIOM_STATE_DIR: stateDir } });
  const r = await mcp.call({
    action: 'spawn',
    instanceId: 'env1',
    agent: 'custom',
    command: ENV_AGENT,
    prompt: 'go',
  });
  assert.equal(r.isError, false, r.text);
  assert.equal(r.doc.setup.state, 'succeeded');
  assert.equal(r.doc.ports.length, 2);
  await waitFor('the agent to exit', async () =>
    (await mcp.call({ action: 'status', instanceId: 'env1' })).doc.agentPhase === 'exited' ? true : null,
  );
  const seen = JSON.parse(fs.readFileSync(path.join(r.doc.worktreePath, 'agent-env.json'), 'utf8'));
  const [p0, p1] = r.doc.ports as number[];
  assert.deepEqual(seen, {
    id: 'env1',
    wt: r.doc.worktreePath,
    base: 'main',
    port: String(p0),
    ports: `${p0},${p1}`,
    PORT: process.env.PORT ?? String(p0),
    db: `postgres://localhost/app_env1_${p1}`,
    setupFirst: true,
    secret: 'TOKEN=from-main\n',
  });
  const status = await mcp.call({ action: 'status', instanceId: 'env1' });
  assert.equal(status.doc.setup.state, 'succeeded');
  assert.equal(status.doc.setup.exitCode, 0);
  assert.ok(fs.existsSync(status.doc.setup.logFile));
  assert.deepEqual(status.doc.ports, r.doc.ports);
});

test('a failing setup: SetupFailed with the log tail, no agent started, the instance kept with setup failed', async () => {
  repo = configured(['node -e "console.log(\'cannot reach the database\'); process.exit(4)"']);
  mcp = await connect(repo.dir, { env: { AXIOM_STATE_DIR: stateDir } });
  const r = await mcp.call({
    action: 'spawn',
    instanceId: 'sf',
    agent: 'custom',
    command: ENV_AGENT,
    prompt: 'go',
  });
  assert.equal(r.isError, true);
  assert.equal(r.doc.error.code, 'SetupFailed');
  assert.match(r.doc.error.message, /no agent was started/);
  assert.match(r.doc.error.details.logTail, /cannot reach the database/);
  assert.equal(r.doc.error.details.exitCode, 4);
  const status = await mcp.call({ action: 'status', instanceId: 'sf' });
  assert.equal(status.isError, false);
  assert.equal(status.doc.setup.state, 'failed');
  assert.equal(status.doc.agentPhase, 'unknown', 'no agent');
  assert.ok(!fs.existsSync(path.join(status.doc.worktreePath, 'agent-env.json')));
});
