/**
 * Processing an attempt's exit: the runner's exit record → `exited` (the tree checked to be
 * on the package's branch, then its leftovers committed on a clean exit) → the bounds (the
 * repository's git set-up and the person's checkout unchanged) → the verdict (exit code, the
 * agent's own verdict, "changed something or said done") → the scope audit of ONE commit (the
 * branch's tip, tree to tree against the base) → the approved verification commands → the
 * merge of that same commit (merge.ts audits what the merge brings once more) → `succeeded`.
 * Each step goes through the reducer and the run store before its event; the package's
 * locks are released at the end whatever happened. Called once per attempt (the watcher's
 * `handled` flag), only once its `started` is recorded. Nothing here trusts the agent to have
 * followed its prompt (docs/security.md).
 */
import os from 'node:os';
import { auditScope, type AuditChange } from '../../core/run/audit';
import { decideOutcome } from '../../core/agents/agentOutcome';
import { judgeExit } from '../../core/agents/exitJudgement';
import type { Spend } from '../../core/run/spend';
import { wallsRefusedText } from '../../core/walls/walls';
import { readOnlyAdvice, registriesRefusedNote } from '../../core/walls/toolchains';
import type { PlanPackage } from '../../core/plan/model';
import { visibleText } from '../../core/present/visibleText';
import { markMerging, recordMerge } from '../../core/run/runStateReducer';
import type { ChangedFile } from '../../core/run/runState';
import { claimedNotChanged } from '../../core/present/runReport';
import { featureSlug } from '../../core/run/runPaths';
import { changedSince, putBranchBack, type CheckoutFingerprint } from '../git';
import type { ExitRecord } from '../attempt';
import { errorText, type RunContext } from './context';
import type { Merges } from './merge';
import type { LoopHandoffs } from './handoffs';
import { GitSetupWatch } from './gitSetupWatch';

/**
 * Beside a failed attempt's reason, what reads like its walls (ADR 0026): the connections they
 * refused (a package registry said as one, with its switch), or the read-only files its last
 * output met, with the setting that gives a folder; the model server its runner saw it fail to
 * reach (#50); '' when none.
 */
function wallsNote(exit: ExitRecord): string {
  const refused = exit.refusedTargets.length ? `; ${wallsRefusedText(exit.refusedTargets, visibleText)}${registriesRefusedNote(exit.refusedTargets, exit.refusedRegistries)}` : '';
  // A path its walls refused it, read by its runner, is said in the reason already (core/agents/agentOutcome.ts).
  const readOnly = exit.verdict?.refused ? null : readOnlyAdvice((exit.verdict?.tail ?? []).join('\n'), os.homedir());
  return `${refused}${readOnly ? `; ${readOnly}` : ''}${exit.unreached ? `; ${exit.unreached}` : ''}`;
}

/** What an exit adds to the `exited` event: what the attempt spent, what its walls refused it (#32). */
function spentBy(exit: ExitRecord): { spend?: Spend; refused?: string[]; refusedRegistries?: string[] } {
  return {
    ...(exit.verdict?.spend ? { spend: exit.verdict.spend } : {}),
    ...(exit.refusedTargets.length ? { refused: exit.refusedTargets } : {}),
    ...(exit.refusedRegistries.length ? { refusedRegistries: exit.refusedRegistries } : {}),
  };
}

export class Exits {
  private readonly gitSetup: GitSetupWatch;

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly merges: Merges,
  ) {
    this.gitSetup = new GitSetupWatch(ctx);
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
      const next = await this.recordExit(pkg, exit);
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

  /**
   * The `exited` event of a running package: cancelled (asked for, or the runner stopped it),
   * a clean exit with the agent's leftovers committed (→ verifying), or a failed one.
   */
  private async recordExit(pkg: PlanPackage, exit: ExitRecord): Promise<'verify' | 'done'> {
    const { ctx } = this;
    const id = pkg.id;
    // The exit record judged as every attempt's is (core/agents/exitJudgement.ts): a cancel asked for the package or the run counts as one.
    const judged = judgeExit(exit, ctx.attempts.cancelled(id));
    if (judged.end === 'cancelled') {
      ctx.apply({ type: 'cancelled', packageId: id, reason: judged.reason });
      ctx.apply({ type: 'exited', packageId: id, exitCode: exit.code, signal: exit.signal, ...spentBy(exit) });
      return 'done';
    }
    if (judged.end === 'clean') {
      // Now verifying; the tree is checked and its leftovers committed by judge().
      ctx.apply({ type: 'exited', packageId: id, exitCode: 0, ...spentBy(exit) });
      return 'verify';
    }
    const head = await ctx.executor.headOf(id);
    if (judged.end === 'usage-limit') {
      // Paused, not failed: no retry spent; its commits stay on its branch for the next attempt.
      this.usageLimit(pkg, judged.reason, judged.resetAt);
      ctx.apply({ type: 'exited', packageId: id, exitCode: exit.code, signal: exit.signal, ...(head ? { headSha: head } : {}), ...spentBy(exit) });
      return 'done';
    }
    const reason = judged.reason + wallsNote(exit);
    ctx.apply({ type: 'exited', packageId: id, exitCode: exit.code, signal: exit.signal, reason, ...(head ? { headSha: head } : {}), ...spentBy(exit) });
    return 'done';
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

  private treeOf(pkg: PlanPackage): string {
    return this.ctx.state.packages[pkg.id]!.worktree ?? this.ctx.treeOf(pkg);
  }

  /**
   * The bounds every package keeps whatever its scope says: its tree still on its branch with
   * no git operation under way (this one first: nothing is committed in a tree off its branch),
   * the repository's git set-up (hooks, command-running config, attributes) as the run started,
   * and the person's checkout as it was when the attempt started (`outsideBreach`). A breach is a
   * scope violation with the reason; nothing of the package merges.
   */
  private async leftItsBranch(pkg: PlanPackage): Promise<string | null> {
    const branch = this.ctx.state.packages[pkg.id]!.branch;
    const inspection = await this.ctx.executor.inspectTree(pkg.id, this.treeOf(pkg));
    return inspection.onBranch ? null : `the agent left its branch ${branch ?? ''}: its tree is ${inspection.where}; nothing of it is merged (its commits stay where it left them)`;
  }

  /** The bounds outside the package's tree: the repository's git set-up and the person's checkout. */
  private async outsideBreach(pkg: PlanPackage): Promise<string | null> {
    const { ctx } = this;
    const id = pkg.id;
    // Two reads of what the agent may have touched, at once; judged in this order. A changed git
    // set-up is put back as the run started, what was found quarantined (gitSetupWatch.ts).
    const before = ctx.attempts.checkoutBefore(id);
    const [setup, changed] = await Promise.all([
      this.gitSetup.check(id),
      before ? changedSince(ctx.repoRoot, before, ctx.checkoutIgnored()) : Promise.resolve([] as string[]),
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

  /** A verifying package: bounds → verdict → audit → verification → merge. */
  private async judge(pkg: PlanPackage, exit: ExitRecord): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    const record = ctx.state.packages[id]!;
    const violation = (reason: string) => {
      ctx.apply({ type: 'scopeViolation', packageId: id, paths: [], reason });
      ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
    };
    // Its tree must still be on its branch before anything is committed there.
    const left = await this.leftItsBranch(pkg);
    if (left) {
      // Nothing is committed in its tree; what it did outside is put back (where it can be) and said all the same.
      const outside = await this.outsideBreach(pkg);
      return violation(outside ? `${left}; and ${outside}` : left);
    }
    // The one commit judged from here on, by its id: audited, verified, merged. Its leftovers are
    // committed on its branch while the bounds outside its tree are read (the person's checkout's
    // status is the slowest read of a package's end); a breach merges nothing of it either way.
    const committing = this.commitLeftovers(pkg, record.attempts);
    committing.catch(() => undefined); // awaited below on every path
    const outside = await this.outsideBreach(pkg);
    if (outside) {
      await committing.catch(() => undefined);
      return violation(outside);
    }
    const commit = await committing;
    ctx.mark('committed', id);
    if (!commit) {
      ctx.apply({ type: 'failed', packageId: id, reason: `the branch ${record.branch ?? id} is gone` });
      return;
    }
    // The merge's first reads of this commit go on beside the audit (used only if nothing merges first).
    this.merges.readAhead(id, commit);
    const changes = await this.changesOf(pkg, commit);
    ctx.mark('audited', id);
    const readout = await ctx.readResult(ctx.state.packages[id]!.resultFile);
    for (const warning of readout.warnings) ctx.problem(`${id}: result record: ${warning}`, id);
    // What the agent's CLI refused to let it do (Claude Code's permission_denials), named (#16).
    if (exit.verdict?.denials?.length) ctx.problem(`${id}: its agent was denied ${exit.verdict.denials.length} tool use(s): ${exit.verdict.denials.slice(0, 3).map(visibleText).join('; ')}`, id);
    // What its walls refused it (#32): the network targets the proxy turned away.
    if (exit.refusedTargets.length) ctx.problem(`${id}: ${wallsRefusedText(exit.refusedTargets, visibleText)}${registriesRefusedNote(exit.refusedTargets, exit.refusedRegistries)}`, id);
    const untrue = claimedNotChanged(readout.record?.files_modified ?? [], changes);
    if (untrue.length) ctx.problem(`${id}: its result record lists files it did not change: ${untrue.map(visibleText).join(', ')}`, id);
    const outcome = decideOutcome({
      exitCode: exit.code,
      signal: exit.signal,
      timedOut: exit.timedOut,
      cancelled: exit.cancelled,
      verdict: exit.verdict,
      changedFiles: changes,
      resultRecord: readout.record,
      ...(exit.overLimit ? { overLimit: exit.reason } : {}),
    });
    ctx.apply({ type: 'audited', packageId: id, headSha: commit, changedFiles: changes.map(({ path: p, change }) => ({ path: p, change })) as ChangedFile[] });
    if (outcome.next === 'failed') {
      const question = changes.length === 0 ? (exit.verdict?.question ?? null) : null;
      ctx.apply({ type: 'failed', packageId: id, reason: outcome.reason, ...(question ? { question } : {}) });
      return;
    }
    if (outcome.next === 'cancelled') {
      ctx.apply({ type: 'cancelled', packageId: id, reason: outcome.reason });
      return;
    }
    if (outcome.next === 'usage-limit') {
      this.usageLimit(pkg, outcome.reason, outcome.resetAt);
      return;
    }
    const audit = auditScope(changes, {
      writeAllow: pkg.scope.writeAllow.map((l) => l.value),
      deny: pkg.scope.deny.map((l) => l.value),
    });
    for (const d of audit.deletions) if (d.allowed) ctx.problem(`${id} deleted ${d.path} (inside its scope; check it is meant)`, id);
    if (!audit.ok) {
      ctx.apply(
        { type: 'scopeViolation', packageId: id, paths: audit.violations.map(({ path: p, change }) => ({ path: p, change })) },
        audit.violations.map((v) => v.message).join('; '),
      );
      ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
      return;
    }

    if (!(await this.verify(pkg))) return;
    ctx.mark('verified', id);
    if (ctx.attempts.cancelled(id)) {
      ctx.apply({ type: 'cancelled', packageId: id, reason: 'cancelled before its merge' });
      return;
    }

    if (ctx.reviewGate === 'before-merge') {
      // The review gate (#33): the person approves (then it merges) or asks for changes; its locks go meanwhile.
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

  /** Commits what the agent left uncommitted in its tree (on its branch: checked before); returns the branch's tip. */
  private commitLeftovers(pkg: PlanPackage, attempt: number): Promise<string | null> {
    return this.ctx.executor.commitLeftovers(pkg.id, this.treeOf(pkg), `waves: ${pkg.id} (attempt ${attempt}): the agent's uncommitted changes`);
  }

  /** What the package's commit changes against the integration tip it started from, tree to tree. */
  private changesOf(pkg: PlanPackage, commit: string): Promise<AuditChange[]> {
    const { ctx } = this;
    const base = ctx.state.packages[pkg.id]!.baseSha ?? ctx.state.integration!.tipSha;
    return ctx.executor.changes(pkg.id, this.treeOf(pkg), base, commit);
  }

  /**
   * The package's `command` verification steps (attempt/verification.ts), in its tree, when the plan's
   * list of commands is approved (approving the plan's list approves each package's part of
   * it; nothing is written per package).
   * True when they all pass or none ran; a failure fails the package.
   */
  private async verify(pkg: PlanPackage): Promise<boolean> {
    const { ctx } = this;
    let steps = (pkg.verification?.steps ?? [])
      .filter((s) => s.kind === 'command' && s.command)
      .map((s) => ({ step: s.name, command: s.command! }));
    if (steps.length === 0) return true;
    if (!ctx.approvedCommands) {
      ctx.problem(`${pkg.id}: its ${steps.length} verification command(s) were not run: the plan's commands are not approved`, pkg.id);
      return true;
    }
    // Only commands of the list approved when the run started: a plan edited on disk during the
    // run (the loop takes its new packages) cannot bring a command nobody approved.
    const approved = ctx.approvedCommands;
    const unapproved = steps.filter((s) => !approved.includes(s.command));
    if (unapproved.length > 0) {
      ctx.problem(
        `${pkg.id}: ${unapproved.length} verification command(s) were not run: the plan changed during the run and they are not in the list you approved (${unapproved.map((s) => visibleText(s.command)).join(', ')})`,
        pkg.id,
      );
      steps = steps.filter((s) => approved.includes(s.command));
      if (steps.length === 0) return true;
    }
    const record = ctx.state.packages[pkg.id]!;
    const results = await ctx.executor.verify({
      planFile: ctx.planFile,
      approvedList: approved,
      cwd: record.worktree ?? ctx.treeOf(pkg),
      attemptDir: ctx.attemptOf(pkg.id, record.attempts).dir,
      steps,
      onCommand: (step) => ctx.emit({ type: 'package', packageId: pkg.id, status: 'verifying', attempt: record.attempts, detail: `$ ${step.command}` }),
    });
    for (const [i, r] of results.entries()) {
      ctx.apply({ type: 'verificationResult', packageId: pkg.id, step: r.step, ok: r.ok, detail: r.detail });
      ctx.emit({ type: 'verification', packageId: pkg.id, step: r.step, ok: r.ok, command: steps[i]!.command });
    }
    const failing = results.filter((r) => !r.ok);
    if (failing.length === 0) return true;
    ctx.apply({ type: 'failed', packageId: pkg.id, reason: `verification failed: ${failing.map((r) => r.detail).join('; ')}` });
    return false;
  }
}
