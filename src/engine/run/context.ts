/**
 * What the run's parts share (`RunContext`): the run's facts (readonly), the plan it holds, its
 * terms, and the one way to change the run state — a reducer result is checked against the
 * lease, saved through the `RunStore`, and only then told to listeners as an event (`update`,
 * `apply`). Each piece of mutable state here is private and changed by one caller, named where
 * it is: the plan by the loop when the file changes on disk (`adoptPlan`, `skipPlan`); the terms
 * once as the run begins (`commandsApproved`, `leaseClaimed`: engine.ts; `joinedCoordinator`:
 * joinCoordinator.ts; `storeOpened`, `loaded`, `gitSetupKept`: loop.ts). The attempts this
 * engine follows and the holds on starting are owners of their own (`attempts`:
 * liveAttempts.ts; `holds`: holds.ts); what a part asks of the loop is `LoopHandoffs`
 * (handoffs.ts), given to its constructor. No part keeps run state of its own.
 */
import { JOIN_AGENT } from './joins';
import type { PlanArtifacts } from '../../core/run/contextSlice';
import { readPlanArtifacts, planHash } from '../plan';
import fs from 'node:fs';
import path from 'node:path';
import { plannedSubPlanFile } from '../../core/run/runPaths';
import { readResultRecord, type ResultReadout } from '../../core/run/resultRecord';
import type { PlanAnalysis } from '../../core/plan/analyze';
import { presetProfile, type AgentProfile } from '../../core/agents/agentProfiles';
import { candidateKey } from '../../core/run/candidates';
import { candidateSetOf, type CandidateSet } from '../../core/plan/candidateSet';
import { Emitter } from '../../core/util/events';
import { LockTableStore } from '../../store/lockTableStore';
import type { LockStore } from '../coordinator';
import { releaseLocks } from '../../core/run/lockTable';
import type { PlanPackage } from '../../core/plan/model';
import { applyEvent } from '../../core/run/runStateReducer';
import { isTerminal, type RunEvent, type RunState, type RunStateResult } from '../../core/run/runState';
import type { RunStore } from '../../store/runStore';
import { schedPackagesFromAnalysis, type SchedPackage } from '../../core/run/schedule';
import { onStaleLockCleared, realPathOr, snapshotCheckout, type CheckoutFingerprint, type KeptGitSetup } from '../git';
import { SharedReads } from '../../core/util/sharedReads';
import { AttemptSupervisor, type AttemptPlace, type Executor } from '../attempt';
import type { Lease } from './lease';
import type { EngineEvent, EngineOptions } from './types';
import { thisDriver } from '../consent';
import { hostsCapacity } from '../../core/hosts/hostList';
import { NotRegularFileError } from '../../util/regularFile';
import { capOf } from '../../core/plan/defaults';
import { sourceFilesOf } from '../../core/formats/sourceLink';
import { LiveAttempts } from './liveAttempts';
import { StartHolds } from './holds';
import { toPosix } from '../../util/posixPath';

export { toPosix };
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class RunContext {
  readonly emitter = new Emitter<EngineEvent>();

  // -- The run's facts -------------------------------------------------------------------------

  /** This machine's id and the person's (machine.ts): stamped into the run state it drives. */
  readonly driver: { machine: string; person: string };
  readonly maxParallel: number;
  readonly mode: 'eager' | 'barrier';
  readonly only: string[] | undefined;
  readonly clock: () => Date;
  readonly pollMs: number;

  // -- The owners of their own state -----------------------------------------------------------

  /** The attempts this engine follows: starting, launched, watched, judged, lost with their host, cancelled. */
  readonly attempts = new LiveAttempts();
  /** Every attempt's runner goes through it: written, launched or found again, followed, stopped (attempt/supervise.ts). */
  readonly supervisor: AttemptSupervisor;
  /** Why packages the schedule would start wait, and when the loop tries again. */
  readonly holds: StartHolds;
  /**
   * The person's checkout (checkoutGuard.ts), read as attempts start and end; reads shared: an
   * attempt about to start takes the one under way (`any`), an ended one a read begun after its
   * end was seen (`after`), so a level whose packages end together costs a few reads, not one each.
   */
  readonly checkout = new SharedReads<CheckoutFingerprint>(() => snapshotCheckout(this.repoRoot, this.checkoutIgnored()));

  constructor(
    readonly repoRoot: string,
    readonly planFile: string,
    readonly featureId: string,
    analysis: PlanAnalysis,
    readonly options: EngineOptions,
    readonly executor: Executor,
  ) {
    // The hash of the text as read (a byte-order mark included): what the loop compares the file with.
    this.plan = { analysis, sched: this.schedOf(analysis), hash: options.planText?.hash ?? planHash(analysis.text) };
    const { machine, person } = thisDriver();
    this.driver = { machine, person };
    const cap = capOf(options.maxParallel);
    // Over hosts: the run's cap is what the hosts hold together, within the run's own.
    this.maxParallel = options.hosts?.length ? hostsCapacity(options.hosts, cap) : cap;
    this.mode = options.mode ?? 'eager';
    this.only = options.only ? [...options.only] : undefined;
    this.clock = options.clock ?? (() => new Date());
    this.pollMs = options.pollMs ?? 1000;
    this.supervisor = new AttemptSupervisor(executor);
    this.lockStore = new LockTableStore(repoRoot, { onProblem: (message) => this.problem(message) });
    this.holds = new StartHolds(this);
    // A lock a killed git left in this repository, removed by the git layer (staleLocks.ts): said once, where the run's problems are.
    const own = `${path.join(realPathOr(repoRoot), '.git')}${path.sep}`;
    const unlisten = onStaleLockCleared((lock) => {
      if (lock.startsWith(own)) this.problem(`Removed git's lock ${path.relative(realPathOr(repoRoot), lock)}, left by a git that no longer runs (stopped while it wrote); the call was made again.`);
    });
    this.onStop(() => unlisten());
  }

  // -- The plan the run holds (changed by the loop alone) ------------------------------------------

  private plan: { analysis: PlanAnalysis; sched: SchedPackage[]; hash: string };

  get analysis(): PlanAnalysis {
    return this.plan.analysis;
  }

  get sched(): SchedPackage[] {
    return this.plan.sched;
  }

  /** The hash of the plan's text the run last read (valid or not). */
  get planHash(): string {
    return this.plan.hash;
  }

  /** The schedule's packages of an analysis: a package with a set of candidates (best of n) takes a slot for each. */
  private schedOf(analysis: PlanAnalysis): SchedPackage[] {
    const byId = new Map(analysis.plan.packages.map((p) => [p.id, p]));
    return schedPackagesFromAnalysis(analysis).map((sp) => {
      const pkg = byId.get(sp.id);
      const set = pkg ? this.setOf(pkg) : null;
      return set ? { ...sp, slots: set.count } : sp;
    });
  }

  /** How the run's plan nests (ADR 0035): fixed at its start, grown when a planner's sub-plan is taken (planners.ts). */
  private nest: Pick<EngineOptions, 'joins' | 'joinCaps' | 'subPlanFiles' | 'planners'> | undefined;

  /** Each parent's children in the run (a parent is its sub-plan's join). */
  get joins(): Readonly<Record<string, readonly string[]>> | undefined {
    return (this.nest ?? this.options).joins;
  }

  /** A parent's lower cap on the packages below it. */
  get joinCaps(): Readonly<Record<string, number>> | undefined {
    return (this.nest ?? this.options).joinCaps;
  }

  /** Each `{by: agent}` parent's planner → its parent. */
  get planners(): Readonly<Record<string, string>> {
    return (this.nest ?? this.options).planners ?? {};
  }

  /** Whether `parentRunId`'s sub-plan, planned by its agent, is kept already (planners.ts): its planner then has nothing to plan. */
  isPlanned(parentRunId: string): boolean {
    return fs.existsSync(plannedSubPlanFile(this.repoRoot, this.featureId, parentRunId));
  }

  /** The run now nests so (a planner's sub-plan taken: its parent has more children); the plan is `adoptPlan`'s. */
  growNesting(nest: Required<Pick<EngineOptions, 'joins' | 'joinCaps' | 'subPlanFiles' | 'planners'>>): void {
    this.nest = nest;
  }

  /** The plan changed on disk and is valid: the run goes on with it (loop.ts). */
  adoptPlan(analysis: PlanAnalysis, hash: string): void {
    this.plan = { analysis, sched: this.schedOf(analysis), hash };
  }

  /** The plan changed on disk and has errors: its hash is remembered (not read again), the run keeps its plan (loop.ts). */
  skipPlan(hash: string): void {
    this.plan = { ...this.plan, hash };
  }

  private artifactsRead: PlanArtifacts | null | undefined;
  /** The plan's artifacts for context slicing, read once, when the first prompt needs them. */
  get planArtifacts(): PlanArtifacts | null {
    if (this.artifactsRead === undefined) this.artifactsRead = readPlanArtifacts(this.repoRoot, this.planFile);
    return this.artifactsRead;
  }

  /** The agent a package runs with (a parent's join: none; else its fallback after a usage limit, else the host's, else `agentFor`, else the run's agent); `key`: a candidate's, whose host it is (best of n). */
  agentOf(id: string, key = id): AgentProfile {
    // A parent of a plan of plans runs no agent, whatever else is set (joins.ts).
    if (this.joins?.[id]) return JOIN_AGENT;
    // A planner whose sub-plan is kept already (an earlier run's, or before a restart) has nothing to plan.
    const planned = this.planners[id];
    if (planned !== undefined && this.isPlanned(planned)) return JOIN_AGENT;
    const host = this.executor.hostOf?.(key);
    const hostAgent = host ? this.options.agentForHost?.(host) : undefined;
    return this.holds.fallbackOf(id) ?? hostAgent ?? this.options.agentFor?.(id) ?? this.options.agent;
  }

  /** The key of the package's attempt now: the candidate that went on (best of n), else the package's own. */
  keyOf(id: string): string {
    const chosen = this.stateNow?.packages[id]?.chosen;
    return chosen ? candidateKey(id, chosen.candidate) : id;
  }

  /**
   * The package's set of candidates (best of n, ADR 0031), or null: its own `inputs.waves` or the
   * run's count, in a tree of its own (a shared tree holds one attempt). On SSH hosts each
   * candidate is placed on its own (holds.ts).
   */
  setOf(pkg: PlanPackage): CandidateSet | null {
    const set = candidateSetOf(pkg, this.options.candidates);
    return set && this.isolated(pkg) ? set : null;
  }

  /** The agents of a set, candidate by candidate: an id is the package's own agent's, else a headless preset's (the start refused any other). */
  candidateAgents(pkg: PlanPackage, set: CandidateSet): AgentProfile[] {
    const own = this.agentOf(pkg.id);
    return Array.from({ length: set.count }, (_, i) => {
      // The package's own agent as the candidate's host has it (a host with an agent of its own runs that one, as for a package there).
      const mine = i === 0 ? own : this.agentOf(pkg.id, candidateKey(pkg.id, i + 1));
      const id = set.agents ? set.agents[i % set.agents.length]! : mine.id;
      return id === mine.id ? mine : id === own.id ? own : (presetProfile(id) ?? own);
    });
  }

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

  /** What a package's work is audited against: its write scope (with what was granted) and its deny list (`auditScope`'s scope). */
  scopeOf(id: string): { writeAllow: string[]; deny: string[] } {
    return { writeAllow: this.writeAllowOf(id), deny: this.pkg(id)?.scope.deny.map((l) => l.value) ?? [] };
  }

  /** What package `id` may write: its plan's write scope, and what the person granted its agents in this run (`request_scope`, ADR 0036). */
  writeAllowOf(id: string): string[] {
    const planned = this.pkg(id)?.scope.writeAllow.map((l) => l.value) ?? [];
    const granted = this.hasState ? (this.state.packages[id]?.granted ?? []) : [];
    return granted.length ? [...planned, ...granted.flatMap((g) => g.paths)] : planned;
  }

  /** Whether the package has a worktree of its own (`isolated`, the default) or works in the feature's shared one (`shared`); both on its own branch. */
  isolated(pkg: PlanPackage): boolean {
    return pkg.worktree?.mode !== 'shared';
  }

  /** Where the package works: its worktree (isolated) or the feature's shared worktree (shared). */
  treeOf(pkg: PlanPackage): string {
    return this.executor.treePath(pkg.id, this.isolated(pkg));
  }

  /**
   * What the person may change in their checkout while agents run without it being a breach: the
   * plan file (edits are picked up) and the task lists its packages were converted from (ticked as
   * they succeed, `--tick-source`).
   */
  checkoutIgnored(): string[] {
    const sources = sourceFilesOf(this.analysis.plan.packages).map((f) => path.resolve(path.dirname(this.planFile), f));
    return [this.planFile, ...sources, ...((this.nest ?? this.options).subPlanFiles ?? [])].map((f) => toPosix(path.relative(this.repoRoot, f)));
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

  // -- The run's terms (each set once, as the run begins) -----------------------------------------

  private approved: readonly string[] | null = null;
  private gate: 'off' | 'before-merge' = 'off';
  private guardOn = false;
  private kept: KeptGitSetup | null = null;
  private endGitGuard: () => void = () => undefined;
  private lockStore: LockStore;

  /** The plan's verification commands when they may run (approved now or earlier); null: not approved. */
  get approvedCommands(): readonly string[] | null {
    return this.approved;
  }

  /** The person approved `commands` (or had): engine.ts, at `begin`. */
  commandsApproved(commands: readonly string[]): void {
    this.approved = commands;
  }

  /** The review gate this run drives with: the start's `review`, else the run's own when it is taken up again (`gateOfRun`). */
  get reviewGate(): 'off' | 'before-merge' {
    return this.gate;
  }

  /** Whether the integration guard checks this run's integration branch: asked for, or kept from the run's start. */
  get integrationGuard(): boolean {
    return this.guardOn;
  }

  /** The repository's git set-up when the run started (or resumed), kept: what every exit is compared with, and what is put back (setupRestore.ts). */
  get gitSetup(): KeptGitSetup | null {
    return this.kept;
  }

  /** The git set-up kept by the loop's set-up, and the end of the run's guard of it (gitSafety.ts `guardGitSetup`): ended when the engine stops driving. */
  gitSetupKept(kept: KeptGitSetup | null, endGuard: () => void): void {
    this.kept = kept;
    this.endGitGuard = endGuard;
  }

  /** The repository's lock table: `.waves/locks.json`, or the shared coordinator's (run/joinCoordinator.ts). */
  get locks(): LockStore {
    return this.lockStore;
  }

  /** The run joined the shared coordinator (joinCoordinator.ts): its locks are taken there from now on. */
  joinedCoordinator(locks: LockStore): void {
    this.lockStore = locks;
  }

  async releaseLocksOf(id: string): Promise<void> {
    // Only this engine adds this run's entries (it holds the lease): none on disk, nothing to release.
    if (!this.locks.read().locks.some((e) => e.featureId === this.featureId && e.holder === id)) return;
    await this.locks.update((t) => releaseLocks(t, { featureId: this.featureId, holder: id }));
  }

  // -- State changes: reducer → RunStore → event -------------------------------------------

  private stateNow: RunState | undefined;
  private runStore: RunStore | undefined;
  private runLease: Lease | undefined;
  private isStopped = false;
  private readonly stopHooks: ((lost: Error | null) => void)[] = [];

  get state(): RunState {
    return this.stateNow!;
  }

  /** Whether the set-up loaded the run state yet. */
  get hasState(): boolean {
    return this.stateNow !== undefined;
  }

  /** The run state store, once the loop's set-up opened it. */
  get store(): RunStore | undefined {
    return this.runStore;
  }

  /** The run's lease, once `begin` claimed it. */
  get lease(): Lease | undefined {
    return this.runLease;
  }

  /** The engine no longer drives the run (ended, lease lost, disposed): it never writes again. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** `begin` claimed the run's lease (engine.ts): every write checks it is still this engine's. */
  leaseClaimed(lease: Lease): void {
    this.runLease = lease;
  }

  /** The loop's set-up opened the feature's run state store. */
  storeOpened(store: RunStore): void {
    this.runStore = store;
  }

  /** The state loaded by the set-up (not a change: nothing is saved), with the run's review gate and integration guard. */
  loaded(state: RunState, terms: { reviewGate: 'off' | 'before-merge'; integrationGuard: boolean } = { reviewGate: this.gate, integrationGuard: this.guardOn }): void {
    this.gate = terms.reviewGate;
    this.guardOn = terms.integrationGuard;
    this.stateNow = state;
    // Where each package's attempts ran: its names are that host's.
    // A set's candidates (best of n) each by its key, after the package (candidate 1 is keyed by the package's id).
    for (const r of Object.values(state.packages)) {
      if (r.host) this.executor.placed?.(r.packageId, r.host);
      for (const c of r.candidates ?? []) if (c.host) this.executor.placed?.(c.packageId, c.host);
    }
  }

  emit(event: EngineEvent): void {
    this.emitter.fire(event);
  }

  /** A profiling mark (`options.trace`); free when nobody traces. */
  mark(step: string, packageId: string): void {
    this.options.trace?.(step, packageId);
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
    if (this.isStopped || (this.runLease && !this.runLease.isStillOwner())) {
      this.leaseLost();
      return false;
    }
    this.stateNow = result.state;
    this.runStore!.save(result.state);
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

  // -- Stopping ----------------------------------------------------------------------------

  /**
   * Called once when the engine stops driving (the loop's poller and pass waiters, the
   * coordinator's heartbeat), with the error the run ends with when it was not the engine's
   * own choice (the lease lost; the loop's `drive()` rejects with it), else null.
   */
  onStop(hook: (lost: Error | null) => void): void {
    this.stopHooks.push(hook);
  }

  leaseLost(): void {
    if (this.isStopped) return;
    this.problem('This engine lost the run lease to another engine; it stops driving the run (agents keep running).');
    this.stopDriving(new Error('the run lease was lost to another engine'));
  }

  /** Stops watching and writing; never stops an agent. */
  stopDriving(lost: Error | null = null): void {
    this.isStopped = true;
    this.endGitGuard();
    for (const hook of this.stopHooks) hook(lost);
    this.attempts.unwatchAll();
    this.runLease?.stopHeartbeat();
    void this.executor.close?.().catch(() => undefined);
  }
}
