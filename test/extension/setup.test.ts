/**
 * Ready-to-run instances in VS Code: the setup runs in the instance's terminal before the agent (the
 * agent only after success), the environment reaches both, a failed setup shows on the row with its
 * log and can be retried, and VS Code's git.worktreeIncludeFiles copies ignored files. The
 * configuration comes from `git config axiom.*` (personal overrides), so the fixture's tracked files
 * stay as they are for the other suites.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SpawnCommandResult } from '../../src/extension/spawnCommand';
import type { RetrySetupResult } from '../../src/extension/instanceSetup';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import { git, repoRoot, row, theModel, waitFor, waitForFile } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> =>
  Promise.resolve(vscode.commands.executeCommand<T>(command, args));

describe('Ready-to-run instances: setup in the terminal, environment, include', () => {
  let model: RepositoryModel;
  let repo: string;
  let scratch: string;
  const unset = (key: string): void => {
    try {
      git(repo, 'config', '--unset-all', key);
    } catch {
      /* not set */
    }
  };
  const config = (key: string, ...values: string[]): void => {
    unset(key);
    for (const v of values) git(repo, 'config', '--add', key, v);
  };
  const KEYS = ['axiom.setup', 'axiom.ports', 'axiom.env'];

  before(async () => {
    model = await theModel();
    repo = repoRoot();
    scratch = fs.mkdtempSync(path.join(path.dirname(repo), 'setup-'));
    // Port leases of this run go to a registry of its own (the engine runs in this process).
    process.env.AXIOM_STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
    KEYS.forEach(unset);
  });

  afterEach(() => KEYS.forEach(unset));

  after(async () => {
    await vscode.workspace
      .getConfiguration('axiom')
      .update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
  });

  /** A stand-in agent that records the environment it got and whether the setup had run before it. */
  async function recordingAgent(name: string): Promise<void> {
    const script = `printf '%s,%s,%s,%s,%s\\n' "$AXIOM_INSTANCE_ID" "$AXIOM_PORT" "$AXIOM_PORTS" "$PORT" "$APP_DB" > ${scratch}/${name}-$0.tmp; test -f setup-ran.txt && echo setup-before-agent >> ${scratch}/${name}-$0.tmp; mv ${scratch}/${name}-$0.tmp ${scratch}/${name}-$0`;
    await vscode.workspace
      .getConfiguration('axiom')
      .update('customAgentCommand', `sh -c "${script}" {id}`, vscode.ConfigurationTarget.Global);
  }

  it('runs the setup in the terminal first, then the agent, both with the instance environment', async () => {
    config(
      'axiom.setup',
      'echo "$AXIOM_INSTANCE_ID $AXIOM_PORT" > setup-ran.txt',
      'echo preparing the database',
    );
    config('axiom.ports', '2');
    config('axiom.env', 'APP_DB=db_{id}_{port+1}');
    await recordingAgent('env');
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'ready', agent: 'custom' });
    assert.equal(r.setup?.state, 'succeeded', JSON.stringify(r.setup));
    assert.equal(r.ports.length, 2);
    const seen = (await waitForFile(path.join(scratch, 'env-ready'))).trim().split('\n');
    const port = String(r.ports[0]);
    assert.deepEqual(seen, [
      `ready,${port},${r.ports.join(',')},${process.env.PORT ?? port},db_ready_${r.ports[1]}`,
      'setup-before-agent',
    ]);
    assert.equal(fs.readFileSync(path.join(r.path, 'setup-ran.txt'), 'utf8').trim(), `ready ${port}`);
    const log = fs.readFileSync(r.setup!.logFile, 'utf8');
    assert.match(log, /preparing the database/);
    const shown = await waitFor(
      model,
      async () => {
        const x = await row('ready');
        return x?.status.setup?.state === 'succeeded' ? x : undefined;
      },
      'the row with a succeeded setup',
    );
    const tooltip = (shown.item.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, new RegExp(`Ports: ${r.ports[0]}, ${r.ports[1]}`));
    assert.match(tooltip, /Setup: succeeded/);
    await exec('axiom.cleanup', { id: 'ready', force: true });
  });

  it('a failing setup keeps the agent from starting; the row says so; Show Setup Log; Retry Setup runs setup and agent', async () => {
    config(
      'axiom.setup',
      'echo checking the database',
      'test -f db.ok || { echo "database not reachable"; exit 6; }',
      'touch setup-ran.txt',
    );
    await recordingAgent('retry');
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'broken', agent: 'custom' });
    assert.equal(r.setup?.state, 'failed');
    assert.equal(r.setup?.exitCode, 6);
    const failed = await waitFor(
      model,
      async () => {
        const x = await row('broken');
        return x && String(x.item.description).startsWith('setup failed') ? x : undefined;
      },
      'the row to say setup failed',
    );
    assert.equal(failed.status.setup?.state, 'failed');
    // The agent's line is chained after the setup: it never ran (its marker is not there once the shell is idle).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(fs.existsSync(path.join(scratch, 'retry-broken')), false, 'the agent did not start');

    const logFile = await exec<string>('axiom.showSetupLog', { id: 'broken' });
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, logFile);
    assert.match(vscode.window.activeTextEditor!.document.getText(), /database not reachable/);

    fs.writeFileSync(path.join(r.path, 'db.ok'), '');
    git(repo, 'config', '--add', 'axiom.setup', 'true'); // the configuration may change before a retry
    const again = await exec<RetrySetupResult>('axiom.retrySetup', { id: 'broken' });
    assert.equal(again.ranIn, 'terminal');
    const retryLog = again.setup ? fs.readFileSync(again.setup.logFile, 'utf8').slice(-2000) : '';
    assert.equal(again.setup?.state, 'succeeded', `${JSON.stringify(again.setup)}\n${retryLog}`);
    const seen = await waitForFile(path.join(scratch, 'retry-broken'));
    assert.match(seen, /setup-before-agent/);
    await exec('axiom.cleanup', { id: 'broken', force: true });
  });

  it('an instance without a terminal runs its setup at spawn (progress in the notification)', async () => {
    config('axiom.setup', 'echo headless > setup-ran.txt');
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'noterm', openTerminal: false });
    assert.equal(r.setup?.state, 'succeeded');
    assert.equal(fs.readFileSync(path.join(r.path, 'setup-ran.txt'), 'utf8').trim(), 'headless');
    await exec('axiom.cleanup', { id: 'noterm', force: true });
  });

  it("VS Code's git.worktreeIncludeFiles copies ignored files into a new instance", async function () {
    const git_ = vscode.workspace.getConfiguration('git');
    if (git_.inspect('worktreeIncludeFiles') === undefined) this.skip(); // this VS Code's git extension does not have the setting
    // Ignored through .git/info/exclude, so the main worktree stays clean for the other tests.
    const exclude = path.join(repo, '.git', 'info', 'exclude');
    const before = fs.existsSync(exclude) ? fs.readFileSync(exclude, 'utf8') : '';
    fs.mkdirSync(path.dirname(exclude), { recursive: true });
    fs.writeFileSync(exclude, `${before}\nlocal.secret\n`);
    fs.writeFileSync(path.join(repo, 'local.secret'), 'token=abc\n');
    try {
      await git_.update('worktreeIncludeFiles', ['local.secret'], vscode.ConfigurationTarget.Global);
      const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'incl', openTerminal: false });
      assert.equal(fs.readFileSync(path.join(r.path, 'local.secret'), 'utf8'), 'token=abc\n');
      assert.deepEqual(r.provision?.included, ['local.secret']);
      assert.equal(git(r.path, 'status', '--porcelain'), '', 'the copied file is ignored in the instance');
      await exec('axiom.cleanup', { id: 'incl' });
    } finally {
      await git_.update('worktreeIncludeFiles', undefined, vscode.ConfigurationTarget.Global);
      fs.writeFileSync(exclude, before);
      fs.rmSync(path.join(repo, 'local.secret'), { force: true });
    }
  });
});
