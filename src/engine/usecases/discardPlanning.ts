/**
 * Discarding a proposed plan, for both front ends: a plan that was approved and run leaves,
 * besides its planning worktree and branch, its run's integration worktree and package worktrees
 * (`<planning worktree>.worktrees/<feature>/…`, or where the run state says) and their
 * `waves/<feature>/…` branches. They go with it — under the same rules as the session's own
 * worktree: nothing while a live driver runs the plan, no worktree removed with a change in it
 * (never `--force`: the whole discard is refused first, naming them, so nothing is half done),
 * and every branch deleted is named with its last commit (kept in the session's state too), so
 * `git branch <name> <commit>` brings it back. A branch checked out in a worktree that is not the
 * run's is left alone and named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { integrationBranch, worktreesRoot } from '../../core/run/runPaths';
import { approvedFeatureId, discardSession, PlanningError, readPlanning, type DiscardResult } from '../planning';
import type { CoordinatorOptions } from '../coordinator';
import { git, listWorktrees, revParse, samePath } from '../git';
import { describeDriver, driverOf, readRun } from '../run';

/**
 * Discards the session `id` and what a run of its plan left (see above). Throws `PlanningError`
 * when it refuses; nothing is changed then.
 */
export async function discardPlanning(repo: string, id: string, options: { coordinator?: CoordinatorOptions } = {}): Promise<DiscardResult> {
  const state = readPlanning(repo, id);
  if (!state) throw new PlanningError(`no planning session "${id}" in ${repo}`);
  if (state.status === 'discarded') return discardSession(repo, id, options);
  const featureId = await approvedFeatureId(repo, state);
  const leftovers = featureId ? await runLeftovers(repo, state.worktree, featureId) : { trees: [], branches: [], kept: [] };
  // The session's own worktree is checked by discardSession; the run's trees here, all before anything is removed.
  const dirty: string[] = [];
  for (const t of leftovers.trees) {
    const status = (await git(t.path, ['status', '--porcelain', '--untracked-files=all'], [0, 128])).stdout.trim();
    if (status) dirty.push(`${t.path} (${status.split('\n').length} file(s))`);
  }
  if (dirty.length) throw new PlanningError(`the run of ${id} has uncommitted changes in ${dirty.join(', ')}; commit or remove them first — nothing is discarded`);
  const sessionTree = (await git(state.worktree, ['status', '--porcelain', '--untracked-files=all'], [0, 128])).stdout.trim();
  if (fs.existsSync(state.worktree) && sessionTree) throw new PlanningError(`${state.worktree} has uncommitted changes (${sessionTree.split('\n').length} file(s)); commit or remove them first — nothing is discarded`);

  const removed: string[] = [];
  for (const t of leftovers.trees) {
    if (t.locked) await git(repo, ['worktree', 'unlock', t.path], [0, 128]);
    const rm = await git(repo, ['worktree', 'remove', t.path], [0, 128]);
    if (rm.code !== 0) throw new PlanningError(`git refused to remove ${t.path}: ${rm.stderr.trim()}${removed.length ? ` (removed already: ${removed.join(', ')})` : ''}`);
    removed.push(t.path);
  }
  await git(repo, ['worktree', 'prune']);
  const branches: Record<string, string> = {};
  for (const b of leftovers.branches) {
    const tip = await revParse(repo, `refs/heads/${b}`);
    if (!tip) continue;
    await git(repo, ['branch', '-D', b]);
    branches[b] = tip;
  }
  for (const t of leftovers.trees) removeEmptyFolders(path.dirname(t.path), `${state.worktree}.worktrees`);
  const result = await discardSession(repo, id, { ...options, runBranches: branches });
  const names = Object.entries(branches);
  const run = names.length || removed.length
    ? `; the run of feature ${featureId}: removed ${removed.length} worktree${removed.length === 1 ? '' : 's'}${names.length ? ` and the branch${names.length === 1 ? '' : 'es'} ${names.map(([b, tip]) => `${b} (${tip.slice(0, 12)})`).join(', ')} (git branch <name> <commit> restores one)` : ''}`
    : '';
  const kept = leftovers.kept.length ? `; kept ${leftovers.kept.join(', ')}` : '';
  return { ...result, run: { worktrees: removed, branches }, message: `${result.message}${run}${kept}` };
}

interface Leftovers {
  trees: { path: string; locked: boolean }[];
  branches: string[];
  /** Branches of the run left alone, each with why. */
  kept: string[];
}

/**
 * What a run of the feature in the planning worktree left: the worktrees and branches its run
 * state names (integration, packages), and the worktrees on `waves/<feature>/…` under the
 * planning worktree's own worktrees folder (trees made ahead, a run whose state is gone).
 * Refused while a live driver runs it.
 */
async function runLeftovers(repo: string, planningTree: string, featureId: string): Promise<Leftovers> {
  const driver = fs.existsSync(planningTree) ? driverOf(planningTree, featureId) : null;
  if (driver?.alive) throw new PlanningError(`the plan's run of ${featureId} is going (${describeDriver(driver)}): let it end, or cancel it (waves cancel <its work-packages.yaml>), then discard — nothing is discarded`);
  const named = new Set<string>();
  const namedTrees: string[] = [];
  const read = fs.existsSync(planningTree) ? readRun(planningTree, featureId) : null;
  if (read?.kind === 'ok') {
    const { integration, packages } = read.state;
    if (integration) {
      named.add(integration.branch);
      namedTrees.push(integration.worktree);
    }
    for (const r of Object.values(packages)) {
      if (r.branch) named.add(r.branch);
      if (r.worktree) namedTrees.push(r.worktree);
    }
  }
  const prefix = `${path.posix.dirname(integrationBranch(featureId))}/`;
  const root = worktreesRoot(planningTree, featureId);
  const trees: Leftovers['trees'] = [];
  const kept: string[] = [];
  const worktrees = await listWorktrees(repo);
  for (const w of worktrees) {
    const onItsBranch = w.branch !== null && (named.has(w.branch) || w.branch.startsWith(prefix));
    const itsTree = namedTrees.some((t) => samePath(t, w.path)) || samePath(path.dirname(w.path), root);
    if (onItsBranch && itsTree) {
      trees.push({ path: w.path, locked: w.locked !== null });
      named.add(w.branch!);
    }
  }
  // A named branch checked out in a worktree that is not the run's stays (someone works on it there).
  const branches = [...named].filter((b) => {
    const holder = worktrees.find((w) => w.branch === b && !trees.some((t) => t.path === w.path));
    if (holder) kept.push(`${b} (checked out in ${holder.path})`);
    return !holder;
  });
  return { trees, branches: branches.sort(), kept };
}

/** Removes `dir` and its parents up to and including `stop` while they are empty folders (never anything in them). */
function removeEmptyFolders(dir: string, stop: string): void {
  for (let d = dir; d.startsWith(stop); d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty, or already gone: it and its parents stay
      return;
    }
    if (d === stop) return;
  }
}
