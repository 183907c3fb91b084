/**
 * One read of a record at a time for the UI: a request while a read runs asks for one more after it
 * (a burst of changes makes at most two reads), and a scheduled request waits for the burst to pass.
 */
export class CoalescedRead {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Reads after `delayMs` (a later call moves the time). */
  schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  /** Reads now, or once more after the read under way; resolves with the read under way or this one. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.read()
      .catch((e: unknown) => this.onError(e))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.run();
        }
      });
    return this.running;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/**
 * A record read once and kept until it is invalidated (its refs moved). A read that an invalidation
 * overtook (the refs moved while it ran) is used by the caller that made it, never kept: the next
 * get() reads again. Without that, a race started during a read stayed out of the view until the
 * next move of a race ref.
 */
export class KeptRead<T> {
  private value: T | null = null;
  private generation = 0;

  invalidate(): void {
    this.value = null;
    this.generation++;
  }

  async get(load: () => Promise<T>): Promise<T> {
    if (this.value !== null) return this.value;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) this.value = value;
    return value;
  }
}
