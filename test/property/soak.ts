/**
 * `npm run test:soak`: the invariant property suite for a long run — 2000 sequences by default,
 * or as many as fit in AXIOM_SOAK_MINUTES — of longer sequences (3 to 12 actions) than `npm test`'s. AXIOM_SEED and the other AXIOM_* variables pass through.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const minutes = process.env.AXIOM_SOAK_MINUTES;
const env = {
  ...process.env,
  AXIOM_PROPERTY_LONG: '1',
  ...(minutes ? { AXIOM_PROPERTY_MINUTES: minutes } : { AXIOM_PROPERTY_RUNS: process.env.AXIOM_PROPERTY_RUNS || '2000' }),
};
const suite = path.join(__dirname, '..', 'core', 'invariant.test.js');
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', suite], { env, stdio: 'inherit' });
process.exitCode = r.status ?? 1;
