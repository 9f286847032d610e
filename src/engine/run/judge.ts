/**
 * Judging one attempt (ADR 0031's first step): its runner's exit record → `exited` (a clean exit
 * goes on to be judged) → the bounds (the tree still on its branch, the repository's git set-up
 * and the person's checkout unchanged) → its leftovers committed → the verdict (exit code, the
 * agent's own verdict, "changed something or said done") → the scope audit of ONE commit (the
 * branch's tip, tree to tree against the base) → the approved verification commands (started
 * beside the audit, on the same commit; their results count only after it passed). What it
 * finds goes through the attempt's own handle (`JudgedAttempt.apply`: the package's record for
 * its own attempt), one event at a time, each in the run store before the next step; what a green
 * attempt then means for its package (the review gate, the merge) is exit.ts's. Nothing here
 * trusts the agent to have followed its prompt (docs/security.md).
 */
import os from 'node:os';
import { auditScope, type AuditChange } from '../../core/run/audit';
import { decideOutcome } from '../../core/agents/agentOutcome';
import { judgeExit } from '../../core/agents/exitJudgement';
import type { Spend } from '../../core/run/spend';
import { wallsRefusedText } from '../../core/walls/walls';
import { registriesRefusedNote, wallsOutputAdvice } from '../../core/walls/toolchains';
import type { PlanPackage } from '../../core/plan/model';
import { visibleText } from '../../core/present/visibleText';
import type { ChangedFile, RunEvent } from '../../core/run/runState';
import { claimedNotChanged } from '../../core/present/runReport';
import { featureSlug } from '../../core/run/runPaths';
import { checkoutChanges, putBranchBack, type CheckoutFingerprint } from '../git';
import type { AttemptPlace, ExitRecord } from '../attempt';
import type { RunContext } from './context';
import type { GitSetupWatch } from './gitSetupWatch';
import { joinChanges } from './joins';
import { plannerWrote, subPlanFileOf, takeSubPlan } from './planners';

type Judged = Extract<RunEvent, { type: 'exited' | 'audited' | 'verificationResult' | 'failed' | 'scopeViolation' | 'cancelled' }>;
/** An event judging writes, without the package: the attempt's handle says whose it is. */
export type AttemptEvent = Judged extends infer E ? (E extends Judged ? Omit<E, 'packageId'> : never) : never;

/** An attempt's fields as the run state has them now. */
export interface AttemptFields {
  attempts: number;
  worktree: string | null;
  branch: string | null;
  baseSha: string | null;
  resultFile: string | null;
  /** The question its agent asked through the run's `ask` tool (ADR 0036), if it did. */
  asked?: string | null;
}

/** One attempt to judge: where it ran, and where what is found about it goes. */
export interface JudgedAttempt {
  /** The executor's, the live attempts' and the profile marks' key (the package id for a package's own attempt). */
  readonly key: string;
  readonly pkg: PlanPackage;
  /** Its files (the verification's record goes beside them). */
  readonly place: AttemptPlace;
  fields(): AttemptFields;
  apply(event: AttemptEvent, detail?: string): boolean;
  /** It stopped at its agent's usage limit: paused, not failed (its package's fallback agent may take over). */
  usageLimit(detail: string, resetAt: string | null): void;
}

/** What judging found: `green` (audited and verified: this commit may go on), a breach of its bounds or scope (applied), or an end applied. */
export type Judgement = { next: 'green'; commit: string } | { next: 'violation' } | { next: 'done' };

/**
 * Beside a failed attempt's reason, what reads like its walls (ADR 0026): the connections they
 * refused (a package registry said as one, with its switch), or the read-only files its last
 * output met, with the setting that gives a folder; the model server its runner saw it fail to
 * reach; '' when none.
 */
function wallsNote(exit: ExitRecord): string {
  const refused = exit.refusedTargets.length ? `; ${wallsRefusedText(exit.refusedTargets, visibleText)}${registriesRefusedNote(exit.refusedTargets, exit.refusedRegistries)}` : '';
  // A path its walls refused it, read by its runner, is said in the reason already (core/agents/agentOutcome.ts).
  const tail = (exit.verdict?.tail ?? []).join('\n');
  // A connection made past the proxy, which its walls' log cannot name (ENETUNREACH, a name it looked up itself), unless the proxy named what it refused.
  const advice = wallsOutputAdvice(tail, os.homedir(), { readOnly: !!exit.verdict?.refused, proxy: refused !== '' });
  return `${refused}${advice}${exit.unreached ? `; ${exit.unreached}` : ''}`;
}

/** What an exit adds to the `exited` event: what the attempt spent, what its walls refused it. */
function spentBy(exit: ExitRecord): { spend?: Spend; refused?: string[]; refusedRegistries?: string[] } {
  return {
    ...(exit.verdict?.spend ? { spend: exit.verdict.spend } : {}),
    ...(exit.refusedTargets.length ? { refused: exit.refusedTargets } : {}),
    ...(exit.refusedRegistries.length ? { refusedRegistries: exit.refusedRegistries } : {}),
  };
}

export class AttemptJudge {
  constructor(
    private readonly ctx: RunContext,
    private readonly gitSetup: GitSetupWatch,
  ) {}

  /**
   * The `exited` event of a running attempt: cancelled (asked for, or the runner stopped it), a
   * clean exit (→ verifying: `verify`), a usage limit, or a failed one (`done`).
   */
  async exited(a: JudgedAttempt, exit: ExitRecord): Promise<'verify' | 'done'> {
    const { ctx } = this;
    // The exit record judged as every attempt's is (core/agents/exitJudgement.ts): a cancel asked for the attempt or the run counts as one.
    const judged = judgeExit(exit, ctx.attempts.cancelled(a.key));
    if (judged.end === 'cancelled') {
      a.apply({ type: 'cancelled', reason: judged.reason });
      a.apply({ type: 'exited', exitCode: exit.code, signal: exit.signal, ...spentBy(exit) });
      return 'done';
    }
    if (judged.end === 'clean') {
      // Now verifying; the tree is checked and its leftovers committed by judge().
      a.apply({ type: 'exited', exitCode: 0, ...spentBy(exit) });
      return 'verify';
    }
    const head = await ctx.executor.headOf(a.key);
    if (judged.end === 'usage-limit') {
      // Paused, not failed: no retry spent; its commits stay on its branch for the next attempt.
      a.usageLimit(judged.reason, judged.resetAt);
      a.apply({ type: 'exited', exitCode: exit.code, signal: exit.signal, ...(head ? { headSha: head } : {}), ...spentBy(exit) });
      return 'done';
    }
    const reason = judged.reason + wallsNote(exit);
    a.apply({ type: 'exited', exitCode: exit.code, signal: exit.signal, reason, ...(head ? { headSha: head } : {}), ...spentBy(exit) });
    return 'done';
  }

  /**
   * A verifying attempt: bounds → verdict → audit → verification (run beside the audit). `committed`: told the one
   * commit judged from here on as soon as it is known (the merge's first reads go on beside the audit).
   */
  async judge(a: JudgedAttempt, exit: ExitRecord, committed?: (commit: string) => void): Promise<Judgement> {
    const { ctx } = this;
    const id = a.key;
    const violation = (reason: string): Judgement => {
      a.apply({ type: 'scopeViolation', paths: [], reason });
      return { next: 'violation' };
    };
    // Its tree must still be on its branch before anything is committed there.
    const left = await this.leftItsBranch(a);
    if (left) {
      // Nothing is committed in its tree; what it did outside is put back (where it can be) and said all the same.
      const outside = await this.outsideBreach(id);
      return violation(outside ? `${left}; and ${outside}` : left);
    }
    // The one commit judged from here on, by its id: audited, verified, merged. Its leftovers are
    // committed on its branch while the bounds outside its tree are read (the person's checkout's
    // status is the slowest read of a package's end); a breach merges nothing of it either way.
    const committing = this.commitLeftovers(a);
    committing.catch(() => undefined); // awaited below on every path
    const outside = await this.outsideBreach(id);
    if (outside) {
      await committing.catch(() => undefined);
      return violation(outside);
    }
    const commit = await committing;
    ctx.mark('committed', id);
    if (!commit) {
      a.apply({ type: 'failed', reason: `the branch ${a.fields().branch ?? id} is gone` });
      return { next: 'done' };
    }
    committed?.(commit);
    // The verification starts now, beside the audit (it runs in walls on the committed tree, which
    // nothing changes meanwhile): its results count only once the commit is audited in scope; on
    // every other path it is stopped and waited for — nothing of it runs on past the judgement.
    const stop = new AbortController();
    const verifying = this.runSteps(a, stop.signal);
    verifying.catch(() => undefined); // awaited below on every path
    const unverified = async <T>(judgement: T): Promise<T> => {
      stop.abort();
      await verifying.catch(() => undefined);
      return judgement;
    };
    // Anything thrown before the verdict stops the steps too.
    try {
      const changes = await this.changesOf(a, commit);
      ctx.mark('audited', id);
      // A parent's join runs no agent (joins.ts): no result record is looked for, nor missed.
      // Nor of a planner whose sub-plan was kept already: it ran no agent either.
      const keptPlanner = ctx.planners[a.pkg.id];
      const join = ctx.joins?.[a.pkg.id] !== undefined || (keptPlanner !== undefined && ctx.isPlanned(keptPlanner));
      const readout = join ? { record: null, warnings: [] } : await ctx.readResult(a.fields().resultFile);
      for (const warning of readout.warnings) ctx.problem(`${id}: result record: ${warning}`, a.pkg.id);
      // What the agent's CLI refused to let it do (Claude Code's permission_denials), named.
      if (exit.verdict?.denials?.length) ctx.problem(`${id}: its agent was denied ${exit.verdict.denials.length} tool use(s): ${exit.verdict.denials.slice(0, 3).map(visibleText).join('; ')}`, a.pkg.id);
      // What its walls refused it: the network targets the proxy turned away.
      if (exit.refusedTargets.length) ctx.problem(`${id}: ${wallsRefusedText(exit.refusedTargets, visibleText)}${registriesRefusedNote(exit.refusedTargets, exit.refusedRegistries)}`, a.pkg.id);
      // A planner writes its sub-plan outside its tree (planners.ts): a change of its tree is no work of its to merge.
      const planner = ctx.planners[a.pkg.id] !== undefined;
      if (planner && changes.length) {
        a.apply({ type: 'scopeViolation', paths: changes.map(({ path: p, change }) => ({ path: p, change })), reason: `a planner writes only its sub-plan (${subPlanFileOf(a.place)}), and this one changed its tree: nothing of it is merged` });
        return unverified<Judgement>({ next: 'violation' });
      }
      const untrue = claimedNotChanged(readout.record?.files_modified ?? [], changes);
      if (untrue.length) ctx.problem(`${id}: its result record lists files it did not change: ${untrue.map(visibleText).join(', ')}`, a.pkg.id);
      // The question its agent asked through the run's `ask` tool (ADR 0036): said structurally, no guess from its last words.
      const asked = a.fields().asked ?? null;
      const verdict = asked ? { ...(exit.verdict ?? { ok: true, reported: false, detail: '', usageLimit: false }), question: asked } : exit.verdict;
      const outcome = decideOutcome({
        exitCode: exit.code,
        signal: exit.signal,
        timedOut: exit.timedOut,
        cancelled: exit.cancelled,
        verdict,
        changedFiles: changes,
        resultRecord: readout.record,
        ...(exit.overLimit ? { overLimit: exit.reason } : {}),
        ...(exit.code === null && exit.reason ? { ended: exit.reason } : {}),
        ...(planner ? { planner: { wrote: await plannerWrote(ctx, a.pkg.id, a.place) } } : {}),
      });
      a.apply({ type: 'audited', headSha: commit, changedFiles: changes.map(({ path: p, change }) => ({ path: p, change })) as ChangedFile[] });
      if (outcome.next === 'failed') {
        const question = changes.length === 0 ? (verdict?.question ?? null) : null;
        // The session its CLI named (Codex names its own): the answer resumes it (launch.ts).
        const session = question ? (exit.verdict?.session ?? null) : null;
        a.apply({ type: 'failed', reason: outcome.reason, ...(question ? { question } : {}), ...(session ? { session } : {}) });
        return unverified<Judgement>({ next: 'done' });
      }
      if (outcome.next === 'cancelled') {
        a.apply({ type: 'cancelled', reason: outcome.reason });
        return unverified<Judgement>({ next: 'done' });
      }
      if (outcome.next === 'usage-limit') {
        a.usageLimit(outcome.reason, outcome.resetAt);
        return unverified<Judgement>({ next: 'done' });
      }
      // The plan's write scope, widened by what the person granted this attempt.
      const audit = auditScope(changes, ctx.scopeOf(a.pkg.id));
      for (const d of audit.deletions) if (d.allowed) ctx.problem(`${id} deleted ${d.path} (inside its scope; check it is meant)`, a.pkg.id);
      if (!audit.ok) {
        a.apply({ type: 'scopeViolation', paths: audit.violations.map(({ path: p, change }) => ({ path: p, change })) }, audit.violations.map((v) => v.message).join('; '));
        return unverified<Judgement>({ next: 'violation' });
      }
    } catch (err) {
      await unverified(null);
      throw err;
    }

    if (!this.verified(a, await verifying)) return { next: 'done' };
    // A planner's "verification": its sub-plan held to every rule and taken, the run grown by it.
    if (ctx.planners[a.pkg.id] !== undefined) {
      const taken = await takeSubPlan(ctx, a.pkg.id, a.place);
      if (!taken.ok) {
        a.apply({ type: 'failed', reason: taken.reason });
        return { next: 'done' };
      }
    }
    ctx.mark('verified', id);
    if (ctx.attempts.cancelled(id)) {
      a.apply({ type: 'cancelled', reason: 'cancelled before its merge' });
      return { next: 'done' };
    }
    return { next: 'green', commit };
  }

  private treeOf(a: JudgedAttempt): string {
    return a.fields().worktree ?? this.ctx.treeOf(a.pkg);
  }

  /**
   * The bounds every attempt keeps whatever its scope says: its tree still on its branch with no
   * git operation under way (this one first: nothing is committed in a tree off its branch), the
   * repository's git set-up (hooks, command-running config, attributes) as the run started, and
   * the person's checkout as it was when the attempt started (`outsideBreach`). A breach is a
   * scope violation with the reason; nothing of it merges.
   */
  private async leftItsBranch(a: JudgedAttempt): Promise<string | null> {
    const inspection = await this.ctx.executor.inspectTree(a.key, this.treeOf(a));
    return inspection.onBranch ? null : `the agent left its branch ${a.fields().branch ?? ''}: its tree is ${inspection.where}; nothing of it is merged (its commits stay where it left them)`;
  }

  /** The bounds outside the attempt's tree: the repository's git set-up and the person's checkout. */
  private async outsideBreach(id: string): Promise<string | null> {
    const { ctx } = this;
    // Two reads of what the agent may have touched, at once; judged in this order. A changed git
    // set-up is put back as the run started, what was found quarantined (gitSetupWatch.ts).
    const before = ctx.attempts.checkoutBefore(id);
    const [setup, changed] = await Promise.all([
      this.gitSetup.check(id),
      before ? ctx.checkout.after().then((now) => checkoutChanges(before, now)) : Promise.resolve([] as string[]),
    ]);
    const checkout = changed.length > 0 && before ? await this.checkoutBreach(id, before, changed) : null;
    // Both are said (and both put back where they can be): the set-up first.
    return setup && checkout ? `${setup}; and ${checkout}` : (setup ?? checkout);
  }

  /** The person's checkout changed while `id`'s attempt ran: a moved branch put back where the engine can tell it was an agent's, else no more packages start. */
  private async checkoutBreach(id: string, before: CheckoutFingerprint, changed: readonly string[]): Promise<string> {
    const { ctx } = this;
    const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ', …' : '');
    const said = `your checkout ${ctx.repoRoot} changed while it ran (${shown})`;
    const moved = changed.some((c) => c.startsWith('HEAD: ')) ? await putBranchBack(ctx.repoRoot, before, `refs/heads/waves/${featureSlug(ctx.featureId)}`, ctx.checkoutIgnored()) : null;
    if (moved?.putBack) {
      return `${said}: your branch ${moved.branch} had been moved to ${moved.from.slice(0, 12)}, a commit of this run's branches, and nothing else of your checkout had changed — the engine put it back at ${moved.to.slice(0, 12)}, where it was; a package works only in its own tree`;
    }
    if (moved) {
      ctx.holds.holdStarts(`${id} moved your checkout's HEAD and it was not put back (${moved.why})`);
      return `${said}: ${moved.why}; a package works only in its own tree. No more packages start in this run (running ones finish): look at your checkout, then resume`;
    }
    return `${said}: a package works only in its own tree; if you changed these files yourself, retry the package`;
  }

  /** Commits what the agent left uncommitted in its tree (on its branch: checked before); returns the branch's tip. */
  private commitLeftovers(a: JudgedAttempt): Promise<string | null> {
    return this.ctx.executor.commitLeftovers(a.key, this.treeOf(a), `waves: ${a.key} (attempt ${a.fields().attempts}): the agent's uncommitted changes`);
  }

  /** What the attempt's commit changes against the integration tip it started from, tree to tree; a parent's join: what its children changed. */
  private changesOf(a: JudgedAttempt, commit: string): Promise<AuditChange[]> {
    const children = this.ctx.joins?.[a.pkg.id];
    if (children) return Promise.resolve(joinChanges(this.ctx.state, children));
    const base = a.fields().baseSha ?? this.ctx.state.integration!.tipSha;
    return this.ctx.executor.changes(a.key, this.treeOf(a), base, commit);
  }

  /**
   * The package's `command` verification steps (attempt/verification.ts), run in the attempt's
   * tree when the plan's list of commands is approved (approving the plan's list approves each
   * package's part of it; nothing is written per package). Null when none ran. `signal`: the
   * judgement went otherwise; the steps stop.
   */
  private async runSteps(a: JudgedAttempt, signal: AbortSignal): Promise<{ steps: { step: string; command: string }[]; results: Awaited<ReturnType<RunContext['executor']['verify']>> } | null> {
    const { ctx } = this;
    const pkg = a.pkg;
    let steps = (pkg.verification?.steps ?? [])
      .filter((s) => s.kind === 'command' && s.command)
      .map((s) => ({ step: s.name, command: s.command! }));
    if (steps.length === 0) return null;
    if (!ctx.approvedCommands) {
      ctx.problem(`${a.key}: its ${steps.length} verification command(s) were not run: the plan's commands are not approved`, pkg.id);
      return null;
    }
    // Only commands of the list approved when the run started: a plan edited on disk during the
    // run (the loop takes its new packages) cannot bring a command nobody approved.
    const approved = ctx.approvedCommands;
    const unapproved = steps.filter((s) => !approved.includes(s.command));
    if (unapproved.length > 0) {
      ctx.problem(
        `${a.key}: ${unapproved.length} verification command(s) were not run: the plan changed during the run and they are not in the list you approved (${unapproved.map((s) => visibleText(s.command)).join(', ')})`,
        pkg.id,
      );
      steps = steps.filter((s) => approved.includes(s.command));
      if (steps.length === 0) return null;
    }
    const attempt = a.fields().attempts;
    const results = await ctx.executor.verify({
      planFile: ctx.planFile,
      approvedList: approved,
      cwd: this.treeOf(a),
      attemptDir: a.place.dir,
      steps,
      signal,
      onCommand: (step) => ctx.emit({ type: 'package', packageId: pkg.id, status: 'verifying', attempt, detail: `$ ${step.command}` }),
    });
    return { steps, results };
  }

  /** The verification's results applied to an audited attempt: true when they all passed or none ran; a failure fails the attempt. */
  private verified(a: JudgedAttempt, ran: Awaited<ReturnType<AttemptJudge['runSteps']>>): boolean {
    if (!ran) return true;
    for (const [i, r] of ran.results.entries()) {
      a.apply({ type: 'verificationResult', step: r.step, ok: r.ok, detail: r.detail });
      this.ctx.emit({ type: 'verification', packageId: a.pkg.id, step: r.step, ok: r.ok, command: ran.steps[i]!.command });
    }
    const failing = ran.results.filter((r) => !r.ok);
    if (failing.length === 0) return true;
    a.apply({ type: 'failed', reason: `verification failed: ${failing.map((r) => r.detail).join('; ')}` });
    return false;
  }
}
