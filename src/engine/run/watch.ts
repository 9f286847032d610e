/**
 * Watching live attempts: learns through each one's supervised attempt (attempt/supervise.ts) that
 * a runner ended (its exit record, seen by the attempt's watch or the engine's slow poll) and hands the exit over to be
 * processed exactly once — and only after the attempt's `started` is recorded. Meanwhile it
 * follows `needs-input` (a person is needed, or no longer), and notices a runner that is gone
 * without an exit record (interrupted) or never started (failed).
 */
import { errorText, type RunContext } from './context';
import type { LiveAttempt } from './liveAttempts';
import type { Exits } from './exit';
import type { LoopHandoffs } from './handoffs';
import { retriesSpent, type CandidateRunRecord, type PackageRunRecord } from '../../core/run/runState';
import { candidateOf, candidateOfKey } from '../../core/run/candidates';

export class AttemptWatcher {
  /** What a failed check last said of each attempt (said once, not at every look). */
  private readonly said = new WeakMap<LiveAttempt, string>();

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly exits: Exits,
  ) {}

  /** Follows the attempt (its watch, and the poll) until its exit is handled. */
  watch(live: LiveAttempt): void {
    this.ctx.attempts.track(live);
    live.watcher = live.attempt.watch(() => this.checkSafely(live));
  }

  unwatch(live: LiveAttempt): void {
    live.watcher?.close();
    live.watcher = null;
    this.ctx.attempts.untrack(live);
  }

  /** The slow poll: every live attempt is checked, and its runner's liveness every fifth poll. */
  poll(now: number): void {
    for (const attempt of this.ctx.attempts.live()) {
      this.checkSafely(attempt);
      if (now - attempt.checkedAt > 5 * this.ctx.pollMs) {
        attempt.checkedAt = now;
        void this.checkRunnerAlive(attempt);
      }
    }
  }

  /**
   * `check`, whose failure (an executor that could not read an end: a coordinator's queue, a
   * fetch) is said once per attempt and tried again at the next look, never thrown into the void.
   */
  private checkSafely(live: LiveAttempt): void {
    this.check(live).catch((err: unknown) => {
      const text = `${live.packageId}: its end could not be read (tried again at the next look): ${errorText(err)}`;
      if (this.said.get(live) === text) return;
      this.said.set(live, text);
      this.ctx.problem(text, live.packageId);
    });
  }

  /** Its exit (processed once), else its needs-input state. */
  async check(live: LiveAttempt): Promise<void> {
    const { ctx } = this;
    // Before `started` is applied, the launch's own check after it will look (see `started`).
    if (live.handled || ctx.stopped || !live.started) return;
    const exit = await live.attempt.readExit();
    // Another check may have handled it while this one read.
    if (live.handled || ctx.stopped) return;
    if (exit) {
      live.handled = true;
      ctx.mark('exit-seen', live.packageId);
      live.onExitSeen?.();
      this.unwatch(live);
      await this.exits.afterExit(live.packageId, exit, live.candidate);
      return;
    }
    if (this.recordOf(live).record?.status !== 'running') return;
    const needs = await live.attempt.readNeedsInput();
    const { id, record, as } = this.recordOf(live);
    if (ctx.stopped || record?.status !== 'running') return;
    if (needs.reason) {
      if (record.needsInput?.reason !== needs.reason) {
        ctx.apply({ type: 'needsInput', packageId: id, ...as, reason: needs.reason });
        ctx.emit({ type: 'needs-input', packageId: id, reason: needs.reason });
      }
    } else if (record.needsInput && !needs.present) {
      ctx.apply({ type: 'inputResumed', packageId: id, ...as });
      ctx.emit({ type: 'needs-input', packageId: id, reason: null });
    }
  }

  /** The record a live attempt moves: its package's, or its candidate's (best of n); `as` marks its events. */
  private recordOf(live: LiveAttempt): { id: string; record: PackageRunRecord | CandidateRunRecord | undefined; as: { candidate?: number } } {
    if (live.candidate === undefined) return { id: live.packageId, record: this.ctx.state.packages[live.packageId], as: {} };
    const id = candidateOfKey(live.packageId)?.packageId ?? live.packageId;
    return { id, record: candidateOf(this.ctx.state.packages[id], live.candidate), as: { candidate: live.candidate } };
  }

  /** The launcher saw the runner end: without an exit record (bad spec, crash) the attempt failed. */
  async runnerEnded(live: LiveAttempt): Promise<void> {
    await this.check(live);
    if (live.handled || this.ctx.stopped) return;
    live.handled = true;
    this.unwatch(live);
    await this.lostRunner(live, 'failed', 'the runner ended without writing exit.json (see its log)');
  }

  private async checkRunnerAlive(live: LiveAttempt): Promise<void> {
    const { ctx } = this;
    if (!live.started) return; // still launching: the launcher answers (or fails) first
    const { pid, alive, lost } = await live.attempt.liveness(this.recordOf(live).record?.pid ?? null);
    if (alive) return;
    if (lost && live.candidate === undefined) {
      // Its host is out of reach: interrupted as host-lost; collected when the host answers again (loop.ts).
      if (live.handled || ctx.stopped) return;
      live.handled = true;
      this.unwatch(live);
      await this.lostRunner(live, 'interrupted', lost);
      const record = ctx.state.packages[live.packageId];
      const sp = ctx.sched.find((p) => p.id === live.packageId);
      const budget = record && sp ? retriesSpent(record) <= sp.retryBudget : false;
      if (ctx.options.onHostLost === 'retry' && budget) {
        // Again elsewhere: the host takes no package until it answers (hostsExecutor.ts); this attempt is given up.
        ctx.apply({ type: 'reset', packageId: live.packageId }, `${lost}; tried again on another host`);
        this.loop.wake();
      } else {
        ctx.problem(`${live.packageId}: ${lost}. Its work is collected when the host answers again (or cancel the run).`, live.packageId);
        ctx.attempts.lostWithHost(live);
      }
      return;
    }
    // Its pid unknown (a launcher that cannot tell) and no meta.json yet: give it time to start.
    const startMs = ctx.options.runnerStartMs ?? 60_000;
    if (!pid && Date.now() - live.launchedAt < startMs) return;
    await this.check(live);
    if (live.handled || ctx.stopped) return;
    live.handled = true;
    this.unwatch(live);
    if (pid) await this.lostRunner(live, 'interrupted', 'the runner stopped without an exit record');
    else await this.lostRunner(live, 'failed', `the runner did not start within ${Math.round(startMs / 1000)} s (no meta.json; see its terminal)`);
  }

  /**
   * Host-lost attempts whose host answers again: the same attempt found again
   * (`reattached`) — its exit collected and judged, or its live runner watched again; a runner
   * gone without an exit is interrupted as any other (offered again within its retry budget).
   */
  async lookForLost(): Promise<void> {
    const { ctx } = this;
    for (const [id, live] of ctx.attempts.allLost()) {
      const host = ctx.executor.hostOf?.(id);
      if (!host || !(await ctx.executor.reachable?.(host)) || ctx.stopped || ctx.attempts.lostOf(id) !== live) continue;
      // Stays lost (the run waits for it) until it is watched or judged again.
      if (ctx.state.packages[id]?.status !== 'interrupted') {
        ctx.attempts.forgetLost(id);
        continue;
      }
      // Liveness first: a runner that ends between the two reads has written its exit before the second.
      const alive = (await live.attempt.liveness(null)).alive;
      const exit = await live.attempt.readExit();
      const found = exit ? 'exit' : alive ? 'alive' : null;
      if (!found) {
        ctx.attempts.forgetLost(id);
        ctx.problem(`${id}: ${host} answers again, but its attempt ended there without an exit record`, id);
        const record = ctx.state.packages[id]!;
        const sp = ctx.sched.find((p) => p.id === id);
        if (sp && retriesSpent(record) <= sp.retryBudget) ctx.apply({ type: 'reset', packageId: id }, 'offered again after its host came back');
        this.loop.wake();
        continue;
      }
      if (!ctx.apply({ type: 'reattached', packageId: id, startToken: live.attempt.token }, `${host} answers again: its attempt is collected`)) {
        ctx.attempts.forgetLost(id);
        continue;
      }
      const again: LiveAttempt = { ...live, watcher: null, checkedAt: Date.now(), handled: false, started: true };
      if (found === 'exit') {
        again.handled = true;
        const judged = this.exits.afterExit(id, exit!); // marks it finishing at once
        ctx.attempts.forgetLost(id);
        await judged;
      } else {
        this.watch(again);
        ctx.attempts.forgetLost(id);
        this.checkSafely(again);
      }
    }
    this.loop.wake();
  }

  private async lostRunner(live: LiveAttempt, as: 'failed' | 'interrupted', reason: string): Promise<void> {
    const { ctx } = this;
    if (live.candidate !== undefined) {
      // A candidate's runner: the candidate ends so; its set goes on without it.
      const { id, record, as: of } = this.recordOf(live);
      if (record?.status === 'running') ctx.apply({ type: as, packageId: id, ...of, reason });
      await this.exits.setSettled(id);
      this.loop.wake();
      return;
    }
    const id = live.packageId;
    ctx.attempts.beginFinishing(id);
    try {
      if (ctx.state.packages[id]?.status === 'running') ctx.apply({ type: as, packageId: id, reason });
      await ctx.releaseLocksOf(id);
    } finally {
      ctx.attempts.endFinishing(id);
      this.loop.wake();
    }
  }
}
