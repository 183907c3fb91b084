/**
 * The random sequences of the invariant suite, as plain data: what an agent does in its worktree,
 * what the user does on main, and the Axiom operations in between (in-process through the engine,
 * or through the CLI killed with SIGKILL at a random moment or at a crash point).
 * Plain data so that fast-check can shrink them and a failure prints as a readable list.
 */
import fc from 'fast-check';

/**
 * Instance ids: `s0`…`s2` are spawned one by one (a slot may be spawned, cleaned up and spawned or
 * restored again), then the members of the two races `r0` and `r1` (at most RACE_MEMBERS each), then
 * the instances `spawn m --count N` makes (`m-1` … `m-MANY_MAX`).
 * An action's slot is an index into this list, resolved against what is live when it runs.
 */
export const SLOTS = 3;
export const RACES = 2;
export const RACE_MEMBERS = 2;
export const raceTask = (race: number): string => `r${race}`;
/** `spawn <prefix> --count N` (spawnMany) of the world: prefix `m`, 1 to MANY_MAX instances. */
export const MANY_PREFIX = 'm';
export const MANY_MAX = 2;
export const manyIds = (count: number): string[] => Array.from({ length: count }, (_, k) => `${MANY_PREFIX}-${k + 1}`);
export const INSTANCE_IDS: readonly string[] = [
  ...Array.from({ length: SLOTS }, (_, k) => `s${k}`),
  ...Array.from({ length: RACES }, (_, r) => Array.from({ length: RACE_MEMBERS }, (_, m) => `${raceTask(r)}-${m + 1}`)).flat(),
  ...manyIds(MANY_MAX),
];
export const slotId = (slot: number): string => INSTANCE_IDS[slot] ?? `s${slot}`;

/**
 * Searches (issue 18): the template has search `q0` ended (one passing node, landable) and search `q1`
 * cut off (no driver, its node 1 running in its live slot `q1-n1`); `q2` is free for a new search.
 * Each search runs two attempts of a stand-in agent, evaluated by the world's evaluation.
 */
export const SEARCHES = 3;
export const searchName = (k: number): string => `q${k}`;
/** The instances a search makes: its slots `<name>-n<node>`, its landing `<name>-l<node>`, a node opened `<name>-o<node>`. */
export const SEARCH_INSTANCE = /^q\d+-[nlo]\d+$/;

export const AGENT_ACTS = [
  'commit', // a new file, committed on whatever HEAD is
  'commitAll', // `git add -A` + commit (takes nested repositories in as gitlinks)
  'amend',
  'detach', // commit on the branch, then `git switch --detach main`
  'switchBranch', // `git switch -c agent-…` and commit there
  'switchBack', // back to the instance branch
  'mergeMain', // merge main in, adding a new file in the merge commit
  'rebaseHalf', // a conflicting change on both sides, `git rebase main` left half-done
  'nested', // `git init` in a subfolder, commit inside it, plus an uncommitted file there
  'submodule', // `git submodule add`, commit, then commit inside the submodule
  'submoduleDraft', // `git submodule update --init` of main's vendor/lib, then only uncommitted work inside it
  'untracked',
  'ignored', // a file .gitignore matches (build/…)
  'modify', // a tracked file changed, not committed
  'stage', // a tracked file changed and staged, not committed
  'forceAddEnv', // `git add -f .env` (ignored on main, where the user has their own .env) and commit
  'commitClash', // commit clash.txt, which the user has as an untracked file on main
  'mv', // the user moves the worktree folder with mv
  // Hostile to what Axiom provisioned (.axiom.json: .env copied, cache/ linked to main's):
  'unignoreEnv', // rewrites .gitignore so that the provisioned .env and the cache link are no longer ignored
  'editEnv', // edits the provisioned .env in place
  'linkMain', // a symlink into the main worktree (its folder and its .env), untracked
] as const;
export type AgentAct = (typeof AGENT_ACTS)[number];

export const USER_ACTS = [
  'commit', // a new file on main
  'commitAll', // everything dirty on main
  'dirty', // a tracked file changed on main, not committed
  'untracked',
  'untrackedClash', // an untracked clash.txt on main, which agents commit too
  'env', // the user's own ignored .env changes
  'undo', // `git reset --keep HEAD~1` on main
] as const;
export type UserAct = (typeof USER_ACTS)[number];

export const STRATEGIES = ['merge', 'squash', 'rebase', 'cherry-pick'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The crash points the engine offers (AXIOM_TEST_HOOKS=1 AXIOM_TEST_CRASH_AFTER=<step>). */
export const CRASH_STEPS = ['validated', 'worktree-added', 'metadata-written', 'checked-out'] as const;
export type CrashStep = (typeof CRASH_STEPS)[number];

export type Op =
  | { op: 'spawn'; slot: number; base: 'main' | 'dev' }
  | { op: 'spawnMany'; count: number; base: 'main' | 'dev' }
  | { op: 'merge'; slot: number; strategy: Strategy; preview: boolean; commitMessage: boolean; into: 'base' | 'main' | 'dev' }
  | { op: 'cleanup'; slot: number; force: boolean }
  | { op: 'cleanupAll'; mergedOnly: boolean }
  | { op: 'repair' }
  | { op: 'restore'; pick: number; slot: number }
  | { op: 'expire' }
  // The second surface: spawn --from, race, evaluate, rank, land, land --all, setup.
  | { op: 'spawnFrom'; slot: number; from: number }
  | { op: 'race'; race: number; count: number; from: number | null }
  | { op: 'evaluate'; slot: number }
  | { op: 'evaluateRace'; race: number }
  | { op: 'rank'; race: number }
  | { op: 'land'; race: number; pick: number | null; strategy: Strategy; keepLosers: boolean }
  | { op: 'landAll'; strategy: Strategy }
  | { op: 'setup'; slot: number }
  // Searches (issue 18): a small search (two attempts, width 1–2), stop, resume, land (the best node or a named one).
  | { op: 'search'; search: number; width: number }
  | { op: 'searchStop'; search: number }
  | { op: 'searchResume'; search: number }
  | { op: 'searchLand'; search: number; node: number | null };

/** Someone commits while the operation runs: the user on the merge target, or the agent in its worktree. */
export type During = { who: 'user'; delayMs: number } | { who: 'agent'; slot: number; delayMs: number } | null;

export type Action =
  | { kind: 'agent'; slot: number; act: AgentAct }
  | { kind: 'user'; act: UserAct }
  | { kind: 'engine'; op: Op; during: During }
  | { kind: 'kill'; op: Op; delayMs: number; during: During; inside: boolean }
  | { kind: 'race'; ops: [Op, Op] }
  | { kind: 'crash'; slot: number; step: CrashStep };

/** Mostly s0 (spawned by the setup), so that most actions meet an instance. */
/** Agents commit most often; hostile acts against what Axiom provisioned come often enough to meet every operation. */
const HOSTILE_ACTS: AgentAct[] = ['unignoreEnv', 'editEnv', 'linkMain', 'detach'];
const agentActArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<AgentAct>('commit') },
  { weight: 16, arbitrary: fc.constantFrom(...AGENT_ACTS) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_ACTS) },
);

const slot = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }, { weight: 2, arbitrary: fc.nat(INSTANCE_IDS.length - 1) });
const race = fc.nat(RACES - 1);
/** Mostly the searches the template has (q1 cut off, q0 ended), then the new one. */
const search = fc.constantFrom(1, 1, 0, 0, 2);

/** Spawns go mostly to the slots that setup left free. */
const freeSlot = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.constant(2) });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('spawn' as const), slot: freeSlot, base: fc.constantFrom('main' as const, 'main' as const, 'main' as const, 'dev' as const) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('merge' as const),
      slot,
      strategy: fc.constantFrom(...STRATEGIES),
      preview: fc.nat(4).map((n) => n === 0), // one merge in five is a preview
      commitMessage: fc.boolean(),
      into: fc.constantFrom('base' as const, 'base' as const, 'base' as const, 'main' as const, 'dev' as const),
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('cleanup' as const), slot, force: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cleanupAll' as const), mergedOnly: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('repair' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('restore' as const), pick: fc.nat(3), slot: freeSlot }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expire' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('spawnMany' as const), count: fc.integer({ min: 1, max: MANY_MAX }), base: fc.constantFrom('main' as const, 'main' as const, 'dev' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('spawnFrom' as const), slot: freeSlot, from: slot }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('race' as const),
      race,
      count: fc.integer({ min: 1, max: RACE_MEMBERS }),
      from: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: slot }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('evaluate' as const), slot }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('evaluateRace' as const), race }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rank' as const), race }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('land' as const),
      race,
      pick: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(RACE_MEMBERS - 1) }),
      strategy: fc.constantFrom(...STRATEGIES),
      keepLosers: fc.nat(3).map((n) => n === 0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('landAll' as const), strategy: fc.constantFrom(...STRATEGIES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setup' as const), slot }) },
  // A new search costs seconds (its slots, agents, evaluations): rare, and q2 (the free name) more often than a taken one.
  { weight: 1, arbitrary: fc.record({ op: fc.constant('search' as const), search: fc.constantFrom(2, 2, 2, 0, 1), width: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('searchStop' as const), search }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('searchResume' as const), search }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('searchLand' as const), search, node: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(2) }) }) },
);

const duringArb: fc.Arbitrary<During> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ who: fc.constant('user' as const), delayMs: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ who: fc.constant('agent' as const), slot, delayMs: fc.integer({ min: 0, max: 400 }) }) },
);

export function actionArb(options: { killWeight: number }): fc.Arbitrary<Action> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('agent' as const), slot, act: agentActArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('user' as const), act: fc.constantFrom(...USER_ACTS) }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('engine' as const), op: opArb, during: duringArb }) },
    {
      weight: options.killWeight,
      arbitrary: fc.record({
        kind: fc.constant('kill' as const),
        op: opArb,
        delayMs: fc.integer({ min: 0, max: 1500 }),
        during: duringArb,
        // The CLI started from inside the instance's worktree (`cd ../axiom-s0 && axiom cleanup s0`).
        inside: fc.nat(3).map((n) => n === 0),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), ops: fc.tuple(opArb, opArb) }) },
    { weight: Math.ceil(options.killWeight / 2), arbitrary: fc.record({ kind: fc.constant('crash' as const), slot: freeSlot, step: fc.constantFrom(...CRASH_STEPS) }) },
  );
}

/**
 * The sequences of `npm test`: short enough for 150 of them on a busy 2-core machine (every failure
 * class found so far needs at most four actions); the soak run plays longer ones.
 */
export const DEFAULT_SEQUENCES = { minLength: 2, maxLength: 6, killWeight: 2 };
export const SOAK_SEQUENCES = { minLength: 3, maxLength: 12, killWeight: 2 };

/** A sequence starts with instance s0 spawned from main (by the world's setup). */
export function sequenceArb(options: { minLength: number; maxLength: number; killWeight: number }): fc.Arbitrary<Action[]> {
  return fc.array(actionArb(options), { minLength: options.minLength, maxLength: options.maxLength });
}

export function describeOp(op: Op): string {
  switch (op.op) {
    case 'spawn':
      return `spawn ${slotId(op.slot)} --base ${op.base}`;
    case 'spawnMany':
      return `spawn ${MANY_PREFIX} --count ${op.count} --base ${op.base}`;
    case 'merge':
      return `merge ${slotId(op.slot)} --strategy ${op.strategy}${op.into === 'base' ? '' : ` --into ${op.into}`}${op.preview ? ' --preview' : ''}${op.commitMessage ? ' --commit-message' : ''}`;
    case 'cleanup':
      return `cleanup ${slotId(op.slot)}${op.force ? ' --force' : ''}`;
    case 'cleanupAll':
      return `cleanup --all${op.mergedOnly ? ' --merged-only' : ''}`;
    case 'repair':
      return 'repair';
    case 'restore':
      return `salvage restore <salvage #${op.pick}> --as ${slotId(op.slot)}`;
    case 'expire':
      return 'salvage expire --days 0';
    case 'spawnFrom':
      return `spawn ${slotId(op.slot)} --from ${slotId(op.from)}`;
    case 'race':
      return `race ${raceTask(op.race)} --count ${op.count} --launch none${op.from === null ? '' : ` --from ${slotId(op.from)}`}`;
    case 'evaluate':
      return `evaluate ${slotId(op.slot)}`;
    case 'evaluateRace':
      return `evaluate --race ${raceTask(op.race)}`;
    case 'rank':
      return `rank ${raceTask(op.race)}`;
    case 'land':
      return `land ${raceTask(op.race)} --strategy ${op.strategy}${op.pick === null ? '' : ` --pick ${raceTask(op.race)}-${op.pick + 1}`}${op.keepLosers ? ' --keep-losers' : ''}`;
    case 'landAll':
      return `land --all --strategy ${op.strategy}`;
    case 'setup':
      return `setup ${slotId(op.slot)}`;
    case 'search':
      return `search ${searchName(op.search)} --attempts 2 --width ${op.width} --parallel ${op.width} --select best --wait`;
    case 'searchStop':
      return `search stop ${searchName(op.search)}`;
    case 'searchResume':
      return `search resume ${searchName(op.search)}`;
    case 'searchLand':
      return `search land ${searchName(op.search)}${op.node === null ? '' : ` --node ${op.node}`}`;
  }
}

function describeDuring(d: During): string {
  if (!d) return '';
  return d.who === 'user' ? ` (the user commits on the target ${d.delayMs} ms in)` : ` (agent ${slotId(d.slot)} commits ${d.delayMs} ms in)`;
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'agent':
      return `agent ${slotId(a.slot)}: ${a.act}`;
    case 'user':
      return `user on main: ${a.act}`;
    case 'engine':
      return `axiom ${describeOp(a.op)} [engine]${describeDuring(a.during)}`;
    case 'kill':
      return `axiom ${describeOp(a.op)} [cli${a.inside ? ' run from inside the worktree' : ''}, SIGKILL after ${a.delayMs} ms]${describeDuring(a.during)}`;
    case 'race':
      return `axiom ${describeOp(a.ops[0])} and axiom ${describeOp(a.ops[1])} at once [cli, two processes]`;
    case 'crash':
      return `axiom spawn ${slotId(a.slot)} [cli, crash after ${a.step}]`;
  }
}
