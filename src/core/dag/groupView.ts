/**
 * The DAG panel's view of a plan of plans (ADR 0035): the top plan or one opened sub-plan, each
 * parent drawn as a group with the leaves below it (their live statuses travel with the view, so
 * a closed group shows its progress), and each package named as its run names it (`api__users`)
 * so the run's statuses, the timeline and the details pane meet on one id. Pure.
 */
import type { Coupling } from '../ownership/coupling';
import type { PlanAnalysis } from '../plan/analyze';
import type { NestedPlan } from '../plan/nestedPlan';
import { fromFirstStart, leavesBelow, scopeOf, type NestScope, type NestTree } from '../plan/nestTree';
import { childRunId } from '../plan/subPlans';
import type { PackageRunRecord } from '../run/runState';
import { buildPlanView, idleStatus } from './panelModel';
import type { PackageLiveStatus, PlanView } from './planView';

/**
 * The view of the sub-plan reached by opening `path` (parents' ids in their own plans; empty:
 * the top plan), or undefined when `path` leads to no sub-plan read. `records`: the run's, by
 * each package's id in the run.
 */
export function nestedPlanView(
  plans: readonly NestedPlan<PlanAnalysis>[],
  tree: NestTree,
  path: readonly string[],
  records: Readonly<Record<string, PackageRunRecord>>,
  couplings: readonly Coupling[] = [],
): PlanView | undefined {
  const scope = scopeOf(plans, tree, path);
  if (!scope) return undefined;
  const plan = plans[scope.plan]!;
  const runId = runIdIn(scope);
  const local: Record<string, PackageRunRecord> = {};
  for (const p of plan.analysis.plan.packages) {
    const record = p.id ? records[runId(p.id)] : undefined;
    if (record) local[p.id] = record;
  }
  // Couplings are found in the top plan's packages only.
  const view = buildPlanView(plan.analysis, plan.file, local, scope.plan === 0 ? couplings : []);
  const below: PackageLiveStatus[] = [];
  const nodes = view.nodes.map((n) => {
    const id = runId(n.id);
    const sub = tree.subPlan[id];
    const node = { ...n, id, ...(scope.prefix ? { localId: n.id } : {}) };
    // A parent whose agent plans its sub-plan at run time, not planned yet: its planner is what is below it.
    if (sub === undefined && !tree.joins[id]) return node;
    const leaves = leavesBelow(tree, id);
    node.startedAt = fromFirstStart(node, records, leaves).startedAt;
    for (const leaf of leaves) {
      const r = records[leaf];
      below.push(r ? { id: leaf, status: r.status, attempts: r.attempts, startedAt: r.startedAt, endedAt: r.endedAt, exitCode: r.exitCode, host: r.host ?? null } : idleStatus(leaf));
    }
    return { ...node, group: { file: sub === undefined ? null : plans[sub]!.file, leaves } };
  });
  const ids = (list: readonly string[]) => list.map(runId);
  return {
    ...view,
    // The panel is the top plan's, whichever sub-plan it shows.
    featureId: plans[0]!.analysis.plan.feature?.id ?? null,
    nodes,
    edges: view.edges.map((e) => ({ ...e, id: scope.prefix ? `${e.id}@${scope.prefix}` : e.id, source: runId(e.source), target: runId(e.target) })),
    waves: view.waves.map(ids),
    criticalPath: ids(view.criticalPath),
    cycles: view.cycles.map(ids),
    ...(scope.path.length ? { group: { path: scope.path } } : {}),
    ...(below.length ? { below } : {}),
  };
}

/** A package's id in the run, from its id in the scope's plan. */
export function runIdIn(scope: Pick<NestScope, 'prefix'>): (id: string) => string {
  return (id) => (scope.prefix ? childRunId(scope.prefix, id) : id);
}

