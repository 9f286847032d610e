/**
 * Plain-data views of an analysis, shared by the CLI, the extension and the webview
 * protocol: 1-based positions, package lists, and the DAG as Mermaid or Graphviz DOT.
 */
import type { PlanAnalysis } from './analyze';
import type { Severity } from './model';

export interface ReportDiagnostic {
  severity: Severity;
  code: string;
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  endLine: number;
  /** 1-based column just after the last character. */
  endColumn: number;
  packageId: string | null;
}

export interface PlanReport {
  file: string;
  valid: boolean;
  diagnostics: ReportDiagnostic[];
  packages: { id: string; wave: number | null; dependsOn: string[] }[];
  waves: string[][];
  criticalPath: string[];
}

export function toReport(file: string, analysis: PlanAnalysis): PlanReport {
  const { lines, graph } = analysis;
  // Each id's first package (a duplicated id: its first), found once — no search per package.
  const firstById = new Map<string, (typeof analysis.plan.packages)[number]>();
  for (const p of analysis.plan.packages) if (!firstById.has(p.id)) firstById.set(p.id, p);
  return {
    file,
    valid: analysis.valid,
    diagnostics: analysis.diagnostics.map((d) => {
      const s = lines.position(d.range.start);
      const e = lines.position(Math.max(d.range.end, d.range.start));
      return {
        severity: d.severity,
        code: d.code,
        message: d.message,
        line: s.line + 1,
        column: s.column + 1,
        endLine: e.line + 1,
        endColumn: e.column + 1,
        packageId: d.packageId,
      };
    }),
    packages: graph.ids.map((id, i) => ({
      id,
      wave: graph.wave[i],
      dependsOn: unique(firstById.get(id)?.dependsOn.map((d) => d.value) ?? []),
    })),
    waves: graph.waves.map((w) => [...w]),
    criticalPath: [...graph.criticalPath],
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Node groups for drawing: each wave, then the packages without one (on or behind a cycle). */
export function clusters(analysis: { graph: PlanAnalysis['graph'] }): { label: string; ids: string[] }[] {
  const { graph } = analysis;
  const groups = graph.waves.map((ids, k) => ({ label: `Wave ${k + 1}`, ids: [...ids] }));
  const stuck = graph.ids.filter((_, i) => graph.wave[i] === null);
  if (stuck.length) groups.push({ label: 'No wave (dependency cycle)', ids: stuck });
  return groups;
}

function edges(analysis: PlanAnalysis): [string, string][] {
  const { graph } = analysis;
  return graph.ids.flatMap((id, i) => graph.deps[i].map((j): [string, string] => [graph.ids[j], id]));
}

export function toMermaid(analysis: PlanAnalysis): string {
  const { graph } = analysis;
  const node = (id: string) => `n${graph.indexOf.get(id)}`;
  const label = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const critical = new Set(graph.criticalPath);
  const out = ['flowchart LR'];
  clusters(analysis).forEach((c, k) => {
    out.push(`  subgraph c${k + 1}[${label(c.label)}]`);
    for (const id of c.ids) out.push(`    ${node(id)}[${label(id)}]`);
    out.push('  end');
  });
  for (const [from, to] of edges(analysis)) out.push(`  ${node(from)} --> ${node(to)}`);
  if (critical.size) {
    out.push('  classDef critical stroke-width:3px');
    out.push(`  class ${[...critical].map(node).join(',')} critical`);
  }
  return out.join('\n') + '\n';
}

export function toDot(analysis: PlanAnalysis): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const critical = new Set(analysis.graph.criticalPath);
  const out = ['digraph plan {', '  rankdir=LR;', '  node [shape=box];'];
  clusters(analysis).forEach((c, k) => {
    out.push(`  subgraph cluster_${k + 1} {`, `    label=${q(c.label)};`);
    for (const id of c.ids) out.push(`    ${q(id)}${critical.has(id) ? ' [penwidth=3]' : ''};`);
    out.push('  }');
  });
  for (const [from, to] of edges(analysis)) out.push(`  ${q(from)} -> ${q(to)};`);
  out.push('}');
  return out.join('\n') + '\n';
}
