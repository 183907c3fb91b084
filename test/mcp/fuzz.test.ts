/** Malformed arguments (generated, seeded): every one answered with isError, the server stays up, nothing is created. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { connect, git, makeRepo, TOOL, type McpSession, type TempRepo } from './helpers';

let repo: TempRepo;
let mcp: McpSession;

before(async () => {
  repo = makeRepo();
  mcp = await connect(repo.dir);
});
after(async () => {
  await mcp?.close();
  repo?.cleanup();
});

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIONS = ['spawn', 'status', 'list', 'diff', 'merge', 'cleanup', 'send'] as const;
const WEIRD: unknown[] = [null, 0, -1, 1.5, NaN, true, false, '', ' ', [], [1], {}, { a: 1 }, 'x'.repeat(5000), '\u0000', '💥', '../../etc/passwd', '$(rm -rf ~)', '`id`', "'; drop", '--force', -0, Infinity];
const BAD_IDS: unknown[] = [
  '', 'Bad', '-x', '.x', '_x', 'a'.repeat(41), '../escape', 'a/b', 'a b', 'é', 'a\u0000b', '$(id)', 'a;rm', '--help', 'HEAD', ' x', 'x\n',
  7, true, [], ['id'], { id: 'x' },
];
/** Typed fields per action and values that are wrong for them. */
const WRONG: Record<string, unknown[]> = {
  baseBranch: [1, true, [], {}, ''],
  useWorktree: ['true', 1, 0, 'yes', [], {}],
  agent: ['gpt', 'Claude', '', 1, [], 'custom '],
  prompt: [1, true, [], {}, 'a\u0000b', 'x'.repeat(100_001)],
  launch: ['tmux', 'Headless', '', 1, true, []],
  command: ['node x.js', [], [1, 2], [null], [['node']], {}, 1, ['a\u0000']],
  includePatch: ['yes', 1, []],
  maxPatchBytes: [-1, 1.5, '100', 2 * 1024 * 1024, true, []],
  strategy: ['octopus', 'ours', '', 1, []],
  preview: ['false', 1, [], {}],
  into: [1, true, '', []],
  commitMessage: [1, true, '', []],
  force: ['true', 1, 'yes', []],
  keepBranch: ['no', 0, {}],
  text: ['', 1, true, [], {}, 'a\u0000b'],
};
const FIELDS: Record<(typeof ACTIONS)[number], string[]> = {
  spawn: ['baseBranch', 'useWorktree', 'agent', 'prompt', 'launch', 'command'],
  status: [],
  list: [],
  diff: ['includePatch', 'maxPatchBytes'],
  merge: ['strategy', 'preview', 'into', 'commitMessage'],
  cleanup: ['force', 'keepBranch'],
  send: ['text'],
};

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** One malformed argument set: a valid base with at least one defect that must be refused. */
function malformed(r: () => number): Record<string, unknown> {
  const action = pick(r, ACTIONS);
  const args: Record<string, unknown> = { action };
  if (action !== 'list') args.instanceId = `fz${Math.floor(r() * 1000)}`;
  if (action === 'send') args.text = 'hello';
  const defects = [
    () => (args.action = pick(r, [...WEIRD, 'Spawn', 'delete', 'exec', 'spawn ', 'LIST'])),
    () => delete args.action,
    () => (args.instanceId = pick(r, BAD_IDS)),
    () => {
      if (action === 'list') args.instanceId = 'x';
      else delete args.instanceId;
    },
    () => (args[pick(r, ['instanceID', 'id', 'force_', 'shell', '__proto__x', 'useworktree', 'cmd', 'args'])] = pick(r, WEIRD.filter((v) => v !== null))), // null means "not given"

    () => {
      const fields = FIELDS[action];
      if (fields.length === 0) args.unexpected = true;
      else {
        const f = pick(r, fields);
        args[f] = pick(r, WRONG[f]!);
      }
    },
    () => {
      if (action === 'spawn') args.useWorktree = false;
      else args[pick(r, ['prompt', 'command', 'launch', 'useWorktree'].filter((f) => !FIELDS[action].includes(f)))] = 'x';
    },
  ];
  const n = 1 + Math.floor(r() * 2);
  for (let i = 0; i < n; i++) pick(r, defects)();
  return args;
}

test('≥200 generated malformed argument sets: each answered with isError; the server stays up; nothing is created', async () => {
  const r = rng(20240607);
  const cases = Array.from({ length: 240 }, () => malformed(r));
  const worktreesBefore = git(repo.dir, 'worktree', 'list', '--porcelain');
  const branchesBefore = git(repo.dir, 'branch', '--list');
  const codes = new Map<string, number>();
  const started = Date.now();
  for (let i = 0; i < cases.length; i += 8) {
    const batch = cases.slice(i, i + 8);
    const answers = await Promise.all(batch.map((a) => mcp.call(a)));
    answers.forEach((ans, j) => {
      assert.equal(ans.isError, true, `case ${i + j} ${JSON.stringify(batch[j])} was accepted: ${ans.text.slice(0, 200)}`);
      const code = ans.doc?.error?.code as string;
      assert.ok(code, `case ${i + j} has a code`);
      assert.ok(ans.text.length > 10 && ans.text.length < 20_000, 'a readable message');
      codes.set(code, (codes.get(code) ?? 0) + 1);
    });
  }
  const ms = Date.now() - started;
  console.log(`fuzz: ${cases.length} malformed calls in ${ms} ms; codes ${JSON.stringify(Object.fromEntries(codes))}`);
  assert.ok((codes.get('InvalidArgument') ?? 0) > 100);
  assert.equal(codes.get('NotFound') ?? 0, 0, 'every defect is caught before the engine looks anything up');
  assert.equal(git(repo.dir, 'worktree', 'list', '--porcelain'), worktreesBefore);
  assert.equal(git(repo.dir, 'branch', '--list'), branchesBefore);
  const list = await mcp.call({ action: 'list' });
  assert.equal(list.isError, false, 'still serving');
});

test('protocol-level garbage (wrong tool, non-object arguments) never takes the server down', async () => {
  // An unknown tool is a JSON-RPC invalid-params error (-32602), and the server keeps serving.
  await assert.rejects(mcp.client.callTool({ name: 'rm_rf', arguments: {} }), (e: unknown) => (e as { code?: number }).code === -32602);
  for (const bad of ['a string', 42, [1, 2], null]) {
    try {
      const res = await mcp.client.callTool({ name: TOOL, arguments: bad as unknown as Record<string, unknown> });
      assert.equal(res.isError, true, JSON.stringify(bad));
    } catch (e) {
      // The SDK may refuse the request shape itself with a JSON-RPC error: also fine, as long as we keep serving.
      assert.match(String(e), /Invalid|invalid|Expected|expected/);
    }
  }
  const res = await mcp.client.readResource({ uri: 'axiom://nonsense/../../x' });
  assert.match((res.contents[0] as { text: string }).text, /NotFound/);
  assert.equal((await mcp.call({ action: 'list' })).isError, false, 'still serving');
});
