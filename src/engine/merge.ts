/**
 * Merging: the integration branch `waves/<feature>/_integration` in its own worktree, and
 * each succeeded package's audited commit merged into it (a two-parent merge commit of the
 * `merge-tree` result, audited again before it is committed), one merge at a time. A conflict fails the package with the files listed; its branch keeps
 * the work. The user's branch and working tree are never touched; no `--force`, no reset.
 */
import type { PlanPackage } from '../core/plan/model';
import { integrationBranch, integrationPath } from '../core/run/runPaths';
import { recordMerge, setIntegration } from '../core/run/runState';
import { errorText, type RunContext } from './context';
import { auditScope } from '../core/run/audit';
import { commitMerge, ensureIntegration, git, gitOut, isAncestor, mergeTreeCheck, prepareMerge, treeChanges } from './git';

export class Merges {
  /** The merges so far, one after another: the next starts when the last one ended. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: RunContext) {}

  /**
   * The integration branch and its worktree, from the user's HEAD for a new run. An earlier
   * run's branch that the user's branch already holds is fast-forwarded to HEAD; one holding
   * commits the user's branch lacks is kept (the run builds on them, with a problem said).
   */
  async ensureIntegration(): Promise<void> {
    const { ctx } = this;
    const head = await gitOut(ctx.repoRoot, ['rev-parse', 'HEAD']);
    const integration = await ensureIntegration({
      repo: ctx.repoRoot,
      branch: integrationBranch(ctx.featureId),
      worktree: integrationPath(ctx.repoRoot, ctx.featureId, ctx.options.worktreesFolder),
      base: head,
      reason: `Wave Orchestrator: integration branch of ${ctx.featureId}`,
    });
    let { tipSha, baseSha } = integration;
    if (!ctx.state.integration && tipSha !== head) {
      // A new run of the feature on an integration branch of an earlier run.
      if (await isAncestor(ctx.repoRoot, tipSha, head)) {
        await git(integration.worktree, ['merge', '--ff-only', '-q', head]);
        tipSha = baseSha = head;
      } else {
        ctx.problem(`${integration.branch} holds commits your branch lacks (an earlier run's); this run builds on them.`);
      }
    }
    const base = ctx.state.integration?.baseSha ?? baseSha;
    ctx.update(setIntegration(ctx.state, { branch: integration.branch, worktree: integration.worktree, baseSha: base, tipSha }, ctx.clock()));
  }

  /** Merges the package's audited commit after every merge before it ended (never two at once); true when merged. */
  serialMerge(pkg: PlanPackage, commit: string): Promise<boolean> {
    const run = this.chain.then(() => this.merge(pkg, commit));
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Merges `commit` — the commit the audit judged, by its id, never a branch name an agent
   * could move — into the integration branch: `merge-tree` computes the merged tree without a
   * work tree, what that tree changes against the integration tip is audited against the
   * package's scope once more (a history that brings anything else — another branch merged
   * in, a rewritten base — is a violation), and exactly that tree is committed (git.ts
   * commitMerge). A conflict fails the package with the files listed; its branch keeps the work.
   */
  private async merge(pkg: PlanPackage, commit: string): Promise<boolean> {
    const { ctx } = this;
    const id = pkg.id;
    ctx.mark('merge-start', id);
    const integration = ctx.state.integration!;
    const branch = await ctx.executor.handBack(id);
    const wt = integration.worktree;
    // Whether it is merged already and what merging it would give, from the tip the run last
    // recorded, while the integration worktree's HEAD is read: three reads at once. A HEAD
    // elsewhere (a crash between the merge and its record) asks the two again from it.
    const known = integration.tipSha;
    const reads = await Promise.all([gitOut(wt, ['rev-parse', 'HEAD']), isAncestor(wt, commit, known), mergeTreeCheck(wt, known, commit)]);
    const tip = reads[0];
    let [, already, check] = reads;
    if (tip !== known) [already, check] = await Promise.all([isAncestor(wt, commit, tip), mergeTreeCheck(wt, tip, commit)]);
    if (already) {
      // Merged before a crash (resume): record it.
      ctx.update(recordMerge(ctx.state, id, { status: 'merged', files: [], commit: tip }, ctx.clock()));
      ctx.emit({ type: 'merge', packageId: id, ok: true });
      return true;
    }
    if (!check.clean) {
      const conflicts = check.conflicts;
      ctx.update(recordMerge(ctx.state, id, { status: 'conflict', files: conflicts }, ctx.clock()));
      ctx.emit({ type: 'merge', packageId: id, ok: false, conflicts });
      ctx.apply({
        type: 'failed',
        packageId: id,
        reason: `merge conflict with ${integration.branch} in ${conflicts.join(', ') || 'some files'}; the branch ${branch} keeps the work`,
      });
      return false;
    }
    // What the merge changes (audited below) while the merge commit object is written — referenced by
    // nothing until commitMerge's fast-forward, which happens only if the audit passes — and the
    // worktree's status and HEAD are read: one round of four processes.
    const message = `waves: merge ${id} into ${integration.branch}`;
    const [effect, prepared] = await Promise.all([treeChanges(wt, tip, check.tree), prepareMerge(wt, tip, commit, check.tree, message)]);
    const audit = auditScope(effect, { writeAllow: pkg.scope.writeAllow.map((l) => l.value), deny: pkg.scope.deny.map((l) => l.value) });
    if (!audit.ok) {
      ctx.apply(
        {
          type: 'scopeViolation',
          packageId: id,
          paths: audit.violations.map(({ path: p, change }) => ({ path: p, change })),
          reason: `merging ${commit.slice(0, 12)} would bring changes outside the scope: ${audit.violations.map((v) => v.message).join('; ')}`,
        },
      );
      ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
      return false;
    }
    const merged = await commitMerge(wt, tip, prepared);
    const files = effect.map((c) => c.path);
    ctx.update(recordMerge(ctx.state, id, { status: 'merged', files, commit: merged }, ctx.clock()));
    ctx.update(setIntegration(ctx.state, { ...integration, tipSha: merged }, ctx.clock()));
    ctx.emit({ type: 'merge', packageId: id, ok: true });
    return true;
  }

  /** A merged package's tree goes when it is clean (never forced); its branch stays while git wants it. */
  async removeTree(pkg: PlanPackage): Promise<void> {
    const { ctx } = this;
    try {
      const r = await ctx.executor.removeTree(pkg.id, ctx.state.packages[pkg.id]!.worktree ?? ctx.treeOf(pkg), ctx.state.integration!.branch);
      if (!r.removed && r.reason) ctx.problem(`Kept the worktree of ${pkg.id}: ${r.reason}`, pkg.id);
    } catch (err) {
      ctx.problem(`Kept the worktree ${ctx.treeOf(pkg)}: ${errorText(err)}`, pkg.id);
    }
  }
}
