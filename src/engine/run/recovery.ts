/**
 * Recovery and cancel: a resumed run reconciled with what happened while no engine drove it
 * (live runners adopted by pid + start token, exits recorded meanwhile processed, the rest
 * interrupted and offered again), cancelling a package or the whole run, and cancel requests
 * from another process (`waves cancel`: `runs/<name>/cancel-request-*.json`).
 */
import { below } from '../../core/plan/unfold';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../store/atomicWrite';
import { checkEngineFolder } from '../../store/engineFolder';
import { featureRunsFolder } from '../../core/run/runPaths';
import { isTerminal, type RunEvent } from '../../core/run/runState';
import { awaitingPick, isGreen, liveCandidates, setUnderWay } from '../../core/run/candidates';
import { LocalExecutor, type RunnerStarted } from '../attempt';
import type { RunContext } from './context';
import type { LiveAttempt } from './liveAttempts';
import type { LoopHandoffs } from './handoffs';
import type { Exits } from './exit';
import { readRun } from './runFiles';
import type { AttemptWatcher } from './watch';
import { takeRequests } from './requests';

const CANCEL_REQUEST = /^cancel-request-.*\.json$/;

/**
 * From another process: writes the running attempts' `cancel` files (their runners stop the
 * agents at once) and a `runs/<name>/cancel-request-*.json` that the owner picks up for the
 * rest. The cancel files are written as a local attempt has them (a `LocalExecutor`'s); the
 * owner's own executor cancels its attempts when it picks the request up.
 */
export async function requestCancel(repoRoot: string, featureId: string, packageId?: string): Promise<void> {
  const folder = featureRunsFolder(repoRoot, featureId);
  checkEngineFolder(repoRoot, folder, { below: true }); // nothing written through a link
  // Only a valid run state names attempts to write into (validated as every reader does).
  const read = readRun(repoRoot, featureId);
  if (read.kind === 'ok') {
    const { state } = read;
    const local = new LocalExecutor({ repoRoot, featureId });
    for (const record of Object.values(state.packages)) {
      if (packageId !== undefined && record.packageId !== packageId) continue;
      // Best of n: each candidate's runner.
      for (const c of liveCandidates(record)) if (c.status === 'running') await local.cancel(local.attempt(state.runId, c.packageId, c.attempts), new Date());
      if (record.status !== 'running' || record.attempts < 1 || setUnderWay(record)) continue;
      await local.cancel(local.attempt(state.runId, record.packageId, record.attempts), new Date());
    }
  }
  await queueCancelRequest(repoRoot, featureId, packageId);
}

/**
 * A `runs/<name>/cancel-request-*.json` for the engine that drives the run in this clone (the
 * loop picks it up: `Recovery.pickUpCancelRequests`). Written by `requestCancel`, and by a
 * coordinated run's heartbeat for a request made through the coordinator from another clone.
 */
export async function queueCancelRequest(repoRoot: string, featureId: string, packageId?: string): Promise<void> {
  const folder = featureRunsFolder(repoRoot, featureId);
  checkEngineFolder(repoRoot, folder, { below: true }); // nothing written through a link
  await fs.promises.mkdir(folder, { recursive: true });
  const request = { packageId: packageId ?? null, at: new Date().toISOString(), pid: process.pid };
  await writeAtomic(path.join(folder, `cancel-request-${Date.now()}-${randomBytes(4).toString('hex')}.json`), JSON.stringify(request) + '\n');
}

export class Recovery {
  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly watcher: AttemptWatcher,
    private readonly exits: Exits,
  ) {}

  // -- Resume ------------------------------------------------------------------------------

  /** After a crash: adopt live runners, process exits that came meanwhile, re-offer the rest. */
  async reconcile(): Promise<void> {
    const { ctx } = this;
    for (const record of Object.values(ctx.state.packages)) {
      const id = record.packageId;
      // Best of n: its candidates, each as an attempt is; then the package, unless its set is still under way.
      if (liveCandidates(record).length > 0) {
        const under = setUnderWay(record);
        await this.reconcileSet(id);
        // A set under way, or one waiting for the person's pick: its own record runs no runner.
        if (under || awaitingPick(ctx.state.packages[id]!)) continue;
      }
      if (record.status === 'queued') {
        const next = ctx.attemptOf(id, record.attempts + 1);
        const started = await ctx.supervisor.readStarted(next);
        if (started) {
          const pkg = ctx.pkg(id);
          ctx.apply({ packageId: id, ...(await this.startedEvent(id, record.attempts + 1, started, pkg ? ctx.treeOf(pkg) : ctx.repoRoot)) });
        } else {
          // Never launched (or launched and not yet started: its spec's token is replaced by the next attempt).
          ctx.apply({ type: 'reset', packageId: id }, 'the engine stopped before its runner started');
          await ctx.releaseLocksOf(id);
          continue;
        }
      }
      const now = ctx.state.packages[id]!;
      if (now.status !== 'running' && now.status !== 'verifying') continue;
      const place = ctx.attemptOf(ctx.keyOf(id), now.attempts);
      const token = now.startToken ?? '';
      const live: LiveAttempt = { packageId: id, attempt: ctx.supervisor.attempt(place, token), watcher: null, checkedAt: Date.now(), launchedAt: Date.now(), started: true, handled: false };
      // Liveness first: a runner that ends between the two reads has written its exit before the second.
      const running = now.status === 'running' ? await live.attempt.liveness(now.pid) : null;
      const exit = await live.attempt.readExit();
      if (exit) {
        live.handled = true;
        void this.exits.afterExit(id, exit);
        continue;
      }
      if (running?.alive) {
        this.watcher.watch(live);
        ctx.emit({ type: 'package', packageId: id, status: 'running', attempt: now.attempts, detail: `adopted the running agent (runner pid ${running.pid})` });
        void this.watcher.check(live);
        continue;
      }
      ctx.apply({ type: 'interrupted', packageId: id, reason: 'the run stopped while it ran and its agent is gone (no exit record)' });
      await ctx.releaseLocksOf(id);
    }
    // Interrupted packages are offered again (unless a person is to choose); finished ones stay finished.
    if (ctx.options.keepInterrupted) return;
    for (const record of Object.values(ctx.state.packages)) {
      if (record.status === 'interrupted' && ctx.scopeIds().includes(record.packageId))
        ctx.apply({ type: 'reset', packageId: record.packageId }, 'offered again after the interruption');
    }
  }

  /**
   * The `started` event of an attempt whose runner started while no engine drove the run (a
   * package's or a candidate's, `key` its tree's key): its branch and base as git has them (the
   * audit compares with the base: without it, the integration tip, which may have moved since, and
   * a merge meanwhile looks deleted), and the host it started on (on SSH hosts, the one its runner
   * was found on, hostsExecutor.ts `readStarted`; a start without one says this machine).
   */
  private async startedEvent(key: string, attempt: number, started: RunnerStarted, worktree: string): Promise<Omit<Extract<RunEvent, { type: 'started' }>, 'packageId'>> {
    const { ctx } = this;
    const next = ctx.attemptOf(key, attempt);
    const tree = ctx.state.integration ? await ctx.executor.treeBase?.(key, ctx.state.integration.branch).catch(() => undefined) : undefined;
    const host = ctx.executor.hostOf?.(key);
    return {
      type: 'started',
      attempt,
      startToken: started.startToken,
      worktree,
      ...(tree?.branch ? { branch: tree.branch } : {}),
      ...(tree?.baseSha ? { baseSha: tree.baseSha } : {}),
      logFile: next.files.log,
      resultFile: next.files.result,
      pid: started.runnerPid,
      ...(host ? { host } : {}),
    };
  }

  /**
   * The candidates of `id`'s set (best of n) after a restart: one whose start was not recorded
   * is adopted when its runner started (its branch and base from git), else interrupted; a live
   * runner is watched again, an exit recorded meanwhile judged, the rest interrupted. A set with
   * none left ends (`setSettled`).
   */
  private async reconcileSet(id: string): Promise<void> {
    const { ctx } = this;
    for (const c of liveCandidates(ctx.state.packages[id]!)) {
      // A green candidate waiting for the person's pick was judged before: nothing runs.
      if (c.status === 'verifying' && isGreen(c)) continue;
      const k = c.candidate;
      const key = c.packageId;
      const as = { packageId: id, candidate: k };
      if (c.status === 'queued') {
        const started = await ctx.supervisor.readStarted(ctx.attemptOf(key, c.attempts + 1));
        if (!started) {
          ctx.apply({ ...as, type: 'interrupted', reason: 'the engine stopped before its runner started' });
          continue;
        }
        ctx.apply({ ...as, ...(await this.startedEvent(key, c.attempts + 1, started, ctx.executor.treePath(key, true))) });
      }
      const now = ctx.state.packages[id]!.candidates!.find((x) => x.candidate === k)!;
      if (now.status !== 'running' && now.status !== 'verifying') continue;
      const place = ctx.attemptOf(key, now.attempts);
      const token = now.startToken ?? '';
      const live: LiveAttempt = { packageId: key, candidate: k, attempt: ctx.supervisor.attempt(place, token), watcher: null, checkedAt: Date.now(), launchedAt: Date.now(), started: true, handled: false };
      // Liveness first: a runner that ends between the two reads has written its exit before the second.
      const alive = now.status === 'running' ? await live.attempt.liveness(now.pid) : null;
      const exit = await live.attempt.readExit();
      if (exit) {
        live.handled = true;
        void this.exits.afterExit(key, exit, k);
        continue;
      }
      if (alive?.alive) {
        this.watcher.watch(live);
        const where = ctx.executor.hostOf?.(key);
        ctx.emit({ type: 'package', packageId: id, status: 'running', attempt: now.attempts, detail: `candidate ${k}: adopted the running agent (runner pid ${alive.pid}${where ? ` on ${where}` : ''})` });
        void this.watcher.check(live);
        continue;
      }
      ctx.apply({ ...as, type: 'interrupted', reason: 'the run stopped while it ran and its agent is gone (no exit record)' });
    }
    await this.exits.setSettled(id);
  }

  // -- Cancel ------------------------------------------------------------------------------

  /** Cancels one package, or the whole run when no id. Running agents are stopped by their runner. */
  async cancel(packageId?: string): Promise<void> {
    const { ctx } = this;
    if (packageId === undefined) {
      ctx.attempts.cancelRun(); // nothing lost with its host is waited for any more
      for (const record of Object.values(ctx.state.packages)) await this.cancelOne(record.packageId);
    } else {
      // A parent of a plan of plans: every package below it too, then the parent itself.
      for (const id of [...below(ctx.joins ?? {}, packageId), packageId]) await this.cancelOne(id);
    }
    this.loop.wake();
  }

  private async cancelOne(id: string): Promise<void> {
    const { ctx } = this;
    const record = ctx.state.packages[id];
    ctx.attempts.forgetLost(id);
    if (!record || isTerminal(record.status)) return;
    ctx.attempts.cancelPackage(id);
    // Best of n: each candidate under way is stopped by its runner, or cancelled before it starts.
    for (const c of liveCandidates(record)) {
      if (c.status === 'running') await ctx.supervisor.stop(ctx.attemptOf(c.packageId, c.attempts), ctx.clock());
    }
    if (setUnderWay(record)) return;
    // Waiting for the person's pick: nothing runs; the set ends cancelled.
    if (awaitingPick(record)) return this.exits.setSettled(id);
    if (record.status === 'running') {
      await ctx.supervisor.stop(ctx.attemptOf(ctx.keyOf(id), record.attempts), ctx.clock());
    } else if (record.status === 'pending' || record.status === 'ready' || record.status === 'awaiting-review') {
      ctx.apply({ type: 'cancelled', packageId: id, reason: 'cancelled' });
    }
    // queued: cancelled as soon as its runner starts (the cancel file) — verifying: before its merge.
  }

  /** The run is cancelled: nothing that has not started will. */
  cancelNotStarted(): void {
    const { ctx } = this;
    for (const record of Object.values(ctx.state.packages)) {
      if (record.status === 'pending' || record.status === 'ready') ctx.apply({ type: 'cancelled', packageId: record.packageId, reason: 'the run was cancelled' });
    }
  }

  /** Whether another process asked for a cancel (the poll wakes the loop). */
  hasCancelRequests(names: readonly string[]): boolean {
    return names.some((f) => CANCEL_REQUEST.test(f));
  }

  /** Cancel requests from other processes, oldest first, each removed and carried out. */
  async pickUpCancelRequests(): Promise<void> {
    for (const { body } of await takeRequests(this.ctx.repoRoot, this.ctx.featureId, CANCEL_REQUEST)) {
      const request = body as { packageId?: unknown } | undefined;
      await this.cancel(typeof request?.packageId === 'string' ? request.packageId : undefined);
    }
  }
}
