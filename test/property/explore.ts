/**
 * Exploration for the invariant suite (not a test): plays many random sequences without stopping at
 * the first failure, groups the failures by class (the operation and the kind of loss), and prints
 * the shortest sequence of each class. Then shrink one class with the property test and AXIOM_REPLAY.
 *
 *   node out/test/property/explore.js [sequences=100] [seed]
 *
 * Pending properties are checked as in the test (see invariantChecker.ts); AXIOM_PROPERTY_PENDING= checks them all.
 */
import fc from 'fast-check';
import { DEFAULT_SEQUENCES, sequenceArb, type Action } from '../core/invariantModel';
import { formatFailure, World, type SequenceResult } from '../core/invariantWorld';

function classOf(r: SequenceResult): string {
  const f = r.failure!;
  const op = f.action.replace(/ s\d/g, '').replace(/ \(.*$/, '').replace(/after \d+ ms/, 'after … ms').replace(/#\d+/, '#');
  const what = f.unexpected ? `unexpected: ${f.unexpected.split('\n')[0]!.replace(/[0-9a-f]{7,40}|\d{6,}|\/tmp\/\S+/g, '…').slice(0, 120)}` : [...new Set(f.losses.map((l) => l.kind))].sort().join('+');
  return `${op} → ${what}`;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100);
  const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
  const samples = fc.sample(sequenceArb(DEFAULT_SEQUENCES), { numRuns: count, seed });
  const classes = new Map<string, { actions: Action[]; text: string; count: number }>();
  const started = Date.now();
  let ops = 0;
  let kills = 0;
  let operationMs = 0;
  let hostile = 0;
  const pendingSeen = new Map<string, number>();
  const outcomes = new Map<string, number>();
  for (const [i, actions] of samples.entries()) {
    const world = await World.create();
    try {
      const r = await world.run(actions);
      ops += r.operations;
      kills += r.kills;
      operationMs += r.operationMs;
      hostile += r.hostile;
      for (const [k, v] of r.pendingSeen) pendingSeen.set(k, (pendingSeen.get(k) ?? 0) + v);
      for (const [k, v] of r.outcomes) outcomes.set(k, (outcomes.get(k) ?? 0) + v);
      if (!r.failure) continue;
      const key = classOf(r);
      const shown = actions.slice(0, r.failure.index + 1);
      const known = classes.get(key);
      if (!known || shown.length < known.actions.length) classes.set(key, { actions: shown, text: formatFailure(actions, r), count: (known?.count ?? 0) + 1 });
      else known.count++;
      process.stderr.write(`#${i} ${key}\n`);
    } finally {
      world.dispose();
    }
  }
  console.log(`seed ${seed}: ${count} sequences, ${ops} operations, ${kills} kills, ${hostile} hostile agent actions, ${((Date.now() - started) / 1000).toFixed(0)} s (${(operationMs / 1000).toFixed(0)} s in operations), ${classes.size} failure classes`);
  for (const [k, v] of pendingSeen) console.log(`  pending property ${k} broken ${v}×`);
  for (const [k, v] of [...outcomes].sort()) console.log(`  ${String(v).padStart(4)}  ${k}`);
  for (const [key, c] of [...classes].sort((a, b) => b[1].count - a[1].count)) console.log(`\n=== ${key} (${c.count}×)\n${c.text}`);
}

void main();
