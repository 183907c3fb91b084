/** Runs `fn` over `items` with at most `limit` in flight (git itself is the bottleneck; keep it small). */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** At most `limit` tasks at once; the rest wait in order (one cap for every git process). */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Sleeps until a timeout, a poke or an abort; a poke while awake makes the next sleep return at once.
 * A polling loop sleeps on it, and what it waits for (an agent's exit, an evaluation's end) pokes it.
 */
export class Waker {
  private poked = false;
  private cutShort: (() => void) | null = null;

  poke(): void {
    if (this.cutShort) this.cutShort();
    else this.poked = true;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.poked || signal?.aborted) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.cutShort = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.cutShort = done;
    });
  }
}
