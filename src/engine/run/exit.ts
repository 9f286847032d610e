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
import { PickJudge } from './pickJudge';
import { awaitingPick, candidateKey, candidateOf, candidateOfKey, isGreen, liveCandidates, pickable, workingCandidates } from '../../core/run/candidates';
import { pickPassedText } from '../../core/present/progressModel';

export class Exits {
  private readonly gitSetup: GitSetupWatch;
  private readonly judging: AttemptJudge;
  private readonly judges: PickJudge;

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly merges: Merges,
  ) {
    this.gitSetup = new GitSetupWatch(ctx);
    this.judging = new AttemptJudge(ctx, this.gitSetup);
    this.judges = new PickJudge(ctx, loop, (id, k, why) => this.pick(id, k, why), (id) => this.setSettled(id));
  }

  /** The package's own attempt as judging sees it (the candidate that went on, once one did): its record in the run state, its events the package's. */
  private ownAttempt(pkg: PlanPackage): JudgedAttempt {
    const { ctx } = this;
    const id = pkg.id;
    const key = ctx.keyOf(id);
    const fields = () => {
      const r = ctx.state.packages[id]!;
      return { attempts: r.attempts, worktree: r.worktree, branch: r.branch, baseSha: r.baseSha, resultFile: r.resultFile, asked: r.asked ?? null };
    };
    return {
      key,
      pkg,
      place: ctx.attemptOf(key, fields().attempts),
      fields,
      apply: (event, detail) => ctx.apply({ ...event, packageId: id }, detail),
      usageLimit: (detail, resetAt) => this.usageLimit(pkg, detail, resetAt),
    };
  }

  /** Candidate `k` of the package (best of n) as judging sees it: its own record, its events the candidate's. */
  private candidateAttempt(pkg: PlanPackage, k: number): JudgedAttempt {
    const { ctx } = this;
    const id = pkg.id;
    const key = candidateKey(id, k);
    const record = () => ctx.state.packages[id]!.candidates!.find((c) => c.candidate === k)!;
    const fields = () => {
      const r = record();
      return { attempts: r.attempts + (r.status === 'queued' ? 1 : 0), worktree: r.worktree, branch: r.branch, baseSha: r.baseSha, resultFile: r.resultFile, asked: r.asked ?? null };
    };
    return {
      key,
      pkg,
      place: ctx.attemptOf(key, fields().attempts),
      fields,
      apply: (event, detail) => ctx.apply({ ...event, packageId: id, candidate: k }, detail),
      // At its agent's limit the candidate ends there (its package's fallback is for the package's own attempt).
      usageLimit: (detail, resetAt) => void ctx.apply({ type: 'usageLimit', packageId: id, candidate: k, detail, resetAt, agent: record().agent }),
    };
  }

  /**
   * Processes the exit; a failure on the way fails the package — but one because its host stopped
   * answering is waited for: judged again from the start once the host answers (its work
   * is there), the package kept verifying meanwhile. Then its locks go and the loop wakes.
   * A candidate's exit (best of n) is judged into its own record (`afterCandidateExit`).
   */
  async afterExit(id: string, exit: ExitRecord, candidate?: number): Promise<void> {
    if (candidate !== undefined) return this.afterCandidateExit(id, exit, candidate);
    const { ctx } = this;
    ctx.attempts.beginFinishing(id);
    try {
      for (let told = false; ; ) {
        try {
          await this.processExit(id, exit);
          break;
        } catch (err) {
          const status = ctx.state.packages[id]?.status;
          const host = status === 'running' || status === 'verifying' ? ctx.executor.hostAway?.(ctx.keyOf(id)) : null;
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

  /**
   * A candidate's exit (best of n, first-green): judged as any attempt into its own record; the
   * first green one goes on as the package's attempt (the others are stopped); once none is left
   * the package fails, saying each one's end (`setSettled`).
   */
  private async afterCandidateExit(key: string, exit: ExitRecord, k: number): Promise<void> {
    const { ctx } = this;
    const id = candidateOfKey(key)?.packageId ?? key;
    ctx.attempts.beginFinishing(key);
    try {
      const pkg = ctx.pkg(id)!;
      const a = this.candidateAttempt(pkg, k);
      const status = () => candidateOf(ctx.state.packages[id], k)?.status;
      if (status() === 'running') {
        if ((await this.judging.exited(a, exit)) === 'done') {
          const setup = await this.gitSetup.check(key);
          if (setup) ctx.problem(`${key}: ${setup}`, id);
          return;
        }
      } else if (status() !== 'verifying') return;
      const judged = await this.judging.judge(a, exit);
      // `pick: person` or `judge`: a green candidate waits with the others for the pick (setSettled, once none is at work).
      if (judged.next === 'green' && (ctx.setOf(pkg)?.pick ?? 'first-green') === 'first-green') await this.firstGreen(pkg, k, judged.commit);
    } catch (err) {
      ctx.problem(`${key}: ${errorText(err)}`, id);
      const c = candidateOf(ctx.state.packages[id], k);
      if (c && (c.status === 'running' || c.status === 'verifying')) ctx.apply({ type: 'failed', packageId: id, candidate: k, reason: errorText(err) });
    } finally {
      ctx.attempts.endFinishing(key);
      await this.setSettled(id).catch((err) => ctx.problem(`${id}: ${errorText(err)}`, id));
      await ctx.store?.flush();
      this.loop.wake();
    }
  }

  /** Candidate `k` is green: the first goes on (the others stop: their branches stay for a look); a later one is cancelled, saying which went on. */
  private async firstGreen(pkg: PlanPackage, k: number, commit: string): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    const record = ctx.state.packages[id]!;
    if (record.status !== 'running' || record.chosen) {
      const went = record.chosen ? `candidate ${record.chosen.candidate} went on first` : `its package is ${record.status}`;
      ctx.apply({ type: 'cancelled', packageId: id, candidate: k, reason: went });
      return;
    }
    if (!ctx.apply({ type: 'chosen', packageId: id, choice: k, why: 'the first to pass its audit and verification' }, `candidate ${k} goes on: the first to pass its audit and verification`)) return;
    for (const c of record.candidates ?? []) {
      if (c.candidate === k || !(c.status === 'queued' || c.status === 'running' || c.status === 'verifying')) continue;
      ctx.attempts.stopCandidate(c.packageId);
      if (c.status === 'running') await ctx.supervisor.stop(ctx.attemptOf(c.packageId, c.attempts), ctx.clock()).catch(() => undefined);
    }
    await this.afterGreen(pkg, commit);
  }

  /**
   * A set with no candidate left under way and none chosen: the package fails, saying each
   * candidate's end (a retry, within its budget, starts a new set); once the package has ended,
   * its locks go.
   */
  async setSettled(id: string): Promise<void> {
    const { ctx } = this;
    const record = ctx.state.packages[id];
    const set = record?.candidates;
    if (!record || !set) return;
    if (workingCandidates(record).length > 0 || set.some((c) => ctx.attempts.isFinishing(c.packageId))) return;
    if (awaitingPick(record)) {
      if (ctx.attempts.cancelled(id)) {
        // Cancelled while it waited for the pick: its green candidates end with it.
        for (const c of liveCandidates(record)) ctx.apply({ type: 'cancelled', packageId: id, candidate: c.candidate, reason: 'its package was cancelled' });
        return this.setSettled(id);
      } else {
        // Its locks go meanwhile, as under the review gate; its dependents wait.
        const pkg = ctx.pkg(id);
        if (pkg && ctx.setOf(pkg)?.pick === 'judge' && this.judges.start(pkg)) {
          await ctx.releaseLocksOf(id);
          return;
        }
        // The words `waves status`, the report and the editor say it in (present/progressModel.ts).
        const passed = pickPassedText(pickable(record), record.ranked ?? null);
        ctx.emit({ type: 'package', packageId: id, status: 'running', attempt: record.attempts, detail: `awaiting your pick: ${passed}` });
        ctx.problem(`${id} awaits your pick: ${passed} (waves pick, or Pick in the Waves view)`, id);
        await ctx.releaseLocksOf(id);
        return;
      }
    }
    if (!record.chosen && (record.status === 'running' || record.status === 'queued')) {
      const ends = set.map((c) => `${c.candidate} (${c.agent}) ${c.status}${c.lastError ? `: ${c.lastError}` : ''}`);
      const reason = `none of its ${set.length} candidates went on — ${ends.join('; ')}`;
      // Cancelled when asked; interrupted (offered again on resume) when a candidate was; else failed: a retry starts a new set.
      const type = ctx.attempts.cancelled(id) ? 'cancelled' : set.some((c) => c.status === 'interrupted') ? 'interrupted' : 'failed';
      ctx.apply({ type, packageId: id, reason });
    }
    const now = ctx.state.packages[id]!.status;
    if (now !== 'verifying' && now !== 'running' && now !== 'queued') await ctx.releaseLocksOf(id);
  }

  /**
   * The person picked candidate `k` of a package awaiting its pick (best of n, `pick: person`, or
   * a judge's ranking to confirm), or the judge did (`judged`: its reason): it goes on as a
   * first-green one does — the review gate, or the merge. False (and why) when the run's state
   * does not allow it any more.
   */
  async pick(id: string, k: number, judged?: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { ctx } = this;
    const record = ctx.state.packages[id];
    const pkg = ctx.pkg(id);
    if (!record || !pkg) return { ok: false, reason: `the run has no package ${id}` };
    const c = candidateOf(record, k);
    if (!c || !awaitingPick(record) || !isGreen(c) || ctx.attempts.isFinishing(id)) return { ok: false, reason: `${id} is not awaiting a pick of candidate ${k}` };
    // The judge's reason, or the person's pick (over a ranking the judge left for them, said).
    const r = record.ranked;
    const why = judged ?? (!r ? 'your pick' : r.candidate === k ? `your pick, the judge's first: ${r.why}` : `your pick (the judge ranked candidate ${r.candidate} first: ${r.why})`);
    if (!ctx.apply({ type: 'chosen', packageId: id, choice: k, why }, `candidate ${k} goes on: ${why}`)) return { ok: false, reason: `candidate ${k} of ${id} could not be chosen` };
    // The others, green or not, end: one candidate goes on.
    for (const o of liveCandidates(ctx.state.packages[id]!)) if (o.candidate !== k) ctx.apply({ type: 'cancelled', packageId: id, candidate: o.candidate, reason: `candidate ${k} was picked` });
    await this.personsTurn(id, 'verifying', () => this.afterGreen(pkg, c.headSha!));
    return { ok: true };
  }

  /** A decision of the person's (Approve, a pick) carried out: its package finishing meanwhile; a failure while still `status` fails it, named; the loop woken after. */
  private async personsTurn(id: string, status: 'awaiting-review' | 'verifying', run: () => Promise<void>): Promise<void> {
    const { ctx } = this;
    ctx.attempts.beginFinishing(id);
    try {
      await run();
    } catch (err) {
      if (ctx.state.packages[id]?.status === status) ctx.apply({ type: 'failed', packageId: id, reason: `its merge failed: ${errorText(err)}` });
    } finally {
      ctx.attempts.endFinishing(id);
      await ctx.store?.flush();
      this.loop.wake(); // the run may be over now
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

  /** The package stopped at its agent's usage limit: paused with the reset time; the loop holds that agent's packages back. */
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
    if (judged.next === 'green') await this.afterGreen(pkg, judged.commit);
  }

  /** The package's attempt is green: it waits for the person's review, or merges. */
  private async afterGreen(pkg: PlanPackage, commit: string): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    // A parent's join (ADR 0035) has nothing of its own to review: each of its children passed the gate.
    if (ctx.reviewGate === 'before-merge' && !ctx.joins?.[id]) {
      // The review gate: the person approves (then it merges) or asks for changes; its locks go meanwhile.
      ctx.apply({ type: 'awaitingReview', packageId: id }, 'awaiting your review: approve it, or request changes');
      await ctx.releaseLocksOf(id);
      this.loop.wake();
      return;
    }
    await this.land(pkg, commit);
  }

  /**
   * Merges the package's judged commit and, when merged, marks it succeeded, releases its locks,
   * launches its dependents and removes its tree — after its verification, or when the person
   * approves it at the review gate (`approve`).
   */
  private async land(pkg: PlanPackage, commit: string): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    // Its merge, for its timeline: waiting for the merges before it and its own.
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
   * The person approved a package awaiting review: its judged commit (`headSha`, recorded
   * by the audit) is merged as any verified one. False (and why) when it is not awaiting review.
   */
  async approve(id: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { ctx } = this;
    const record = ctx.state.packages[id];
    const pkg = ctx.pkg(id);
    if (!record || !pkg) return { ok: false, reason: `the run has no package ${id}` };
    if (record.status !== 'awaiting-review') return { ok: false, reason: `${id} is ${record.status}, not awaiting review` };
    if (!record.headSha) return { ok: false, reason: `${id} has no judged commit to merge` };
    await this.personsTurn(id, 'awaiting-review', () => this.land(pkg, record.headSha!));
    return { ok: true };
  }
}
