/**
 * The run engine: drives one feature's run in one repository (docs/run-engine.md, "Engine
 * API"). lease → run state → integration branch → loop { plan hash, schedule(), take locks,
 * prepare the tree, prompt + spec, launch the runner, watch exit.json } → verdict → commit
 * leftovers → audit → verification → merge → report. No `vscode`: the CLI and the editor
 * drive the same class.
 *
 * Everything the engine decides goes through the run state's reducer and is saved through
 * the `RunStore` before the matching event fires. Nothing from a plan is run through a
 * shell (agents and git by argv; verification commands only through verify.ts, after
 * approval). The user's branch and working tree are never touched: packages work in their
 * own worktrees and merge into `waves/<feature>/integration`; no `--force`, no reset.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expandAgent, decideOutcome, type AgentProfile } from '../core/run/agents';
import { auditScope, mergeChanges, toFileChange, type AuditChange } from '../core/run/audit';
import { writeAtomic } from '../store/atomicWrite';
import { analyzePlan, type PlanAnalysis } from '../core/plan/analyze';
import { Emitter, type Event } from '../core/util/events';
import { parseStatusZ, statusChange } from '../core/run/gitParse';
import { LockTableStore } from '../store/lockTableStore';
import { acquireLocks, expireLocks, releaseLocks } from '../core/run/lockTable';
import type { PlanPackage } from '../core/plan/model';
import { buildPrompt } from '../core/run/prompt';
import { readResultRecord, type ResultReadout } from '../core/run/resultRecord';
import { buildRunReport } from '../core/run/runReport';
import {
  approvalsFile,
  attemptDir,
  attemptFiles,
  integrationBranch,
  integrationPath,
  leaseFile,
  packageBranch,
  reportFiles,
  runDir,
  runStateFile,
  worktreePath,
} from '../core/run/runPaths';
import {
  applyEvent,
  createRunState,
  ensurePackages,
  isActive,
  isTerminal,
  recordMerge,
  setIntegration,
  setPlanHash,
  type ChangedFile,
  type PackageStatus,
  type RunEvent,
  type RunState,
  type RunStateResult,
} from '../core/run/runState';
import { RunStore } from '../store/runStore';
import { schedPackagesFromAnalysis, schedule, simulate, type SchedPackage } from '../core/run/schedule';
import { attemptRunnerPid, isRunnerAlive, readExit, readJson, type ExitRecord } from './adopt';
import {
  auditChanges,
  commitAll,
  createWorktree,
  ensureExcluded,
  ensureIntegration,
  git,
  gitOut,
  isAncestor,
  mergePackage,
  removeWorktreeIfSafe,
  revParse,
  runSetupHook,
} from './git';
import { childProcessLauncher, type Launcher, type LaunchResult } from './launcher';
import { Lease } from './lease';
import { approve, isApproved, runVerification, VerificationNotApprovedError } from './verify';

export { LeaseHeldError } from './lease';
export { VerificationNotApprovedError } from './verify';
export type { Launcher, LaunchRequest, LaunchResult } from './launcher';
export { childProcessLauncher } from './launcher';

// ---------------------------------------------------------------------------------------
// Public types

export type VerificationPolicy = 'approved' | 'skip-unapproved' | 'refuse-unapproved';

export interface EngineOptions {
  /** The plan file: absolute, or relative to `process.cwd()`. */
  planFile: string;
  /** Default: `git rev-parse --show-toplevel` in the plan's folder. */
  repoRoot?: string;
  agent: AgentProfile;
  /** Default 10. */
  maxParallel?: number;
  /** Default 'eager'. */
  mode?: 'eager' | 'barrier';
  /** Run only these packages. */
  only?: string[];
  /** Default: `childProcessLauncher` (a detached `node dist/runner.js …`). */
  launcher?: Launcher;
  /** argv run in each newly created isolated worktree (no shell); a failure fails the package. */
  setupHook?: string[];
  /** Owner lease, default 15 000 ms. */
  leaseMs?: number;
  /** The runner's TERM → KILL grace, default 10 000 ms. */
  graceMs?: number;
  /** Default 'refuse-unapproved'. */
  verification?: VerificationPolicy;
  clock?: () => Date;
  /** Extra environment for the agents. */
  env?: Record<string, string>;
  /** Default: `runner.js` beside this bundle, else `<repo of the extension>/dist/runner.js`. */
  runnerScript?: string;
  /** Slow poll of attempt folders (backup of fs.watch), default 1000 ms. */
  pollMs?: number;
  /**
   * A launched runner that has not written `meta.json` after this long, and whose process the
   * engine cannot see, did not start: the attempt fails. Default 60 000 ms.
   */
  runnerStartMs?: number;
  /** The length of one of the plan's minutes (`timeout_minutes`), default 60 000 ms — tests shorten it. */
  minuteMs?: number;
  /** The agent of one package (per-package overrides); default `agent` for every package. */
  agentFor?: (packageId: string) => AgentProfile;
  /** The folder of the worktrees (`<folder>/<feature>/<package>`), absolute or relative to the repository; default `<repo>.worktrees`. */
  worktreesFolder?: string;
  /** On resume, packages found interrupted stay interrupted (a person offers them again with Resume); default: offered again at once. */
  keepInterrupted?: boolean;
  /** Profiling: called at each step of a package's exit → merge → dependent start path (bench/engine.bench.ts). */
  trace?: (step: string, packageId: string) => void;
}

export interface DryRun {
  /** The waves of starts a simulated all-succeed run makes. */
  order: string[][];
  /** Each package's prompt and where `run()` would write it (attempt 1). */
  prompts: { packageId: string; file: string; text: string }[];
}

export type RunOutcomeKind = 'succeeded' | 'failed' | 'cancelled';

export type EngineEvent =
  | {
      type: 'run-started';
      runId: string;
      featureId: string;
      packages: string[];
      maxParallel: number;
      mode: 'eager' | 'barrier';
      resumed: boolean;
    }
  | { type: 'package'; packageId: string; status: PackageStatus; attempt: number; detail?: string }
  | { type: 'needs-input'; packageId: string; reason: string | null }
  | { type: 'verification'; packageId: string; step: string; ok: boolean; command: string }
  | { type: 'merge'; packageId: string; ok: boolean; conflicts?: string[] }
  | { type: 'plan-changed'; planHash: string; added: string[] }
  | { type: 'problem'; message: string; packageId?: string }
  | {
      type: 'run-finished';
      outcome: RunOutcomeKind;
      reportFile: string | null;
      counts: Partial<Record<PackageStatus, number>>;
      speedup: number | null;
    };

export interface RunOutcome {
  runId: string;
  featureId: string;
  outcome: RunOutcomeKind;
  counts: Partial<Record<PackageStatus, number>>;
  /** report.md (report.json beside it). */
  reportFile: string | null;
  integrationBranch: string | null;
  speedup: number | null;
  state: RunState;
}

/** The plan has errors: `lines` are `file:line:col code message`. */
export class PlanInvalidError extends Error {
  constructor(readonly lines: string[]) {
    super(`The plan has errors:\n${lines.join('\n')}`);
    this.name = 'PlanInvalidError';
  }
}

export class NotARepositoryError extends Error {
  constructor(readonly folder: string, detail: string) {
    super(`${folder} is not inside a git repository (${detail})`);
    this.name = 'NotARepositoryError';
  }
}

// ---------------------------------------------------------------------------------------
// Small helpers

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const toPosix = (p: string) => p.split(path.sep).join('/');
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function defaultRunnerScript(): string {
  const candidates = [path.join(__dirname, 'runner.js'), path.resolve(__dirname, '..', '..', 'dist', 'runner.js')];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}

/** `runs/<name>/` — the folder of a feature's runs, where cancel requests from other processes go. */
function featureRunsFolder(repo: string, featureId: string): string {
  return path.dirname(runDir(repo, featureId, 'x'));
}

function planKey(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.mtimeMs}:${stat.size}` : 'gone';
}

const CANCEL_REQUEST = /^cancel-request-.*\.json$/;

interface LiveAttempt {
  packageId: string;
  attempt: number;
  dir: string;
  token: string;
  watcher: fs.FSWatcher | null;
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

/** The state's counts of each status (only `ids`, when given). */
function countStatuses(state: RunState, ids?: readonly string[]): Partial<Record<PackageStatus, number>> {
  const counts: Partial<Record<PackageStatus, number>> = {};
  for (const record of Object.values(state.packages)) {
    if (ids && !ids.includes(record.packageId)) continue;
    counts[record.status] = (counts[record.status] ?? 0) + 1;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------
// The engine

export class RunEngine {
  private readonly emitter = new Emitter<EngineEvent>();
  /** Every change of the run, for the CLI's progress and the editor. */
  readonly events: Event<EngineEvent> = this.emitter.event;

  private analysisNow: PlanAnalysis;
  private sched: SchedPackage[];
  private planHash: string;
  private planStat = '';
  private readonly maxParallel: number;
  private readonly mode: 'eager' | 'barrier';
  private readonly only: string[] | undefined;
  private readonly launcher: Launcher;
  private readonly clock: () => Date;
  private readonly runnerScript: string;
  private readonly graceMs: number;
  private readonly pollMs: number;
  private readonly runnerStartMs: number;

  private storeNow: RunStore | undefined;
  private stateNow: RunState | undefined;
  private lease: Lease | undefined;
  private locks: LockTableStore;
  private readonly live = new Map<string, LiveAttempt>();
  /** Packages whose post-exit work (audit, verification, merge) is under way. */
  private readonly finishing = new Set<string>();
  private readonly starting = new Set<string>();
  /** Launches under way (worktree, prompt, runner), which the pass does not wait for. */
  private readonly launches = new Set<Promise<void>>();
  /** Passes begun so far, and who waits for the end of a pass begun after a given one. */
  private passSeq = 0;
  private passWaiters: { after: number; resolve: () => void }[] = [];
  private readonly cancelRequested = new Set<string>();
  private runCancelled = false;
  private stopped = false;
  private passRunning = false;
  private passAgain = false;
  private poller: NodeJS.Timeout | null = null;
  private mergeChain: Promise<void> = Promise.resolve();
  private finish: ((outcome: RunOutcome) => void) | null = null;
  private fail: ((error: unknown) => void) | null = null;
  private lockRetryAt = 0;
  /** The plan's verification commands when they may run (approved now or earlier); null: not approved. */
  private approvedCommands: readonly string[] | null = null;

  private constructor(
    readonly repoRoot: string,
    readonly planFile: string,
    readonly featureId: string,
    analysis: PlanAnalysis,
    private readonly options: EngineOptions,
  ) {
    this.analysisNow = analysis;
    this.sched = schedPackagesFromAnalysis(analysis);
    this.planHash = sha256(analysis.text);
    this.maxParallel = Math.max(1, Math.floor(options.maxParallel ?? 10));
    this.mode = options.mode ?? 'eager';
    this.only = options.only ? [...options.only] : undefined;
    this.launcher = options.launcher ?? childProcessLauncher;
    this.clock = options.clock ?? (() => new Date());
    this.runnerScript = options.runnerScript ?? defaultRunnerScript();
    this.graceMs = options.graceMs ?? 10_000;
    this.pollMs = options.pollMs ?? 1000;
    this.runnerStartMs = options.runnerStartMs ?? 60_000;
    this.locks = new LockTableStore(repoRoot, { onProblem: (message) => this.problem(message) });
  }

  get analysis(): PlanAnalysis {
    return this.analysisNow;
  }

  /** The run state store, once `run()` loaded it. */
  get store(): RunStore | undefined {
    return this.storeNow;
  }

  /** Reads and analyses the plan and finds the repository. No side effects. */
  static async prepare(options: EngineOptions): Promise<RunEngine> {
    const planFile = path.resolve(options.planFile);
    const text = await fs.promises.readFile(planFile, 'utf8');
    const analysis = analyzePlan(text, { maxParallel: options.maxParallel ?? 10 });
    let repoRoot: string;
    try {
      repoRoot = options.repoRoot
        ? path.resolve(options.repoRoot)
        : await gitOut(path.dirname(planFile), ['rev-parse', '--show-toplevel']);
    } catch (err) {
      throw new NotARepositoryError(path.dirname(planFile), errorText(err));
    }
    repoRoot = fs.realpathSync(repoRoot);
    const shown = toPosix(path.relative(process.cwd(), planFile)) || planFile;
    if (!analysis.valid) {
      const lines = analysis.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => {
          const at = analysis.lines.position(d.range.start);
          return `${shown}:${at.line + 1}:${at.column + 1} ${d.code} ${d.message}`;
        });
      throw new PlanInvalidError(lines);
    }
    const featureId = analysis.plan.feature?.id;
    if (!featureId) throw new PlanInvalidError([`${shown}:1:1 feature-missing the plan has no feature.id`]);
    const unknown = (options.only ?? []).filter((id) => !analysis.plan.packages.some((p) => p.id === id));
    if (unknown.length) throw new PlanInvalidError(unknown.map((id) => `${shown}:1:1 only-unknown the plan has no package "${id}"`));
    return new RunEngine(repoRoot, fs.realpathSync(planFile), featureId, analysis, options);
  }

  /**
   * Asks the engine driving the run (another process) to cancel one package or the whole
   * run: writes the running attempt's `cancel` file (the runner stops the agent at once)
   * and a `runs/<name>/cancel-request-*.json` the owner picks up for the rest.
   */
  static async requestCancel(repoRoot: string, featureId: string, packageId?: string): Promise<void> {
    const state = readJson(runStateFile(repoRoot, featureId)) as RunState | undefined;
    if (state && typeof state === 'object' && state.packages) {
      for (const record of Object.values(state.packages)) {
        if (packageId !== undefined && record.packageId !== packageId) continue;
        if (record.status !== 'running' || record.attempts < 1) continue;
        const dir = attemptDir(repoRoot, featureId, state.runId, record.packageId, record.attempts);
        await fs.promises.writeFile(attemptFiles(dir).cancel, `${new Date().toISOString()}\n`).catch(() => undefined);
      }
    }
    const folder = featureRunsFolder(repoRoot, featureId);
    await fs.promises.mkdir(folder, { recursive: true });
    const request = { packageId: packageId ?? null, at: new Date().toISOString(), pid: process.pid };
    await writeAtomic(path.join(folder, `cancel-request-${Date.now()}-${randomBytes(4).toString('hex')}.json`), JSON.stringify(request) + '\n');
  }

  // -------------------------------------------------------------------------------------
  // Dry run

  /** The schedule of a simulated all-succeed run and every prompt. Starts nothing, writes nothing. */
  dryRun(): DryRun {
    const inScope = this.scopeIds();
    const packages = this.only ? this.restrictTo(this.sched, inScope) : this.sched;
    const sim = simulate({ packages, maxParallel: this.maxParallel, mode: this.mode, durations: () => 1 });
    const byStart = new Map<number, string[]>();
    for (const a of sim.attempts) {
      if (!byStart.has(a.start)) byStart.set(a.start, []);
      byStart.get(a.start)!.push(a.packageId);
    }
    const order = [...byStart.entries()].sort((a, b) => a[0] - b[0]).map(([, ids]) => ids);
    const runId = 'dry-run';
    const prompts = inScope.map((id) => {
      const pkg = this.pkg(id)!;
      const dir = attemptDir(this.repoRoot, this.featureId, runId, id, 1);
      const files = attemptFiles(dir);
      const text = buildPrompt({
        analysis: this.analysisNow,
        packageId: id,
        featureId: this.featureId,
        runId,
        repoRoot: this.repoRoot,
        worktree: this.treeOf(pkg),
        resultFile: files.result,
        upstream: pkg.dependsOn.map((d) => ({
          packageId: d.value,
          resultFile: attemptFiles(attemptDir(this.repoRoot, this.featureId, runId, d.value, 1)).result,
          changedFiles: [],
        })),
      });
      return { packageId: id, file: files.prompt, text };
    });
    return { order, prompts };
  }

  /** Packages restricted to `ids`, with dependencies outside them dropped (they are not run). */
  private restrictTo(packages: SchedPackage[], ids: string[]): SchedPackage[] {
    const set = new Set(ids);
    return packages.filter((p) => set.has(p.id)).map((p) => ({ ...p, dependsOn: p.dependsOn.filter((d) => set.has(d)) }));
  }

  private scopeIds(): string[] {
    const ids = this.sched.map((p) => p.id);
    return this.only ? ids.filter((id) => this.only!.includes(id)) : ids;
  }

  private pkg(id: string): PlanPackage | undefined {
    return this.analysisNow.plan.packages.find((p) => p.id === id);
  }

  private isolated(pkg: PlanPackage): boolean {
    return pkg.worktree?.mode !== 'shared';
  }

  private treeOf(pkg: PlanPackage): string {
    return this.isolated(pkg) ? worktreePath(this.repoRoot, this.featureId, pkg.id, this.options.worktreesFolder) : this.repoRoot;
  }

  // -------------------------------------------------------------------------------------
  // Run

  private get state(): RunState {
    return this.stateNow!;
  }

  /** Drives the run to its end. Throws `LeaseHeldError` when another engine drives it. */
  async run(options: { resume?: boolean } = {}): Promise<RunOutcome> {
    if (this.storeNow) throw new Error('RunEngine.run() was already called');
    const policy = this.options.verification ?? 'refuse-unapproved';
    const commands = this.verificationCommands();
    const approvals = approvalsFile(this.repoRoot);
    if (commands.length === 0 || isApproved(approvals, this.planFile, commands)) this.approvedCommands = commands;
    else if (policy === 'refuse-unapproved') throw new VerificationNotApprovedError(toPosix(path.relative(this.repoRoot, this.planFile)), commands);
    else if (policy === 'approved') {
      await fs.promises.mkdir(path.dirname(approvals), { recursive: true });
      await approve(approvals, this.planFile, commands, this.clock());
      this.approvedCommands = commands;
    }

    this.lease = Lease.claim(leaseFile(this.repoRoot, this.featureId), { leaseMs: this.options.leaseMs });
    try {
      this.lease.startHeartbeat(() => this.leaseLost());
      await this.setUp(options.resume === true);
    } catch (err) {
      this.stopDriving();
      this.lease.release();
      throw err;
    }
    return new Promise<RunOutcome>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
      this.poller = setInterval(() => this.poll(), this.pollMs);
      this.wake();
    });
  }

  private verificationCommands(): string[] {
    const out: string[] = [];
    for (const id of this.scopeIds()) {
      for (const step of this.pkg(id)?.verification?.steps ?? []) if (step.kind === 'command' && step.command) out.push(step.command);
    }
    return out;
  }

  private async setUp(resume: boolean): Promise<void> {
    const now = this.clock();
    const planRel = toPosix(path.relative(this.repoRoot, this.planFile));
    const fresh = () =>
      createRunState({
        featureId: this.featureId,
        planFile: planRel,
        ...(this.analysisNow.plan.feature?.planRevision !== undefined ? { planRevision: this.analysisNow.plan.feature.planRevision } : {}),
        planHash: this.planHash,
        runId: newRunId(now),
        packageIds: this.sched.map((p) => p.id),
        now,
      });
    const store = new RunStore({ workspaceRoot: this.repoRoot, featureId: this.featureId, createInitial: fresh, coalesceMs: 0 });
    this.storeNow = store;
    store.onDidReportProblem((p) => this.problem(p.message));
    const loaded = await store.load();
    if (store.readOnly) throw new Error(`${store.file} was written by a newer version of Wave Orchestrator; it is left as it is.`);
    let state = loaded.state;
    let resumed = loaded.source !== 'initial';
    if (resumed && !resume && this.isFinished(state)) {
      // A new run of a feature whose earlier run ended: archive it (history), start afresh.
      state = (await store.startNewRun(fresh())).state;
      resumed = false;
    }
    this.stateNow = state;
    await ensureExcluded(this.repoRoot, '.waves/');

    this.update({ ok: true, state: ensurePackages(this.state, this.sched.map((p) => p.id), now) });
    if (this.state.planHash !== this.planHash) this.planChanged(this.planHash, []);
    await this.ensureIntegration();
    this.emit({
      type: 'run-started',
      runId: this.state.runId,
      featureId: this.featureId,
      packages: this.scopeIds(),
      maxParallel: this.maxParallel,
      mode: this.mode,
      resumed,
    });
    if (resumed) await this.reconcile();
    await store.flush();
  }

  /** Every package of the run's scope terminal, none interrupted. */
  private isFinished(state: RunState): boolean {
    const ids = this.scopeIds().filter((id) => Object.hasOwn(state.packages, id));
    return ids.every((id) => {
      const s = state.packages[id]!.status;
      return isTerminal(s) && s !== 'interrupted';
    });
  }

  // -------------------------------------------------------------------------------------
  // State changes

  private emit(event: EngineEvent): void {
    this.emitter.fire(event);
  }

  /** A profiling mark (`options.trace`); free when nobody traces. */
  private mark(step: string, packageId: string): void {
    this.options.trace?.(step, packageId);
  }

  private problem(message: string, packageId?: string): void {
    this.emit({ type: 'problem', message, ...(packageId !== undefined ? { packageId } : {}) });
  }

  /** Saves a reducer result; false (and a problem) when it was refused. */
  private update(result: RunStateResult): boolean {
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
    this.storeNow!.save(result.state);
    return true;
  }

  /** Applies one event, saves, and tells listeners when the status changed. */
  private apply(event: RunEvent, detail?: string): boolean {
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

  private leaseLost(): void {
    if (this.stopped) return;
    this.problem('This engine lost the run lease to another engine; it stops driving the run (agents keep running).');
    this.stopDriving();
    this.fail?.(new Error('the run lease was lost to another engine'));
  }

  private stopDriving(): void {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    for (const a of this.live.values()) a.watcher?.close();
    this.live.clear();
    this.passEnded(Infinity);
    this.lease?.stopHeartbeat();
  }

  /** Stops watching; never kills agents (a later `run({resume: true})` adopts them). */
  dispose(): void {
    this.stopDriving();
    this.lease?.release();
    this.storeNow?.dispose();
    this.emitter.dispose();
  }

  // -------------------------------------------------------------------------------------
  // Integration branch

  private async ensureIntegration(): Promise<void> {
    const head = await gitOut(this.repoRoot, ['rev-parse', 'HEAD']);
    const integration = await ensureIntegration({
      repo: this.repoRoot,
      branch: integrationBranch(this.featureId),
      worktree: integrationPath(this.repoRoot, this.featureId, this.options.worktreesFolder),
      base: head,
      reason: `Wave Orchestrator: integration branch of ${this.featureId}`,
    });
    let { tipSha, baseSha } = integration;
    if (!this.state.integration && tipSha !== head) {
      // A new run of the feature on an integration branch of an earlier run.
      if (await isAncestor(this.repoRoot, tipSha, head)) {
        await git(integration.worktree, ['merge', '--ff-only', '-q', head]);
        tipSha = baseSha = head;
      } else {
        this.problem(`${integration.branch} holds commits your branch lacks (an earlier run's); this run builds on them.`);
      }
    }
    const base = this.state.integration?.baseSha ?? baseSha;
    this.update(setIntegration(this.state, { branch: integration.branch, worktree: integration.worktree, baseSha: base, tipSha }, this.clock()));
  }

  // -------------------------------------------------------------------------------------
  // The loop

  private wake(): void {
    if (this.stopped) return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    void (async () => {
      try {
        do {
          this.passAgain = false;
          const seq = ++this.passSeq;
          await this.pass();
          this.passEnded(seq);
        } while (this.passAgain && !this.stopped);
      } catch (err) {
        this.problem(`The engine hit an error: ${errorText(err)}`);
        this.stopDriving();
        this.lease?.release();
        this.fail?.(err);
      } finally {
        this.passRunning = false;
      }
    })();
  }

  private passEnded(seq: number): void {
    const done = this.passWaiters.filter((w) => w.after < seq);
    this.passWaiters = this.passWaiters.filter((w) => w.after >= seq);
    for (const w of done) w.resolve();
  }

  /**
   * Wakes the loop and resolves when a pass begun after this call ended and the launches
   * under way then are over (at once when the engine stopped driving).
   */
  private async wakeAndLaunch(): Promise<void> {
    const after = this.passSeq;
    this.wake();
    if (!this.stopped) await new Promise<void>((resolve) => this.passWaiters.push({ after, resolve }));
    await Promise.allSettled([...this.launches]);
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    await this.pickUpCancelRequests();
    await this.checkPlan();
    const now = this.clock();

    // Expired locks leave the table.
    const table = this.locks.read();
    if (expireLocks(table, now).expired.length > 0) await this.locks.update((t) => expireLocks(t, now).table);

    const decision = schedule({
      packages: this.sched,
      state: this.state,
      locks: this.locks.read(),
      featureId: this.featureId,
      maxParallel: this.maxParallel,
      mode: this.mode,
      ...(this.only ? { only: this.only } : {}),
      now,
    });
    for (const event of decision.events) this.apply(event, event.type === 'blocked' ? `blocked by ${event.by.join(', ')}` : undefined);
    for (const id of decision.start) this.mark('scheduled', id);
    if (this.runCancelled) {
      this.cancelNotStarted();
    } else {
      for (const id of decision.start) this.apply({ type: 'queued', packageId: id });
      await Promise.all(decision.start.map((id) => this.startPackage(id)));
      if (decision.waiting.some((w) => w.reason === 'lock')) this.lockRetryAt = Date.now() + this.pollMs;
    }
    await this.storeNow!.flush();

    const busy = this.live.size + this.finishing.size + this.starting.size;
    const activeLeft = Object.values(this.state.packages).some((r) => isActive(r.status));
    if (busy === 0 && !activeLeft && (decision.done || this.runCancelled) && decision.start.length === 0) await this.complete();
  }

  private poll(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const attempt of this.live.values()) {
      void this.checkAttempt(attempt);
      if (now - attempt.checkedAt > 5 * this.pollMs) {
        attempt.checkedAt = now;
        void this.checkRunnerAlive(attempt);
      }
    }
    if (this.lockRetryAt && now >= this.lockRetryAt) {
      this.lockRetryAt = 0;
      this.wake();
    }
    const folder = featureRunsFolder(this.repoRoot, this.featureId);
    try {
      if (fs.readdirSync(folder).some((f) => CANCEL_REQUEST.test(f))) this.wake();
    } catch {
      /* no folder yet */
    }
    if (planKey(this.planFile) !== this.planStat) this.wake();
  }

  private async pickUpCancelRequests(): Promise<void> {
    const folder = featureRunsFolder(this.repoRoot, this.featureId);
    let names: string[];
    try {
      names = (await fs.promises.readdir(folder)).filter((f) => CANCEL_REQUEST.test(f)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(folder, name);
      const request = readJson(file) as { packageId?: unknown } | undefined;
      await fs.promises.rm(file, { force: true });
      const id = typeof request?.packageId === 'string' ? request.packageId : undefined;
      await this.cancel(id);
    }
  }

  /** The plan changed on disk: report it, add new packages; nothing running is touched. */
  private async checkPlan(): Promise<void> {
    const key = planKey(this.planFile);
    if (key === this.planStat) return;
    this.planStat = key;
    if (key === 'gone') return;
    const text = await fs.promises.readFile(this.planFile, 'utf8');
    const hash = sha256(text);
    if (hash === this.planHash) return;
    const analysis = analyzePlan(text, { maxParallel: this.maxParallel });
    if (!analysis.valid) {
      this.planHash = hash;
      this.problem('The plan changed on disk and now has errors; the run goes on with the plan it started from.');
      return;
    }
    const before = new Set(Object.keys(this.state.packages));
    this.analysisNow = analysis;
    this.sched = schedPackagesFromAnalysis(analysis);
    this.planHash = hash;
    this.update({ ok: true, state: ensurePackages(this.state, this.sched.map((p) => p.id), this.clock()) });
    this.planChanged(hash, this.sched.map((p) => p.id).filter((id) => !before.has(id)));
  }

  private planChanged(hash: string, added: string[]): void {
    this.update(setPlanHash(this.state, hash, this.clock()));
    this.emit({ type: 'plan-changed', planHash: hash, added });
  }

  // -------------------------------------------------------------------------------------
  // Starting a package

  /**
   * Takes the package's locks (the pass waits for this, so the next schedule() sees them),
   * then launches it in the background: the pass does not wait for worktrees and runners.
   */
  private async startPackage(id: string): Promise<void> {
    const pkg = this.pkg(id);
    const sp = this.sched.find((p) => p.id === id);
    if (!pkg || !sp) return;
    this.starting.add(id);
    let launching = false;
    try {
      const conflict = await this.takeLocks(id, sp);
      this.mark('locks-taken', id);
      if (conflict) {
        this.apply({ type: 'reset', packageId: id }, `waiting: ${conflict}`);
        this.lockRetryAt = Date.now() + this.pollMs;
        return;
      }
      const launch: Promise<void> = this.launchPackage(pkg, id).finally(() => {
        this.launches.delete(launch);
        this.starting.delete(id);
        this.wake();
      });
      this.launches.add(launch);
      launching = true;
    } catch (err) {
      await this.couldNotStart(id, err);
    } finally {
      if (!launching) {
        this.starting.delete(id);
        this.wake();
      }
    }
  }

  /** Locks: all or nothing in the repository's table; the conflict, or null when taken. A package without locks leaves the table alone. */
  private async takeLocks(id: string, sp: SchedPackage): Promise<string | null> {
    if (sp.lockFiles.length === 0 && sp.lockKeys.length === 0) return null;
    let conflict: string | null = null;
    await this.locks.update((table) => {
      const taken = acquireLocks(
        table,
        {
          featureId: this.featureId,
          runId: this.state.runId,
          holder: id,
          files: sp.lockFiles,
          keys: sp.lockKeys,
          ...(sp.lockTtlMs ? { ttlMs: sp.lockTtlMs } : {}),
        },
        this.clock(),
      );
      if (taken.ok) return taken.table;
      const first = taken.conflicts[0];
      conflict = taken.problem ?? (first ? `${first.witness} is locked by ${first.entry.featureId}/${first.entry.holder}` : 'a lock is taken');
      return table;
    });
    return conflict;
  }

  private async couldNotStart(id: string, err: unknown): Promise<void> {
    this.problem(`Could not start ${id}: ${errorText(err)}`, id);
    await this.releaseLocksOf(id).catch(() => undefined);
    const status = this.state.packages[id]?.status;
    if (status === 'queued' || status === 'running') this.apply({ type: 'failed', packageId: id, reason: `could not start: ${errorText(err)}` });
  }

  /**
   * The package's tree, its prompt and spec, and the queued state on disk — at once, since
   * none needs another (the tree's path is known before it exists) — then the runner.
   */
  private async launchPackage(pkg: PlanPackage, id: string): Promise<void> {
    try {
      const attempt = this.state.packages[id]!.attempts + 1;
      const dir = attemptDir(this.repoRoot, this.featureId, this.state.runId, id, attempt);
      const files = attemptFiles(dir);
      const worktree = this.treeOf(pkg);
      const agent = this.options.agentFor?.(id) ?? this.options.agent;
      const token = randomBytes(16).toString('hex');

      const tree = this.prepareTree(pkg, dir);
      const written = (async () => {
        await fs.promises.mkdir(dir, { recursive: true });
        const upstream = pkg.dependsOn.map((d) => {
          const r = this.state.packages[d.value];
          return { packageId: d.value, resultFile: r?.resultFile ?? null, changedFiles: r?.changedFiles ?? [] };
        });
        const prompt = buildPrompt({
          analysis: this.analysisNow,
          packageId: id,
          featureId: this.featureId,
          runId: this.state.runId,
          repoRoot: this.repoRoot,
          worktree,
          resultFile: files.result,
          upstream,
        });
        await fs.promises.writeFile(files.prompt, prompt);
        const { argv, stdinFile } = expandAgent(agent, {
          promptFile: files.prompt,
          packageId: id,
          worktree,
          feature: this.featureId,
          resultFile: files.result,
          attemptDir: dir,
        });
        const timeoutMinutes = pkg.timeoutMinutes ?? this.analysisNow.plan.defaults.timeoutMinutes;
        const spec = {
          version: 1,
          argv,
          cwd: worktree,
          env: {
            ...this.options.env,
            WAVES_PACKAGE_ID: id,
            WAVES_FEATURE_ID: this.featureId,
            WAVES_RESULT_FILE: files.result,
            WAVES_ATTEMPT_DIR: dir,
          },
          interactive: agent.interactive,
          stdinFile,
          timeoutMs: timeoutMinutes ? Math.round(timeoutMinutes * (this.options.minuteMs ?? 60_000)) : null,
          graceMs: this.graceMs,
          startToken: token,
          verdict: agent.verdict,
          needsInputPattern: agent.needsInputPattern ?? null,
        };
        await writeAtomic(files.spec, JSON.stringify(spec, null, 2) + '\n');
        this.mark('spec-written', id);
      })();
      // The queued state is on disk before a runner exists (a resume then finds its meta.json).
      const saved = this.storeNow!.flush();
      const [treeDone, writtenDone, savedDone] = await Promise.allSettled([tree, written, saved]);
      if (treeDone.status === 'rejected') {
        await this.releaseLocksOf(id);
        this.apply({ type: 'failed', packageId: id, reason: errorText(treeDone.reason) });
        return;
      }
      if (writtenDone.status === 'rejected') throw writtenDone.reason;
      if (savedDone.status === 'rejected') throw savedDone.reason;
      this.mark('tree-ready', id);
      if (treeDone.value.worktree !== worktree) throw new Error(`the tree ${treeDone.value.worktree} is not the expected ${worktree}`);

      const live: LiveAttempt = { packageId: id, attempt, dir, token, watcher: null, checkedAt: Date.now(), launchedAt: Date.now(), launched: null, started: false, handled: false };
      this.watch(live);
      let launched: LaunchResult;
      try {
        launched = await this.launcher.launch({
          packageId: id,
          attempt,
          title: `waves: ${id} #${attempt}`,
          attemptDir: dir,
          startToken: token,
          command: process.execPath,
          args: [this.runnerScript, dir, token],
          cwd: worktree,
          env: {},
          interactive: agent.interactive,
        });
      } catch (err) {
        this.unwatch(live);
        await this.releaseLocksOf(id);
        this.apply({ type: 'failed', packageId: id, reason: `the runner could not start: ${errorText(err)}` });
        return;
      }
      live.launched = launched;
      this.mark('launched', id);
      this.apply({
        type: 'started',
        packageId: id,
        attempt,
        startToken: token,
        worktree,
        branch: treeDone.value.branch,
        baseSha: treeDone.value.baseSha,
        logFile: files.log,
        resultFile: files.result,
        pid: launched.pid,
      });
      live.started = true;
      await this.storeNow!.flush();
      this.mark('started-saved', id);
      void launched.exited?.then(() => this.runnerEnded(live));
      if (this.cancelRequested.has(id) || this.runCancelled) await fs.promises.writeFile(files.cancel, '').catch(() => undefined);
      void this.checkAttempt(live);
    } catch (err) {
      await this.couldNotStart(id, err);
    }
  }

  /**
   * The package's tree. Isolated: its worktree on `waves/<feature>/<package>`, created from
   * the integration branch's tip (every dependency's merged result); a retry reuses the
   * branch (committed work stays) and merges the tip into it when it lacks it.
   */
  private async prepareTree(pkg: PlanPackage, dir: string): Promise<{ worktree: string; branch: string | null; baseSha: string }> {
    if (!this.isolated(pkg)) return { worktree: this.repoRoot, branch: null, baseSha: await gitOut(this.repoRoot, ['rev-parse', 'HEAD']) };
    const integration = this.state.integration!;
    const tree = await createWorktree({
      repo: this.repoRoot,
      path: worktreePath(this.repoRoot, this.featureId, pkg.id, this.options.worktreesFolder),
      branch: packageBranch(this.featureId, pkg.id),
      // The integration branch's tip: every dependency's merged result (createWorktree resolves it).
      base: `refs/heads/${integration.branch}`,
      reason: `Wave Orchestrator: run ${this.state.runId} of ${this.featureId}`,
    });
    if (tree.how !== 'reused' && this.options.setupHook?.length) {
      const hook = await runSetupHook(tree.path, this.options.setupHook, path.join(dir, 'setup.log'));
      if (!hook.ok) {
        const how = hook.signal ? `killed by ${hook.signal}` : `exit ${hook.code ?? '?'}`;
        throw new Error(`the set-up hook ${this.options.setupHook.join(' ')} failed (${how})${hook.tail ? `:\n${hook.tail}` : ''}`);
      }
    }
    return { worktree: tree.path, branch: tree.branch, baseSha: tree.baseSha };
  }

  private async releaseLocksOf(id: string): Promise<void> {
    // Only this engine adds this run's entries (it holds the lease): none on disk, nothing to release.
    if (!this.locks.read().locks.some((e) => e.featureId === this.featureId && e.holder === id)) return;
    await this.locks.update((t) => releaseLocks(t, { featureId: this.featureId, holder: id }));
  }

  // -------------------------------------------------------------------------------------
  // Watching attempts

  private watch(live: LiveAttempt): void {
    this.live.set(live.packageId, live);
    try {
      live.watcher = fs.watch(live.dir, () => void this.checkAttempt(live));
      live.watcher.on('error', () => {
        live.watcher?.close();
        live.watcher = null;
      });
    } catch {
      live.watcher = null; // the slow poll covers it
    }
  }

  private unwatch(live: LiveAttempt): void {
    live.watcher?.close();
    live.watcher = null;
    if (this.live.get(live.packageId) === live) this.live.delete(live.packageId);
  }

  private async checkAttempt(live: LiveAttempt): Promise<void> {
    // Before `started` is applied, the launch's own check after it will look (see `started`).
    if (live.handled || this.stopped || !live.started) return;
    const files = attemptFiles(live.dir);
    const exit = fs.existsSync(files.exit) ? readExit(files.exit) : null;
    if (exit && exit.startToken === live.token) {
      live.handled = true;
      this.mark('exit-seen', live.packageId);
      this.unwatch(live);
      await this.afterExit(live.packageId, exit);
      return;
    }
    const record = this.state.packages[live.packageId];
    if (record?.status !== 'running') return;
    const needs = readJson(files.needsInput) as { reason?: unknown } | undefined;
    if (needs && typeof needs.reason === 'string' && needs.reason) {
      if (record.needsInput?.reason !== needs.reason) {
        this.apply({ type: 'needsInput', packageId: live.packageId, reason: needs.reason });
        this.emit({ type: 'needs-input', packageId: live.packageId, reason: needs.reason });
      }
    } else if (record.needsInput && !fs.existsSync(files.needsInput)) {
      this.apply({ type: 'inputResumed', packageId: live.packageId });
      this.emit({ type: 'needs-input', packageId: live.packageId, reason: null });
    }
  }

  /** The launcher saw the runner end: without exit.json (bad spec, crash) the attempt failed. */
  private async runnerEnded(live: LiveAttempt): Promise<void> {
    await this.checkAttempt(live);
    if (live.handled || this.stopped) return;
    live.handled = true;
    this.unwatch(live);
    await this.lostRunner(live, 'failed', 'the runner ended without writing exit.json (see its log)');
  }

  private async checkRunnerAlive(live: LiveAttempt): Promise<void> {
    if (!live.started) return; // still launching: the launcher answers (or fails) first
    const pid = attemptRunnerPid(attemptFiles(live.dir).meta, this.state.packages[live.packageId]?.pid ?? null);
    if (pid && (await isRunnerAlive(pid, live.token))) return;
    // Its pid unknown (a launcher that cannot tell) and no meta.json yet: give it time to start.
    if (!pid && Date.now() - live.launchedAt < this.runnerStartMs) return;
    await this.checkAttempt(live);
    if (live.handled || this.stopped) return;
    live.handled = true;
    this.unwatch(live);
    if (pid) await this.lostRunner(live, 'interrupted', 'the runner stopped without an exit record');
    else await this.lostRunner(live, 'failed', `the runner did not start within ${Math.round(this.runnerStartMs / 1000)} s (no meta.json; see its terminal)`);
  }

  private async lostRunner(live: LiveAttempt, as: 'failed' | 'interrupted', reason: string): Promise<void> {
    const id = live.packageId;
    this.finishing.add(id);
    try {
      if (this.state.packages[id]?.status === 'running') this.apply({ type: as, packageId: id, reason });
      await this.releaseLocksOf(id);
    } finally {
      this.finishing.delete(id);
      this.wake();
    }
  }

  // -------------------------------------------------------------------------------------
  // After the agent exited

  private async afterExit(id: string, exit: ExitRecord): Promise<void> {
    this.finishing.add(id);
    try {
      await this.processExit(id, exit);
    } catch (err) {
      this.problem(`${id}: ${errorText(err)}`, id);
      const status = this.state.packages[id]?.status;
      if (status === 'running' || status === 'verifying') this.apply({ type: 'failed', packageId: id, reason: errorText(err) });
    } finally {
      await this.releaseLocksOf(id).catch((err) => this.problem(`Could not release the locks of ${id}: ${errorText(err)}`));
      this.finishing.delete(id);
      await this.storeNow?.flush();
      this.wake();
    }
  }

  private async processExit(id: string, exit: ExitRecord): Promise<void> {
    const pkg = this.pkg(id)!;
    const record = this.state.packages[id]!;
    const clean = exit.code === 0 && !exit.signal && !exit.timedOut && !exit.cancelled;
    /** The leftovers were committed just now (a fresh exit); a resumed `verifying` package commits them below. */
    let committed = false;

    if (record.status === 'running') {
      if (exit.cancelled || this.cancelRequested.has(id) || this.runCancelled) {
        this.apply({ type: 'cancelled', packageId: id, reason: exit.reason || 'cancelled' });
        this.apply({ type: 'exited', packageId: id, exitCode: exit.code, signal: exit.signal });
        return;
      }
      if (clean) {
        const head = this.isolated(pkg) ? await this.commitLeftovers(pkg, record.attempts) : null;
        committed = true;
        this.mark('committed', id);
        this.apply({ type: 'exited', packageId: id, exitCode: 0, ...(head ? { headSha: head } : {}) });
      } else {
        const outcome = decideOutcome({
          exitCode: exit.code,
          signal: exit.signal,
          timedOut: exit.timedOut,
          cancelled: false,
          verdict: exit.verdict,
          changedFiles: [],
          resultRecord: null,
        });
        const reason = outcome.next === 'failed' ? outcome.reason : exit.reason || 'the agent failed';
        const head = this.isolated(pkg) ? await this.headOf(pkg) : null;
        this.apply({
          type: 'exited',
          packageId: id,
          exitCode: exit.code,
          signal: exit.signal,
          reason,
          ...(head ? { headSha: head } : {}),
        });
        return;
      }
    } else if (record.status !== 'verifying') {
      return; // cancelled / interrupted while the exit was on its way: nothing more to do
    }

    // verifying: verdict → audit → verification → merge.
    if (this.isolated(pkg) && !committed) await this.commitLeftovers(pkg, record.attempts);
    const changes = await this.changesOf(pkg);
    this.mark('audited', id);
    const readout = this.readResult(this.state.packages[id]!.resultFile);
    for (const warning of readout.warnings) this.problem(`${id}: result record: ${warning}`, id);
    const outcome = decideOutcome({
      exitCode: exit.code,
      signal: exit.signal,
      timedOut: exit.timedOut,
      cancelled: exit.cancelled,
      verdict: exit.verdict,
      changedFiles: changes,
      resultRecord: readout.record,
    });
    this.apply({ type: 'audited', packageId: id, changedFiles: changes as ChangedFile[] });
    if (outcome.next === 'failed') {
      this.apply({ type: 'failed', packageId: id, reason: outcome.reason });
      return;
    }
    if (outcome.next === 'cancelled') {
      this.apply({ type: 'cancelled', packageId: id, reason: outcome.reason });
      return;
    }
    const audit = auditScope(changes, {
      writeAllow: pkg.scope.writeAllow.map((l) => l.value),
      deny: pkg.scope.deny.map((l) => l.value),
    });
    for (const d of audit.deletions) if (d.allowed) this.problem(`${id} deleted ${d.path} (inside its scope; check it is meant)`, id);
    if (!audit.ok) {
      this.apply(
        { type: 'scopeViolation', packageId: id, paths: audit.violations.map(({ path: p, change }) => ({ path: p, change })) },
        audit.violations.map((v) => v.message).join('; '),
      );
      if (this.isolated(pkg)) this.update(recordMerge(this.state, id, { status: 'skipped' }, this.clock()));
      return;
    }

    if (!(await this.verify(pkg))) return;
    this.mark('verified', id);
    if (this.cancelRequested.has(id) || this.runCancelled) {
      this.apply({ type: 'cancelled', packageId: id, reason: 'cancelled before its merge' });
      return;
    }

    if (!this.isolated(pkg)) {
      this.update(recordMerge(this.state, id, { status: 'skipped' }, this.clock()));
      this.apply({ type: 'succeeded', packageId: id });
      return;
    }
    const merged = await this.serialMerge(pkg);
    this.mark('merged', id);
    if (merged) {
      this.apply({ type: 'succeeded', packageId: id });
      // Dependents first (handoff), then the clean-up of this worktree.
      await this.releaseLocksOf(id);
      this.mark('locks-released', id);
      // The clean-up's git calls wait until the dependents are launched: they would only compete with them.
      await this.wakeAndLaunch();
      await this.removeWorktree(pkg);
    }
  }

  private readResult(file: string | null): ResultReadout {
    if (!file) return readResultRecord(null);
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = null;
    }
    return readResultRecord(text);
  }

  private async headOf(pkg: PlanPackage): Promise<string | null> {
    try {
      return await gitOut(worktreePath(this.repoRoot, this.featureId, pkg.id, this.options.worktreesFolder), ['rev-parse', 'HEAD']);
    } catch {
      return null;
    }
  }

  /** Commits what the agent left uncommitted in its worktree; returns the branch's tip. */
  private async commitLeftovers(pkg: PlanPackage, attempt: number): Promise<string | null> {
    const wt = worktreePath(this.repoRoot, this.featureId, pkg.id, this.options.worktreesFolder);
    const commit = await commitAll(wt, `waves: ${pkg.id} (attempt ${attempt}): the agent's uncommitted changes`);
    return commit ?? this.headOf(pkg);
  }

  /** What the package changed: committed since the integration tip it forked from, plus anything uncommitted. */
  private async changesOf(pkg: PlanPackage): Promise<AuditChange[]> {
    const record = this.state.packages[pkg.id]!;
    if (!this.isolated(pkg)) {
      const status = parseStatusZ((await git(this.repoRoot, ['status', '--porcelain=v1', '-z', '--untracked-files=all'])).stdout);
      return mergeChanges(
        status.map((e) => ({ path: e.path, change: e.index === '?' ? ('?' as const) : toFileChange(statusChange(e)) })),
      );
    }
    const wt = worktreePath(this.repoRoot, this.featureId, pkg.id, this.options.worktreesFolder);
    return (await auditChanges({ worktree: wt, baseSha: record.baseSha ?? this.state.integration!.tipSha })).changes;
  }

  /**
   * The package's `command` verification steps (verify.ts), in its tree, when the plan's
   * list of commands is approved (approving the plan's list approves each package's part of
   * it; nothing is written per package — concurrent writes of approvals.json could lose one).
   * True when they all pass or none ran; a failure fails the package.
   */
  private async verify(pkg: PlanPackage): Promise<boolean> {
    const steps = (pkg.verification?.steps ?? [])
      .filter((s) => s.kind === 'command' && s.command)
      .map((s) => ({ step: s.name, command: s.command! }));
    if (steps.length === 0) return true;
    if (!this.approvedCommands) {
      this.problem(`${pkg.id}: its ${steps.length} verification command(s) were not run: the plan's commands are not approved`, pkg.id);
      return true;
    }
    const record = this.state.packages[pkg.id]!;
    const approvals = approvalsFile(this.repoRoot);
    const results = await runVerification({
      approvalsFile: approvals,
      planFile: this.planFile,
      approvedList: this.approvedCommands,
      cwd: record.worktree ?? this.treeOf(pkg),
      attemptDir: attemptDir(this.repoRoot, this.featureId, this.state.runId, pkg.id, record.attempts),
      steps,
      onCommand: (step) => this.emit({ type: 'package', packageId: pkg.id, status: 'verifying', attempt: record.attempts, detail: `$ ${step.command}` }),
    });
    for (const [i, r] of results.entries()) {
      this.apply({ type: 'verificationResult', packageId: pkg.id, step: r.step, ok: r.ok, detail: r.detail });
      this.emit({ type: 'verification', packageId: pkg.id, step: r.step, ok: r.ok, command: steps[i]!.command });
    }
    const failing = results.filter((r) => !r.ok);
    if (failing.length === 0) return true;
    this.apply({ type: 'failed', packageId: pkg.id, reason: `verification failed: ${failing.map((r) => r.detail).join('; ')}` });
    return false;
  }

  private serialMerge(pkg: PlanPackage): Promise<boolean> {
    const run = this.mergeChain.then(() => this.merge(pkg));
    this.mergeChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Merges the package's branch into the integration branch after a merge-tree pre-check. */
  private async merge(pkg: PlanPackage): Promise<boolean> {
    const id = pkg.id;
    this.mark('merge-start', id);
    const integration = this.state.integration!;
    const branch = packageBranch(this.featureId, id);
    const wt = integration.worktree;
    // One git call on the usual path: is the branch already in the integration tip? (128: no such branch.)
    const inTip = await git(wt, ['merge-base', '--is-ancestor', `refs/heads/${branch}`, 'HEAD'], [0, 1, 128]);
    if (inTip.code === 128 && !(await revParse(this.repoRoot, `refs/heads/${branch}`))) throw new Error(`the branch ${branch} is gone`);
    if (inTip.code === 128) throw new Error(`git merge-base --is-ancestor ${branch} HEAD failed in ${wt}: ${inTip.stderr.trim()}`);
    if (inTip.code === 0) {
      // Merged before a crash (resume): record it.
      const tip = await gitOut(wt, ['rev-parse', 'HEAD']);
      this.update(recordMerge(this.state, id, { status: 'merged', files: [], commit: tip }, this.clock()));
      this.emit({ type: 'merge', packageId: id, ok: true });
      return true;
    }
    const result = await mergePackage(wt, branch, `waves: merge ${id} into ${integration.branch}`);
    if (!result.merged) {
      const conflicts = result.conflicts;
      this.update(recordMerge(this.state, id, { status: 'conflict', files: conflicts }, this.clock()));
      this.emit({ type: 'merge', packageId: id, ok: false, conflicts });
      this.apply({
        type: 'failed',
        packageId: id,
        reason: `merge conflict with ${integration.branch} in ${conflicts.join(', ') || 'some files'}; the branch ${branch} keeps the work`,
      });
      return false;
    }
    this.update(recordMerge(this.state, id, { status: 'merged', files: result.files, commit: result.commit }, this.clock()));
    this.update(setIntegration(this.state, { ...integration, tipSha: result.commit }, this.clock()));
    this.emit({ type: 'merge', packageId: id, ok: true });
    return true;
  }

  /** A merged package's worktree goes when it is clean (never forced); its branch stays while git wants it. */
  private async removeWorktree(pkg: PlanPackage): Promise<void> {
    const wt = worktreePath(this.repoRoot, this.featureId, pkg.id, this.options.worktreesFolder);
    try {
      const r = await removeWorktreeIfSafe({
        repo: this.repoRoot,
        worktree: wt,
        branch: packageBranch(this.featureId, pkg.id),
        mergedInto: this.state.integration!.branch,
      });
      if (!r.removed && r.reason) this.problem(`Kept the worktree of ${pkg.id}: ${r.reason}`, pkg.id);
    } catch (err) {
      this.problem(`Kept the worktree ${wt}: ${errorText(err)}`, pkg.id);
    }
  }

  // -------------------------------------------------------------------------------------
  // Resume

  /** After a crash: adopt live runners, process exits that came meanwhile, re-offer the rest. */
  private async reconcile(): Promise<void> {
    for (const record of Object.values(this.state.packages)) {
      const id = record.packageId;
      if (record.status === 'queued') {
        const dir = attemptDir(this.repoRoot, this.featureId, this.state.runId, id, record.attempts + 1);
        const meta = readJson(attemptFiles(dir).meta) as { runnerPid?: number; startToken?: string } | undefined;
        if (meta?.startToken) {
          const pkg = this.pkg(id);
          this.apply({
            type: 'started',
            packageId: id,
            attempt: record.attempts + 1,
            startToken: meta.startToken,
            worktree: pkg ? this.treeOf(pkg) : this.repoRoot,
            logFile: attemptFiles(dir).log,
            resultFile: attemptFiles(dir).result,
            pid: meta.runnerPid ?? null,
          });
        } else {
          // Never launched (or launched and not yet started: its spec's token is replaced by the next attempt).
          this.apply({ type: 'reset', packageId: id }, 'the engine stopped before its runner started');
          await this.releaseLocksOf(id);
          continue;
        }
      }
      const now = this.state.packages[id]!;
      if (now.status !== 'running' && now.status !== 'verifying') continue;
      const dir = attemptDir(this.repoRoot, this.featureId, this.state.runId, id, now.attempts);
      const files = attemptFiles(dir);
      const token = now.startToken ?? '';
      const live: LiveAttempt = { packageId: id, attempt: now.attempts, dir, token, watcher: null, checkedAt: Date.now(), launchedAt: Date.now(), launched: null, started: true, handled: false };
      const exit = readExit(files.exit);
      if (exit && exit.startToken === token) {
        live.handled = true;
        void this.afterExit(id, exit);
        continue;
      }
      const pid = attemptRunnerPid(files.meta, now.pid);
      if (now.status === 'running' && pid && (await isRunnerAlive(pid, token))) {
        this.watch(live);
        this.emit({ type: 'package', packageId: id, status: 'running', attempt: now.attempts, detail: `adopted the running agent (runner pid ${pid})` });
        void this.checkAttempt(live);
        continue;
      }
      this.apply({ type: 'interrupted', packageId: id, reason: 'the run stopped while it ran and its agent is gone (no exit record)' });
      await this.releaseLocksOf(id);
    }
    // Interrupted packages are offered again (unless a person is to choose); finished ones stay finished.
    if (this.options.keepInterrupted) return;
    for (const record of Object.values(this.state.packages)) {
      if (record.status === 'interrupted' && this.scopeIds().includes(record.packageId))
        this.apply({ type: 'reset', packageId: record.packageId }, 'offered again after the interruption');
    }
  }

  // -------------------------------------------------------------------------------------
  // Cancel

  /** Cancels one package, or the whole run when no id. Running agents are stopped by their runner. */
  async cancel(packageId?: string): Promise<void> {
    if (!this.stateNow) return;
    if (packageId === undefined) {
      this.runCancelled = true;
      for (const record of Object.values(this.state.packages)) await this.cancelOne(record.packageId);
    } else {
      await this.cancelOne(packageId);
    }
    this.wake();
  }

  private async cancelOne(id: string): Promise<void> {
    const record = this.state.packages[id];
    if (!record || isTerminal(record.status)) return;
    this.cancelRequested.add(id);
    if (record.status === 'running') {
      const dir = attemptDir(this.repoRoot, this.featureId, this.state.runId, id, record.attempts);
      await fs.promises.writeFile(attemptFiles(dir).cancel, `${this.clock().toISOString()}\n`).catch(() => undefined);
    } else if (record.status === 'pending' || record.status === 'ready') {
      this.apply({ type: 'cancelled', packageId: id, reason: 'cancelled' });
    }
    // queued: cancelled as soon as its runner starts (the cancel file) — verifying: before its merge.
  }

  private cancelNotStarted(): void {
    for (const record of Object.values(this.state.packages)) {
      if (record.status === 'pending' || record.status === 'ready') this.apply({ type: 'cancelled', packageId: record.packageId, reason: 'the run was cancelled' });
    }
  }

  // -------------------------------------------------------------------------------------
  // The end

  private async complete(): Promise<void> {
    if (this.stopped) return;
    const ids = this.scopeIds();
    const counts = countStatuses(this.state, ids);
    const results: Record<string, ResultReadout> = {};
    for (const id of ids) {
      const file = this.state.packages[id]?.resultFile;
      if (file) results[id] = this.readResult(file);
    }
    let reportFile: string | null = null;
    let speedup: number | null = null;
    try {
      const report = buildRunReport({ state: this.state, analysis: this.analysisNow, results, maxParallel: this.maxParallel });
      const files = reportFiles(this.repoRoot, this.featureId, this.state.runId);
      await fs.promises.mkdir(path.dirname(files.markdown), { recursive: true });
      await writeAtomic(files.json, JSON.stringify(report.json, null, 2) + '\n');
      await writeAtomic(files.markdown, report.markdown);
      reportFile = files.markdown;
      speedup = report.json.metrics.speedUp;
    } catch (err) {
      this.problem(`Could not write the run report: ${errorText(err)}`);
    }
    const all = ids.every((id) => this.state.packages[id]?.status === 'succeeded');
    const outcome: RunOutcomeKind = all ? 'succeeded' : this.runCancelled ? 'cancelled' : 'failed';
    await this.storeNow!.flush();
    const result: RunOutcome = {
      runId: this.state.runId,
      featureId: this.featureId,
      outcome,
      counts,
      reportFile,
      integrationBranch: this.state.integration?.branch ?? null,
      speedup,
      state: this.state,
    };
    this.stopDriving();
    this.lease?.release();
    this.emit({ type: 'run-finished', outcome, reportFile, counts, speedup });
    this.finish?.(result);
  }
}
