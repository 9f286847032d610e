/**
 * A planning session's end (ADR 0013): approved — its plan analysed again from the
 * branch's commit, and with a shared coordinator registered as its feature's planned claims —
 * or discarded (its worktree and branch removed, the tip kept to bring it back); and the gates
 * that follow from it: a plan on a planning branch runs only once approved (`proposalGate`), a
 * run's end goes to the person's checkout (`finishCheckoutOf`). The sessions themselves are
 * planner.ts's.
 */
import path from 'node:path';
import { analyzePlan } from '../../core/plan/analyze';
import { PLAN_FILE_NAME, approvalRefusal, planningPaths, type PlanningState } from '../../core/planning/planningSession';
import type { PlannedConflict } from '../../core/coordinator/sharedCoordinator';
import { branchExists, git, listWorktrees, revParse } from '../git';
import { registerPlannedClaims, removePlannedClaims, type CoordinatorOptions, type SharedResult } from '../coordinator';
import { findRepositoryRoot } from '../plan';
import { PlanningError, readPlanning, samePath, saveState } from './planner';
import { sessionOfWorktree } from './worktreeSession';

/** What approving did in the shared coordinator: null without one. */
export type PlannedClaimsOutcome = SharedResult<{ featureId: string; registered: number; conflicts: PlannedConflict[] }>;

export interface PlanApproval {
  state: PlanningState;
  /** The planned claims registered (and which other features' they meet), the coordinator's problem, or null without a coordinator. */
  shared: PlannedClaimsOutcome | null;
}

/**
 * Approves a valid session: the plan at the branch's tip is analysed again from that commit
 * (not the work tree) and must be valid; the commit is recorded. The worktree stays: the plan
 * runs from there (`waves run <planFile>`), on its own branch. With a coordinator, the approved
 * plan's write scopes, file locks and lock keys then become its feature's planned claims there
 * (replacing earlier ones) — after the approval is saved, so a coordinator out of reach never
 * costs the approval: `shared` says so, and approving again registers them.
 */
export async function approvePlanning(repo: string, id: string, options: { coordinator?: CoordinatorOptions } = {}): Promise<PlanApproval> {
  const state = readPlanning(repo, id);
  if (!state) throw new PlanningError(`no planning session "${id}" in ${repo}`);
  let next = state;
  if (state.status !== 'approved') {
    const refusal = approvalRefusal(state);
    if (refusal) throw new PlanningError(refusal);
    const tip = await revParse(repo, `refs/heads/${state.branch}`);
    if (!tip) throw new PlanningError(`the branch ${state.branch} is gone`);
    const shown = await approvedPlanText(repo, state, tip);
    if (shown === null || !analyzePlan(shown).valid) throw new PlanningError(`the plan committed at ${tip.slice(0, 12)} is not valid (was it changed by hand?); request changes or fix it and run waves validate`);
    const dirty = (await git(state.worktree, ['status', '--porcelain', '--', state.planDir])).stdout.trim();
    if (dirty) throw new PlanningError(`${state.planDir} has uncommitted changes in ${state.worktree}: commit them on ${state.branch} (and validate) or discard them, then approve`);
    const paths = planningPaths(repo, id, path.dirname(path.dirname(state.worktree)));
    next = { ...state, status: 'approved', approvedCommit: tip };
    await saveState(repo, paths, next);
  }
  if (!options.coordinator) return { state: next, shared: null };
  // The plan as approved (its commit), not the work tree.
  const text = await approvedPlanText(repo, next, next.approvedCommit!);
  if (text === null) return { state: next, shared: { ok: false, message: `the approved commit ${next.approvedCommit!.slice(0, 12)} is not in this repository any more` } };
  const plan = analyzePlan(text).plan;
  const featureId = plan.feature?.id?.trim() || next.id;
  const shared = await registerPlannedClaims(repo, options.coordinator, { featureId, planId: next.id, plan });
  return { state: next, shared: shared.ok ? { ...shared, featureId } : shared };
}

/** The feature id of a session's approved plan (its `feature.id`, else the session's id); null when it was never approved. */
export async function approvedFeatureId(repo: string, state: PlanningState): Promise<string | null> {
  if (!state.approvedCommit) return null;
  const text = await approvedPlanText(repo, state, state.approvedCommit);
  return (text !== null ? analyzePlan(text).plan.feature?.id?.trim() : undefined) || state.id;
}

/** The plan file's text at `commit`, or null. */
async function approvedPlanText(repo: string, state: PlanningState, commit: string): Promise<string | null> {
  const shown = await git(repo, ['show', `${commit}:${state.planDir}/${PLAN_FILE_NAME}`], [0, 128]);
  return shown.code === 0 ? shown.stdout : null;
}

export interface DiscardResult {
  state: PlanningState;
  /** The run of the plan removed with it (usecases/discardPlanning.ts): its worktrees, and its branches with their last commits. */
  run?: { worktrees: string[]; branches: Record<string, string> };
  /** What was removed and what stays, for a person. */
  message: string;
  /** With a coordinator: the session's planned claims removed there, or its problem; null without one. */
  shared: SharedResult<{ removed: number }> | null;
}

/**
 * Discards a session: its worktree removed only when clean (never `--force`: a change the
 * person made there is never lost), then its branch deleted — its tip is kept in the state
 * (`discardedTip`) and named in the message, so `git branch <branch> <tip>` brings it back. What
 * a run of the plan left is the front door's `discardPlanning`'s to remove first (usecases/).
 */
export async function discardSession(repo: string, id: string, options: { coordinator?: CoordinatorOptions; runBranches?: Record<string, string> } = {}): Promise<DiscardResult> {
  const state = readPlanning(repo, id);
  if (!state) throw new PlanningError(`no planning session "${id}" in ${repo}`);
  if (state.status === 'discarded') return { state, message: `the plan ${id} was discarded already`, shared: await dropClaims(repo, state, options) };
  const paths = planningPaths(repo, id, path.dirname(path.dirname(state.worktree)));
  const wt = (await listWorktrees(repo)).find((w) => samePath(w.path, state.worktree));
  if (wt) {
    const dirty = (await git(state.worktree, ['status', '--porcelain', '--untracked-files=all'])).stdout.trim();
    if (dirty) throw new PlanningError(`${state.worktree} has uncommitted changes (${dirty.split('\n').length} file(s)); commit or remove them first — nothing is discarded`);
    if (wt.locked !== null) await git(repo, ['worktree', 'unlock', state.worktree], [0, 128]);
    const rm = await git(repo, ['worktree', 'remove', state.worktree], [0, 128]);
    if (rm.code !== 0) throw new PlanningError(`git refused to remove ${state.worktree}: ${rm.stderr.trim()}`);
  }
  await git(repo, ['worktree', 'prune']);
  const tip = await revParse(repo, `refs/heads/${state.branch}`);
  if (tip && (await branchExists(repo, state.branch))) await git(repo, ['branch', '-D', state.branch]);
  const next: PlanningState = { ...state, status: 'discarded', discardedTip: tip, ...(options.runBranches && Object.keys(options.runBranches).length ? { discardedRunBranches: options.runBranches } : {}) };
  await saveState(repo, paths, next);
  const shared = await dropClaims(repo, next, options);
  return { state: next, shared, message: tip ? `removed ${state.worktree} and the branch ${state.branch} (its last commit ${tip.slice(0, 12)}: git branch ${state.branch} ${tip} restores it)` : `removed ${state.worktree}` };
}

/** The planned claims this session approved (never another session's of the same feature), with a coordinator. */
async function dropClaims(repo: string, state: PlanningState, options: { coordinator?: CoordinatorOptions }): Promise<SharedResult<{ removed: number }> | null> {
  const featureId = options.coordinator ? await approvedFeatureId(repo, state) : null;
  if (!options.coordinator || !featureId) return null;
  return removePlannedClaims(repo, options.coordinator, featureId, state.id);
}

/**
 * Why a plan file may not run yet, or null. A plan inside a planning worktree (its branch is
 * `waves-plan/<id>`) runs only once its session is approved and the approved commit is in the
 * branch's history: nothing runs before the person approves it.
 */
export async function proposalGate(planFile: string): Promise<string | null> {
  const dir = path.dirname(path.resolve(planFile));
  const top = await findRepositoryRoot(dir).catch(() => null);
  if (!top) return null;
  const session = await sessionOfWorktree(top);
  if (!session) return null;
  const { branch: ref, id, state } = session;
  if (!state) return `this plan is on ${ref}, a planning branch with no planning session in ${session.checkout ?? top}; it cannot run before it is approved`;
  if (state.status !== 'approved' || !state.approvedCommit) return `the proposed plan ${id} is not approved yet (${state.status}): approve it first (waves plan --approve ${id}, or Approve in the editor)`;
  const head = await revParse(top, 'HEAD');
  const holdsApproved = head !== null && (await git(top, ['merge-base', '--is-ancestor', state.approvedCommit, head], [0, 1])).code === 0;
  if (holdsApproved) return null;
  return `the branch ${ref} no longer holds the approved commit ${state.approvedCommit.slice(0, 12)}`;
}

/**
 * The checkout a run's end goes to (`waves finish`, the editor's Finish Run): `repo` itself —
 * unless it is a planning session's worktree (on `waves-plan/<id>`, that session's worktree), whose
 * feature's end goes to the person's checkout the session was planned from.
 */
export async function finishCheckoutOf(repo: string): Promise<string> {
  const session = await sessionOfWorktree(repo);
  return session?.owns && session.checkout ? session.checkout : repo;
}

