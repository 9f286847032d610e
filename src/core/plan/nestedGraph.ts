/**
 * A plan with its sub-plans drawn (`waves graph`, ADR 0035): each plan's waves as clusters; a
 * parent as a cluster of its own inside its wave, holding the parent's node (its dependencies'
 * edges meet it there) and its sub-plan's waves — nested as deep as the plans are. Mermaid or
 * Graphviz DOT. Pure.
 */
import type { NestedPlan } from './nestedPlan';
import { clusters } from './planReport';

interface Cluster {
  label: string;
  /** Node ids and parents' clusters, in order. */
  items: ({ node: string; label: string; critical: boolean } | Cluster)[];
}

/** The plans' clusters and edges, each node named once across all plans. */
function shape(plans: readonly NestedPlan[]): { top: Cluster[]; edges: [string, string][] } {
  const childOf = new Map<string, number>();
  plans.forEach((p, i) => {
    if (p.parent) childOf.set(`${p.parent.plan}\u0000${p.parent.packageId}`, i);
  });
  const names = new Map<string, string>();
  const node = (plan: number, id: string) => {
    const k = `${plan}\u0000${id}`;
    let n = names.get(k);
    if (n === undefined) names.set(k, (n = `n${names.size}`));
    return n;
  };
  const critical = new Set(plans[0]?.analysis.graph.criticalPath ?? []);
  const wavesOf = (plan: number): Cluster[] => {
    return clusters(plans[plan]!.analysis).map((g) => ({
      label: g.label,
      items: g.ids.map((id) => {
        const item = { node: node(plan, id), label: id, critical: plan === 0 && critical.has(id) };
        const child = childOf.get(`${plan}\u0000${id}`);
        return child === undefined ? item : { label: `${id}: ${plans[child]!.file}`, items: [item, ...wavesOf(child)] };
      }),
    }));
  };
  const top = plans.length ? wavesOf(0) : [];
  const edges: [string, string][] = [];
  plans.forEach((p, k) => {
    const { graph } = p.analysis;
    graph.ids.forEach((id, i) => {
      for (const j of graph.deps[i]!) edges.push([node(k, graph.ids[j]!), node(k, id)]);
    });
  });
  return { top, edges };
}

export function nestedMermaid(plans: readonly NestedPlan[]): string {
  const label = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const out = ['flowchart LR'];
  const critical: string[] = [];
  let k = 0;
  const emit = (c: Cluster, indent: string) => {
    out.push(`${indent}subgraph c${++k}[${label(c.label)}]`);
    for (const item of c.items) {
      if ('items' in item) emit(item, indent + '  ');
      else {
        out.push(`${indent}  ${item.node}[${label(item.label)}]`);
        if (item.critical) critical.push(item.node);
      }
    }
    out.push(`${indent}end`);
  };
  const { top, edges } = shape(plans);
  for (const c of top) emit(c, '  ');
  for (const [from, to] of edges) out.push(`  ${from} --> ${to}`);
  if (critical.length) out.push('  classDef critical stroke-width:3px', `  class ${critical.join(',')} critical`);
  return out.join('\n') + '\n';
}

export function nestedDot(plans: readonly NestedPlan[]): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const out = ['digraph plan {', '  rankdir=LR;', '  compound=true;', '  node [shape=box];'];
  let k = 0;
  const emit = (c: Cluster, indent: string) => {
    out.push(`${indent}subgraph cluster_${++k} {`, `${indent}  label=${q(c.label)};`);
    for (const item of c.items) {
      if ('items' in item) emit(item, indent + '  ');
      else out.push(`${indent}  ${item.node} [label=${q(item.label)}${item.critical ? ', penwidth=3' : ''}];`);
    }
    out.push(`${indent}}`);
  };
  const { top, edges } = shape(plans);
  for (const c of top) emit(c, '  ');
  for (const [from, to] of edges) out.push(`  ${from} -> ${to};`);
  out.push('}');
  return out.join('\n') + '\n';
}
