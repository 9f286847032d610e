/**
 * Re-reads one source (a folder's `.waves/`) on demand, for a follower of files another
 * process writes. Three promises:
 * - reads never overlap, so an older read can never finish last and replace a newer state;
 * - `schedule()` (a file event) reads once `delayMs` after the first event of a burst, and
 *   never postpones a read already scheduled: a steady stream of events (a busy run) still
 *   reads every `delayMs`, where a resetting debounce would wait for a pause;
 * - `now()` resolves after a read that STARTED after the call (at most the read under way
 *   plus one), so "make the copy current" is bounded even under constant events.
 * No `vscode`, no I/O of its own: the read is the caller's.
 */
export class CoalescedReader {
  private running: Promise<void> | undefined;
  /** The read queued behind the running one (shared by every caller meanwhile). */
  private queued: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly delayMs: number,
    /** A read that threw (the next event or `now()` reads again). */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** A change happened: read within `delayMs`. */
  schedule(): void {
    if (this.timer !== undefined || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.now();
    }, this.delayMs);
  }

  /** Reads now (or right after the read under way); resolves when that read ended. */
  now(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.running === undefined) {
      this.running = this.start();
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.now();
    });
    return this.queued;
  }

  /** Whether a read is under way or scheduled. */
  get busy(): boolean {
    return this.running !== undefined || this.timer !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async start(): Promise<void> {
    try {
      await this.read();
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = undefined;
    }
  }
}
