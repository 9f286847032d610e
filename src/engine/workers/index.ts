/**
 * The workers room: pull workers (ADR 0037) — a machine that claims packages from the queue on
 * the coordinator instead of being pushed to.
 *   claimChecks.ts  what a worker checks of a claimed package before doing it (agent, disk, base, plan)
 *   pullWorker.ts   one turn: claim, check or give back, do it under a renewed lease, report fenced
 *   workOnPackage.ts the work: its tree from the base, the order's prompt with the worker's paths,
 *                    the agent in the walls through the attempt supervisor, the push, the report
 *   queueExecutor.ts the driver's side: attempts queued with their work orders, their ends read from the queue
 *   workersStart.ts  what a run on workers checks at its start (the plan as workers read it, who can take what)
 *   queueRun.ts      a run's queue for either front end: the coordinator opened, the start checked, the executor made
 *   leftovers.ts     what a worker killed outright left running in its clone, stopped by the next one
 * The verification on the worker is not built yet.
 */
export { claimProblem, DEFAULT_MIN_FREE_BYTES, type WorkerPlace } from './claimChecks';
export { PullWorker, type PullWorkerOptions, type TurnOutcome } from './pullWorker';
export { workBranch, workOnPackage, type WorkOptions } from './workOnPackage';
export { QueueExecutor, type QueueExecutorOptions } from './queueExecutor';
export { workersStart, type WorkersStart } from './workersStart';
export { queueRun, type QueueRun, type QueueRunRequest } from './queueRun';
export { stopLeftovers } from './leftovers';
