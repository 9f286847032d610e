/**
 * Where a run's shared state lives (ADR 0012): the repository's lock table, the owner lease
 * across clones and the registry of runs. By default the files of `.waves/` (the lock table
 * is `LockTableStore`, the lease `lease.ts`, and a clone sees only its own runs); with a
 * coordinator (`EngineOptions.coordinator`, `--coordinator`, `waves.coordinator`) a
 * PostgreSQL database every clone reaches (`pgCoordinator.ts`). The run state itself always
 * stays in the clone's `.waves/runs/`: a coordinator that goes away loses nothing local.
 */
import type { LockTable } from '../../core/run/lockTable';
import { redactSecrets } from '../../core/coordinator/sharedCoordinator';

/** The repository's lock table, wherever it lives. `LockTableStore` is one. */
export interface LockStore {
  /** The table as last seen (the file: read now; the coordinator: its last answer, live entries only). */
  read(): LockTable;
  /** One all-or-nothing read-modify-write: `fn` decides over the table as it is now. */
  update(fn: (table: LockTable) => LockTable): Promise<LockTable>;
  /** Brings `read()` up to date (the coordinator; the file needs none). Never throws. */
  refresh?(): Promise<void>;
  /** Out of reach (the coordinator): why, and when it is tried again (epoch ms); null while it answers. */
  outage?(): { why: string; retryAt: number } | null;
  /** Releases made while it was out of reach, kept to be done when it answers (the coordinator). */
  keptReleases?(): number;
  /** Tries the kept releases, pausing between tries, until none is left, `giveUp()` or `deadline` (epoch ms); how many are left. Never throws. */
  settle?(giveUp: () => boolean, deadline: number): Promise<number>;
}

/** What the engine is told of a coordinator. */
export interface CoordinatorOptions {
  /** `postgres://…` (a password in it is never shown; prefer `~/.pgpass` or `PGPASSWORD`). */
  url: string;
  /** The repository key every clone shares; default: its root commits (core/coordinator/sharedCoordinator.ts `repositoryKey`). */
  repository?: string;
  /** Who drives (default: git `user.name`, else the login name). */
  driver?: string;
  /** Connect timeout, default 5 000 ms. */
  connectTimeoutMs?: number;
  /** A run goes ahead even when another feature's approved plan claims one of its lock keys; default: refused. */
  allowPlannedOverlap?: boolean;
}

/** The coordinator cannot be reached (or stopped answering). Its message never holds a password. */
export class CoordinatorUnavailableError extends Error {
  readonly code = 'coordinator-unavailable';
  constructor(where: string, cause: unknown) {
    super(redactSecrets(`The coordinator ${where} cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`));
    this.name = 'CoordinatorUnavailableError';
  }
}

/** The coordinator answered, but something else is wrong (a newer schema, a repository without commits, bad input). */
export class CoordinatorError extends Error {
  readonly code = 'coordinator-error';
  constructor(message: string) {
    super(redactSecrets(message));
    this.name = 'CoordinatorError';
  }
}

export const isCoordinatorUnavailable = (err: unknown): err is CoordinatorUnavailableError => err instanceof CoordinatorUnavailableError;
