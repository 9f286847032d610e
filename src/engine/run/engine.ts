/**
 * `RunEngine`, the run engine's public class (docs/run-engine.md, "Engine API"): drives one
 * feature's run in one repository. It checks the plan's verification approval, claims the
 * run's lease and puts the parts together; each part does one job:
 *   loop.ts          the run loop and its set-up: passes, schedule(), wake and poll, the report
 *   holds.ts         why a package the schedule would start waits: usage limits, caps, hosts, budget
 *   launch.ts        launching an attempt: locks, tree, set-up hook, prompt + spec, the runner
 *   watch.ts         live attempts: exit seen (once, after `started`), needs-input, lost runners
 *   exit.ts          an exit processed: verdict, leftovers committed, audit, verification
 *   merge.ts         the integration branch and the merges into it, one batch at a time
 *   guard.ts         the integration guard: the plan's integration checks on the newest tip
 *   recovery.ts      resume (adopt or interrupt), cancel, cancel requests from other processes
 *   context.ts       what the parts share: the run's facts, the plan, its terms, and the run
 *                    state, changed only through reducer → RunStore → event
 *   liveAttempts.ts  the attempts this engine follows, changed only through its methods
 *   handoffs.ts      what a part asks of the loop (`LoopHandoffs`), given to its constructor
 * Where and how an attempt runs is the `Executor`'s (executor.ts; `LocalExecutor` by default).
 *
 * Nothing from a plan is run through a shell (agents and git by argv; verification commands
 * only through attempt/verification.ts, after approval). The user's branch and working tree are never
 * touched: packages work in their own worktrees and merge into `waves/<feature>/_integration`;
 * no `--force`, no reset. No `vscode`: the CLI and the editor drive the same class.
 */
import { sliceFor } from '../../core/run/contextSlice';
import fs from 'node:fs';
import path from 'node:path';
import { analyzePlan, type PlanAnalysis } from '../../core/plan/analyze';
import { isParent } from '../../core/plan/subPlans';
import { requiresOf } from '../../core/plan/placement';
import type { Event } from '../../core/util/events';
import { buildPrompt, joinPromptText } from '../../core/run/prompt';
import { leaseFile } from '../../core/run/runPaths';
import { checkEngineFolder } from '../../store/engineFolder';
import { readRegularFile } from '../../util/regularFile';
import type { RunStore } from '../../store/runStore';
import { simulate, type SchedPackage } from '../../core/run/schedule';
import { firstStarts } from '../../core/run/startAhead';
import { errorText, RunContext, toPosix } from './context';
import { Exits } from './exit';
import { warmGit } from '../git';
import { confinementAvailable, ConfinementUnavailableError, defaultRunnerScript, effectiveConfinement, LocalExecutor, wallsAsked, type Executor } from '../attempt';
import { HostsExecutor } from '../hosts';
import { Launches } from './launch';
import { Lease } from './lease';
import { forecastFile, writeForecast } from './pastRuns';
import { plannerPrompt } from './planners';
import { joinCoordinator } from './joinCoordinator';
import { findRepositoryRoot, loadPlan, planErrorLines } from '../plan';
import { RunLoop } from './loop';
import { Merges } from './merge';
import { Recovery, requestCancel } from './recovery';
import { Reviews } from './reviews';
import { IntegrationGuard } from './guard';
import { proposalGate } from '../planning';
import { NotARepositoryError, PlanInvalidError, ProposalNotApprovedError, type DryRun, type EngineEvent, type EngineOptions, type RunOutcome } from './types';
import { verificationCommands, approve, isApproved, VerificationNotApprovedError } from '../consent';
import { AttemptWatcher } from './watch';
import { capOf } from '../../core/plan/defaults';

export * from './types';
export { LeaseHeldError } from './lease';
export { VerificationNotApprovedError } from '../consent';
export type { Launcher, LaunchRequest, LaunchResult } from '../attempt';
export { childProcessLauncher } from '../attempt';
export type { Executor } from '../attempt';
export { LocalExecutor } from '../attempt';

/** Packages restricted to `ids`, with dependencies outside them dropped (they are not run). */
function restrictTo(packages: SchedPackage[], ids: string[]): SchedPackage[] {
  const set = new Set(ids);
  return packages.filter((p) => set.has(p.id)).map((p) => ({ ...p, dependsOn: p.dependsOn.filter((d) => set.has(d)) }));
}

export class RunEngine {
  private readonly ctx: RunContext;
  private readonly loop: RunLoop;
  private readonly recovery: Recovery;
  private begun = false;
  /** Every change of the run, for the CLI's progress and the editor. */
  readonly events: Event<EngineEvent>;

  private constructor(
    readonly repoRoot: string,
    readonly planFile: string,
    readonly featureId: string,
    analysis: PlanAnalysis,
    private readonly options: EngineOptions,
  ) {
    const where = { repoRoot, featureId };
    // The walls of every agent on this machine (ADR 0019): on unless the person chose otherwise;
    // whether bubblewrap can make them is tried as the run begins (a dry run starts no process).
    const walls = wallsAsked(options.confinement);
    const local = {
      ...where,
      ...(walls ? { walls } : {}),
      ...(options.launcher ? { launcher: options.launcher } : {}),
      ...(options.runnerScript ? { runnerScript: options.runnerScript } : {}),
      ...(options.worktreesFolder !== undefined ? { worktreesFolder: options.worktreesFolder } : {}),
      ...(options.setupHook ? { setupHook: options.setupHook } : {}),
      ...(options.copyFiles?.length ? { copyFiles: options.copyFiles } : {}),
      ...(options.layered && walls ? { layered: true } : {}),
    };
    const executor: Executor =
      options.executor?.(local, {
        requiresOf: (id) => {
          const pkg = this.ctx.pkg(id);
          return pkg ? requiresOf(pkg) : [];
        },
        approvedStepsOf: (id) => {
          const pkg = this.ctx.pkg(id);
          const approved = this.ctx.approvedCommands;
          if (!pkg || !approved) return [];
          return (pkg.verification?.steps ?? []).flatMap((s) => (s.kind === 'command' && s.command && approved.includes(s.command) ? [{ step: s.name, command: s.command }] : []));
        },
      }) ??
      (options.hosts?.length
        ? new HostsExecutor({ ...local, hosts: options.hosts, runnerScript: options.runnerScript ?? defaultRunnerScript(), ...(options.hostLostMs !== undefined ? { hostLostMs: options.hostLostMs } : {}) })
        : new LocalExecutor(local));
    const ctx = new RunContext(repoRoot, planFile, featureId, analysis, options, executor);
    this.ctx = ctx;
    this.events = ctx.emitter.event;
    // The loop builds its parts with itself: what they ask of it (a pass, work after the agents' start) is a call on it.
    this.loop = new RunLoop(ctx, (loop) => {
      const guard = new IntegrationGuard(ctx, loop);
      const merges = new Merges(ctx, guard);
      const exits = new Exits(ctx, loop, merges);
      const watcher = new AttemptWatcher(ctx, loop, exits);
      const recovery = new Recovery(ctx, loop, watcher, exits);
      return { launches: new Launches(ctx, loop, watcher, exits), watcher, merges, recovery, reviews: new Reviews(ctx, exits), guard };
    });
    this.recovery = this.loop.parts.recovery;
  }

  get analysis(): PlanAnalysis {
    return this.ctx.analysis;
  }

  /** The run state store, once `run()` loaded it. */
  get store(): RunStore | undefined {
    return this.ctx.store;
  }

  /** Reads and analyses the plan and finds the repository. No side effects. */
  static async prepare(given: EngineOptions): Promise<RunEngine> {
    let options = given;
    const planFile = path.resolve(options.planFile);
    // The text the person was shown when the front end gives it: the file is not read again.
    const text = options.planText?.text ?? (await readRegularFile(planFile)).toString('utf8');
    // The analysis the front end made of that text (with this run's cap) is not made again.
    let analysis = options.planText?.analysis ?? analyzePlan(text, { maxParallel: capOf(options.maxParallel) });
    // A plan of plans runs unfolded (ADR 0035): read so here when the front end did not (loadPlan does).
    if (!options.planText && analysis.valid && analysis.plan.packages.some(isParent)) {
      const loaded = await loadPlan(planFile, { maxParallel: capOf(options.maxParallel) });
      if (loaded.nested && 'refusals' in loaded.nested) throw new PlanInvalidError(loaded.nested.refusals);
      options = { ...options, planText: loaded, ...(loaded.nested ? { joins: loaded.nested.joins, joinCaps: loaded.nested.caps, subPlanFiles: loaded.nested.files, planners: loaded.nested.planners } : {}) };
      analysis = loaded.analysis;
    }
    // Never a parent run as one package: its agent would have the whole scope and its sub-plan would be ignored.
    const parents = analysis.plan.packages.filter(isParent).map((p) => p.id);
    if (parents.length) throw new PlanInvalidError(parents.map((id) => `${toPosix(path.relative(process.cwd(), planFile)) || planFile}:1:1 error plan-nested ${id}'s work is a sub-plan: a run of a plan of plans takes the plan as loadPlan unfolds it`));
    let repoRoot: string;
    try {
      repoRoot = options.repoRoot ? fs.realpathSync(path.resolve(options.repoRoot)) : await findRepositoryRoot(path.dirname(planFile));
    } catch (err) {
      throw new NotARepositoryError(path.dirname(planFile), errorText(err));
    }
    const shown = toPosix(path.relative(process.cwd(), planFile)) || planFile;
    // The start use case refused all of this already, in the same words; a caller of its own (an adoption, a test) meets it here.
    if (!analysis.valid) throw new PlanInvalidError(planErrorLines(analysis, shown));
    const featureId = analysis.plan.feature?.id;
    if (!featureId) throw new PlanInvalidError([`${shown}:1:1 error feature-missing the plan has no feature.id`]);
    const unknown = (options.only ?? []).filter((id) => !analysis.plan.packages.some((p) => p.id === id));
    if (unknown.length) throw new PlanInvalidError(unknown.map((id) => `${shown}:1:1 error only-unknown the plan has no package "${id}"`));
    // The container-as-wall choice weighed once: inside a container the run's agents go without bubblewrap, as unconfined ones.
    const confinement = effectiveConfinement(options.confinement);
    return new RunEngine(repoRoot, fs.realpathSync(planFile), featureId, analysis, confinement === options.confinement ? options : { ...options, ...(confinement ? { confinement } : {}) });
  }

  /**
   * Asks the engine driving the run (another process) to cancel one package or the whole
   * run: writes the running attempt's `cancel` file (the runner stops the agent at once)
   * and a `runs/<name>/cancel-request-*.json` the owner picks up for the rest.
   */
  static requestCancel(repoRoot: string, featureId: string, packageId?: string): Promise<void> {
    return requestCancel(repoRoot, featureId, packageId);
  }

  /** The schedule of a simulated all-succeed run and every prompt. Starts nothing, writes nothing. */
  dryRun(): DryRun {
    const { ctx } = this;
    const inScope = ctx.scopeIds();
    const packages = ctx.only ? restrictTo(ctx.sched, inScope) : ctx.sched;
    const sim = simulate({ packages, maxParallel: ctx.maxParallel, mode: ctx.mode, durations: () => 1 });
    const byStart = new Map<number, string[]>();
    for (const a of sim.attempts) {
      if (!byStart.has(a.start)) byStart.set(a.start, []);
      byStart.get(a.start)!.push(a.packageId);
    }
    const order = [...byStart.entries()].sort((a, b) => a[0] - b[0]).map(([, ids]) => ids);
    const runId = 'dry-run';
    const prompts = inScope.map((id) => {
      const pkg = ctx.pkg(id)!;
      const files = ctx.executor.attempt(runId, id, 1).files;
      // A parent of a plan of plans: no agent reads a prompt (joins.ts).
      const join = ctx.joins?.[id];
      if (join) return { packageId: id, file: files.prompt, text: joinPromptText(id, join) };
      // A `{by: agent}` parent's planner: the prompt it would plan by.
      const planner = plannerPrompt(ctx, pkg, ctx.executor.attempt(runId, id, 1), ctx.treeOf(pkg), runId);
      if (planner !== null) return { packageId: id, file: files.prompt, text: planner };
      const text = buildPrompt({
        analysis: ctx.analysis,
        packageId: id,
        featureId: this.featureId,
        runId,
        repoRoot: this.repoRoot,
        worktree: ctx.treeOf(pkg),
        resultFile: files.result,
        upstream: pkg.dependsOn.map((d) => ({
          packageId: d.value,
          resultFile: ctx.executor.attempt(runId, d.value, 1).files.result,
          changedFiles: [],
        })),
        artifacts: sliceFor(pkg, ctx.planArtifacts),
      });
      return { packageId: id, file: files.prompt, text };
    });
    return { order, prompts };
  }

  /** Drives the run to its end: `begin` then `drive`. Throws what `begin` throws. */
  async run(options: { resume?: boolean } = {}): Promise<RunOutcome> {
    await this.begin(options);
    return this.drive();
  }

  /**
   * Everything a run checks and claims before it drives, so a refusal comes before anything
   * is started: a proposed plan approved (`ProposalNotApprovedError`), the verification
   * commands approved on this machine (`VerificationNotApprovedError`), the run's lease
   * (`LeaseHeldError`), the shared coordinator (`CoordinatorLeaseHeldError`,
   * `PlannedClaimConflictError`, `CoordinatorUnavailableError`), the run state set up. These
   * gates are the engine's, so no front end can start around them.
   */
  async begin(options: { resume?: boolean } = {}): Promise<void> {
    const { ctx } = this;
    if (ctx.store || this.begun) throw new Error('RunEngine.begin() was already called');
    this.begun = true;
    // The git helper (gitProcess.ts) starts with the run, never with a `prepare` alone (a dry run, a prompt shown: no process).
    warmGit();
    // Before anything is written into .waves/ (the lease, the run state): real folders of the repository, no link.
    checkEngineFolder(this.repoRoot, path.dirname(leaseFile(this.repoRoot, this.featureId)));
    // No walls to be had, and the person did not choose to run without them: nothing starts.
    if (!this.options.confinement?.unconfined) {
      const here = confinementAvailable();
      if (!here.ok) throw new ConfinementUnavailableError(here.why, here.fix);
      // The same on every SSH host of the run that answers now.
      const far = (await ctx.executor.wallsProblems?.()) ?? [];
      if (far.length) throw new ConfinementUnavailableError(far.join('; '));
    }
    // A proposed plan (on a planning branch) runs only once the person approved it (ADR 0013).
    const unapproved = await proposalGate(this.planFile);
    if (unapproved) throw new ProposalNotApprovedError(unapproved);
    // The list of the text this run holds (never read again), approved by the person on this machine.
    const policy = this.options.verification ?? 'refuse-unapproved';
    const commands = verificationCommands(ctx.analysis, ctx.only);
    if (commands.length === 0 || isApproved(this.planFile, commands)) ctx.commandsApproved(commands);
    else if (policy === 'refuse-unapproved') throw new VerificationNotApprovedError(toPosix(path.relative(this.repoRoot, this.planFile)), commands);
    else if (policy === 'approved') {
      await approve(this.planFile, commands, ctx.clock());
      ctx.commandsApproved(commands);
    }
    const lease = Lease.claim(leaseFile(this.repoRoot, this.featureId), { leaseMs: this.options.leaseMs });
    ctx.leaseClaimed(lease);
    try {
      lease.startHeartbeat(() => ctx.leaseLost());
      // Every gate passed: a new run's first runners start while it sets itself up, so its
      // first agents wait for no Node start and no network of their own (idle ones go if it stops here).
      if (!options.resume && !ctx.options.collectOnly) ctx.executor.expectLaunches?.(firstStarts(ctx.sched, ctx.maxParallel, ctx.only).length);
      if (this.options.coordinator) await joinCoordinator(ctx, this.loop, this.options.coordinator);
      await this.loop.setUp(options.resume === true);
    } catch (err) {
      ctx.stopDriving();
      lease.release();
      throw err;
    }
    // The forecast it began with, for its report; a resumed run keeps its first one.
    const forecast = this.options.forecast;
    if (forecast && !fs.existsSync(forecastFile(this.repoRoot, this.featureId, ctx.state.runId)))
      await writeForecast(this.repoRoot, this.featureId, ctx.state.runId, forecast).catch((err: unknown) => ctx.problem(`Could not keep the run's forecast: ${errorText(err)}`));
  }

  /** Drives a run `begin` set up to its end. */
  drive(): Promise<RunOutcome> {
    if (!this.ctx.store) throw new Error('RunEngine.drive() needs begin() first');
    return this.loop.drive();
  }

  /** Cancels one package, or the whole run when no id. Running agents are stopped by their runner. */
  async cancel(packageId?: string): Promise<void> {
    if (!this.ctx.hasState) return;
    await this.recovery.cancel(packageId);
  }

  /** The host a package's current attempt is on; null: this machine without hosts. */
  hostOf(packageId: string): string | null {
    return (this.ctx.hasState ? this.ctx.state.packages[packageId]?.host : null) ?? this.ctx.executor.hostOf?.(packageId) ?? null;
  }

  /**
   * For a package whose attempt is running on an SSH host: the terminal command that
   * attaches to it there (`ssh -t … tmux attach`) and the attempt's number; null otherwise.
   */
  attachCommand(packageId: string): { command: string; args: string[]; attempt: number } | null {
    const record = this.ctx.hasState ? this.ctx.state.packages[packageId] : undefined;
    if (!record?.startToken || record.status !== 'running') return null;
    const attach = this.ctx.executor.attachCommand?.(packageId, record.startToken);
    return attach ? { ...attach, attempt: record.attempts } : null;
  }

  /** Stops watching; never kills agents (a later `run({resume: true})` adopts them). */
  dispose(): void {
    this.ctx.stopDriving();
    this.ctx.lease?.release();
    this.ctx.store?.dispose();
    this.ctx.emitter.dispose();
  }
}
