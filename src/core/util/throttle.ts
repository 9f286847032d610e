/**
 * At most one call per window, without delaying the first: `schedule()` after a quiet spell
 * calls on the next macrotask (so the events of one tick still make one call); `schedule()`
 * within `ms` of the last call waits for the end of that window, and every `schedule()`
 * meanwhile shares that one call. A steady stream of events is never starved (unlike a
 * resetting debounce) and a lone event is not held back (unlike a trailing batch).
 * Used for the live views' status updates (a status change → the views within
 * 100 ms). No `vscode`.
 */
export class Throttle {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the last call began (`Date.now()`), or -Infinity before the first. */
  private last = Number.NEGATIVE_INFINITY;
  private disposed = false;

  constructor(
    private readonly ms: number,
    private readonly fn: () => void,
  ) {}

  /** Something changed: call within `ms` of the last call (at once after a quiet spell). */
  schedule(): void {
    if (this.timer !== undefined || this.disposed) return;
    const wait = Math.max(0, this.last + this.ms - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.disposed) return;
      this.last = Date.now();
      this.fn();
    }, wait);
  }

  /** Whether a call is scheduled. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
