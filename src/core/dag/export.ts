/**
 * `Waves: Export DAG`: the panel's plan as a standalone SVG (the panel's layout and edge
 * routes, every package expanded) or as a Mermaid flowchart. Pure.
 *
 * The SVG leaves VS Code, so it cannot use the editor's theme variables: it carries a small
 * palette of its own, light by default and dark under `prefers-color-scheme: dark`.
 */
import type { PackageStatus } from '../run/runState';
import { buildDisplayGraph, layoutDisplay } from './display';
import type { PlanView } from './planView';

type PlanShape = Pick<PlanView, 'nodes' | 'edges' | 'waves' | 'featureId' | 'planFile'>;

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const STYLE = `
svg { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --node: #f6f8fa; --border: #d0d7de; --critical: #bc4c00;
  --conflict: #cf222e; --ok: #1a7f37; --run: #0969da; --warn: #9a6700; }
@media (prefers-color-scheme: dark) {
  svg { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --node: #161b22; --border: #3d444d; --critical: #f0883e;
    --conflict: #f85149; --ok: #3fb950; --run: #4493f8; --warn: #d29922; }
}
.bg { fill: var(--bg); }
text { font: 12px system-ui, sans-serif; fill: var(--fg); }
.muted { fill: var(--muted); }
.head { font-weight: 600; }
.node rect { fill: var(--node); stroke: var(--border); }
.node.critical rect { stroke: var(--critical); stroke-width: 2; }
.node.ghost rect { fill: none; stroke-dasharray: 4 3; }
.edge { fill: none; stroke: var(--muted); stroke-width: 1.2; }
.edge.critical { stroke: var(--critical); stroke-width: 2.2; }
.edge.conflict { stroke: var(--conflict); stroke-dasharray: 6 4; }
.edge.coupling { stroke: var(--warn); stroke-dasharray: 4 3; }
.edge.unknown, .edge.cycle { stroke-dasharray: 3 3; }
.edge.cycle { stroke: var(--warn); }
.label { fill: var(--conflict); font-size: 11px; }
.s-succeeded { fill: var(--ok); } .s-failed, .s-scope-violation { fill: var(--conflict); }
.s-running, .s-verifying, .s-queued { fill: var(--run); } .s-blocked, .s-interrupted { fill: var(--warn); }
`;

/** The plan as an SVG document. `statusOf` gives live statuses (the plan's own by default). */
export function toSvg(plan: PlanShape, statusOf?: (id: string) => PackageStatus): string {
  const graph = buildDisplayGraph(plan, { threshold: Infinity });
  const layout = layoutDisplay(graph);
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const status = (id: string) => statusOf?.(id) ?? byId.get(id)?.status ?? 'pending';
  const top = 40;
  const width = Math.max(layout.width, 320) + 40;
  const height = layout.height + top + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-20 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${xml(`Dependency graph of ${plan.featureId ?? plan.planFile}`)}">`,
    `<style>${STYLE}</style>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>`,
    `<rect class="bg" x="-20" y="0" width="${width}" height="${height}"/>`,
  ];
  graph.columns.forEach((c, k) => {
    const text = c === 'ghost' ? 'not in the plan' : c === 'none' ? 'no wave (cycle)' : `wave ${c}`;
    out.push(`<text class="head muted" x="${layout.columnX[k]}" y="20">${xml(text)}</text>`);
  });
  out.push(`<g transform="translate(0 ${top})">`);
  const kindOf = new Map(graph.edges.map((e) => [e.id, e]));
  for (const r of layout.edges) {
    const e = kindOf.get(r.id)!;
    const cls = ['edge', e.kind, e.critical ? 'critical' : '', e.cycle ? 'cycle' : ''].filter(Boolean).join(' ');
    const marker = e.kind === 'conflict' ? '' : ' marker-end="url(#arrow)"';
    out.push(`<path class="${cls}" d="${r.path}"${marker}/>`);
  }
  for (const n of graph.nodes) {
    const b = layout.nodes.get(n.id)!;
    const pkg = byId.get(n.id);
    const cls = ['node', n.kind, pkg?.onCriticalPath ? 'critical' : ''].filter(Boolean).join(' ');
    out.push(`<g class="${cls}" transform="translate(${b.x} ${b.y})">`);
    out.push(`<rect width="${b.width}" height="${b.height}" rx="4"/>`);
    if (n.kind === 'ghost') {
      out.push(`<text x="10" y="24" class="muted">${xml(clip(`${n.packageIds[0]} (unknown)`, 30))}</text>`);
    } else if (pkg) {
      const s = status(n.id);
      out.push(`<circle cx="14" cy="18" r="5" class="s-${s} muted"/>`);
      out.push(`<text x="26" y="22" class="head">${xml(clip(n.id, 26))}</text>`);
      out.push(`<text x="10" y="40" class="muted">${xml(clip(pkg.title, 32))}</text>`);
      const problems = pkg.problems.errors + pkg.problems.warnings;
      out.push(`<text x="10" y="56" class="muted">${xml(s)}${problems ? ` · ${problems} problem${problems === 1 ? '' : 's'}` : ''}</text>`);
    }
    out.push(`<title>${xml(pkg ? `${n.id}: ${pkg.title}` : n.packageIds[0])}</title></g>`);
  }
  for (const r of layout.edges) {
    if (!r.label) continue;
    out.push(`<text class="label" x="${r.label.x}" y="${r.label.y - 4}" text-anchor="middle">${xml(r.label.text)}<title>${xml(r.label.full)}</title></text>`);
  }
  out.push('</g></svg>');
  return out.join('\n') + '\n';
}

/** The plan as a Mermaid flowchart: waves as subgraphs, statuses and the critical path as classes. */
export function toMermaidFlowchart(plan: PlanShape, statusOf?: (id: string) => PackageStatus): string {
  const index = new Map(plan.nodes.map((n, k) => [n.id, `n${k}`]));
  const ghosts = [...new Set(plan.nodes.flatMap((n) => n.unknownDependencies))];
  ghosts.forEach((g, k) => index.set(`ghost:${g}`, `g${k}`));
  const label = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const out = ['flowchart LR'];
  const waves = [...plan.waves.map((ids, k) => ({ name: `wave ${k + 1}`, ids }))];
  const none = plan.nodes.filter((n) => n.wave === null).map((n) => n.id);
  if (none.length) waves.push({ name: 'no wave (cycle)', ids: none });
  waves.forEach((w, k) => {
    out.push(`  subgraph w${k + 1}[${label(w.name)}]`);
    for (const id of w.ids) {
      const n = plan.nodes.find((p) => p.id === id);
      out.push(`    ${index.get(id)}[${label(n?.title ? `${id}: ${n.title}` : id)}]`);
    }
    out.push('  end');
  });
  ghosts.forEach((g) => out.push(`  ${index.get(`ghost:${g}`)}[${label(`${g} (not in the plan)`)}]:::ghost`));
  for (const e of plan.edges) {
    const a = index.get(e.source);
    const b = index.get(e.target);
    if (!a || !b) continue;
    if (e.kind === 'dependency') out.push(`  ${a} ${e.critical ? '==>' : '-->'} ${b}`);
    else if (e.kind === 'conflict') out.push(`  ${a} -. ${label(`conflict: ${e.witness}`)} .- ${b}`);
    else out.push(`  ${a} -. ${label(`coupling: ${e.file}`)} .-> ${b}`);
  }
  for (const n of plan.nodes) for (const u of n.unknownDependencies) out.push(`  ${index.get(`ghost:${u}`)} -.-> ${index.get(n.id)}`);
  const byStatus = new Map<string, string[]>();
  for (const n of plan.nodes) {
    const s = statusOf?.(n.id) ?? n.status;
    if (s === 'pending') continue;
    byStatus.set(s, [...(byStatus.get(s) ?? []), index.get(n.id)!]);
  }
  out.push('  classDef ghost stroke-dasharray: 4 3');
  out.push('  classDef critical stroke-width:3px');
  const critical = plan.nodes.filter((n) => n.onCriticalPath).map((n) => index.get(n.id)!);
  if (critical.length) out.push(`  class ${critical.join(',')} critical`);
  const colour: Record<string, string> = { succeeded: '#1a7f37', failed: '#cf222e', 'scope-violation': '#cf222e', running: '#0969da', verifying: '#0969da', queued: '#0969da', blocked: '#9a6700', interrupted: '#9a6700', cancelled: '#59636e', ready: '#59636e' };
  for (const [s, ids] of byStatus) {
    const name = `s_${s.replace(/-/g, '_')}`;
    out.push(`  classDef ${name} stroke:${colour[s] ?? '#59636e'}`);
    out.push(`  class ${ids.join(',')} ${name}`);
  }
  return out.join('\n') + '\n';
}
