/**
 * The run loop: the run state loaded (or a finished run archived and a new one begun), then
 * passes — cancel requests, plan changes, expired locks, `schedule()`, its events through the
 * reducer, the starts handed to launch.ts — woken by every change and by a slow poll (live
 * attempts, lock waits, cancel requests, the plan file), until nothing is active and nothing
 * can start; then the report and the outcome. One pass at a time; a wake during a pass runs
 * another after it. The loop implements the parts' hand-offs (`LoopHandoffs`: a pass, work after
 * the agents' start) and builds its parts with itself; why a package waits is holds.ts's.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../store/atomicWrite';
import { analyzePlan } from '../../core/plan/analyze';
import { expireLocks } from '../../core/run/lockTable';
import type { ResultReadout } from '../../core/run/resultRecord';
import { buildRunReport } from '../../core/present/runReport';
import { runCounts } from '../../core/present/progressModel';
import { readForecast } from './pastRuns';
import { AHEAD_AFTER_LAUNCH_MS, nextStarts, stepsAhead, treesAhead } from '../../core/run/startAhead';
import { reportFiles, runDir, runStateFile } from '../../core/run/runPaths';
import { createRunState, ensurePackages, setMachine, setMaxParallel, setReviewGate, setUnconfined } from '../../core/run/runStateInit';
import { guardOfRun } from '../../core/run/integrationGuard';
import { gateOfRun } from '../../core/review/reviewGate';
import { isActive, isTerminal, type RunState, type WaitReason } from '../../core/run/runState';
import { markWaiting, setPlanHash } from '../../core/run/runStateReducer';
import { checkEngineFolder } from '../../store/engineFolder';
import { NotRegularFileError, readRegularFile } from '../../util/regularFile';
import { RunStore } from '../../store/runStore';
import { schedule } from '../../core/run/schedule';
import { errorText, toPosix, type RunContext } from './context';
import { planHash } from '../plan';
import { nestedPlanChange } from './joins';
import { keptPlanners } from './planners';
import { ensureExcluded, guardGitSetup, keepGitSetup } from '../git';
import { foreignReason } from '../consent';
import { wallsNotKept } from '../attempt';
import { readRun } from './runFiles';
import type { Launches } from './launch';
import type { Merges } from './merge';
import type { Recovery } from './recovery';
import type { Reviews } from './reviews';
import type { IntegrationGuard } from './guard';
import { AdoptRefusedError, type RunOutcome, type RunOutcomeKind } from './types';
import type { AttemptWatcher } from './watch';
import { requestNames } from './requests';
import type { LoopHandoffs } from './handoffs';

/** How long a run that ended waits for the coordinator to take the releases it kept while out of reach (EngineOptions.releaseWaitMs). */
export const RELEASE_WAIT_MS = 5 * 60_000;

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function planKey(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.mtimeMs}:${stat.size}` : 'gone';
}

export interface LoopParts {
  launches: Launches;
  watcher: AttemptWatcher;
  merges: Merges;
  recovery: Recovery;
  reviews: Reviews;
  guard: IntegrationGuard;
}

export class RunLoop implements LoopHandoffs {
  /** The parts, built with this loop as their hand-offs (engine.ts). */
  readonly parts: LoopParts;
  /** `drive()`'s promise, settled with the outcome (or the error the run ends with). */
  private settle: { resolve: (outcome: RunOutcome) => void; reject: (error: unknown) => void } | null = null;
  private planStat = '';
  private passRunning = false;
  private passAgain = false;
  /** Passes begun so far, and who waits for the end of a pass begun after a given one. */
  private passSeq = 0;
  private passWaiters: { after: number; resolve: () => void }[] = [];
  private poller: NodeJS.Timeout | null = null;
  private lostCheckedAt = 0;
  /** The work ahead for the next wave waits until then (`AHEAD_AFTER_LAUNCH_MS` after the last pass that launched), and a pass is woken for it. */
  private aheadNotBefore = 0;
  private aheadTimer: NodeJS.Timeout | null = null;
  /** `afterAgentsStart`'s work by package: waiting for the agents launched last to start, and under way. */
  private readonly afterStart = new Map<string, () => Promise<void>>();
  private readonly afterStartRunning = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: RunContext,
    buildParts: (loop: LoopHandoffs) => LoopParts,
  ) {
    ctx.onStop((lost) => {
      if (this.poller) clearInterval(this.poller);
      this.poller = null;
      if (this.aheadTimer) clearTimeout(this.aheadTimer);
      this.aheadTimer = null;
      this.runAfterStart();
      this.passEnded(Infinity);
      if (lost) this.settle?.reject(lost);
    });
    this.parts = buildParts(this);
  }

  // -- Set-up ------------------------------------------------------------------------------

  /** Loads the run state (a finished run is archived and a new one begun unless `resume`), the integration branch, and reconciles a resumed run. */
  async setUp(resume: boolean): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock();
    const planRel = toPosix(path.relative(ctx.repoRoot, ctx.planFile));
    const fresh = () =>
      createRunState({
        featureId: ctx.featureId,
        planFile: planRel,
        ...(ctx.analysis.plan.feature?.planRevision !== undefined ? { planRevision: ctx.analysis.plan.feature.planRevision } : {}),
        planHash: ctx.planHash,
        runId: newRunId(now),
        packageIds: ctx.sched.map((p) => p.id),
        now,
      });
    // An adoption nobody asked for reads the state as it is first: nothing is healed, moved or stamped unless it is this machine's.
    if (ctx.options.collectOnly) this.checkAdoptable();
    const store = new RunStore({ workspaceRoot: ctx.repoRoot, featureId: ctx.featureId, createInitial: fresh, coalesceMs: 0 });
    ctx.storeOpened(store);
    store.onDidReportProblem((p) => ctx.problem(p.message));
    const loaded = await store.load();
    if (store.readOnly) throw new Error(`${store.file} was written by a newer version of Wave Orchestrator; it is left as it is.`);
    let state = loaded.state;
    let resumed = loaded.source !== 'initial';
    const foreign = resumed ? foreignReason(state) : null;
    let setAside: string | null = null;
    if (resumed && !resume && (foreign || this.isFinished(state))) {
      // A new run of a feature whose earlier run ended — or whose run is not this machine's
      // (only the person's Resume goes on with that one): archive it (history), start afresh.
      const earlier = state;
      state = (await store.startNewRun(fresh())).state;
      resumed = false;
      if (foreign && !this.isFinished(earlier)) {
        const archive = state.history.find((h) => h.runId === earlier.runId)?.archive ?? 'the history';
        setAside = `${this.stateFileShown()} holds run ${earlier.runId}, which is not yours here: ${foreign}. A new run starts; that one is kept in ${archive}. To go on with it instead, resume it (\`waves run --resume\`, or Resume).`;
      }
    }
    // The run is driven by this machine and person from now on (a foreign state is driven only on the person's own Resume).
    state = setMachine(state, ctx.driver, now);
    // Walls or none: an unconfined run says so in its state, for `waves status`, the report and the status bar.
    state = setUnconfined(state, ctx.options.confinement?.unconfined === true, now, ctx.options.confinement?.container === true);
    // The cap this run keeps to, for its timeline.
    state = setMaxParallel(state, ctx.maxParallel, now);
    // The review gate: asked for, or kept from the run's start when it is taken up again.
    const reviewGate = gateOfRun(ctx.options.review, state, resumed);
    state = setReviewGate(state, reviewGate, now);
    // The integration guard: the same — asked for, or kept from the run's start.
    const integrationGuard = guardOfRun(ctx.options.integrationGuard, state, resumed);
    ctx.loaded(state, { reviewGate, integrationGuard });
    // What the start changed of a run taken up again (its driver, walls, cap, review gate) is on disk at once, not with its next event.
    if (resumed && state !== loaded.state) store.save(state);
    // The run's folder (attempts, logs, report) and everything already in it: real folders of the repository, no link.
    checkEngineFolder(ctx.repoRoot, runDir(ctx.repoRoot, ctx.featureId, state.runId), { below: true });
    await ensureExcluded(ctx.repoRoot, '.waves/');
    // The git set-up the run trusts, kept: later additions are switched off in the engine's git, make the next exit a
    // breach, and are put back then (exit.ts, setupRestore.ts).
    const [endGitGuard, gitSetup] = await Promise.all([guardGitSetup(ctx.repoRoot), keepGitSetup(ctx.repoRoot)]);
    ctx.gitSetupKept(gitSetup, endGitGuard);

    ctx.update({ ok: true, state: ensurePackages(ctx.state, ctx.sched.map((p) => p.id), now) });
    // A planner that ended with its sub-plan kept (waiting for the person's approval, which this start had): done, at no retry's cost.
    if (resumed) for (const id of keptPlanners(ctx)) ctx.apply({ type: 'reset', packageId: id }, 'its sub-plan is kept: it goes on');
    if (ctx.state.planHash !== ctx.planHash) this.planChanged(ctx.planHash, []);
    await this.parts.merges.ensureIntegration();
    ctx.emit({
      type: 'run-started',
      runId: ctx.state.runId,
      featureId: ctx.featureId,
      packages: ctx.scopeIds(),
      maxParallel: ctx.maxParallel,
      mode: ctx.mode,
      resumed,
    });
    if (setAside) ctx.problem(setAside);
    // What the walls here do not keep (macOS: the memory limit), said as the run starts (ADR 0033).
    for (const note of wallsNotKept(ctx.options.confinement)) ctx.problem(note);
    if (resumed) await this.parts.recovery.reconcile();
    // The integration guard: the base checked while the first packages start.
    if (!ctx.options.collectOnly) await this.parts.guard.begin();
    // A person's resume goes on with the packages a usage limit paused; an adoption nobody asked for does not.
    if (resumed && resume && !ctx.options.collectOnly) {
      for (const r of Object.values(ctx.state.packages)) {
        if (r.status === 'usage-limit' && ctx.scopeIds().includes(r.packageId)) ctx.apply({ type: 'reset', packageId: r.packageId }, 'resumed after its usage limit');
      }
    }
    await store.flush();
  }

  /** The feature's run state file, repository-relative (for messages). */
  private stateFileShown(): string {
    return toPosix(path.relative(this.ctx.repoRoot, runStateFile(this.ctx.repoRoot, this.ctx.featureId)));
  }

  /**
   * `collectOnly` (an adoption nobody asked for) adopts only a valid run state of this
   * machine's, read as it is on disk — else `AdoptRefusedError`, before the run store heals,
   * moves or stamps anything.
   */
  private checkAdoptable(): void {
    const { ctx } = this;
    const shown = this.stateFileShown();
    const read = readRun(ctx.repoRoot, ctx.featureId);
    if (read.kind === 'none') throw new AdoptRefusedError(`${ctx.featureId} has no run to adopt (no ${shown})`);
    if (read.kind === 'bad') throw new AdoptRefusedError(`${shown} is not a usable run state (${read.detail}): nothing is adopted`);
    if (read.newer) throw new AdoptRefusedError(`${shown} was written by a newer version of Wave Orchestrator: nothing is adopted`);
    const foreign = foreignReason(read.state);
    if (foreign) throw new AdoptRefusedError(`the run of ${ctx.featureId} in ${shown} is not adopted: ${foreign}; resume it only if it is yours`);
  }

  /** Every package of the run's scope terminal, none interrupted. */
  private isFinished(state: RunState): boolean {
    const ids = this.ctx.scopeIds().filter((id) => Object.hasOwn(state.packages, id));
    return ids.every((id) => {
      const s = state.packages[id]!.status;
      return isTerminal(s) && s !== 'interrupted';
    });
  }

  /** Starts the poll and the first pass; resolves with the outcome when the run ended. */
  drive(): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.poller = setInterval(() => this.poll(), this.ctx.pollMs);
      this.wake();
    });
  }

  // -- Passes ------------------------------------------------------------------------------

  /** Asks for a pass (`LoopHandoffs`). */
  wake(): void {
    const { ctx } = this;
    if (ctx.stopped) return;
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
        } while (this.passAgain && !ctx.stopped);
      } catch (err) {
        ctx.problem(`The engine hit an error: ${errorText(err)}`);
        ctx.stopDriving();
        ctx.lease?.release();
        this.settle?.reject(err);
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
  async wakeAndLaunch(): Promise<void> {
    const after = this.passSeq;
    this.wake();
    if (!this.ctx.stopped) await new Promise<void>((resolve) => this.passWaiters.push({ after, resolve }));
    await this.ctx.attempts.launchesDone();
  }

  /** Work for one package once the agents launched last have had their start (`LoopHandoffs`). */
  afterAgentsStart(id: string, task: () => Promise<void>): void {
    this.afterStart.set(id, task);
    if (this.ctx.stopped || Date.now() >= this.aheadNotBefore) this.runAfterStart();
  }

  /** The package's `afterAgentsStart` work done, begun now if it still waits (`LoopHandoffs`). */
  afterStartDone(id: string): Promise<void> {
    if (this.afterStart.has(id)) this.runAfterStart(id);
    return this.afterStartRunning.get(id) ?? Promise.resolve();
  }

  private async pass(): Promise<void> {
    const { ctx } = this;
    if (ctx.stopped) return;
    await this.parts.recovery.pickUpCancelRequests();
    await this.parts.reviews.pickUp();
    await this.checkPlan();
    const now = ctx.clock();

    // Expired locks leave the table. (A shared coordinator's table is read again first.)
    await ctx.locks.refresh?.();
    // An attempt still ending as the table is read may release its locks after: this pass never ends the run then.
    const endingAtDecision = this.busy() > 0;
    const table = ctx.locks.read();
    if (expireLocks(table, now).expired.length > 0) await ctx.locks.update((t) => expireLocks(t, now).table);

    const collectOnly = ctx.options.collectOnly === true;
    // Usage limits: with `onUsageLimit: 'wait'`, a package whose limit has reset goes on
    // (no retry spent); while an agent is at its limit, no package of that agent starts.
    const limited = ctx.holds.usageLimits(now.getTime());
    const decision = schedule({
      packages: ctx.sched,
      state: ctx.state,
      locks: ctx.locks.read(),
      featureId: ctx.featureId,
      maxParallel: ctx.maxParallel,
      mode: ctx.mode,
      ...(ctx.only ? { only: ctx.only } : {}),
      now,
      // The integration guard: what depends on an unchecked or breaking merge waits, its slot free for others.
      held: this.parts.guard.heldNow(ctx.sched),
      // A planner whose sub-plan is kept waits for the person's approval, not a retry (the next start goes on with it).
      waiting: new Set(keptPlanners(ctx)),
    });
    for (const event of decision.events) {
      // An adoption nobody asked for retries nothing: a failed package waits for the person.
      if (collectOnly && event.type === 'reset') continue;
      ctx.apply(event, event.type === 'blocked' ? `blocked by ${event.by.join(', ')}` : undefined);
    }
    if (collectOnly) {
      // Only watch and collect: nothing starts. When nothing is left to watch, the rest is the person's.
      await ctx.store!.flush();
      if (this.busy() === 0 && !Object.values(ctx.state.packages).some((r) => isActive(r.status))) await this.complete();
      return;
    }
    // The coordinator out of reach (joinCoordinator.ts): a package that needs a lock waits, told
    // once, and is not queued until the coordinator is tried again (at a pause that grows).
    const away = ctx.locks.outage?.() ?? null;
    if (away) ctx.holds.waitForCoordinator(decision, away);
    else ctx.holds.coordinatorBack();
    const planned = decision.start.length;
    // A usage limit, an agent's cap, no host, the budget, a hold (holds.ts).
    const { waitsFor, placedOn } = ctx.holds.holdBack(decision, limited.agents);
    // Held back by a usage limit, an agent's cap, the budget or a hold: the schedule did not count them as waiting.
    const heldBack = planned - decision.start.length;
    for (const id of decision.start) ctx.mark('scheduled', id);
    this.markWaits(waitsFor);
    // The state this pass decided on: a change made meanwhile by another part (an integration check
    // ending and sending a package back, a review decision) is decided on by a pass of its own.
    const decidedOn = ctx.state;
    if (ctx.attempts.runCancelled) {
      this.parts.recovery.cancelNotStarted();
    } else {
      for (const id of decision.start) ctx.apply({ type: 'queued', packageId: id, ...(placedOn.has(id) ? { host: placedOn.get(id)! } : {}) });
      await Promise.all(decision.start.map((id) => this.parts.launches.startPackage(id)));
      if (decision.start.length > 0) this.aheadAfterLaunch();
      if (decision.waiting.some((w) => w.reason === 'lock')) ctx.holds.retryLocksAt(Math.max(Date.now() + ctx.pollMs, away?.retryAt ?? 0));
    }
    await ctx.store!.flush();
    // Runners started ahead (for the next wave's agents and the verification of those at work) and trees made ahead for the next wave (runnerPool.ts, ADR 0015, 0016) — not while launches, or the agents just launched, use the CPU.
    if (ctx.attempts.launchesUnderWay === 0 && !ctx.stopped && Date.now() >= this.aheadNotBefore) {
      const next = ctx.attempts.runCancelled ? [] : nextStarts(ctx.sched, ctx.state, ctx.maxParallel, ctx.only);
      // The agents to start next, and the verification steps of those at work (their runners too: judge.ts).
      const approved = ctx.approvedCommands;
      const commandSteps = (id: string) => (approved ? (ctx.pkg(id)?.verification?.steps ?? []).filter((s) => s.kind === 'command' && s.command && approved.includes(s.command)).length : 0);
      ctx.executor.expectLaunches?.(next.length, stepsAhead(ctx.state, commandSteps));
      const integration = ctx.state.integration;
      if (ctx.executor.prepareAhead && integration && !ctx.options.collectOnly && next.length > 0) {
        const ids = treesAhead(next, ctx.state, (id) => {
          const pkg = ctx.pkg(id);
          return pkg !== undefined && ctx.isolated(pkg);
        });
        const reason = `Wave Orchestrator: run ${ctx.state.runId} of ${ctx.featureId}`;
        if (ids.length > 0) ctx.executor.prepareAhead(ids.map((packageId) => ({ packageId, base: `refs/heads/${integration.branch}`, reason })));
      }
    }

    const activeLeft = Object.values(ctx.state.packages).some((r) => isActive(r.status));
    const waitingForReset = limited.waitUntil !== null && !ctx.attempts.runCancelled;
    if (waitingForReset) ctx.holds.waitForReset(limited.waitUntil!);
    const nothingElse = decision.done || (heldBack > 0 && !decision.waiting.some((w) => w.reason === 'lock'));
    if (this.busy() === 0 && !activeLeft && !waitingForReset && (nothingElse || ctx.attempts.runCancelled) && decision.start.length === 0) {
      // Never end on a decision the state has outgrown while this pass awaited (a package just sent back pending), made while an
      // attempt was ending, or with a wake since (a package ready behind a lock released after the table was read): the next pass decides.
      const outgrown = ctx.state !== decidedOn || endingAtDecision || this.passAgain;
      if (outgrown && !ctx.attempts.runCancelled) this.wake();
      else await this.complete();
    }
  }

  /** Attempts in hand, and a check of the integration guard under way: the run does not end while any is. */
  private busy(): number {
    return this.ctx.attempts.busy + (this.parts.guard.busy ? 1 : 0);
  }

  /** The agents just launched start first: the work ahead waits `AHEAD_AFTER_LAUNCH_MS`, then a pass does it. */
  private aheadAfterLaunch(): void {
    this.aheadNotBefore = Date.now() + AHEAD_AFTER_LAUNCH_MS;
    if (this.aheadTimer) clearTimeout(this.aheadTimer);
    this.aheadTimer = setTimeout(() => {
      this.aheadTimer = null;
      this.aheadNotBefore = 0; // (the timer's clock is not Date.now()'s: never missed by a millisecond)
      this.runAfterStart();
      this.wake();
    }, AHEAD_AFTER_LAUNCH_MS);
  }

  /** `afterAgentsStart`'s waiting work (all, or one package's), now. Each task reports its own problems; its end is awaited by `complete()`. */
  private runAfterStart(only?: string): void {
    for (const [id, task] of [...this.afterStart]) {
      if (only !== undefined && id !== only) continue;
      this.afterStart.delete(id);
      // After the package's earlier work, if any is still under way (never two at once for one package).
      const before = this.afterStartRunning.get(id) ?? Promise.resolve();
      const running: Promise<void> = before
        .then(task)
        .catch(() => undefined)
        .finally(() => {
          if (this.afterStartRunning.get(id) === running) this.afterStartRunning.delete(id);
        });
      this.afterStartRunning.set(id, running);
    }
  }

  /** Each ready package's wait as its phase: marked when it changes, cleared when it waits only for a slot. */
  private markWaits(waitsFor: ReadonlyMap<string, WaitReason>): void {
    const { ctx } = this;
    // The clock now, not the pass's start: the schedule's events of this pass were stamped after it.
    const now = ctx.clock();
    for (const record of Object.values(ctx.state.packages)) {
      if (record.status !== 'ready') continue;
      ctx.update(markWaiting(ctx.state, record.packageId, waitsFor.get(record.packageId) ?? null, now));
    }
  }

  private poll(): void {
    const { ctx } = this;
    if (ctx.stopped) return;
    const now = Date.now();
    this.parts.watcher.poll(now);
    // Host-lost attempts: is their host back? (every fifth poll)
    const lostHosts = ctx.executor.lostHosts?.() ?? [];
    if ((ctx.attempts.anyLost || lostHosts.length > 0) && now - this.lostCheckedAt > 5 * ctx.pollMs) {
      this.lostCheckedAt = now;
      void this.parts.watcher.lookForLost().catch((err) => ctx.problem(`Looking for lost hosts: ${errorText(err)}`));
      // A host found out of reach as a package started or was judged: asked again, and placed on once it answers.
      for (const host of lostHosts) void ctx.executor.reachable?.(host).then((back) => back && this.wake(), () => undefined);
    }
    if (ctx.holds.limitResetDue(now)) this.wake();
    if (ctx.holds.lockRetryDue(now)) this.wake();
    // Requests from other processes (cancel, review) wait in the feature's runs folder: one listing a poll.
    const requests = requestNames(ctx.repoRoot, ctx.featureId);
    if (this.parts.recovery.hasCancelRequests(requests) || this.parts.reviews.has(requests)) this.wake();
    if (planKey(ctx.planFile) !== this.planStat) this.wake();
  }

  // -- The plan on disk --------------------------------------------------------------------

  /** The plan changed on disk: report it, add new packages; nothing running is touched. */
  private async checkPlan(): Promise<void> {
    const { ctx } = this;
    const key = planKey(ctx.planFile);
    if (key === this.planStat) return;
    this.planStat = key;
    if (key === 'gone') return;
    let text: string;
    try {
      text = (await readRegularFile(ctx.planFile)).toString('utf8');
    } catch (err) {
      // A FIFO or a device put in the plan's place is never waited on (the loop would stall).
      if (!(err instanceof NotRegularFileError)) throw err;
      ctx.problem(`The plan file changed on disk: ${err.why}; the run goes on with the plan it started from.`);
      return;
    }
    let hash = planHash(text);
    if (hash === ctx.planHash) return;
    let analysis = analyzePlan(text, { maxParallel: ctx.maxParallel });
    if (!analysis.valid) {
      ctx.skipPlan(hash);
      ctx.problem('The plan changed on disk and now has errors; the run goes on with the plan it started from.');
      return;
    }
    // A plan of plans (ADR 0035): read unfolded, and taken only when it nests as the run began.
    const taken = await nestedPlanChange(ctx, analysis, hash);
    if (taken === 'skip') return;
    ({ analysis, hash } = taken);
    const before = new Set(Object.keys(ctx.state.packages));
    ctx.adoptPlan(analysis, hash);
    ctx.update({ ok: true, state: ensurePackages(ctx.state, ctx.sched.map((p) => p.id), ctx.clock()) });
    this.planChanged(hash, ctx.sched.map((p) => p.id).filter((id) => !before.has(id)));
  }

  private planChanged(hash: string, added: string[]): void {
    this.ctx.update(setPlanHash(this.ctx.state, hash, this.ctx.clock()));
    this.ctx.emit({ type: 'plan-changed', planHash: hash, added });
  }

  // -- The end -----------------------------------------------------------------------------

  /**
   * Releases kept while the coordinator was out of reach (joinCoordinator.ts): a run that ends
   * leaves no lock of its own there, so it waits for the coordinator to take them — told once,
   * tried at a pause that grows — for at most `RELEASE_WAIT_MS`, or until a cancel (Ctrl-C) or
   * the engine is disposed. What is still kept then stays there until it lapses: said.
   */
  private async giveBackKeptReleases(): Promise<void> {
    const { ctx } = this;
    const kept = ctx.locks.keptReleases?.() ?? 0;
    if (kept === 0 || !ctx.locks.settle) return;
    const cancelledBefore = ctx.attempts.runCancelled;
    const waitMs = ctx.options.releaseWaitMs ?? RELEASE_WAIT_MS;
    const releases = `${kept} lock release${kept === 1 ? '' : 's'}`;
    ctx.problem(
      `The run has ended; ${releases} made while the coordinator was out of reach wait${kept === 1 ? 's' : ''} for it to answer (at most ${Math.round(waitMs / 1000)} s; cancel to leave ${kept === 1 ? 'it' : 'them'} until ${kept === 1 ? 'it lapses' : 'they lapse'}).`,
    );
    const left = await ctx.locks.settle(() => ctx.stopped || ctx.attempts.runCancelled !== cancelledBefore, Date.now() + waitMs);
    if (left === 0) ctx.problem(`The coordinator took the ${releases}.`);
    else ctx.problem(`${left} lock release${left === 1 ? '' : 's'} of this run could not be made: ${left === 1 ? 'its lock stays' : 'those locks stay'} in the coordinator until ${left === 1 ? 'it lapses' : 'they lapse'} or the feature runs again.`);
  }

  /** Writes the report, releases the lease and settles `run()` with the outcome. */
  private async complete(): Promise<void> {
    const { ctx } = this;
    if (ctx.stopped) return;
    // The landed packages' trees removed (waiting no longer), then those made ahead for packages
    // that never started (a dependency failed, the run was cancelled), when exactly as made — while
    // the report is written, which needs neither; the run ends once they are gone.
    // And those of packages an engine before this one landed, then stopped before it removed them.
    for (const record of Object.values(ctx.state.packages)) {
      const id = record.packageId;
      const pkg = ctx.pkg(id);
      if (record.status !== 'succeeded' || !pkg || !ctx.isolated(pkg) || this.afterStart.has(id) || this.afterStartRunning.has(id)) continue;
      if (record.worktree && fs.existsSync(record.worktree)) this.afterStart.set(id, () => this.parts.merges.removeTree(pkg));
    }
    this.runAfterStart();
    const trees = Promise.all(this.afterStartRunning.values())
      .then(() => ctx.executor.dropAhead?.())
      .catch(() => undefined);
    await this.parts.guard.end();
    if (ctx.stopped) return;
    const ids = ctx.scopeIds();
    const counts = runCounts(ctx.state, ids, ctx.joins);
    const results: Record<string, ResultReadout> = {};
    for (const id of ids) {
      const file = ctx.state.packages[id]?.resultFile;
      if (file) results[id] = await ctx.readResult(file);
    }
    let reportFile: string | null = null;
    let speedup: number | null = null;
    try {
      // The forecast the run began with, set beside what happened; each package's agent for its spend.
      const forecast = await readForecast(ctx.repoRoot, ctx.featureId, ctx.state.runId);
      const agents = Object.fromEntries(ids.map((id) => [id, ctx.attempts.lastAgent(id) ?? ctx.agentOf(id).id]));
      const report = buildRunReport({ state: ctx.state, analysis: ctx.analysis, results, maxParallel: ctx.maxParallel, forecast, agents, joins: ctx.joins });
      const files = reportFiles(ctx.repoRoot, ctx.featureId, ctx.state.runId);
      await fs.promises.mkdir(path.dirname(files.markdown), { recursive: true });
      await writeAtomic(files.json, JSON.stringify(report.json, null, 2) + '\n');
      await writeAtomic(files.markdown, report.markdown);
      reportFile = files.markdown;
      speedup = report.json.metrics.speedUp;
    } catch (err) {
      ctx.problem(`Could not write the run report: ${errorText(err)}`);
    }
    const all = ids.every((id) => ctx.state.packages[id]?.status === 'succeeded');
    const limited = ids.some((id) => ctx.state.packages[id]?.status === 'usage-limit');
    const budgetReached = ctx.holds.budgetReached && !all;
    const outcome: RunOutcomeKind = all
      ? 'succeeded'
      : ctx.attempts.runCancelled
        ? 'cancelled'
        : ctx.options.collectOnly
          ? 'collected'
          : limited
            ? 'usage-limit'
            : budgetReached
              ? 'budget'
              : 'failed';
    await trees;
    await ctx.store!.flush();
    await this.giveBackKeptReleases();
    if (ctx.stopped) return;
    const result: RunOutcome = {
      runId: ctx.state.runId,
      featureId: ctx.featureId,
      outcome,
      counts,
      reportFile,
      integrationBranch: ctx.state.integration?.branch ?? null,
      speedup,
      state: ctx.state,
    };
    ctx.stopDriving();
    ctx.lease?.release();
    ctx.emit({ type: 'run-finished', outcome, reportFile, counts, speedup });
    this.settle?.resolve(result);
  }
}
