/**
 * The engine's lock store on the shared coordinator (`PgCoordinator.lockStore()`): the last
 * answer read synchronously, updates one at a time, releases kept and replayed while the
 * coordinator is out of reach, and the growing pause before it is tried again.
 */
import { emptyLockTable, isLiveLock, type LockEntry, type LockTable } from '../../core/run/lockTable';
import { onlyDrops } from '../../core/coordinator/sharedCoordinator';
import { CoordinatorUnavailableError, type LockStore } from './lockStore';

/** What the store asks of the coordinator's lock rows (`PgCoordinator`'s, all or nothing across every clone). */
export interface CoordinatorLockRows {
  /** The repository's lock rows now (lapsed ones included). */
  locks(): Promise<LockTable>;
  /** `fn` applied to the live rows in one transaction; the rows as written. */
  updateLocks(fn: (table: LockTable) => LockTable, now?: () => Date): Promise<LockTable>;
}

/** The pause before a coordinator that did not answer is tried again: 1 s, doubled each time, at most 10 s. */
export const FIRST_PAUSE_MS = 1_000;
export const LONGEST_PAUSE_MS = 10_000;

/**
 * The engine's `LockStore` on the coordinator. `read()` is synchronous for the scheduler: the
 * table of the last answer, live entries only. Every update is made one at a time (two releases
 * at once never replay the same kept one). An update that only drops entries (a release, an
 * expiry) while the coordinator is out of reach is kept — each one, in order — and replayed
 * before anything else when it answers again: a lock released late only makes others wait; one
 * taken is never assumed. While it does not answer it is tried again only after a pause that
 * grows (`outage()`): an acquire in the pause fails at once, without a connection.
 */
export class CoordinatorLockStore implements LockStore {
  private last: LockTable = emptyLockTable();
  private readonly pending: ((table: LockTable) => LockTable)[] = [];
  /** The coordinator's last failure to answer and when it is tried again; null while it answers. */
  private away: { error: CoordinatorUnavailableError; retryAt: number; pauseMs: number } | null = null;
  /** The operation under way: the next one starts after it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly coordinator: CoordinatorLockRows,
    private readonly onProblem: (message: string) => void,
    private readonly clock: () => Date,
  ) {}

  read(): LockTable {
    const now = this.clock();
    const live = this.last.locks.filter((e: LockEntry) => isLiveLock(e, now));
    return live.length === this.last.locks.length ? this.last : { ...this.last, locks: live };
  }

  update(fn: (table: LockTable) => LockTable): Promise<LockTable> {
    return this.serial(async () => {
      try {
        await this.reach(async () => {
          await this.replay();
          this.last = await this.coordinator.updateLocks(fn, this.clock);
        });
        return this.last;
      } catch (err) {
        if (!(err instanceof CoordinatorUnavailableError)) throw err;
        const after = fn(this.last);
        // Only a change that drops entries is kept; an acquire (or nothing to do) is not assumed.
        if (!onlyDrops(this.last, after)) throw err;
        this.pending.push(fn);
        this.last = after;
        this.onProblem(`${err.message}. The release is kept and done when it answers again.`);
        return this.last;
      }
    });
  }

  async refresh(): Promise<void> {
    await this.serial(async () => {
      try {
        await this.reach(async () => {
          await this.replay();
          this.last = await this.coordinator.locks();
        });
      } catch {
        // the last answer stays; an acquire finds out for itself
      }
    });
  }

  /** The coordinator out of reach: why, and when it is tried again (epoch ms); null while it answers. */
  outage(): { why: string; retryAt: number } | null {
    return this.away ? { why: this.away.error.message, retryAt: this.away.retryAt } : null;
  }

  /** Releases still waiting for the coordinator. */
  keptReleases(): number {
    return this.pending.length;
  }

  /** Tries the kept releases now (pause or not); true when none is left. Never throws. */
  async flush(): Promise<boolean> {
    await this.serial(async () => {
      if (this.away) this.away.retryAt = 0;
      await this.reach(() => this.replay()).catch(() => undefined);
    });
    return this.pending.length === 0;
  }

  /**
   * Tries the kept releases, at the pauses above, until none is left, `giveUp()` says so or
   * `deadline` (epoch ms) passes; returns how many are left. Never throws.
   */
  async settle(giveUp: () => boolean, deadline: number): Promise<number> {
    // Refused rather than out of reach (no pause of its own): not tried again before this.
    let notBefore = 0;
    while (this.pending.length > 0 && !giveUp() && Date.now() < deadline) {
      const wait = Math.max(this.away?.retryAt ?? 0, notBefore) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, deadline - Date.now(), 250)));
      else if (!(await this.serial(() => this.reach(() => this.replay()).then(() => true, () => false)))) notBefore = Date.now() + FIRST_PAUSE_MS;
    }
    return this.pending.length;
  }

  /** One operation at a time, in the order asked. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Reaches the coordinator for `work`: during a pause, fails at once with the last failure;
   * else tries, and a failure to answer starts (or lengthens) the pause.
   */
  private async reach(work: () => Promise<void>): Promise<void> {
    if (this.away && Date.now() < this.away.retryAt) throw this.away.error;
    try {
      await work();
      this.away = null;
    } catch (err) {
      if (err instanceof CoordinatorUnavailableError) {
        const pauseMs = this.away ? Math.min(this.away.pauseMs * 2, LONGEST_PAUSE_MS) : FIRST_PAUSE_MS;
        this.away = { error: err, retryAt: Date.now() + pauseMs, pauseMs };
      }
      throw err;
    }
  }

  /** Releases kept while the coordinator was out of reach, oldest first (each removed once done). */
  private async replay(): Promise<void> {
    while (this.pending.length > 0) {
      this.last = await this.coordinator.updateLocks(this.pending[0]!, this.clock);
      this.pending.shift();
    }
  }
}
