/**
 * The runner pool's arithmetic (src/engine/attempt/runnerPool.ts keeps the processes): how many
 * attempts may start soon, and what the pool does about it. Pure; tested in plain Node.
 */
import type { RunState } from './runState';
import type { SchedPackage } from './schedule';

/** A dependency in one of these either is done or may be soon: its dependent may start next. */
const SOON: ReadonlySet<string> = new Set(['succeeded', 'queued', 'running', 'verifying']);

/**
 * The packages that may start when the ones now under way end: not started yet (`pending` or
 * `ready`, in `only` when given), every dependency succeeded or under way — the next wave, in
 * the plan's order, at most `maxParallel`. A package two levels on, a failed one's dependents and
 * retries are not counted: runners and trees made ahead for them are a guess that saves time
 * when right and costs an idle process or a tree when wrong.
 */
export function nextStarts(packages: readonly SchedPackage[], state: RunState, maxParallel: number, only?: readonly string[] | null): string[] {
  return inOrder(packages, maxParallel, only, (p) => {
    const status = state.packages[p.id]?.status;
    return (status === 'pending' || status === 'ready') && p.dependsOn.every((d) => SOON.has(state.packages[d]?.status ?? ''));
  });
}

/**
 * The packages a new run starts first, before any run state is read: in scope (`only` when
 * given), no dependency in scope — at most `maxParallel`, in the plan's order. The runner pool
 * starts their runners while the run sets itself up (engine.ts `begin`): the first agents
 * then wait for no Node start and no network of their own. A resumed run's first starts depend
 * on its state and are not guessed (a run found under way is taken up with this guess: the
 * runners it does not use go when its first pass counts again).
 */
export function firstStarts(packages: readonly SchedPackage[], maxParallel: number, only?: readonly string[] | null): string[] {
  return inOrder(packages, maxParallel, only, (p, inScope) => p.dependsOn.every((d) => inScope !== null && !inScope.has(d)));
}

/** The ids of the packages in scope (`only` when given) that `may` start, in the plan's order, at most `maxParallel`. */
function inOrder(packages: readonly SchedPackage[], maxParallel: number, only: readonly string[] | null | undefined, may: (p: SchedPackage, inScope: ReadonlySet<string> | null) => boolean): string[] {
  const inScope = only ? new Set(only) : null;
  const out: string[] = [];
  for (const p of packages) {
    if (out.length >= maxParallel) break;
    if ((!inScope || inScope.has(p.id)) && may(p, inScope)) out.push(p.id);
  }
  return out;
}

/**
 * The verification steps soon to run, each a runner the pool may have ready when its attempt's
 * agent ends (runnerPool.ts `command`): one for every attempt at work now (a package running, or
 * a candidate of its set) whose package has verification commands to run (`commandSteps`, 0:
 * none, or none approved). A later step of the same attempt may find none ready and start its own.
 */
export function stepsAhead(state: RunState, commandSteps: (packageId: string) => number): number {
  let n = 0;
  for (const record of Object.values(state.packages)) {
    if (commandSteps(record.packageId) === 0) continue;
    const candidates = record.candidates ?? [];
    n += candidates.length > 0 ? candidates.filter((c) => c.status === 'running').length : record.status === 'running' ? 1 : 0;
  }
  return n;
}

/**
 * Of `nextStarts`, the packages whose tree may be made ahead (ADR 0016): a first attempt
 * (a retry's tree holds its earlier work) of an isolated package (the shared tree is one for all).
 */
export function treesAhead(next: readonly string[], state: RunState, isolated: (id: string) => boolean): string[] {
  return next.filter((id) => (state.packages[id]?.attempts ?? 1) === 0 && isolated(id));
}

/**
 * How long after a pass that launched agents the work ahead for the next wave waits (runners
 * and their networks, trees: ADR 0015, 0016), ms. The agents just launched are starting (a CLI's
 * start is Node loading its modules: CPU) and the work ahead would take the same cores; it is on
 * nobody's path until an agent ends.
 */
export const AHEAD_AFTER_LAUNCH_MS = 500;

export interface PoolCounts {
  /** Attempts the runners started ahead can still take (a runner's tokens not taken): one a runner of one token. */
  idle: number;
  /** Runners not ready yet (their Node still starting) that can take one. */
  starting: number;
}

export interface PoolStep {
  /** Runners to start now. */
  start: number;
  /** Of `idle`, how many to let go (their runner's channel closed: what has not started ends, having touched nothing). */
  retire: number;
}

/**
 * How many attempts one runner started ahead may take when its agents run in walls with networks
 * made ahead (ADR 0041): one Node start (about 200 ms of CPU here, its bundle and warm-up with it)
 * for up to this many agents, each with its own network, walls, files and record. A runner that
 * dies ends the agents it holds, so few: their end is said ("the runner ended without an exit
 * record") and each is retried as any failed attempt.
 */
export const RUNNER_TOKENS = 4;

/**
 * The attempts a runner started ahead takes, as `WAVES_RUNNER_TOKENS` sets it: a whole number from 1
 * (a runner per attempt: one runner's death ends one agent) to `RUNNER_TOKENS`; anything else, the default.
 */
export function runnerTokensOf(text: string | undefined): number {
  const n = text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  return n >= 1 && n <= RUNNER_TOKENS ? n : RUNNER_TOKENS;
}

/** At most this many runners wait in the pool, whatever the plan. */
export const POOL_MAX = 40;
/** At most this many pooled runners start at once (each is a Node start: CPU the run's own work needs too). */
export const POOL_STARTING_MAX = 2;

/**
 * Toward `wanted` attempts the pool can take at once (capped at `POOL_MAX`), each runner started
 * taking `perRunner`: start the runners missing, no more than `POOL_STARTING_MAX` starting at a
 * time; let the surplus go.
 */
export function poolStep(wanted: number, counts: PoolCounts, perRunner = 1): PoolStep {
  const target = Math.max(0, Math.min(Math.floor(Number.isFinite(wanted) ? wanted : 0), POOL_MAX));
  if (counts.idle > target) return { start: 0, retire: counts.idle - target };
  const room = Math.max(0, POOL_STARTING_MAX - counts.starting);
  return { start: Math.min(Math.ceil((target - counts.idle) / Math.max(1, Math.floor(perRunner))), room), retire: 0 };
}
