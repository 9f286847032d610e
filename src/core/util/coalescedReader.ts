/**
 * Re-reads one source (a folder's `.waves/`) on demand, for a follower of files another
 * process writes. Three promises:
 * - reads never overlap, so an older read can never finish last and replace a newer state;
 * - `schedule()` (a file event) reads at once after a quiet spell, then at most once per
 *   `delayMs` (`Throttle`): a lone change is not held back, a burst costs a few reads, and a
 *   steady stream of events (a busy run) still reads every `delayMs`, where a resetting
 *   debounce would wait for a pause;
 * - `now()` resolves after a read that STARTED after the call (at most the read under way
 *   plus one), so "make the copy current" is bounded even under constant events.
 * No `vscode`, no I/O of its own: the read is the caller's.
 */
import { SharedReads } from './sharedReads';
import { Throttle } from './throttle';

export class CoalescedReader {
  /** The reads, each shared by every caller it can serve; a read never fails its callers. */
  private readonly reads: SharedReads<void>;
  private readonly throttle: Throttle;
  private disposed = false;

  constructor(
    read: () => Promise<void>,
    delayMs: number,
    /** A read that threw (the next event or `now()` reads again). */
    onError: (err: unknown) => void = () => undefined,
  ) {
    this.reads = new SharedReads(async () => {
      try {
        await read();
      } catch (err) {
        onError(err);
      }
    });
    this.throttle = new Throttle(delayMs, () => void this.now());
  }

  /** A change happened: read at once after a quiet spell, else within `delayMs` of the last. */
  schedule(): void {
    if (!this.disposed) this.throttle.schedule();
  }

  /** Reads now (or right after the read under way); resolves when that read ended. */
  now(): Promise<void> {
    return this.disposed ? Promise.resolve() : this.reads.after();
  }

  /** Whether a read is under way or scheduled. */
  get busy(): boolean {
    return this.reads.reading || this.throttle.pending;
  }

  dispose(): void {
    this.disposed = true;
    this.throttle.dispose();
  }
}
