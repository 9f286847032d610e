/**
 * A parent of a plan of plans in its run (ADR 0035, core/plan/unfold.ts): its sub-plan's join. It
 * runs no agent — its attempt is a program that changes nothing, in its tree made from the
 * integration tip once all its children landed — and is judged on what its children changed
 * together (each audited already against its own scope, inside the parent's), so the parent's
 * audit holds them to its scope as one and its verification runs on their combined result.
 */
import type { AgentProfile } from '../../core/agents/agentProfiles';
import type { PlanAnalysis } from '../../core/plan/analyze';
import type { AuditChange } from '../../core/run/audit';
import type { RunState } from '../../core/run/runState';
import { isParent } from '../../core/plan/subPlans';
import { loadPlan } from '../plan';

/**
 * The join's "agent": git saying its version — a program every machine that runs the engine has
 * on its PATH (the engine needs git), that changes nothing and ends at once, on every platform
 * (not `process.execPath`: in the editor that is Electron's binary, which the runner does not
 * start as Node for an agent).
 */
export const JOIN_AGENT: AgentProfile = {
  id: 'join',
  label: 'its sub-plan (no agent of its own)',
  argv: ['git', 'version'],
  interactive: false,
  stdin: null,
  verdict: 'none',
  executable: 'git',
};

/** What a join's children changed, together (a path's last change wins, in the children's order): the join's changes. */
export function joinChanges(state: RunState, children: readonly string[]): AuditChange[] {
  const byPath = new Map<string, AuditChange>();
  for (const id of children) for (const f of state.packages[id]?.changedFiles ?? []) byPath.set(f.path, { path: f.path, change: f.change });
  return [...byPath.values()];
}

/** What `nestedPlanChange` reads and tells of the run (its `RunContext`). */
export interface PlanChangeContext {
  readonly joins: Readonly<Record<string, readonly string[]>> | undefined;
  readonly planFile: string;
  readonly maxParallel: number;
  readonly planHash: string;
  skipPlan(hash: string): void;
  problem(message: string): void;
}

/**
 * The plan file of a run changed on disk (`analysis` and `hash`: its text's, valid): what the run
 * goes on with. A plan of plans (or a run of one) is read again unfolded and taken only when it
 * nests exactly as the run does (the same parents, each with the same children: the joins are
 * fixed at a run's start, and grow only when a planner's sub-plan is taken); otherwise `skip` (the change is not taken, and said when it nests
 * otherwise or a sub-plan cannot run now).
 */
export async function nestedPlanChange(ctx: PlanChangeContext, analysis: PlanAnalysis, hash: string): Promise<{ analysis: PlanAnalysis; hash: string } | 'skip'> {
  const joins = ctx.joins;
  if (!joins && !analysis.plan.packages.some(isParent)) return { analysis, hash };
  const loaded = await loadPlan(ctx.planFile, { maxParallel: ctx.maxParallel }).catch(() => null);
  const now = loaded?.nested && 'joins' in loaded.nested ? loaded.nested.joins : loaded && !loaded.nested ? {} : null;
  const running = ctx.planHash;
  ctx.skipPlan(hash);
  if (!loaded || !now || !sameJoins(now, joins ?? {})) {
    ctx.problem('The plan or its sub-plans changed on disk how they nest, or a sub-plan cannot run now; the run goes on with the plan it started from.');
    return 'skip';
  }
  return loaded.hash === running ? 'skip' : { analysis: loaded.analysis, hash: loaded.hash };
}

/** Whether two plans of plans nest alike: the same parents, each with the same children in the run. */
function sameJoins(a: Readonly<Record<string, readonly string[]>>, b: Readonly<Record<string, readonly string[]>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] !== undefined && a[k]!.join('\u0000') === b[k]!.join('\u0000'));
}
