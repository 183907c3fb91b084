/** The prompt of a search's child and the feedback it carries (issue 18); `.axiom.json` `search.prompt`. */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AxiomEngine, isAxiomError } from '../../src/core';
import { DEFAULT_SEARCH_TEMPLATE, buildPrompt, describeDiff, feedbackOf } from '../../src/core/search/searchPrompt';
import { parseConfigText } from '../../src/core/provision/configFile';
import { makeRepo, type TempRepo } from './helpers';

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

const LOG = [
  '--- axiom: 2026-01-01T00:00:00.000Z evaluating with ["node","t.js"] in /w (timeout 60 s)',
  'old run',
  'AXIOM_FEEDBACK=from an earlier evaluation',
  '--- axiom: exit 1 after 0.1 s',
  '--- axiom: 2026-01-01T00:01:00.000Z evaluating with ["node","t.js"] in /w (timeout 60 s)',
  'running 3 tests',
  'AXIOM_FEEDBACK=failing: test-b',
  'noise',
  'AXIOM_FEEDBACK= failing: test-c ',
  'AXIOM_SCORE=1',
  '--- axiom: exit 1 after 0.1 s, score 1',
  '',
].join('\n');

test('feedback is the AXIOM_FEEDBACK= lines of the last evaluation in the log, else its last lines without Axiom\'s own; bounded', () => {
  assert.equal(feedbackOf(LOG), 'failing: test-b\nfailing: test-c');
  const plain = '--- axiom: t evaluating with ["x"] in /w (timeout 1 s)\nline 1\nline 2\n--- axiom: exit 0 after 1 s\n';
  assert.equal(feedbackOf(plain), 'line 1\nline 2');
  const long = '--- axiom: t evaluating with ["x"] in /w (timeout 1 s)\n' + Array.from({ length: 500 }, (_, i) => `output line ${i}`).join('\n');
  const bounded = feedbackOf(long, 200);
  assert.ok(bounded.length <= 200, `${bounded.length} characters`);
  assert.match(bounded, /^…\noutput line \d+\n/, 'cut at a line, the cut marked');
  assert.match(bounded, /output line 499$/, 'the end of the log is kept');
  assert.equal(feedbackOf(''), '');
});

test('the prompt template fills {task} {passed} {score} {feedback} {diffstat} once; unknown placeholders stay', () => {
  const result = { passed: false, score: 2, feedback: 'failing: {task}', diff: { files: 1, added: 3, deleted: 1 }, evaluatedAt: '' };
  assert.equal(
    buildPrompt('{task} | {passed} | {score} | {feedback} | {diffstat} | {other}', 'fix tests', result),
    'fix tests | no | 2 | failing: {task} | 1 file changed, +3 −1 | {other}',
  );
  assert.equal(buildPrompt('{score}/{feedback}/{diffstat}', 't', null), 'none/(nothing)/unknown');
  const def = buildPrompt(DEFAULT_SEARCH_TEMPLATE, 'Make every test pass.', result);
  assert.match(def, /^Make every test pass\.\n/);
  assert.match(def, /passed no, score 2/);
  assert.match(def, /failing: \{task\}/);
  assert.equal(describeDiff({ files: 0, added: 0, deleted: 0 }), 'no changes');
});

test('.axiom.json search.prompt replaces the template; a prompt that is not a non-empty string is refused', async () => {
  assert.equal(parseConfigText('{ "search": { "prompt": "{task}!" } }').config.search?.prompt, '{task}!');
  assert.match(parseConfigText('{ "search": { "prompt": 5 } }').errors.join('\n'), /search\.prompt/);
  assert.match(parseConfigText('{ "search": { "prompt": "" } }').errors.join('\n'), /search\.prompt/);
  repo = makeRepo({ '.axiom.json': '{\n  // the search prompt\n  "search": { "prompt": "Do {task}. Feedback: {feedback}" }\n}\n' });
  const engine = await AxiomEngine.open(repo.dir);
  assert.equal((await engine.worktreeConfig()).searchPrompt, 'Do {task}. Feedback: {feedback}');
  repo.write('.axiom.json', '{ "search": { "prompt": 5 } }');
  await assert.rejects((await AxiomEngine.open(repo.dir)).worktreeConfig(), (e) => isAxiomError(e, 'InvalidConfig'));
});
