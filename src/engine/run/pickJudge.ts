/**
 * Best of n, `pick: judge` (ADR 0031): once every candidate of a set has ended and some are green,
 * an agent — the package's own, inside its walls, in a folder of its own beside the attempt (it
 * sees no tree and writes nothing but its answer) — reads the task and each green candidate's
 * diff and ranks them (core/run/pickJudge.ts). Its first goes on as a pick does, the reason said;
 * when it gives no usable answer, the first green candidate goes on, saying so. With the set's
 * `confirm`, its first is recorded (`ranked`) and the package awaits the person's pick instead. One judge per set
 * and engine; the run does not end while it works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { awaitingPick, isGreen } from '../../core/run/candidates';
import { judgePrompt, readRanking } from '../../core/run/pickJudge';
import type { PlanPackage } from '../../core/plan/model';
import { runnerSpec } from '../attempt';
import { git } from '../git';
import { errorText, type RunContext } from './context';
import type { LoopHandoffs } from './handoffs';

/** The judge's time limit (ms). */
const JUDGE_TIMEOUT_MS = 15 * 60_000;

export class PickJudge {
  /** Packages whose set this engine has judged, or judges now. */
  private readonly judged = new Set<string>();

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly choose: (id: string, k: number, why: string) => Promise<{ ok: true } | { ok: false; reason: string }>,
    /** The set settled again (exit.ts `setSettled`): a package left awaiting its pick is said to await the person's. */
    private readonly settle: (id: string) => Promise<void>,
  ) {}

  /** Starts the judge of `pkg`'s set; false when it was judged already (by this engine, or its ranking waits for the person): then the person picks. */
  start(pkg: PlanPackage): boolean {
    const { ctx } = this;
    const id = pkg.id;
    const key = `${id}.judge:${ctx.state.packages[id]!.attempts}`;
    if (this.judged.has(key) || ctx.state.packages[id]!.ranked) return false;
    this.judged.add(key);
    ctx.attempts.beginFinishing(key);
    ctx.emit({ type: 'package', packageId: id, status: 'running', attempt: ctx.state.packages[id]!.attempts, detail: 'the judge reads the green candidates' });
    void this.judge(pkg)
      .catch((err: unknown) => ctx.problem(`${id}: the judge could not run: ${errorText(err)}; the pick is yours`, id))
      .finally(async () => {
        ctx.attempts.endFinishing(key);
        // Nothing went on (`confirm`, or the judge could not run): the package awaits the person's pick, said so.
        if (awaitingPick(ctx.state.packages[id]!)) await this.settle(id).catch((err: unknown) => ctx.problem(`${id}: ${errorText(err)}`, id));
        this.loop.wake();
      });
    return true;
  }

  private async judge(pkg: PlanPackage): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    const record = ctx.state.packages[id]!;
    const green = (record.candidates ?? []).filter((c) => c.status === 'verifying' && isGreen(c));
    if (green.length === 0) return;
    const candidates = await Promise.all(
      green.map(async (c) => ({ candidate: c.candidate, agent: c.agent, diff: (await git(ctx.repoRoot, ['diff', '--no-color', '--no-ext-diff', c.baseSha ?? 'HEAD', c.headSha!])).stdout })),
    );
    const place = ctx.attemptOf(`${id}.judge`, record.attempts);
    const folder = path.join(place.dir, 'judge');
    await fs.promises.mkdir(folder, { recursive: true });
    const agent = ctx.agentOf(id);
    const token = ctx.executor.startToken?.(`${id}.judge`) ?? `${Date.now()}${Math.random()}`.replace('.', '');
    const spec = runnerSpec({
      agent,
      place,
      worktree: folder,
      feature: ctx.featureId,
      token,
      walled: !ctx.options.confinement?.unconfined,
      env: { ...ctx.options.env, WAVES_PACKAGE_ID: id, WAVES_FEATURE_ID: ctx.featureId },
      timeoutMs: JUDGE_TIMEOUT_MS,
      graceMs: ctx.options.graceMs,
    });
    const prompt = judgePrompt({ packageId: id, title: pkg.title ?? null, task: pkg.description ?? '', candidates });
    await ctx.supervisor.write(place, prompt, spec);
    const attempt = await ctx.supervisor.start({ attempt: place, startToken: token, title: `waves: ${id} judge`, cwd: folder, interactive: false });
    const end = await attempt.ended();
    const text = await fs.promises.readFile(path.join(folder, 'ranking.json'), 'utf8').catch(() => null);
    const answer = readRanking(text, green.map((c) => c.candidate));
    const failed = !end.exit ? end.lost : end.judgement.end !== 'clean' ? end.judgement.reason : null;
    if (ctx.setOf(pkg)?.confirm) {
      // `confirm`: the judge's first waits for the person's pick (said once the judge is done: `start`).
      if (answer.ok) ctx.apply({ type: 'ranked', packageId: id, choice: answer.candidate, why: answer.reason }, `the judge ranks candidate ${answer.candidate} first: ${answer.reason}; awaiting your pick`);
      else ctx.problem(`${id}: the judge gave no ranking (${failed ?? answer.problem}); the pick is yours`, id);
      return;
    }
    if (answer.ok) {
      const r = await this.choose(id, answer.candidate, `the judge: ${answer.reason}`);
      if (!r.ok) ctx.problem(`${id}: the judge's pick of candidate ${answer.candidate} not carried out: ${r.reason}`, id);
      return;
    }
    // No usable answer: the first green candidate goes on, said so (the run never waits on a judge that failed).
    const first = green[0]!.candidate;
    ctx.problem(`${id}: the judge gave no ranking (${failed ?? answer.problem}); candidate ${first}, the first green one, goes on`, id);
    const r = await this.choose(id, first, `the first green one (the judge gave no ranking: ${failed ?? answer.problem})`);
    if (!r.ok) ctx.problem(`${id}: candidate ${first} not carried out: ${r.reason}`, id);
  }
}
