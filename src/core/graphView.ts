/**
 * The DAG panel's view model: an analysis (and, when there is one, the run state) turned
 * into the protocol's `plan` message. Pure; the host adds `seq` and posts it.
 */
import type { PlanAnalysis } from './engine';
import type { PackageRunRecord } from './runState';
import type { PackageLiveStatus, PlanEdge, PlanMessage, PlanNode } from '../protocol';

export type PlanView = Omit<PlanMessage, 'seq'>;

function idleStatus(id: string): PackageLiveStatus {
  return { id, status: 'pending', attempts: 0, startedAt: null, endedAt: null, exitCode: null };
}

export function buildPlanView(
  analysis: PlanAnalysis,
  planFile: string,
  records: Readonly<Record<string, PackageRunRecord>> = {},
): PlanView {
  const { graph, plan } = analysis;
  const critical = graph.criticalPath;
  const onPath = new Set(critical);
  const criticalEdge = new Set(critical.slice(1).map((id, k) => `${critical[k]}→${id}`));
  const firstDefinition = new Map<string, (typeof plan.packages)[number]>();
  for (const p of plan.packages) if (p.id && !firstDefinition.has(p.id)) firstDefinition.set(p.id, p);

  const nodes: PlanNode[] = graph.ids.map((id, i) => {
    const p = firstDefinition.get(id)!;
    const record = records[id];
    const live = record
      ? { id, status: record.status, attempts: record.attempts, startedAt: record.startedAt, endedAt: record.endedAt, exitCode: record.exitCode }
      : idleStatus(id);
    return {
      ...live,
      title: p.title ?? '',
      wave: graph.wave[i],
      priority: p.priority ?? null,
      taskType: p.taskType ?? null,
      onCriticalPath: onPath.has(id),
      writeScope: p.scope.writeAllow.map((g) => g.value),
      locks: [...p.locks.files, ...p.locks.keys].map((l) => l.value),
    };
  });

  const edges: PlanEdge[] = [];
  graph.ids.forEach((id, i) => {
    for (const j of graph.deps[i]) {
      const source = graph.ids[j];
      edges.push({ id: `dep:${source}→${id}`, kind: 'dependency', source, target: id, critical: criticalEdge.has(`${source}→${id}`) });
    }
  });
  for (const c of analysis.conflicts) {
    edges.push({
      id: `conflict:${c.kind}:${c.a}↔${c.b}`,
      kind: 'conflict',
      source: c.a,
      target: c.b,
      reason: c.kind,
      witness: c.witness,
    });
  }

  const count = (severity: string) => analysis.diagnostics.filter((d) => d.severity === severity).length;
  return {
    type: 'plan',
    featureId: plan.feature?.id ?? null,
    planFile,
    nodes,
    edges,
    waves: graph.waves.map((w) => [...w]),
    criticalPath: [...critical],
    problems: { errors: count('error'), warnings: count('warning') },
  };
}
