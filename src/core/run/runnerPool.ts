/**
 * The runner pool's arithmetic (src/engine/runnerPool.ts keeps the processes): how many
 * attempts may start soon, and what the pool does about it. Pure; tested in plain Node.
 */
import type { RunState } from './runState';
import type { SchedPackage } from './schedule';

/** A dependency in one of these either is done or may be soon: its dependent may start next. */
const SOON: ReadonlySet<string> = new Set(['succeeded', 'queued', 'running', 'verifying']);

/**
 * How many attempts may start when the packages now under way end: packages not started yet
 * (`pending` or `ready`, in `only` when given) whose every dependency has succeeded or is under
 * way — the next wave's width, at most `maxParallel`. A package two levels on, a failed one's
 * dependents and retries are not counted: the pool is a guess that saves time when right and
 * costs an idle process when wrong.
 */
export function nextLaunches(packages: readonly SchedPackage[], state: RunState, maxParallel: number, only?: readonly string[] | null): number {
  const inScope = only ? new Set(only) : null;
  let count = 0;
  for (const p of packages) {
    if (inScope && !inScope.has(p.id)) continue;
    const status = state.packages[p.id]?.status;
    if (status !== 'pending' && status !== 'ready') continue;
    if (p.dependsOn.every((d) => SOON.has(state.packages[d]?.status ?? ''))) count++;
  }
  return Math.max(0, Math.min(count, maxParallel));
}

export interface PoolCounts {
  /** Runners started ahead and not handed an attempt (nor taken for one). */
  idle: number;
  /** Of those, the ones not ready yet (their Node still starting). */
  starting: number;
}

export interface PoolStep {
  /** Runners to start now. */
  start: number;
  /** Idle runners to let go (their channel closed: they end having touched nothing). */
  retire: number;
}

/** At most this many runners wait in the pool, whatever the plan. */
export const POOL_MAX = 16;
/** At most this many pooled runners start at once (each is a Node start: CPU the run's own work needs too). */
export const POOL_STARTING_MAX = 2;

/**
 * Toward `wanted` idle runners (capped at `POOL_MAX`): start the missing ones, no more than
 * `POOL_STARTING_MAX` starting at a time; let the surplus go.
 */
export function poolStep(wanted: number, counts: PoolCounts): PoolStep {
  const target = Math.max(0, Math.min(Math.floor(Number.isFinite(wanted) ? wanted : 0), POOL_MAX));
  if (counts.idle > target) return { start: 0, retire: counts.idle - target };
  const room = Math.max(0, POOL_STARTING_MAX - counts.starting);
  return { start: Math.min(target - counts.idle, room), retire: 0 };
}
