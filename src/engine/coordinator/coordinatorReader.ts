import os from 'node:os';
import { redactSecrets, type PlannedClaim, type RegisteredRun } from '../../core/coordinator/sharedCoordinator';
import type { QueueItem } from '../../core/coordinator/workQueue';
import type { LockEntry } from '../../core/run/lockTable';
import type { CoordinatorOptions } from './lockStore';
import type { PgCoordinator } from './pgCoordinator';
import type { WorkerRow } from './pgQueue';
import { cloneRoot, openCoordinator } from './openCoordinator';

/**
 * What the coordinator says of the repository, for the editor and `waves status`: the registry
 * of runs and the lock rows, read on demand over one kept connection pool. Never throws from
 * `read()`: an unreachable coordinator gives `{ ok: false, message }` (its password hidden).
 */
export class CoordinatorReader {
  private constructor(
    private readonly coordinator: PgCoordinator,
    /** The repository's root as a run of this clone names it (`clone` of its row). */
    readonly clone: string,
  ) {}

  /** Opens it for the repository holding `folder` (the schema is created when missing); throws `CoordinatorError` / `CoordinatorUnavailableError`. */
  static async open(folder: string, options: CoordinatorOptions): Promise<CoordinatorReader> {
    const coordinator = await openCoordinator(folder, options);
    return new CoordinatorReader(coordinator, await cloneRoot(folder));
  }

  /** Whether a run is driven from this clone on this machine (the person's own: the files of `.waves/` show it). */
  isOwn(run: RegisteredRun): boolean {
    return run.host === os.hostname() && run.clone === this.clone;
  }

  /** The URL with its password hidden. */
  get where(): string {
    return this.coordinator.where;
  }

  /** The registry of runs, the lock rows, the planned claims of approved plans and the pull workers (ADR 0037). */
  async read(): Promise<{ ok: true; runs: RegisteredRun[]; locks: LockEntry[]; claims: PlannedClaim[]; workers: WorkerRow[] } | { ok: false; message: string }> {
    try {
      const [runs, table, claims, workers] = await Promise.all([this.coordinator.listRuns(), this.coordinator.locks(), this.coordinator.plannedClaims(), this.coordinator.queue().workers()]);
      return { ok: true, runs, locks: table.locks, claims, workers };
    } catch (err) {
      return { ok: false, message: redactSecrets(err instanceof Error ? err.message : String(err)) };
    }
  }

  /** A run's packages on the work queue (ADR 0037), every state. Throws as the coordinator does. */
  queued(featureId: string, runId: string): Promise<QueueItem[]> {
    return this.coordinator.queue().items(featureId, runId);
  }

  /**
   * Drains a pull worker of the repository (it finishes what it holds and claims nothing new), or
   * lets it take work again; false when no worker has that name. Throws as the coordinator does
   * (`CoordinatorUnavailableError` when out of reach).
   */
  drain(name: string, draining: boolean): Promise<boolean> {
    return this.coordinator.queue().drain(name, draining);
  }

  close(): Promise<void> {
    return this.coordinator.close();
  }
}
