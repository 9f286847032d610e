/**
 * The workers room: pull workers (ADR 0037) — a machine that claims packages from the queue on
 * the coordinator instead of being pushed to.
 *   claimChecks.ts  what a worker checks of a claimed package before doing it (agent, disk, base, plan)
 *   pullWorker.ts   one turn: claim, check or give back, do it under a renewed lease, report fenced
 *   workOnPackage.ts the work: its tree from the base, the order's prompt with the worker's paths,
 *                    the agent in the walls through the attempt supervisor, the approved verification
 *                    the plan at the base gives it, the push, the report
 *   queueExecutor.ts the driver's side: attempts queued with their work orders, their ends read from the queue
 *   workersStart.ts  what a run on workers checks at its start (the plan as workers read it, who can take what)
 *   queueRun.ts      a run's queue for either front end: the coordinator opened, the start checked, the executor made
 *   leftovers.ts     what a worker killed outright left running in its clone, stopped by the next one
 *   workerTalk.ts    the agent's `waves` MCP server on the worker, its calls relayed through the queue
 *   talkRelay.ts     the driver's side of those calls: answered through its own socket for the attempt
 *   queueKey.ts      an attempt's key in the queue, as a map's key
 */
export { claimProblem, DEFAULT_MIN_FREE_BYTES, type WorkerPlace } from './claimChecks';
export { PullWorker, type PullWorkerOptions, type TurnOutcome } from './pullWorker';
export { workBranch, workOnPackage, type WorkOptions } from './workOnPackage';
export { QueueExecutor, type QueueExecutorOptions } from './queueExecutor';
export { workersStart, type WorkersStart } from './workersStart';
export { queueRun, type QueueRun, type QueueRunRequest } from './queueRun';
export { stopLeftovers } from './leftovers';
