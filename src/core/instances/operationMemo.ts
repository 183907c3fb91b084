/**
 * Reads that a composite operation would otherwise repeat once per instance — the repository's
 * Axiom settings and its worktree configuration, for each of a race's spawns or each of a landing's
 * cleanups — are made once per operation: inside {@link withOperationMemo}, {@link memoized} shares
 * the first read among all the operation's steps (concurrent ones included). Outside, it just
 * reads. Nothing outlives the operation, so the next one sees any change the user made meanwhile.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<Map<string, Promise<unknown>>>();

/** Runs `work` with one memo for its reads (a nested call joins the outer operation's memo). */
export function withOperationMemo<T>(work: () => Promise<T>): Promise<T> {
  if (scope.getStore()) return work();
  return scope.run(new Map(), work);
}

/**
 * The value of `read()`, made once per operation for `key`. Each caller gets its own copy (a
 * structured clone), so one step that changes what it got cannot change what another step sees.
 */
export async function memoized<T>(key: string, read: () => Promise<T>): Promise<T> {
  const memo = scope.getStore();
  if (!memo) return read();
  let pending = memo.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = read();
    memo.set(key, pending);
    // A failed read is not remembered: the next step tries again (and reports its own failure).
    pending.catch(() => memo.delete(key));
  }
  return structuredClone(await pending);
}
