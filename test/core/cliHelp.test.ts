/** A CLI that explains itself: per-verb help generated from the verb table, and shell completion. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERBS } from '../../src/cli/verbs';
import { optionSyntax } from '../../src/cli/help';
import { fishScript, zshScript } from '../../src/cli/completion';
import { runCli as runCliInProcess } from '../../src/cli/run';
import { git, makeRepo, runCli, type TempRepo } from './helpers';

/** The CLI in this process (help needs no repository): its exit code and output. */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCliInProcess(argv, { out: (t) => (stdout += t), err: (t) => (stderr += t), cwd: process.cwd() });
  return { code, stdout, stderr };
}

let repo: TempRepo;
before(async () => {
  repo = makeRepo();
  const spawned = await runCli(['-C', repo.dir, 'spawn', 'fix-login', '--no-setup']);
  assert.equal(spawned.code, 0, spawned.stderr);
  const raced = await runCli(['-C', repo.dir, 'race', 'speedup', '--count', '1', '--launch', 'none']);
  assert.equal(raced.code, 0, raced.stderr);
});
after(() => repo?.cleanup());

test('every verb of the table: axiom <verb> --help and axiom help <verb> print its usage, summary, each option with its meaning and default, and an example', async () => {
  const global = (await inProcess(['--help'])).stdout;
  for (const [name, verb] of Object.entries(VERBS)) {
    const viaFlag = await inProcess([name, '--help']);
    const viaHelp = await inProcess(['help', name]);
    assert.equal(viaFlag.code, 0, `${name}: ${viaFlag.stderr}`);
    assert.equal(viaHelp.code, 0, `${name}: ${viaHelp.stderr}`);
    assert.equal(viaHelp.stdout, viaFlag.stdout, `${name}: both ways print the same help`);
    const out = viaFlag.stdout;
    assert.notEqual(out, global, `${name}: its own help, not the global one`);
    assert.ok(verb.summary.trim().length > 10, `${name}: a summary`);
    assert.ok(out.includes(verb.summary), `${name}: summary`);
    for (const u of verb.usage) assert.ok(out.includes(u.trim()), `${name}: usage line ${u}`);
    assert.ok(verb.examples.length >= 1 && verb.examples.every((e) => e.trim().length > 0), `${name}: an example`);
    assert.match(out, /^Examples?:$/m, name);
    for (const e of verb.examples) assert.ok(out.includes(`  ${e}`), `${name}: example ${e}`);
    for (const [option, spec] of Object.entries(verb.options)) {
      assert.ok(spec.description.trim().length > 0, `${name} --${option}: a description`);
      const line = out.split('\n').find((l) => l.trimStart().startsWith(optionSyntax(option, spec) + ' '));
      assert.ok(line, `${name}: a line for --${option}`);
      assert.ok(line.includes(spec.description), `${name} --${option}: its description`);
      if (spec.default !== undefined) assert.ok(line.includes(`(default: ${spec.default})`), `${name} --${option}: its default`);
    }
  }
});

test('axiom help alone is the global help; axiom help <unknown> is a usage error (the built CLI)', async () => {
  const spawnHelp = await runCli(['spawn', '--help']);
  assert.equal(spawnHelp.code, 0, spawnHelp.stderr);
  assert.equal(spawnHelp.stdout, (await inProcess(['help', 'spawn'])).stdout);
  const help = await runCli(['help']);
  assert.equal(help.code, 0, help.stderr);
  assert.equal(help.stdout, (await runCli(['--help'])).stdout);
  assert.match(help.stdout, /axiom help <command>/);
  const unknown = await runCli(['help', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown command "nope"/);
});

test('an unknown option: the message has no stray quote', async () => {
  const r = await runCli(['spawn', 'x', '--bogus']);
  assert.equal(r.code, 2);
  const first = r.stderr.split('\n')[0]!;
  assert.equal(first, 'axiom: Unknown option --bogus. A positional argument starting with "-" goes after "--", as in: -- "--bogus"');
  assert.equal((first.match(/'/g) ?? []).length, 0, first);
  assert.equal((first.match(/"/g) ?? []).length % 2, 0, first);
});

test('a usage error prints its reason and that verb\'s usage, not every verb\'s: spawn t --count 0 shows spawn\'s, merge x --strategy octopus shows merge\'s; an unknown verb shows every verb', async () => {
  /** A verb's usage as its own help prints it (the lines after "Usage:"). */
  const usageOf = async (name: string): Promise<string> => (await inProcess([name, '--help'])).stdout.split('\n\n')[0]!;
  const cases: [string[], string, string][] = [
    [['spawn', 't', '--count', '0'], 'spawn', 'axiom: --count takes a whole number ≥ 1 (got "0").'],
    [['merge', 'x', '--strategy', 'octopus'], 'merge', 'axiom: --strategy must be one of merge, squash'],
    // Refused before the verb runs: a malformed option, another verb's option.
    [['spawn', 'a', '--bogus'], 'spawn', 'axiom: Unknown option --bogus.'],
    [['merge', 'x', '--count', '2'], 'merge', 'axiom: --count is not an option of axiom merge.'],
  ];
  for (const [argv, verb, reason] of cases) {
    const r = await inProcess(argv);
    const what = argv.join(' ');
    assert.equal(r.code, 2, what);
    assert.ok(r.stderr.startsWith(reason), `${what}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`\n\n${await usageOf(verb)}\nRun 'axiom ${verb} --help' for its options.\n`), `${what}: ${verb}'s usage in ${r.stderr}`);
    const other = verb === 'spawn' ? 'merge' : 'spawn';
    assert.ok(!r.stderr.includes(`axiom ${other} <`), `${what}: not ${other}'s usage`);
    assert.ok(!r.stderr.includes('Commands:'), `${what}: not the global usage`);
  }
  const global = (await inProcess(['--help'])).stdout;
  for (const argv of [['frobnicate'], ['help', 'nope'], []]) {
    const r = await inProcess(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.ok(r.stderr.endsWith(`\n\n${global}`), `${argv.join(' ')}: the global usage in ${r.stderr}`);
  }
});

/** Loads `axiom completion bash` in bash and completes the words (the last one is the word being typed). */
function bashComplete(script: string, words: string[], cwd: string): string[] {
  const driver = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _axiom; printf "%s\\n" "${COMPREPLY[@]}"';
  const out = execFileSync('bash', ['-c', driver, 'bash', script, ...words], { cwd, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).sort();
}

test('axiom completion bash: completes verbs, options, option values, instance ids and race names (bash, sourced)', async () => {
  const r = await runCli(['completion', 'bash']);
  assert.equal(r.code, 0, r.stderr);
  const script = path.join(repo.parent, 'axiom.bash');
  fs.writeFileSync(script, r.stdout);
  assert.deepEqual(bashComplete(script, ['axiom', 'st'], repo.dir), ['status', 'stop']);
  assert.deepEqual(bashComplete(script, ['axiom', ''], repo.dir), Object.keys(VERBS).sort());
  assert.deepEqual(bashComplete(script, ['axiom', 'merge', '--str'], repo.dir), ['--strategy']);
  assert.deepEqual(bashComplete(script, ['axiom', 'merge', 'x', '--strategy', 's'], repo.dir), ['squash']);
  // Instance ids and race names come from the repository the shell is in, or the one -C names.
  assert.deepEqual(bashComplete(script, ['axiom', 'status', 'fix'], repo.dir), ['fix-login']);
  assert.deepEqual(bashComplete(script, ['axiom', 'cleanup', ''], repo.dir), ['fix-login', 'speedup-1']);
  assert.deepEqual(bashComplete(script, ['axiom', '-C', repo.dir, 'diff', ''], repo.parent), ['fix-login', 'speedup-1']);
  assert.deepEqual(bashComplete(script, ['axiom', 'land', ''], repo.dir), ['speedup']);
  assert.deepEqual(bashComplete(script, ['axiom', 'help', 'com'], repo.dir), ['completion']);
  // Outside a repository there is nothing to offer, and nothing is printed on the command line.
  assert.deepEqual(bashComplete(script, ['axiom', 'status', ''], repo.parent), []);
});

test('axiom __complete: one name a line; outside a repository or for an unknown kind, nothing and exit 0', async () => {
  const ids = await runCli(['__complete', 'instance'], { cwd: repo.dir });
  assert.deepEqual([ids.code, ids.stdout, ids.stderr], [0, 'fix-login\nspeedup-1\n', '']);
  const races = await runCli(['__complete', 'race', '-C', repo.dir], { cwd: repo.parent });
  assert.deepEqual([races.code, races.stdout], [0, 'speedup\n']);
  for (const args of [['instance'], ['nope'], ['race', '-C', path.join(repo.parent, 'gone')]]) {
    const r = await runCli(['__complete', ...args], { cwd: repo.parent });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', ''], args.join(' '));
  }
});

test('axiom __complete search names a search once, by its name, from its record and node refs; an inherited GIT_DIR (a git hook, a wrapper) does not derail it', async () => {
  const head = git(repo.dir, 'rev-parse', 'HEAD').trim();
  for (const ref of ['refs/axiom/searches/tune/record', 'refs/axiom/searches/tune/nodes/n1', 'refs/axiom/searches/tune/nodes/n2']) git(repo.dir, 'update-ref', ref, head);
  try {
    const searches = await runCli(['__complete', 'search'], { cwd: repo.dir });
    assert.deepEqual([searches.code, searches.stdout, searches.stderr], [0, 'tune\n', '']);
    // Git exports GIT_DIR to the hooks it runs; completion reads the repository the shell is in, not that one.
    const elsewhere = await runCli(['__complete', 'instance'], { cwd: repo.dir, env: { GIT_DIR: path.join(repo.parent, 'no-such.git') } });
    assert.deepEqual([elsewhere.code, elsewhere.stdout], [0, 'fix-login\nspeedup-1\n']);
  } finally {
    git(repo.dir, 'update-ref', '-d', 'refs/axiom/searches/tune/record');
    git(repo.dir, 'update-ref', '-d', 'refs/axiom/searches/tune/nodes/n1');
    git(repo.dir, 'update-ref', '-d', 'refs/axiom/searches/tune/nodes/n2');
  }
});

test('axiom completion zsh and fish: every verb, its options and the dynamic names; an unknown shell is a usage error', async (t) => {
  const self = ['/opt/node', '/opt/axiom/cli.js'];
  const zsh = zshScript(VERBS, self);
  assert.match(zsh, /bashcompinit/);
  assert.match(zsh, /complete -F _axiom axiom/);
  const fish = fishScript(VERBS, self);
  for (const [name, verb] of Object.entries(VERBS)) {
    assert.ok(fish.includes(`-a '${name}'`), `fish: verb ${name}`);
    for (const option of Object.keys(verb.options)) {
      assert.ok(fish.includes(`__fish_seen_subcommand_from ${name}' -l ${option}`), `fish: ${name} --${option}`);
      assert.ok(zsh.includes(`--${option}`), `zsh: ${name} --${option}`);
    }
  }
  assert.ok(fish.includes(`'(\\'/opt/node\\' \\'/opt/axiom/cli.js\\' __complete instance 2>/dev/null)'`), 'fish: instance ids from __complete');
  const bad = await runCli(['completion', 'tcsh']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown shell "tcsh"/);
  for (const shell of ['zsh', 'fish'] as const) {
    const r = await runCli(['completion', shell]);
    assert.equal(r.code, 0, r.stderr);
    let found = true;
    try {
      execFileSync(shell, ['--version'], { stdio: 'ignore' });
    } catch {
      found = false;
    }
    if (!found) {
      t.diagnostic(`${shell} is not installed: its script's syntax is not checked by ${shell} itself`);
      continue;
    }
    const file = path.join(repo.parent, `axiom.${shell}`);
    fs.writeFileSync(file, r.stdout);
    execFileSync(shell, ['-n', file]);
  }
});

test('refusals speak the CLI\'s language: the engine\'s message names no flag, its hint becomes "Next: … --pick <id>" (and stays structured in --json)', async () => {
  const land = await runCli(['-C', repo.dir, 'land', 'speedup']);
  assert.equal(land.code, 3, land.stderr);
  const [first, next] = land.stderr.split('\n');
  assert.equal(first, 'axiom: No member of race speedup has been evaluated yet: evaluate its members, or choose the member to land.');
  assert.equal(next, 'Next: run axiom evaluate --race speedup, or pass --pick <id>.');
  const json = await runCli(['-C', repo.dir, 'land', 'speedup', '--json']);
  const doc = JSON.parse(json.stderr) as { error: { code: string; message: string; details: { hint: unknown } } };
  assert.equal(doc.error.code, 'NoWinner');
  assert.doesNotMatch(doc.error.message, /--/);
  assert.deepEqual(doc.error.details.hint, { next: [{ run: 'evaluate', task: 'speedup' }, { option: 'pick' }] });
  const evaluate = await runCli(['-C', repo.dir, 'evaluate', 'speedup-1']);
  assert.equal(evaluate.code, 2, evaluate.stderr);
  assert.match(evaluate.stderr, /^axiom: There is no evaluation command: give one/);
  assert.match(evaluate.stderr, /\nNext: pass --command 'npm test', or set "evaluate" in \.axiom\.json\.\n$/);
});
