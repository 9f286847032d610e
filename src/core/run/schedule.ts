/**
 * The scheduler: which packages of a run start next. Pure — plan facts, the run state
 * and the repository's lock table in; events and a start list out (`docs/run-engine.md`,
 * "Scheduler"). The engine applies the events, then queues and starts the listed
 * packages in order (taking their locks), and calls `schedule()` again after every change.
 *
 * - `schedule(input)` — one decision.
 * - `schedPackagesFromAnalysis(analysis)` — the plan's packages as the scheduler sees them.
 * - `simulate(input)` — `schedule()` against a simulated clock (tests and `bench/`).
 */
import type { PlanAnalysis } from '../plan/analyze';
import { DEFAULT_TIMEOUT_MINUTES, lockTtlMinutesOf, priorityOf, retryBudgetOf, timeoutMinutesOf } from '../plan/defaults';
import { acquireLocks, canonicalLockKey, emptyLockTable, releaseLocks, type LockConflict, type LockTable } from './lockTable';
import { applyEvent } from './runStateReducer';
import { createRunState } from './runStateInit';
import { isActive, isTerminal, retriesSpent, type PackageStatus, type RunEvent, type RunState } from './runState';
import { setUnderWay, workingCandidates } from './candidates';

export interface SchedPackage {
  id: string;
  /** Ids of the packages it depends on. */
  dependsOn: string[];
  /** 1-based wave; `Infinity` for a package on or behind a dependency cycle (it never becomes ready). */
  wave: number;
  /** The heaviest chain of packages from this one to the end of the plan, itself included. */
  criticalLength: number;
  /** 1 (first) to 10. */
  priority: number;
  /** Repo-relative globs. */
  lockFiles: string[];
  /** Canonical logical keys. */
  lockKeys: string[];
  /** How many times a failed attempt is retried automatically. */
  retryBudget: number;
  /** Lock time to live for the engine's `acquireLocks` (null = until released). Not used by `schedule()`. */
  lockTtlMs?: number | null;
  /** The slots of the cap it takes when it starts: its candidates (best of n); default 1. */
  slots?: number;
}

export type ScheduleMode = 'eager' | 'barrier';

export interface ScheduleInput {
  packages: readonly SchedPackage[];
  state: RunState;
  /** The repository's lock table (every feature's locks). */
  locks: LockTable;
  featureId: string;
  /** At most this many packages of the feature active (queued, running, verifying) at once. */
  maxParallel: number;
  mode: ScheduleMode;
  /** Only these packages get events and start; the others are left as they are. */
  only?: readonly string[];
  now: Date;
  /**
   * A dependency counts as done only once merged (merge status `merged` or `skipped`).
   * Default: true exactly when the run has an integration branch (`state.integration`).
   */
  requireMerge?: boolean;
  /**
   * Ready packages held back for now (the integration guard: a dependency's merge not yet
   * checked green, or it broke the integration branch): they neither start nor take a slot.
   */
  held?: ReadonlySet<string>;
  /** Failed packages that wait for the person, not for a retry (a planner whose sub-plan waits for approval): never retried here. */
  waiting?: ReadonlySet<string>;
}

export type WaitReason = 'cap' | 'lock' | 'barrier';

export interface Waiting {
  packageId: string;
  reason: WaitReason;
  /** `lock`: what stands in the way. */
  conflicts?: LockConflict[];
  /** `lock`: the first holder in the way. */
  holder?: { featureId: string; packageId: string };
  /** `lock`: the package's own locks are malformed (an invalid glob); it cannot start. */
  problem?: string;
}

export interface ScheduleResult {
  /** To apply in order: `reset` (automatic retry, a dependency came back), `blocked`, `ready`. */
  events: RunEvent[];
  /** Queue and start these now, in this order. */
  start: string[];
  /** Ready but not started, in priority order. */
  waiting: Waiting[];
  /** Nothing of the feature is active and nothing can start (now or once another feature's locks go). */
  done: boolean;
}

/** A dependency in one of these statuses blocks its dependents. `interrupted` blocks nothing. */
const BLOCKING: readonly PackageStatus[] = ['failed', 'blocked', 'cancelled', 'scope-violation'];

/** Order: longest remaining critical path first, then priority (1 first), then id. */
export function compareForStart(a: SchedPackage, b: SchedPackage): number {
  return b.criticalLength - a.criticalLength || a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

interface Prepared {
  /** Dependencies before dependents (Kahn); packages on cycles last, in input order. */
  order: SchedPackage[];
  /** Each package's dependencies, without duplicates. */
  deps: Map<string, string[]>;
}

const prepared = new WeakMap<readonly SchedPackage[], Prepared>();

/** What `schedule()` needs of a package list that does not change between calls (cached per array). */
function prepare(packages: readonly SchedPackage[]): Prepared {
  const cached = prepared.get(packages);
  if (cached) return cached;
  const byId = new Map(packages.map((p) => [p.id, p]));
  const deps = new Map(packages.map((p) => [p.id, [...new Set(p.dependsOn)]]));
  const indegree = new Map<string, number>();
  const dependents = new Map<string, SchedPackage[]>();
  for (const p of packages) {
    const known = deps.get(p.id)!.filter((d) => byId.has(d));
    indegree.set(p.id, known.length);
    for (const d of known) {
      if (!dependents.has(d)) dependents.set(d, []);
      dependents.get(d)!.push(p);
    }
  }
  const order: SchedPackage[] = packages.filter((p) => indegree.get(p.id) === 0);
  for (let head = 0; head < order.length; head++) {
    for (const next of dependents.get(order[head]!.id) ?? []) {
      const left = indegree.get(next.id)! - 1;
      indegree.set(next.id, left);
      if (left === 0) order.push(next);
    }
  }
  if (order.length < packages.length) {
    const placed = new Set(order);
    for (const p of packages) if (!placed.has(p)) order.push(p);
  }
  const result = { order, deps };
  prepared.set(packages, result);
  return result;
}

/**
 * One scheduling decision:
 * 1. a `failed` package with `retriesSpent <= retryBudget` is `reset` (automatic retry; an
 *    attempt stopped by a usage limit spends none, a failure before its agent started spends one);
 * 2. in dependency order, a pending/ready package with a blocking dependency (failed,
 *    blocked, cancelled, scope-violation, or a merge conflict — not usage-limit: its
 *    dependents wait for it) is `blocked`; a blocked one
 *    none of whose dependencies blocks any more is `reset`; a pending one whose dependencies
 *    all succeeded (and merged, with `requireMerge`) is `ready`; a ready one whose
 *    dependencies no longer all did goes back to pending (`reset`);
 * 3. ready packages, best first (`compareForStart`), start while the feature has fewer
 *    than `maxParallel` active packages and no lock conflicts with the table or with the
 *    packages started before them in this call; `barrier` starts only packages of the
 *    lowest wave that still has a non-terminal package.
 */
export function schedule(input: ScheduleInput): ScheduleResult {
  const { state, featureId, now } = input;
  const cap = Number.isNaN(input.maxParallel) ? 1 : Math.max(1, Math.floor(input.maxParallel));
  const requireMerge = input.requireMerge ?? state.integration !== null;
  const scope = input.only ? new Set(input.only) : undefined;
  const inScope = (id: string) => scope === undefined || scope.has(id);
  const status = new Map<string, PackageStatus>();
  const statusOf = (id: string): PackageStatus => status.get(id) ?? state.packages[id]?.status ?? 'pending';
  const events: RunEvent[] = [];
  const emit = (event: RunEvent, to: PackageStatus) => {
    events.push(event);
    status.set(event.packageId, to);
  };
  const { order, deps: depsOf } = prepare(input.packages);
  // Packages the state has no record of yet (the caller adds them with ensurePackages) are left out.
  const known = (p: SchedPackage) => Object.hasOwn(state.packages, p.id);
  const packages = input.packages.every(known) ? input.packages : input.packages.filter(known);

  // 1. Automatic retries.
  for (const p of packages) {
    const record = state.packages[p.id]!;
    // Attempts stopped by a usage limit spend no retry.
    // A package that ended with a question waits for the person's answer: a retry without it would ask again.
    if (inScope(p.id) && record.status === 'failed' && !record.question && !input.waiting?.has(p.id) && retriesSpent(record) <= p.retryBudget)
      emit({ type: 'reset', packageId: p.id }, 'pending');
  }

  // 2. Readiness and blocking, dependencies first so both travel down the graph in one call.
  const mergeOf = (id: string) => (Object.hasOwn(state.merges, id) ? state.merges[id]!.status : undefined);
  const satisfied = (id: string) =>
    statusOf(id) === 'succeeded' && (!requireMerge || mergeOf(id) === 'merged' || mergeOf(id) === 'skipped');
  const blocking = (id: string) => BLOCKING.includes(statusOf(id)) || (statusOf(id) === 'succeeded' && mergeOf(id) === 'conflict');
  for (const p of order) {
    if (!inScope(p.id) || !known(p)) continue;
    const deps = depsOf.get(p.id)!;
    const blockers = deps.filter(blocking);
    let current = statusOf(p.id);
    if (current === 'blocked') {
      if (blockers.length > 0) continue;
      emit({ type: 'reset', packageId: p.id }, 'pending');
      current = 'pending';
    }
    if (current !== 'pending' && current !== 'ready') continue;
    if (blockers.length > 0) emit({ type: 'blocked', packageId: p.id, by: blockers }, 'blocked');
    else if (deps.every(satisfied)) {
      if (current === 'pending') emit({ type: 'ready', packageId: p.id }, 'ready');
    } else if (current === 'ready') emit({ type: 'reset', packageId: p.id }, 'pending');
  }

  // 3. Starts.
  // A set of candidates under way (best of n) takes a slot for each candidate at work.
  let active = 0;
  for (const record of Object.values(state.packages)) if (isActive(status.get(record.packageId) ?? record.status)) active += setUnderWay(record) ? workingCandidates(record).length : 1;
  let starting = 0;
  let barrierWave = Infinity;
  if (input.mode === 'barrier') {
    for (const p of packages) if (inScope(p.id) && !isTerminal(statusOf(p.id))) barrierWave = Math.min(barrierWave, p.wave);
  }
  const candidates = packages.filter((p) => inScope(p.id) && statusOf(p.id) === 'ready' && !input.held?.has(p.id)).sort(compareForStart);
  const start: string[] = [];
  const waiting: Waiting[] = [];
  let table = input.locks;
  for (const p of candidates) {
    if (input.mode === 'barrier' && p.wave !== barrierWave) {
      waiting.push({ packageId: p.id, reason: 'barrier' });
      continue;
    }
    // A set larger than the cap (refused at the start) still starts once nothing else runs.
    const need = Math.max(1, p.slots ?? 1);
    if (active + starting + need > cap && (active + starting > 0 || need <= cap)) {
      waiting.push({ packageId: p.id, reason: 'cap' });
      continue;
    }
    const taken = acquireLocks(table, { featureId, runId: state.runId, holder: p.id, files: p.lockFiles, keys: p.lockKeys }, now);
    if (!taken.ok) {
      const first = taken.conflicts[0]?.entry;
      waiting.push({
        packageId: p.id,
        reason: 'lock',
        conflicts: taken.conflicts,
        ...(first ? { holder: { featureId: first.featureId, packageId: first.holder } } : {}),
        ...(taken.problem ? { problem: taken.problem } : {}),
      });
      continue;
    }
    table = taken.table;
    start.push(p.id);
    starting += need;
  }

  // A lock wait ends when another feature releases, or an active package of this one ends.
  const lockMayFree = waiting.some((w) => w.conflicts?.some((c) => c.entry.featureId !== featureId || isActive(statusOf(c.entry.holder))));
  // A package awaiting review waits for the person: the run is not done while one does.
  const awaitingPerson = packages.some((p) => inScope(p.id) && statusOf(p.id) === 'awaiting-review');
  return { events, start, waiting, done: active === 0 && start.length === 0 && !lockMayFree && !awaitingPerson };
}

// ---------------------------------------------------------------------------------------
// From a plan

export interface SchedPackagesOptions {
  /** A package's weight on the critical path. Default: its `timeout_minutes` (or the plan's default, or 60). */
  weight?: (packageId: string) => number;
}

/**
 * The plan's packages (first definition of each id) as the scheduler sees them: waves from
 * the dependency graph; `criticalLength` = the package's weight plus the heaviest chain of
 * its dependents (weights default to `timeout_minutes`); priority, retry budget and lock
 * TTL with the plan's defaults; lock keys in canonical form.
 */
export function schedPackagesFromAnalysis(analysis: PlanAnalysis, options: SchedPackagesOptions = {}): SchedPackage[] {
  const { graph, plan } = analysis;
  const defaults = plan.defaults;
  const first = new Map<string, (typeof plan.packages)[number]>();
  for (const p of plan.packages) if (p.id && !first.has(p.id)) first.set(p.id, p);
  const n = graph.ids.length;
  const positive = (value: number | undefined, fallback: number) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
  const weight = graph.ids.map((id) =>
    options.weight
      ? positive(options.weight(id), 1)
      : positive(timeoutMinutesOf(first.get(id), defaults), DEFAULT_TIMEOUT_MINUTES),
  );

  // Remaining critical length, from the sinks up (Kahn over dependents); cycles get their own weight.
  const remaining = [...weight];
  const pendingDependents = graph.dependents.map((d) => new Set(d).size);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (pendingDependents[i] === 0) queue.push(i);
  const done = new Array<boolean>(n).fill(false);
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    done[i] = true;
    let best = 0;
    for (const j of new Set(graph.dependents[i])) if (done[j]) best = Math.max(best, remaining[j]!);
    remaining[i] = weight[i]! + best;
    for (const d of new Set(graph.deps[i])) if (--pendingDependents[d]! === 0) queue.push(d);
  }

  return graph.ids.map((id, i) => {
    const p = first.get(id)!;
    const ttlMinutes = lockTtlMinutesOf(p.locks.ttlMinutes, defaults);
    return {
      id,
      dependsOn: graph.deps[i]!.map((j) => graph.ids[j]!),
      wave: graph.wave[i] ?? Infinity,
      criticalLength: remaining[i]!,
      priority: priorityOf(p, defaults),
      lockFiles: [...new Set(p.locks.files.map((f) => f.value))],
      // Shared packages share one tree: one at a time (a key of their own, never one a plan can write: no namespace has `worktree`).
      lockKeys: [...new Set([...p.locks.keys.map((k) => canonicalLockKey(k.value)), ...(p.worktree?.mode === 'shared' ? [sharedTreeKey(plan.feature?.id ?? '')] : [])])],
      retryBudget: retryBudgetOf(p, defaults),
      lockTtlMs: ttlMinutes * 60_000,
    };
  });
}

/** The lock key that keeps a feature's `mode: shared` packages to one at a time (they share one worktree). */
export function sharedTreeKey(featureId: string): string {
  return `worktree:shared/${featureId}`;
}

// ---------------------------------------------------------------------------------------
// Simulation

export interface SimulateInput {
  packages: readonly SchedPackage[];
  maxParallel: number;
  mode: ScheduleMode;
  /** How long each attempt runs (any unit; the result uses the same one). */
  durations: Readonly<Record<string, number>> | ((packageId: string, attempt: number) => number);
  /** Whether an attempt succeeds. Default: always. */
  succeeds?: (packageId: string, attempt: number) => boolean;
  /** Locks held by other features for the whole simulation. */
  locks?: LockTable;
}

export interface SimulatedAttempt {
  packageId: string;
  attempt: number;
  start: number;
  end: number;
  ok: boolean;
}

export interface SimulateResult {
  /** When the last attempt ended. */
  makespan: number;
  /** Each package's last attempt (packages that never started are absent). */
  packages: Record<string, { start: number; end: number; attempts: number }>;
  /** Every attempt, in start order. */
  attempts: SimulatedAttempt[];
  /** Final status of each package. */
  statuses: Record<string, PackageStatus>;
  /** How many times `schedule()` was called. */
  scheduleCalls: number;
}

const SIM_FEATURE = 'simulated';
const SIM_EPOCH = Date.UTC(2025, 0, 1);

/**
 * Runs `schedule()` against a simulated clock: each started attempt ends after its
 * duration; the run's state goes through the real reducer and the locks through the real
 * lock table. Attempts ending at the same moment end together. Returns when `schedule()`
 * says done (or nothing runs and nothing can start).
 */
export function simulate(input: SimulateInput): SimulateResult {
  const duration =
    typeof input.durations === 'function'
      ? input.durations
      : (id: string) => (input.durations as Readonly<Record<string, number>>)[id] ?? 0;
  const succeeds = input.succeeds ?? (() => true);
  let state = createRunState({
    featureId: SIM_FEATURE,
    planFile: 'simulated.yaml',
    runId: 'sim',
    packageIds: input.packages.map((p) => p.id),
    now: new Date(SIM_EPOCH),
  });
  let table = input.locks ?? emptyLockTable();
  let t = 0;
  let calls = 0;
  const byId = new Map(input.packages.map((p) => [p.id, p]));
  const running = new Map<string, SimulatedAttempt>();
  const attempts: SimulatedAttempt[] = [];
  const apply = (event: RunEvent) => {
    const r = applyEvent(state, event, new Date(SIM_EPOCH));
    if (!r.ok) throw new Error(`simulate: ${r.error.message}`);
    state = r.state;
  };

  for (;;) {
    calls++;
    const decision = schedule({
      packages: input.packages,
      state,
      locks: table,
      featureId: SIM_FEATURE,
      maxParallel: input.maxParallel,
      mode: input.mode,
      now: new Date(SIM_EPOCH),
    });
    decision.events.forEach(apply);
    for (const id of decision.start) {
      const p = byId.get(id)!;
      const attempt = state.packages[id]!.attempts + 1;
      apply({ type: 'queued', packageId: id });
      apply({ type: 'started', packageId: id, attempt, startToken: `t${attempt}`, worktree: '/sim', logFile: '/sim.log' });
      const taken = acquireLocks(
        table,
        { featureId: SIM_FEATURE, runId: 'sim', holder: id, files: p.lockFiles, keys: p.lockKeys },
        new Date(SIM_EPOCH),
      );
      if (!taken.ok) throw new Error(`simulate: schedule() started ${id} against a lock`);
      table = taken.table;
      const run: SimulatedAttempt = {
        packageId: id,
        attempt,
        start: t,
        end: t + Math.max(0, duration(id, attempt)),
        ok: succeeds(id, attempt),
      };
      running.set(id, run);
      attempts.push(run);
    }
    if (running.size === 0) break;
    t = Math.min(...[...running.values()].map((r) => r.end));
    for (const run of [...running.values()].filter((r) => r.end === t)) {
      running.delete(run.packageId);
      apply({ type: 'exited', packageId: run.packageId, exitCode: run.ok ? 0 : 1 });
      if (run.ok) apply({ type: 'succeeded', packageId: run.packageId });
      table = releaseLocks(table, { featureId: SIM_FEATURE, holder: run.packageId });
    }
  }

  const packages: SimulateResult['packages'] = {};
  for (const a of attempts) packages[a.packageId] = { start: a.start, end: a.end, attempts: a.attempt };
  const statuses = Object.fromEntries(Object.values(state.packages).map((r) => [r.packageId, r.status]));
  return {
    makespan: attempts.reduce((m, a) => Math.max(m, a.end), 0),
    packages,
    attempts,
    statuses,
    scheduleCalls: calls,
  };
}
