/**
 * Debounce → throttle → wait-for-operations (the pattern of VS Code's git extension;
 * docs/ARCHITECTURE.md §6).
 * Change events are collected with the worktree paths they touch; after a quiet period one
 * snapshot runs for the union of those paths; events arriving while it runs are coalesced into
 * the next one; nothing runs while a mutating operation holds the scheduler.
 */
export type Changed = 'all' | readonly string[];

export class RefreshScheduler {
  private pending: Set<string> | 'all' | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private holds = 0;
  private disposed = false;

  constructor(
    private readonly run: (changed: Changed) => Promise<void>,
    private readonly debounceMs: () => number,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Notes a change; the snapshot runs after the debounce (or at once with `immediate`). */
  request(changed: Changed, immediate = false): void {
    if (this.disposed) return;
    if (changed === 'all' || this.pending === 'all') this.pending = 'all';
    else {
      this.pending ??= new Set();
      for (const p of changed) this.pending.add(p);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (immediate) void this.drain();
    else this.timer = setTimeout(() => void this.drain(), this.debounceMs());
  }

  /** Runs whatever is pending now and resolves when the model is up to date. */
  async flush(changed: Changed = 'all'): Promise<void> {
    this.request(changed, true);
    // A run already in progress may have started before this request: wait for the loop to empty.
    while (this.running) await this.running;
  }

  /** Holds refreshes while `fn` (a mutating operation) runs, then refreshes everything. */
  async whileHeld<T>(fn: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await fn();
    } finally {
      this.holds--;
      if (this.holds === 0) await this.flush('all');
    }
  }

  private drain(): Promise<void> {
    this.timer = undefined;
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.pending && this.holds === 0 && !this.disposed) {
        const changed: Changed = this.pending === 'all' ? 'all' : [...this.pending];
        this.pending = null;
        try {
          await this.run(changed);
        } catch (e) {
          this.onError(e);
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
