/**
 * The use cases the front ends share that are not the engine's run itself.
 *   finishing.ts     the finish offer, the fast-forward, safe clean-up
 *   reconcileRun.ts  a run after its driver went away: what it needs; Retry / Resume
 *   cancel.ts        cancel asked by a process that does not drive the run
 */
export { cleanUpWorktrees, fastForwardTo, finishOffer, type CleanUpResult, type FastForwardOffer, type FinishOffer, type FinishResult, type LocalFile } from './finishing';
export { reconcileRun, resetPackages, type LiveRunner, type Reconciliation } from './reconcileRun';
export { askCoordinatedDriverToCancel, askDriverToCancel, type CancelAsk } from './cancel';
