/**
 * The view's record of races (issue 21, seen at 300 px in the browser suite): a race started from the
 * CLI while the window was reading the races stayed out of the view — its members shown as loose
 * instances — until some later race ref moved. The read in flight kept the list from before the
 * race's ref and the invalidation that came during it was lost. KeptRead keeps a read only when no
 * invalidation overtook it.
 */
import * as assert from 'node:assert/strict';
import { KeptRead } from '../../src/extension/coalescedRead';

describe('The races the view keeps (a race started during a read)', () => {
  it('a read overtaken by a move of the race refs is used once, not kept: the next read sees the new race', async () => {
    const kept = new KeptRead<string[]>();
    let finish: (races: string[]) => void = () => undefined;
    const reading = kept.get(() => new Promise<string[]>((resolve) => (finish = resolve)));
    // `axiom race pick` writes refs/axiom/races/pick while the window reads: the watcher invalidates.
    kept.invalidate();
    finish(['discount']);
    assert.deepEqual(await reading, ['discount'], 'the read in flight still answers its caller');
    let reads = 0;
    assert.deepEqual(await kept.get(async () => (reads++, ['discount', 'pick'])), ['discount', 'pick'], 'read again: the new race is there');
    assert.equal(reads, 1);
    assert.deepEqual(await kept.get(async () => (reads++, [])), ['discount', 'pick'], 'kept until the refs move again');
    assert.equal(reads, 1);
  });
});
