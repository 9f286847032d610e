/**
 * Merging: the integration branch `waves/<feature>/_integration` in its own worktree, and
 * each succeeded package's branch merged into it (`--no-ff` after a `merge-tree` pre-check),
 * one merge at a time. A conflict fails the package with the files listed; its branch keeps
 * the work. The user's branch and working tree are never touched; no `--force`, no reset.
 */
import type { PlanPackage } from '../core/plan/model';
import { integrationBranch, integrationPath } from '../core/run/runPaths';
import { recordMerge, setIntegration } from '../core/run/runState';
import { errorText, type RunContext } from './context';
import { ensureIntegration, git, gitOut, isAncestor, mergePackage, revParse } from './git';

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

  /** Merges the package after every merge before it ended (never two at once); true when merged. */
  serialMerge(pkg: PlanPackage): Promise<boolean> {
    const run = this.chain.then(() => this.merge(pkg));
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Merges the package's branch into the integration branch after a merge-tree pre-check. */
  private async merge(pkg: PlanPackage): Promise<boolean> {
    const { ctx } = this;
    const id = pkg.id;
    ctx.mark('merge-start', id);
    const integration = ctx.state.integration!;
    const branch = await ctx.executor.handBack(id);
    const wt = integration.worktree;
    // One git call on the usual path: is the branch already in the integration tip? (128: no such branch.)
    const inTip = await git(wt, ['merge-base', '--is-ancestor', `refs/heads/${branch}`, 'HEAD'], [0, 1, 128]);
    if (inTip.code === 128 && !(await revParse(ctx.repoRoot, `refs/heads/${branch}`))) throw new Error(`the branch ${branch} is gone`);
    if (inTip.code === 128) throw new Error(`git merge-base --is-ancestor ${branch} HEAD failed in ${wt}: ${inTip.stderr.trim()}`);
    if (inTip.code === 0) {
      // Merged before a crash (resume): record it.
      const tip = await gitOut(wt, ['rev-parse', 'HEAD']);
      ctx.update(recordMerge(ctx.state, id, { status: 'merged', files: [], commit: tip }, ctx.clock()));
      ctx.emit({ type: 'merge', packageId: id, ok: true });
      return true;
    }
    const result = await mergePackage(wt, branch, `waves: merge ${id} into ${integration.branch}`);
    if (!result.merged) {
      const conflicts = result.conflicts;
      ctx.update(recordMerge(ctx.state, id, { status: 'conflict', files: conflicts }, ctx.clock()));
      ctx.emit({ type: 'merge', packageId: id, ok: false, conflicts });
      ctx.apply({
        type: 'failed',
        packageId: id,
        reason: `merge conflict with ${integration.branch} in ${conflicts.join(', ') || 'some files'}; the branch ${branch} keeps the work`,
      });
      return false;
    }
    ctx.update(recordMerge(ctx.state, id, { status: 'merged', files: result.files, commit: result.commit }, ctx.clock()));
    ctx.update(setIntegration(ctx.state, { ...integration, tipSha: result.commit }, ctx.clock()));
    ctx.emit({ type: 'merge', packageId: id, ok: true });
    return true;
  }

  /** A merged package's tree goes when it is clean (never forced); its branch stays while git wants it. */
  async removeTree(pkg: PlanPackage): Promise<void> {
    const { ctx } = this;
    try {
      const r = await ctx.executor.removeTree(pkg.id, ctx.state.integration!.branch);
      if (!r.removed && r.reason) ctx.problem(`Kept the worktree of ${pkg.id}: ${r.reason}`, pkg.id);
    } catch (err) {
      ctx.problem(`Kept the worktree ${ctx.treeOf(pkg)}: ${errorText(err)}`, pkg.id);
    }
  }
}
