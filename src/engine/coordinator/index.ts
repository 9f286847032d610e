/**
 * The coordinator room: the shared coordinator (ADR 0012) — where a run's lock table, its lease
 * across clones and the registry of runs live when every clone reaches one PostgreSQL database.
 *   lockStore.ts          the lock table wherever it lives, the options, the coordinator's errors
 *   pgCoordinator.ts      the PostgreSQL coordinator: schema, run claims, locks, cancel requests
 *   openCoordinator.ts    opening it for a repository: its key, who drives
 *   coordinatorReader.ts  what it says of the repository, for the editor and `waves status`
 *   plannedClaims.ts      other features' planned claims
 *   pgQueue.ts            pull workers' queue (ADR 0037): claims with leases and fences, the workers
 *   pgTalk.ts             a worker's agent's calls of the run's tools, relayed to its driver
 * A run joins it in run/joinCoordinator.ts; a cancel asked through it is usecases/cancel.ts.
 */
export { CoordinatorError, CoordinatorUnavailableError, isCoordinatorUnavailable, type CoordinatorOptions, type LockStore } from './lockStore';
export { CoordinatorLeaseHeldError, type CancelRequest } from './pgCoordinator';
export { PgWorkQueue, type Claim, type QueueKey, type WorkerRow } from './pgQueue';
export { PgTalk, type RelayedAnswer, type RelayedCall, type TalkClaim } from './pgTalk';
export { LONGEST_PAUSE_MS } from './coordinatorLockStore';
export { cloneRoot, driverName, openCoordinator, repositoryKeyOf } from './openCoordinator';
export { CoordinatorReader } from './coordinatorReader';
export {
  conflictsWithPlanned,
  listPlannedClaims,
  PlannedClaimConflictError,
  registerPlannedClaims,
  releasePlannedClaims,
  removePlannedClaims,
  type SharedResult,
} from './plannedClaims';
