/**
 * The state of one run as the engine's parts share it (`RunContext`), and the one way to
 * change it: a reducer result is checked against the lease, saved through the `RunStore`,
 * and only then told to listeners as an event (`update`, `apply`). Also the plan lookups the
 * parts need and the live attempts the engine watches. No part keeps run state of its own.
 */
import type { PlanArtifacts } from '../../core/run/contextSlice';
import { readPlanArtifacts, planHash } from '../plan';
import path from 'node:path';
import { readResultRecord, type ResultReadout } from '../../core/run/resultRecord';
import type { PlanAnalysis } from '../../core/plan/analyze';
import type { AgentProfile } from '../../core/agents/agentProfiles';
import { Emitter } from '../../core/util/events';
import { LockTableStore } from '../../store/lockTableStore';
import type { LockStore } from '../coordinator';
import { releaseLocks } from '../../core/run/lockTable';
import type { PlanPackage } from '../../core/plan/model';
import { applyEvent } from '../../core/run/runStateReducer';
import { isTerminal, type RunEvent, type RunState, type RunStateResult } from '../../core/run/runState';
import type { RunStore } from '../../store/runStore';
import { schedPackagesFromAnalysis, type SchedPackage } from '../../core/run/schedule';
import type { CheckoutFingerprint, KeptGitSetup } from '../git';
import type { AttemptPlace, Executor, LaunchResult } from '../attempt';
import type { Lease } from './lease';
import type { EngineEvent, EngineOptions, RunOutcome } from './types';
import { thisDriver } from '../consent';
import { hostsCapacity } from '../../core/hosts/hostList';
import { NotRegularFileError } from '../../util/regularFile';
import { DEFAULT_MAX_PARALLEL } from '../../core/plan/defaults';

export const toPosix = (p: string) => p.split(path.sep).join('/');
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** An attempt whose runner the engine watches, from its launch (or adoption) to its exit. */
export interface LiveAttempt {
  packageId: string;
  place: AttemptPlace;
  token: string;
  /** The executor's watch of the attempt (null: none; the slow poll covers it). */
  watcher: { close(): void } | null;
  /** When the runner's liveness was last checked (ms). */
  checkedAt: number;
  /** When the runner was launched (ms). */
  launchedAt: number;
  launched: LaunchResult | null;
  /**
   * Its `started` is in the run state. Only then is its exit processed: a fast agent can end
   * before the launcher returns (a terminal reports its pid late), and an exit handled while
   * the package was still `queued` would be lost, the package then `running` for ever.
   */
  started: boolean;
  /** Set while its exit is processed, so it is processed once. */
  handled: boolean;
}

export class RunContext {
  readonly emitter = new Emitter<EngineEvent>();

  analysis: PlanAnalysis;
  sched: SchedPackage[];
  planHash: string;
  /** This machine's id and the person's (machine.ts): stamped into the run state it drives. */
  readonly driver: { machine: string; person: string };
  readonly maxParallel: number;
  /** The review gate this run drives with (#33): the start's `review`, else the run's own when it is taken up again (`gateOfRun`). */
  reviewGate: 'off' | 'before-merge' = 'off';
  /** Whether the integration guard checks this run's integration branch (#34): asked for, or kept from the run's start. */
  integrationGuard = false;
  readonly mode: 'eager' | 'barrier';
  readonly only: string[] | undefined;
  readonly clock: () => Date;
  readonly pollMs: number;
  /** The repository's lock table: `.waves/locks.json`, or the shared coordinator's (run/joinCoordinator.ts). */
  locks: LockStore;

  store: RunStore | undefined;
  private stateNow: RunState | undefined;
  lease: Lease | undefined;
  /** Attempts whose runner is watched, by package. */
  readonly live = new Map<string, LiveAttempt>();
  /** Packages whose post-exit work (audit, verification, merge) is under way. */
  readonly finishing = new Set<string>();
  readonly starting = new Set<string>();
  /** Launches under way (worktree, prompt, runner), which the pass does not wait for. */
  readonly launches = new Set<Promise<void>>();
  readonly cancelRequested = new Set<string>();
  /** Attempts interrupted as host-lost (#17), by package: collected when their host answers again. */
  readonly hostLost = new Map<string, LiveAttempt>();
  /** The agent (its profile id) each package's last attempt in this engine started with: the report's spend per agent. */
  readonly ranWith = new Map<string, string>();
  /** The repository's git set-up when the run started (or resumed), kept: what every exit is compared with, and what is put back (setupRestore.ts). */
  gitSetup: KeptGitSetup | null = null;
  /** Ends the run's guard of the git set-up (gitSafety.ts `guardGitSetup`). */
  endGitGuard: () => void = () => undefined;
  /** The person's checkout when each live attempt started (checkoutGuard.ts); absent for an attempt adopted after a restart. */
  readonly checkoutBefore = new Map<string, CheckoutFingerprint>();
  /** When each package's current attempt was launched by this engine (ms); absent for an attempt adopted after a restart. */
  readonly attemptLaunchedAt = new Map<string, number>();
  runCancelled = false;
  /** The engine no longer drives the run (ended, lease lost, disposed): it never writes again. */
  stopped = false;
  /** When to run a pass again for a package waiting on a lock (ms; 0: none). */
  lockRetryAt = 0;
  /** Packages told they wait for the coordinator in its current outage (loop.ts): each is told once. */
  readonly toldAway = new Set<string>();
  /** When the earliest usage limit the run waits for resets (epoch ms; 0: none). */
  limitRetryAt = 0;
  /** The run reached its budget (told once; nothing more starts). */
  budgetTold = false;
  /** Why no more packages start in this run (the person's HEAD moved and was not put back: exit.ts); null: they do. */
  startsHeld: string | null = null;
  /** The plan's verification commands when they may run (approved now or earlier); null: not approved. */
  approvedCommands: readonly string[] | null = null;
  /** `run()`'s promise. */
  finish: ((outcome: RunOutcome) => void) | null = null;
  fail: ((error: unknown) => void) | null = null;
  /** Asks the loop for a pass (set by the loop). */
  wake: () => void = () => undefined;
  /** Wakes the loop; resolves when a pass begun after the call ended and its launches are over (set by the loop). */
  wakeAndLaunch: () => Promise<void> = async () => undefined;
  /**
   * Work off every path, for one package (its tree removed once it landed): done once the agents
   * launched last have had their start (`AHEAD_AFTER_LAUNCH_MS` after the pass that launched
   * them), at once when none are starting or the engine stops driving; the run's end waits for it
   * (set by the loop).
   */
  afterAgentsStart: (packageId: string, task: () => Promise<void>) => void = (_id, task) => void task();
  /** The package's `afterAgentsStart` work done — begun now if it still waits: a new attempt of it (sent back by the integration guard) starts only then (set by the loop). */
  afterStartDone: (packageId: string) => Promise<void> = async () => undefined;
  /** Merges landed and moved the integration tip (the integration guard checks it, #34). */
  landed: (ids: readonly string[]) => void = () => undefined;
  private readonly stopHooks: (() => void)[] = [];

  constructor(
    readonly repoRoot: string,
    readonly planFile: string,
    readonly featureId: string,
    analysis: PlanAnalysis,
    readonly options: EngineOptions,
    readonly executor: Executor,
  ) {
    this.analysis = analysis;
    this.sched = schedPackagesFromAnalysis(analysis);
    // The hash of the text as read (a byte-order mark included): what the loop compares the file with.
    this.planHash = options.planText?.hash ?? planHash(analysis.text);
    const { machine, person } = thisDriver();
    this.driver = { machine, person };
    const cap = Math.max(1, Math.floor(options.maxParallel ?? DEFAULT_MAX_PARALLEL));
    // Over hosts (#17): the run's cap is what the hosts hold together, within the run's own.
    this.maxParallel = options.hosts?.length ? hostsCapacity(options.hosts, cap) : cap;
    this.mode = options.mode ?? 'eager';
    this.only = options.only ? [...options.only] : undefined;
    this.clock = options.clock ?? (() => new Date());
    this.pollMs = options.pollMs ?? 1000;
    this.locks = new LockTableStore(repoRoot, { onProblem: (message) => this.problem(message) });
  }

  // -- The plan ----------------------------------------------------------------------------

  private artifactsRead: PlanArtifacts | null | undefined;
  /** The plan's artifacts for context slicing (#19), read once, when the first prompt needs them. */
  get planArtifacts(): PlanArtifacts | null {
    if (this.artifactsRead === undefined) this.artifactsRead = readPlanArtifacts(this.repoRoot, this.planFile);
    return this.artifactsRead;
  }

  /** The agent a package runs with (`agentFor`, else the run's agent). */
  agentOf(id: string): AgentProfile {
    const host = this.executor.hostOf?.(id);
    const hostAgent = host ? this.options.agentForHost?.(host) : undefined;
    return this.fallbackAgent.get(id) ?? hostAgent ?? this.options.agentFor?.(id) ?? this.options.agent;
  }

  /** Packages moved to the next agent of `agentFallback` after their agent's usage limit (#16). */
  readonly fallbackAgent = new Map<string, AgentProfile>();
  /** Agents at their usage limit, by label → when it resets (epoch ms; Infinity: not said), for this run (#16). */
  readonly limitedAgents = new Map<string, number>();

  /** Each id's first package, for the analysis it was built from (the plan can change during a run). */
  private packagesById: { analysis: PlanAnalysis; byId: Map<string, PlanPackage> } | null = null;

  /** The package of an id (a duplicated id: its first), found in a map — not a search per call. */
  pkg(id: string): PlanPackage | undefined {
    if (this.packagesById?.analysis !== this.analysis) {
      const byId = new Map<string, PlanPackage>();
      for (const p of this.analysis.plan.packages) if (!byId.has(p.id)) byId.set(p.id, p);
      this.packagesById = { analysis: this.analysis, byId };
    }
    return this.packagesById.byId.get(id);
  }

  /** Whether the package has a worktree of its own (`isolated`, the default) or works in the feature's shared one (`shared`); both on its own branch. */
  isolated(pkg: PlanPackage): boolean {
    return pkg.worktree?.mode !== 'shared';
  }

  /** Where the package works: its worktree (isolated) or the feature's shared worktree (shared). */
  treeOf(pkg: PlanPackage): string {
    return this.executor.treePath(pkg.id, this.isolated(pkg));
  }

  /** What the person may change in their checkout while agents run without it being a breach: the plan file (edits are picked up). */
  checkoutIgnored(): string[] {
    return [toPosix(path.relative(this.repoRoot, this.planFile))];
  }

  /** The run's packages (`only`, when given), in the plan's order. */
  scopeIds(): string[] {
    const ids = this.sched.map((p) => p.id);
    return this.only ? ids.filter((id) => this.only!.includes(id)) : ids;
  }

  /** Attempt `attempt` of a package in this run. */
  attemptOf(packageId: string, attempt: number): AttemptPlace {
    return this.executor.attempt(this.state.runId, packageId, attempt);
  }

  /** An agent's result record (a `resultFile` of the run state), read through the executor; one that is not a regular file is a warning, never read. */
  async readResult(file: string | null): Promise<ResultReadout> {
    try {
      return readResultRecord(file ? await this.executor.readResult(file) : null);
    } catch (err) {
      if (!(err instanceof NotRegularFileError)) throw err;
      return { record: null, warnings: [`the result record ${err.file} is ${err.why}`] };
    }
  }

  // -- State changes: reducer → RunStore → event -------------------------------------------

  get state(): RunState {
    return this.stateNow!;
  }

  /** Whether the set-up loaded the run state yet. */
  get hasState(): boolean {
    return this.stateNow !== undefined;
  }

  /** The state loaded by the set-up (not a change: nothing is saved). */
  loaded(state: RunState): void {
    this.stateNow = state;
    // Where each package's attempts ran (#17): its names are that host's.
    for (const r of Object.values(state.packages)) if (r.host) this.executor.placed?.(r.packageId, r.host);
  }

  emit(event: EngineEvent): void {
    this.emitter.fire(event);
  }

  /** A profiling mark (`options.trace`); free when nobody traces. */
  mark(step: string, packageId: string): void {
    this.options.trace?.(step, packageId);
  }

  /** No more packages start in this run (running ones finish); said once. A resume starts afresh. */
  holdStarts(why: string): void {
    if (this.startsHeld === null) this.problem(`No more packages start in this run: ${why}. Running ones finish; resume once you have looked.`);
    this.startsHeld ??= why;
  }

  problem(message: string, packageId?: string): void {
    this.emit({ type: 'problem', message, ...(packageId !== undefined ? { packageId } : {}) });
  }

  /** Saves a reducer result; false (and a problem) when it was refused. Never writes once the lease is lost. */
  update(result: RunStateResult): boolean {
    if (!result.ok) {
      this.problem(result.error.message, result.error.packageId);
      return false;
    }
    if (result.state === this.stateNow) return true;
    if (this.stopped || (this.lease && !this.lease.isStillOwner())) {
      this.leaseLost();
      return false;
    }
    this.stateNow = result.state;
    this.store!.save(result.state);
    return true;
  }

  /** Applies one event, saves, and tells listeners when the status changed. */
  apply(event: RunEvent, detail?: string): boolean {
    const before = this.stateNow?.packages[event.packageId]?.status;
    if (!this.update(applyEvent(this.state, event, this.clock()))) return false;
    const record = this.state.packages[event.packageId]!;
    if (record.status !== before) {
      const text = detail ?? (isTerminal(record.status) ? (record.lastError ?? undefined) : undefined);
      this.emit({
        type: 'package',
        packageId: record.packageId,
        status: record.status,
        attempt: record.attempts,
        ...(text ? { detail: text } : {}),
      });
    }
    return true;
  }

  // -- Locks -------------------------------------------------------------------------------

  async releaseLocksOf(id: string): Promise<void> {
    // Only this engine adds this run's entries (it holds the lease): none on disk, nothing to release.
    if (!this.locks.read().locks.some((e) => e.featureId === this.featureId && e.holder === id)) return;
    await this.locks.update((t) => releaseLocks(t, { featureId: this.featureId, holder: id }));
  }

  // -- Stopping ----------------------------------------------------------------------------

  /** Called when the engine stops driving (the loop's poller and pass waiters). */
  onStop(hook: () => void): void {
    this.stopHooks.push(hook);
  }

  leaseLost(): void {
    if (this.stopped) return;
    this.problem('This engine lost the run lease to another engine; it stops driving the run (agents keep running).');
    this.stopDriving();
    this.fail?.(new Error('the run lease was lost to another engine'));
  }

  /** Stops watching and writing; never stops an agent. */
  stopDriving(): void {
    this.stopped = true;
    this.endGitGuard();
    for (const hook of this.stopHooks) hook();
    for (const a of this.live.values()) a.watcher?.close();
    this.live.clear();
    this.lease?.stopHeartbeat();
    void this.executor.close?.().catch(() => undefined);
  }
}
