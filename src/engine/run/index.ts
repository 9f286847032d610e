/**
 * The run room: one feature's run, driven by `RunEngine` (engine.ts: its parts are listed there),
 * and what any process reads of a run.
 *   engine.ts, types.ts  the engine, its options, events, outcome and errors
 *   driver.ts, lease.ts  who drives a run: the lease in `.waves/runs/`
 *   runFiles.ts          a run's state, lock table, report and prompts read from disk
 *   pastRuns.ts          the repository's past runs for a forecast; a run's forecast kept
 *   recovery.ts          resume, cancel, and cancel requests from other processes
 *   reviews.ts           the person's review decisions queued for, and carried out by, the driver
 *   joinCoordinator.ts   a run joined to the shared coordinator
 */
export { RunEngine } from './engine';
export {
  AdoptRefusedError,
  NotARepositoryError,
  PlanInvalidError,
  ProposalNotApprovedError,
  type DryRun,
  type EngineEvent,
  type EngineOptions,
  type ScopeRequestAsked,
  type SubPlanAsked,
  type RunOutcome,
  type RunOutcomeKind,
  type ReviewGate,
} from './types';
export { describeDriver, driverOf, liveDriver, type Driver } from './driver';
export { Lease, LeaseHeldError } from './lease';
export { attemptPrompt, changesBetween, fileAtCommit, hasRun, liveLocks, packageChanges, readReport, readRun, type ReportRead, type RunRead } from './runFiles';
export { requestCancel } from './recovery';
export { queuedPicks, queueReviewRequest } from './reviews';
export { forecastFile, readForecast, readPastRuns, writeForecast, type PastRunsRead } from './pastRuns';
