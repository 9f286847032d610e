/**
 * Processing an attempt's exit for its package: the attempt judged (judge.ts: `exited`, the
 * bounds, the verdict, the scope audit of ONE commit, the approved verification commands), then
 * what a green one means for the package — the review gate, or the merge of that same commit
 * (merge.ts audits what the merge brings once more) → `succeeded`. The package's locks are
 * released at the end whatever happened. Called once per attempt (the watcher's `handled`
 * flag), only once its `started` is recorded.
 */
import type { PlanPackage } from '../../core/plan/model';
import { markMerging, recordMerge } from '../../core/run/runStateReducer';
import type { ExitRecord } from '../attempt';
import { errorText, type RunContext } from './context';
import type { Merges } from './merge';
import type { LoopHandoffs } from './handoffs';
import { GitSetupWatch } from './gitSetupWatch';
import { AttemptJudge, type JudgedAttempt } from './judge';

export class Exits {
  private readonly gitSetup: GitSetupWatch;
  private readonly judging: AttemptJudge;

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly merges: Merges,
  ) {
    this.gitSetup = new GitSetupWatch(ctx);
    this.judging = new AttemptJudge(ctx, this.gitSetup);
  }

  /** The package's own attempt as judging sees it: its record in the run state, its events the package's. */
  private ownAttempt(pkg: PlanPackage): JudgedAttempt {
    const { ctx } = this;
    const id = pkg.id;
    const fields = () => {
      const r = ctx.state.packages[id]!;
      return { attempts: r.attempts, worktree: r.worktree, branch: r.branch, baseSha: r.baseSha, resultFile: r.resultFile };
    };
    return {
      key: id,
      pkg,
      place: ctx.attemptOf(id, fields().attempts),
      fields,
      apply: (event, detail) => ctx.apply({ ...event, packageId: id }, detail),
      usageLimit: (detail, resetAt) => this.usageLimit(pkg, detail, resetAt),
    };
  }

  /**
   * Processes the exit; a failure on the way fails the package — but one because its host stopped
   * answering (#36) is waited for: judged again from the start once the host answers (its work
   * is there), the package kept verifying meanwhile. Then its locks go and the loop wakes.
   */
  async afterExit(id: string, exit: ExitRecord): Promise<void> {
    const { ctx } = this;
    ctx.attempts.beginFinishing(id);
    try {
      for (let told = false; ; ) {
        try {
          await this.processExit(id, exit);
          break;
        } catch (err) {
          const status = ctx.state.packages[id]?.status;
          const host = status === 'running' || status === 'verifying' ? ctx.executor.hostAway?.(id) : null;
          if (!host || ctx.stopped) throw err;
          ctx.executor.markLost?.(host);
          if (!told) ctx.problem(`${id}: its host ${host} stopped answering while its work was judged (${errorText(err)}); waiting for it — the work is there`, id);
          told = true;
          if (!(await this.hostBack(id, host))) {
            if (!ctx.attempts.cancelled(id)) throw err;
            ctx.apply({ type: 'cancelled', packageId: id, reason: `cancelled while its host ${host} was out of reach` });
            break;
          }
        }
      }
    } catch (err) {
      ctx.problem(`${id}: ${errorText(err)}`, id);
      const status = ctx.state.packages[id]?.status;
      if (status === 'running' || status === 'verifying') ctx.apply({ type: 'failed', packageId: id, reason: errorText(err) });
    } finally {
      await ctx.releaseLocksOf(id).catch((err) => ctx.problem(`Could not release the locks of ${id}: ${errorText(err)}`));
      ctx.attempts.endFinishing(id);
      await ctx.store?.flush();
      this.loop.wake();
    }
  }

  /** Until `host` answers (true) or the run stops or `id` is cancelled (false): asked again after 1 s, then up to every 10 s. */
  private async hostBack(id: string, host: string): Promise<boolean> {
    const { ctx } = this;
    const over = () => ctx.stopped || ctx.attempts.cancelled(id);
    for (let pause = 1000; !over(); pause = Math.min(10_000, pause * 2)) {
      for (let waited = 0; waited < pause && !over(); waited += 250) await new Promise((r) => setTimeout(r, 250));
      if (over()) return false;
      if (await ctx.executor.reachable?.(host)) return true;
    }
    return false;
  }

  private async processExit(id: string, exit: ExitRecord): Promise<void> {
    const pkg = this.ctx.pkg(id)!;
    const status = this.ctx.state.packages[id]!.status;
    if (status === 'running') {
      const next = await this.judging.exited(this.ownAttempt(pkg), exit);
      if (next === 'done') {
        // Failed, cancelled or at a usage limit: nothing of it merges, but a git set-up it changed is put back all the same.
        const setup = await this.gitSetup.check(id);
        if (setup) this.ctx.problem(`${id}: ${setup}`, id);
        return;
      }
      await this.judge(pkg, exit);
    } else if (status === 'verifying') {
      // Resumed: the exit was recorded before the engine stopped.
      await this.judge(pkg, exit);
    }
    // Otherwise cancelled / interrupted while the exit was on its way: nothing more to do.
  }

  /** The package stopped at its agent's usage limit: paused with the reset time; the loop holds that agent's packages back (#16). */
  private usageLimit(pkg: PlanPackage, detail: string, resetAt: string | null): void {
    const { ctx } = this;
    const agent = ctx.agentOf(pkg.id).label;
    ctx.apply({ type: 'usageLimit', packageId: pkg.id, detail, resetAt, agent }, `usage limit${resetAt ? ` until ${resetAt}` : ''}: ${detail}`);
    // The person's fallback chain: the next agent not at its own limit takes the package over (no retry spent).
    const next = ctx.holds.atUsageLimit(pkg.id, agent, resetAt);
    if (next) {
      ctx.apply({ type: 'reset', packageId: pkg.id }, `goes on with ${next.label} (its fallback agent) after ${agent}'s usage limit`);
    }
  }

  /** A verifying package: its attempt judged; a green one waits for the person's review, or merges. */
  private async judge(pkg: PlanPackage, exit: ExitRecord): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    const judged = await this.judging.judge(this.ownAttempt(pkg), exit, (commit) => this.merges.readAhead(id, commit));
    if (judged.next === 'violation') {
      ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
      return;
    }
    if (judged.next !== 'green') return;
    if (ctx.reviewGate === 'before-merge') {
      // The review gate (#33): the person approves (then it merges) or asks for changes; its locks go meanwhile.
      ctx.apply({ type: 'awaitingReview', packageId: id }, 'awaiting your review: approve it, or request changes');
      await ctx.releaseLocksOf(id);
      this.loop.wake();
      return;
    }
    await this.land(pkg, judged.commit);
  }

  /**
   * Merges the package's judged commit and, when merged, marks it succeeded, releases its locks,
   * launches its dependents and removes its tree — after its verification, or when the person
   * approves it at the review gate (#33: `approve`).
   */
  private async land(pkg: PlanPackage, commit: string): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    // Its merge, for its timeline (#35): waiting for the merges before it and its own.
    ctx.update(markMerging(ctx.state, id, ctx.clock()));
    const merged = await this.merges.serialMerge(pkg, commit);
    ctx.mark('merged', id);
    if (merged) {
      ctx.apply({ type: 'succeeded', packageId: id });
      // Dependents first (handoff), then the clean-up of this worktree.
      await ctx.releaseLocksOf(id);
      ctx.mark('locks-released', id);
      await this.loop.wakeAndLaunch();
      // The clean-up's git calls wait until the dependents have started, too: on two cores they
      // delayed each dependent's agent (niced below them) by about 20 ms.
      this.loop.afterAgentsStart(id, () => this.merges.removeTree(pkg));
    }
  }

  /**
   * The person approved a package awaiting review (#33): its judged commit (`headSha`, recorded
   * by the audit) is merged as any verified one. False (and why) when it is not awaiting review.
   */
  async approve(id: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { ctx } = this;
    const record = ctx.state.packages[id];
    const pkg = ctx.pkg(id);
    if (!record || !pkg) return { ok: false, reason: `the run has no package ${id}` };
    if (record.status !== 'awaiting-review') return { ok: false, reason: `${id} is ${record.status}, not awaiting review` };
    if (!record.headSha) return { ok: false, reason: `${id} has no judged commit to merge` };
    ctx.attempts.beginFinishing(id);
    try {
      await this.land(pkg, record.headSha);
    } catch (err) {
      if (ctx.state.packages[id]?.status === 'awaiting-review') ctx.apply({ type: 'failed', packageId: id, reason: `its merge failed: ${errorText(err)}` });
    } finally {
      ctx.attempts.endFinishing(id);
      await ctx.store?.flush();
      this.loop.wake(); // the run may be over now
    }
    return { ok: true };
  }
}
