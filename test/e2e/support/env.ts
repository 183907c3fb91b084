/**
 * One code-server + one headless Chromium for a whole test file, on a fresh git repository in a temp
 * folder, with the built extension linked into a fresh extensions dir (as `npm start` does). Everything
 * is torn down by `close()`, also after a failure; scripts/vscode-env.mjs kills the server on exit too.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { Workbench } from './workbench';

export const ROOT = path.resolve(__dirname, '../../../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const SCREENSHOTS = path.join(ROOT, 'media', 'screenshots');
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

/** The parts of scripts/vscode-env.mjs used here (an ES module, loaded with require() on Node ≥ 20.19). */
interface VsCodeEnv {
  startCodeServer(o: { folder: string; extensionsDir: string; settings?: Record<string, unknown>; log?: (l: string) => void; env?: Record<string, string> }): Promise<{
    url: string;
    stop: () => Promise<void>;
    logTail: (n?: number) => string;
  }>;
  launchBrowser(o?: { viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }>;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function write(dir: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), content);
}

export function commit(dir: string, message: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

/** The `axiom` CLI in a separate process. */
export function cli(repo: string, ...args: string[]): string {
  return cliWith({}, repo, ...args);
}

/** The `axiom` CLI with more in its environment (e.g. a PATH with a stand-in `gh` first). */
export function cliWith(env: Record<string, string>, repo: string, ...args: string[]): string {
  return execFileSync(process.execPath, [CLI, '-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

/**
 * The stand-in agent (the `custom` agent): commits a change and says so, waits until the test drops
 * `go-<id>` next to the repository, then leaves an uncommitted file and waits for one message (a
 * review, typed into its terminal), which it echoes before it exits.
 */
const STAND_IN_AGENT = `import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
const id = process.argv[2];
const go = path.join(process.argv[3], 'go-' + id);
fs.writeFileSync('src/greet.js', 'export function greet(name) {\\n  return \`Hello, \${name}!\`;\\n}\\n');
execFileSync('git', ['commit', '-q', '-am', 'Greet with a template string']);
console.log('stand-in agent ' + id + ': committed ' + execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim());
const deadline = Date.now() + 180000;
while (!fs.existsSync(go) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
fs.writeFileSync('NOTES.md', '# Notes\\n\\n- greet() now uses a template string\\n- TODO: cover the empty name\\n');
console.log('stand-in agent ' + id + ': wrote NOTES.md, waiting for a review');
process.stdin.setEncoding('utf8');
let heard = '';
process.stdin.on('data', (d) => {
  heard += d;
  if (!heard.includes('\\n')) return;
  console.log('stand-in agent ' + id + ' got: ' + heard.trim());
  process.exit(0);
});
setTimeout(() => process.exit(0), 300000);
`;

export interface E2E {
  dir: string;
  repo: string;
  /** Drop this to let the stand-in agent of `id` go on. */
  go(id: string): void;
  wb: Workbench;
  page: Page;
  context: BrowserContext;
  url: string;
  /** Saves a PNG into the run's temp dir, and into media/screenshots/ with UPDATE_SCREENSHOTS=1. */
  screenshot(name: string, clip?: { x: number; y: number; width: number; height: number }): Promise<string>;
  /** On a failure: a screenshot and the server log tail, kept for the report. */
  failure(name: string, err: unknown): Promise<void>;
  close(): Promise<void>;
}

const log = (line: string): void => console.log(`[e2e] ${line}`);

/**
 * A test of a file whose tests share one workbench and build on each other: timed, a failed step's
 * menu or dialog closed before it runs, and on failure a screenshot and the server log tail.
 */
export function step(get: () => E2E | undefined, name: string, fn: (e: E2E) => Promise<void>, timeoutMs = 200_000): void {
  it(name, { timeout: timeoutMs }, async () => {
    const started = Date.now();
    const e = get();
    if (!e) throw new Error('no workbench (the file\'s before() failed)');
    try {
      await e.wb.dismissAll();
      await fn(e);
    } catch (err) {
      await e.failure(name, err);
      throw err;
    } finally {
      console.log(`[e2e] ${name}: ${since(started)}`);
    }
  });
}

/** The side bar from the top down to `below` px under its last row: the view as a person sees it. */
export async function viewClip(e: E2E, below = 40): Promise<{ x: number; y: number; width: number; height: number }> {
  const bar = (await e.page.locator('.part.sidebar').boundingBox())!;
  const rowsBottom = await e.wb.rows().last().evaluate((el) => el.getBoundingClientRect().bottom);
  return { x: 0, y: 0, width: Math.ceil(bar.x + bar.width + 2), height: Math.ceil(Math.min(bar.y + bar.height, rowsBottom + below)) };
}

export const since = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;

export interface E2EOptions {
  /** The browser window (default 1400×900). */
  viewport?: { width: number; height: number };
  /** Runs on the fresh repository before the workbench opens (e.g. makes 300 instances). */
  prepare?: (repo: string, dir: string) => Promise<void> | void;
}

export async function openE2E(options: E2EOptions = {}): Promise<E2E> {
  // realpath: the engine and VS Code report real paths (/tmp may be a symlink elsewhere).
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-e2e-')));
  const artifacts = path.join(dir, 'screenshots');
  fs.mkdirSync(artifacts);
  const keep = process.env.AXIOM_E2E_KEEP === '1'; // keep the repository and its worktrees for a post-mortem
  const cleanups: Array<() => Promise<void> | void> = [() => (keep ? log(`kept ${dir}`) : fs.rmSync(dir, { recursive: true, force: true }))];
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((e: unknown) => log(`teardown: ${String(e)}`));
    cleanups.length = 0;
  };
  try {
    const repo = path.join(dir, 'shop');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.name', 'Axiom E2E');
    git(repo, 'config', 'user.email', 'e2e@axiom.invalid');
    git(repo, 'config', 'commit.gpgsign', 'false');
    commit(repo, 'Initial commit', {
      'README.md': '# shop\n\nA tiny shop to try Axiom Worktrees on.\n',
      'src/greet.js': "export function greet(name) {\n  return 'Hello ' + name;\n}\n",
      'src/cart.js': 'export function total(items) {\n  return items.reduce((sum, i) => sum + i.price * i.qty, 0);\n}\n',
      'test/cart.test.js': "import { total } from '../src/cart.js';\nconsole.assert(total([{ price: 2, qty: 3 }]) === 6);\n",
    });
    commit(repo, 'Document the API', { 'docs/api.md': '# API\n\n- `total(items)`\n- `greet(name)`\n' });
    const agent = path.join(dir, 'stand-in-agent.mjs');
    fs.writeFileSync(agent, STAND_IN_AGENT);
    const prepared = Date.now();
    await options.prepare?.(repo, dir);
    const prepare = options.prepare ? ` after a prepare of ${since(prepared)}` : '';
    const opening = Date.now();

    const { name, publisher, version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, string>;
    const extensionsDir = path.join(dir, 'extensions');
    fs.mkdirSync(extensionsDir);
    fs.symlinkSync(ROOT, path.join(extensionsDir, `${publisher}.${name}-${version}`), 'dir');

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const env = require(path.join(ROOT, 'scripts', 'vscode-env.mjs')) as VsCodeEnv;
    // The options `npm start` uses (no test driver): notifications show as toasts, as a user sees them.
    const server = await env.startCodeServer({
      folder: repo,
      extensionsDir,
      log,
      // Port leases of this run go to a registry of its own (not the user's state folder).
      env: { AXIOM_STATE_DIR: path.join(dir, 'state') },
      settings: {
        'axiom.customAgentCommand': `node ${agent} {id} ${dir}`,
        'workbench.colorTheme': 'Default Dark Modern',
        'workbench.activityBar.location': 'default',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'workbench.tips.enabled': false,
        'remote.autoForwardPorts': false,
        'git.openRepositoryInParentFolders': 'never',
        'window.commandCenter': true,
      },
    });
    cleanups.push(() => server.stop());
    const browser = await env.launchBrowser({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    cleanups.push(() => browser.close());
    const { page, context } = browser;
    page.setDefaultTimeout(30_000);
    // A loaded machine (2 cores, several test runs) can take a minute to serve the workbench.
    await page.goto(`${server.url}/?folder=${encodeURIComponent(repo)}`, { timeout: 120_000 });
    const wb = new Workbench(page, context);
    await wb.ready();
    log(`workbench loaded in ${since(opening)}${prepare} (${server.url})`);

    return {
      dir,
      repo,
      go: (id) => fs.writeFileSync(path.join(dir, `go-${id}`), ''),
      wb,
      page,
      context,
      url: server.url,
      async screenshot(file, clip) {
        const out = path.join(artifacts, `${file}.png`);
        await page.screenshot({ path: out, ...(clip ? { clip } : {}) });
        if (UPDATE_SCREENSHOTS) {
          fs.mkdirSync(SCREENSHOTS, { recursive: true });
          const dest = path.join(SCREENSHOTS, `${file}.png`);
          fs.copyFileSync(out, dest);
          const kb = fs.statSync(dest).size / 1024;
          log(`screenshot ${path.relative(ROOT, dest)} (${kb.toFixed(0)} KB)`);
          if (kb > 300) throw new Error(`${dest} is ${kb.toFixed(0)} KB (keep screenshots < 300 KB)`);
          return dest;
        }
        return out;
      },
      async failure(file, err) {
        const keep = path.join(os.tmpdir(), 'axiom-e2e-failures');
        fs.mkdirSync(keep, { recursive: true });
        const shot = path.join(keep, `${file.replace(/[^a-z0-9-]+/gi, '_')}-${Date.now()}.png`);
        await page.screenshot({ path: shot }).catch(() => undefined);
        log(`FAILED ${file}: ${err instanceof Error ? err.message : String(err)}\n  screenshot: ${shot}\n  code-server log tail:\n${server.logTail(15)}`);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
