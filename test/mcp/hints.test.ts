/** Refusals over MCP speak the tool's language: argument and action names, never CLI flags. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { connect, makeRepo, type McpSession, type TempRepo } from './helpers';

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

test('MCP: land with no evaluated member says to call evaluate or pass the argument "pick" (not --pick); no evaluation command: the argument "evaluate"', async () => {
  const race = await mcp.call({ action: 'race', task: 'hint', count: 1, launch: 'none' });
  assert.equal(race.isError, false, race.text);
  const land = await mcp.call({ action: 'land', task: 'hint' });
  assert.equal(land.isError, true);
  assert.equal(land.doc.error.code, 'NoWinner');
  assert.equal(
    land.doc.error.message,
    'No member of race hint has been evaluated yet: evaluate its members, or choose the member to land. Next: call action "evaluate" with task "hint", or pass the argument "pick".',
  );
  assert.deepEqual(land.doc.error.details.hint, { next: [{ run: 'evaluate', task: 'hint' }, { option: 'pick' }] });
  const evaluate = await mcp.call({ action: 'evaluate', instanceId: 'hint-1' });
  assert.equal(evaluate.isError, true);
  assert.match(evaluate.doc.error.message, /Next: pass the argument "evaluate" \(e\.g\. "npm test"\), or set "evaluate" in \.axiom\.json\.$/);
  for (const answer of [land, evaluate]) assert.doesNotMatch(answer.text, /--(pick|command|evaluate)/);
});
