/**
 * The use cases the front ends share, each written once.
 *   startRun.ts      a run's start: every check and question, once (startRun, dryRunOf, forecastOf)
 *   startRequest.ts the start request from the values a front end read, for both (startRequestFrom)
 *   forecast.ts      the forecast of a start, for the three of them
 *   finishing.ts     the finish offer, the fast-forward, safe clean-up
 *   reconcileRun.ts  a run after its driver went away: what it needs; Retry / Resume
 *   cancel.ts        cancel asked by a process that does not drive the run
 *   discardPlanning.ts  a proposed plan discarded with what its run left
 *   review.ts        the person's Approve / Request Changes on a package, for its driver
 *   demoWorkspace.ts the demo plan copied into a new git repository with the demo agent
 *   tickSource.ts    a converted plan's tasks ticked in the task list it came from
 */
export { discardPlanning } from './discardPlanning';
export { commentAuthor, currentThreads, submitReview, type SubmitResult } from './review';
export { DemoTargetNotEmptyError, makeDemoWorkspace, type DemoWorkspaceRequest } from './demoWorkspace';
export { cleanUpWorktrees, fastForwardTo, finishOffer, type CleanUpResult, type FastForwardOffer, type FinishOffer, type FinishResult, type LocalFile } from './finishing';
export { reconcileRun, resetPackages, type LiveRunner, type Reconciliation } from './reconcileRun';
export { askCoordinatedDriverToCancel, askDriverToCancel, type CancelAsk } from './cancel';
export {
  dryRunOf,
  forecastOf,
  hostAgents,
  refusalOf,
  RUN_AGAIN,
  startRun,
  type HostsInput,
  type StartQuestions,
  type StartRefusal,
  type StartRefusalKind,
  type StartRequest,
  type StartResult,
} from './startRun';
export { startRequestFrom, type StartValues } from './startRequest';
export type { ForecastResult } from './forecast';
export { replaceFile, SourceTickQueue, tickSourceTasks, type TickRun, type TickSourceOutcome, type TickSourceRequest } from './tickSource';
