/**
 * The DAG panel's view model: an analysis (and, when there is one, the run state) turned
 * into the protocol's `plan` message. Pure; the host adds `seq` and posts it.
 */
import type { Coupling } from '../ownership/coupling';
import type { PlanAnalysis } from '../plan/analyze';
import { retryBudgetOf, timeoutMinutesOf } from '../plan/defaults';
import type { Diagnostic } from '../plan/model';
import { SHOWN_FIELDS, type PackageRunRecord } from '../run/runState';
import { pick } from '../util/pick';
import { formatSpend } from '../run/spend';
import type { ActionState, NodeProblems, PackageDetailsBase, PackageLiveStatus, PlanEdge, PlanNode, PlanView } from './planView';

/** At most this many problem messages travel with a node (its tooltip). */
export const MAX_NODE_MESSAGES = 20;

/** A package's live status before it has run. */
export function idleStatus(id: string): PackageLiveStatus {
  return { id, status: 'pending', attempts: 0, startedAt: null, endedAt: null, exitCode: null, host: null };
}

export function buildPlanView(
  analysis: PlanAnalysis,
  planFile: string,
  records: Readonly<Record<string, PackageRunRecord>> = {},
  couplings: readonly Coupling[] = [],
): PlanView {
  const { graph, plan } = analysis;
  const critical = graph.criticalPath;
  const onPath = new Set(critical);
  const criticalEdge = new Set(critical.slice(1).map((id, k) => `${critical[k]}→${id}`));
  const firstDefinition = new Map<string, (typeof plan.packages)[number]>();
  for (const p of plan.packages) if (p.id && !firstDefinition.has(p.id)) firstDefinition.set(p.id, p);
  // Coupling: found by the engine after the analysis; a pair the plan orders since is left out.
  const coupled = couplings.filter((c) => {
    const [w, i] = [graph.indexOf.get(c.writer), graph.indexOf.get(c.importer)];
    return w !== undefined && i !== undefined && graph.mayRunInParallel(w, i);
  });
  const problemsOf = new Map<string, NodeProblems>();
  const couplingWarnings = coupled.map((c) => ({ packageId: c.importer, severity: 'warning' as const, code: 'coupling', message: c.message }));
  for (const d of [...analysis.diagnostics, ...couplingWarnings]) {
    if (!d.packageId || d.severity === 'info') continue;
    let p = problemsOf.get(d.packageId);
    if (!p) problemsOf.set(d.packageId, (p = { errors: 0, warnings: 0, messages: [] }));
    if (d.severity === 'error') p.errors++;
    else p.warnings++;
    if (p.messages.length < MAX_NODE_MESSAGES) p.messages.push(`${d.severity} ${d.code}: ${d.message}`);
  }
  const cycleOf = new Map<string, number>();
  graph.cycles.forEach((cycle, k) => cycle.forEach((id) => cycleOf.set(id, k)));

  const nodes: PlanNode[] = graph.ids.map((id, i) => {
    const p = firstDefinition.get(id)!;
    const record = records[id];
    const live = record
      ? { id, status: record.status, attempts: record.attempts, startedAt: record.startedAt, endedAt: record.endedAt, exitCode: record.exitCode, host: record.host ?? null }
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
      problems: problemsOf.get(id) ?? { errors: 0, warnings: 0, messages: [] },
      unknownDependencies: [...new Set(p.dependsOn.map((d) => d.value).filter((d) => !graph.indexOf.has(d)))],
      onCycle: cycleOf.has(id),
    };
  });

  const edges: PlanEdge[] = [];
  graph.ids.forEach((id, i) => {
    for (const j of graph.deps[i]) {
      const source = graph.ids[j];
      const cycle = cycleOf.has(id) && cycleOf.get(id) === cycleOf.get(source);
      edges.push({ id: `dep:${source}→${id}`, kind: 'dependency', source, target: id, critical: criticalEdge.has(`${source}→${id}`), cycle });
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

  for (const c of coupled) {
    edges.push({ id: `coupling:${c.writer}→${c.importer}`, kind: 'coupling', source: c.writer, target: c.importer, file: c.file, message: c.message });
  }

  const count = (severity: string) => analysis.diagnostics.filter((d) => d.severity === severity).length + (severity === 'warning' ? coupled.length : 0);
  return {
    type: 'plan',
    featureId: plan.feature?.id ?? null,
    planFile,
    nodes,
    edges,
    waves: graph.waves.map((w) => [...w]),
    criticalPath: [...critical],
    cycles: graph.cycles.map((c) => [...c]),
    problems: { errors: count('error'), warnings: count('warning') },
  };
}

/**
 * The details pane's content for one package, or undefined when the plan has no such
 * package: its facts, and `actions` (what the host can do for each of the pane's actions,
 * each saying why it can't) as given. `runId` names the run the record comes from.
 */
export function buildPackageDetails<Action extends string>(
  analysis: PlanAnalysis,
  packageId: string,
  actions: Record<Action, ActionState>,
  run?: { runId: string; record: PackageRunRecord | undefined },
): (PackageDetailsBase & { actions: Record<Action, ActionState> }) | undefined {
  const { graph, plan } = analysis;
  const index = graph.indexOf.get(packageId);
  const p = plan.packages.find((q) => q.id === packageId);
  if (index === undefined || !p) return undefined;
  const r = run?.record;
  const severity = (d: Diagnostic) => d.severity;
  return {
    id: packageId,
    title: p.title ?? '',
    description: p.description ?? '',
    taskType: p.taskType ?? null,
    priority: p.priority ?? null,
    wave: graph.wave[index],
    dependencies: graph.deps[index].map((j) => graph.ids[j]),
    dependents: graph.dependents[index].map((j) => graph.ids[j]),
    unknownDependencies: [...new Set(p.dependsOn.map((d) => d.value).filter((d) => !graph.indexOf.has(d)))],
    scope: {
      writeAllow: p.scope.writeAllow.map((g) => g.value),
      readAllow: p.scope.readAllow.map((g) => g.value),
      deny: p.scope.deny.map((g) => g.value),
    },
    locks: { files: p.locks.files.map((l) => l.value), keys: p.locks.keys.map((l) => l.value) },
    verification: {
      tier: p.verification?.tier ?? plan.defaults.verificationTierRequired ?? null,
      steps: (p.verification?.steps ?? []).map((s) => ({ name: s.name, kind: s.kind, command: s.command ?? null })),
    },
    // What the run will do: the package's own, else the plan's, else the format's default.
    timeoutMinutes: timeoutMinutesOf(p, plan.defaults),
    retryBudget: retryBudgetOf(p, plan.defaults),
    problems: analysis.diagnostics
      .filter((d) => d.packageId === packageId)
      .map((d) => ({ severity: severity(d), code: d.code, message: d.message, line: analysis.lines.position(d.range.start).line + 1 })),
    run:
      run && r
        ? {
            runId: run.runId,
            ...pick(r, SHOWN_FIELDS),
            signal: r.signal,
            logFile: r.logFile,
            worktree: r.worktree,
            branch: r.branch,
            verification: r.verification.map((v) => ({ step: v.step, ok: v.ok, detail: v.detail ?? null, at: v.at })),
            scopeViolations: r.scopeViolations.map((v) => ({ path: v.path, change: v.change })),
            blockedBy: [...r.blockedBy],
            resetAt: r.status === 'usage-limit' ? (r.usageLimit?.resetAt ?? null) : null,
            spend: r.spend ? formatSpend(r.spend) : null,
            question: r.question ?? null,
            refused: [...(r.refused ?? [])],
            refusedRegistries: [...(r.refusedRegistries ?? [])],
            ...(r.revisions ? { revisions: r.revisions } : {}),
            ...(r.handoffs?.length ? { handoffs: [...r.handoffs] } : {}),
            ...(r.granted?.length ? { granted: r.granted.flatMap((g) => g.paths) } : {}),
          }
        : null,
    actions,
  };
}
