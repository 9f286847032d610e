/**
 * Processing an attempt's exit: the runner's exit record → `exited` (leftovers committed on
 * a clean exit) → the verdict (exit code, the agent's own verdict, "changed something or said
 * done") → the scope audit → the approved verification commands → the merge (merge.ts) →
 * `succeeded`. Each step goes through the reducer and the run store before its event; the
 * package's locks are released at the end whatever happened. Called once per attempt (the
 * watcher's `handled` flag), only once its `started` is recorded.
 */
import { auditScope, type AuditChange } from '../core/run/audit';
import { decideOutcome } from '../core/run/agents';
import type { PlanPackage } from '../core/plan/model';
import { approvalsFile } from '../core/run/runPaths';
import { recordMerge, type ChangedFile } from '../core/run/runState';
import type { ExitRecord } from './adopt';
import { errorText, type RunContext } from './context';
import type { Merges } from './merge';

export class Exits {
  constructor(
    private readonly ctx: RunContext,
    private readonly merges: Merges,
  ) {}

  /** Processes the exit; a failure on the way fails the package. Then its locks go and the loop wakes. */
  async afterExit(id: string, exit: ExitRecord): Promise<void> {
    const { ctx } = this;
    ctx.finishing.add(id);
    try {
      await this.processExit(id, exit);
    } catch (err) {
      ctx.problem(`${id}: ${errorText(err)}`, id);
      const status = ctx.state.packages[id]?.status;
      if (status === 'running' || status === 'verifying') ctx.apply({ type: 'failed', packageId: id, reason: errorText(err) });
    } finally {
      await ctx.releaseLocksOf(id).catch((err) => ctx.problem(`Could not release the locks of ${id}: ${errorText(err)}`));
      ctx.finishing.delete(id);
      await ctx.store?.flush();
      ctx.wake();
    }
  }

  private async processExit(id: string, exit: ExitRecord): Promise<void> {
    const pkg = this.ctx.pkg(id)!;
    const status = this.ctx.state.packages[id]!.status;
    if (status === 'running') {
      const next = await this.recordExit(pkg, exit);
      if (next === 'done') return;
      // Fresh clean exit: now verifying, its leftovers committed just now.
      await this.judge(pkg, exit, true);
    } else if (status === 'verifying') {
      // Resumed: the exit was recorded before the engine stopped; its leftovers are committed below.
      await this.judge(pkg, exit, false);
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
    const record = ctx.state.packages[id]!;
    if (exit.cancelled || ctx.cancelRequested.has(id) || ctx.runCancelled) {
      ctx.apply({ type: 'cancelled', packageId: id, reason: exit.reason || 'cancelled' });
      ctx.apply({ type: 'exited', packageId: id, exitCode: exit.code, signal: exit.signal });
      return 'done';
    }
    const clean = exit.code === 0 && !exit.signal && !exit.timedOut && !exit.cancelled;
    if (clean) {
      const head = ctx.isolated(pkg) ? await this.commitLeftovers(pkg, record.attempts) : null;
      ctx.mark('committed', id);
      ctx.apply({ type: 'exited', packageId: id, exitCode: 0, ...(head ? { headSha: head } : {}) });
      return 'verify';
    }
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
    const head = ctx.isolated(pkg) ? await ctx.executor.headOf(id) : null;
    ctx.apply({ type: 'exited', packageId: id, exitCode: exit.code, signal: exit.signal, reason, ...(head ? { headSha: head } : {}) });
    return 'done';
  }

  /** A verifying package: verdict → audit → verification → merge. */
  private async judge(pkg: PlanPackage, exit: ExitRecord, committed: boolean): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    const record = ctx.state.packages[id]!;
    if (ctx.isolated(pkg) && !committed) await this.commitLeftovers(pkg, record.attempts);
    const changes = await this.changesOf(pkg);
    ctx.mark('audited', id);
    const readout = await ctx.readResult(ctx.state.packages[id]!.resultFile);
    for (const warning of readout.warnings) ctx.problem(`${id}: result record: ${warning}`, id);
    const outcome = decideOutcome({
      exitCode: exit.code,
      signal: exit.signal,
      timedOut: exit.timedOut,
      cancelled: exit.cancelled,
      verdict: exit.verdict,
      changedFiles: changes,
      resultRecord: readout.record,
    });
    ctx.apply({ type: 'audited', packageId: id, changedFiles: changes as ChangedFile[] });
    if (outcome.next === 'failed') {
      ctx.apply({ type: 'failed', packageId: id, reason: outcome.reason });
      return;
    }
    if (outcome.next === 'cancelled') {
      ctx.apply({ type: 'cancelled', packageId: id, reason: outcome.reason });
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
      if (ctx.isolated(pkg)) ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
      return;
    }

    if (!(await this.verify(pkg))) return;
    ctx.mark('verified', id);
    if (ctx.cancelRequested.has(id) || ctx.runCancelled) {
      ctx.apply({ type: 'cancelled', packageId: id, reason: 'cancelled before its merge' });
      return;
    }

    if (!ctx.isolated(pkg)) {
      ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
      ctx.apply({ type: 'succeeded', packageId: id });
      return;
    }
    const merged = await this.merges.serialMerge(pkg);
    ctx.mark('merged', id);
    if (merged) {
      ctx.apply({ type: 'succeeded', packageId: id });
      // Dependents first (handoff), then the clean-up of this worktree.
      await ctx.releaseLocksOf(id);
      ctx.mark('locks-released', id);
      // The clean-up's git calls wait until the dependents are launched: they would only compete with them.
      await ctx.wakeAndLaunch();
      await this.merges.removeTree(pkg);
    }
  }

  /** Commits what the agent left uncommitted in its tree; returns the branch's tip. */
  private commitLeftovers(pkg: PlanPackage, attempt: number): Promise<string | null> {
    return this.ctx.executor.commitLeftovers(pkg.id, `waves: ${pkg.id} (attempt ${attempt}): the agent's uncommitted changes`);
  }

  /** What the package changed: committed since the integration tip it forked from, plus anything uncommitted. */
  private changesOf(pkg: PlanPackage): Promise<AuditChange[]> {
    const { ctx } = this;
    const isolated = ctx.isolated(pkg);
    // A shared package's changes are the repository's status; no base is read.
    const base = isolated ? (ctx.state.packages[pkg.id]!.baseSha ?? ctx.state.integration!.tipSha) : '';
    return ctx.executor.changes(pkg.id, isolated, base);
  }

  /**
   * The package's `command` verification steps (verify.ts), in its tree, when the plan's
   * list of commands is approved (approving the plan's list approves each package's part of
   * it; nothing is written per package — concurrent writes of approvals.json could lose one).
   * True when they all pass or none ran; a failure fails the package.
   */
  private async verify(pkg: PlanPackage): Promise<boolean> {
    const { ctx } = this;
    const steps = (pkg.verification?.steps ?? [])
      .filter((s) => s.kind === 'command' && s.command)
      .map((s) => ({ step: s.name, command: s.command! }));
    if (steps.length === 0) return true;
    if (!ctx.approvedCommands) {
      ctx.problem(`${pkg.id}: its ${steps.length} verification command(s) were not run: the plan's commands are not approved`, pkg.id);
      return true;
    }
    const record = ctx.state.packages[pkg.id]!;
    const results = await ctx.executor.verify({
      approvalsFile: approvalsFile(ctx.repoRoot),
      planFile: ctx.planFile,
      approvedList: ctx.approvedCommands,
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
