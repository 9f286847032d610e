// The DAG panel's pure logic (src/core/dag): layout and edge routing, collapse of
// large plans, search, keyboard navigation, export. Plain Node.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePlan } from '../../src/core/plan/analyze';
import { buildPlanView } from '../../src/core/dag/panelModel';
import { buildDisplayGraph, layoutDisplay } from '../../src/core/dag/display';
import { toMermaidFlowchart, toSvg } from '../../src/core/dag/export';
import { DEFAULT_LAYOUT, layoutGraph, type Layout, type Point, type Segment } from '../../src/core/dag/layout';
import { navigate, neighbours } from '../../src/core/dag/navigate';
import { search } from '../../src/core/dag/search';
import { generatePlan } from '../../bench/generate';
import type { PackageStatus } from '../../src/core/run/runState';

const demo = fs.readFileSync(path.resolve(__dirname, '../../examples/demo/work-packages.yaml'), 'utf8');
const opts = { ...DEFAULT_LAYOUT, columnWidth: 100, nodeWidth: 60, nodeHeight: 10, nodeGap: 4, laneHeight: 2 };

/** Points that bound a segment (a cubic lies inside the hull of its control points). */
const hull = (s: Segment): Point[] => (s.kind === 'line' ? [s.from, s.to] : [s.from, s.c1, s.c2, s.to]);

/** The nodes an edge's route passes under (other than its own ends): must be none. */
function crossings(layout: Layout): string[] {
  const out: string[] = [];
  for (const e of layout.edges) {
    for (const s of e.segments) {
      const ps = hull(s);
      const [x0, x1] = [Math.min(...ps.map((p) => p.x)), Math.max(...ps.map((p) => p.x))];
      const [y0, y1] = [Math.min(...ps.map((p) => p.y)), Math.max(...ps.map((p) => p.y))];
      for (const [id, b] of layout.nodes) {
        if (id === e.source || id === e.target) continue;
        // strictly inside: touching a border is not passing under
        if (x1 > b.x + 0.01 && x0 < b.x + b.width - 0.01 && y1 > b.y + 0.01 && y0 < b.y + b.height - 0.01) out.push(`${e.id} under ${id}`);
      }
    }
  }
  return out;
}

describe('layout and edge routing', () => {
  it('puts each column at its own x and stacks nodes without overlap', () => {
    const cols: Record<string, number> = { a: 0, b: 1, c: 1, d: 2, x: 3 };
    const layout = layoutGraph(Object.entries(cols).map(([id, column]) => ({ id, column })), [], opts);
    assert.deepEqual(['a', 'b', 'c', 'd', 'x'].map((id) => layout.nodes.get(id)!.x), [0, 100, 100, 200, 300]);
    assert.ok(Math.abs(layout.nodes.get('b')!.y - layout.nodes.get('c')!.y) >= 10);
  });

  it('orders a column by its neighbours so that edges do not cross', () => {
    const nodes = [{ id: 'a1', column: 0 }, { id: 'a2', column: 0 }, { id: 'b1', column: 1 }, { id: 'b2', column: 1 }];
    const layout = layoutGraph(nodes, [{ id: '1', source: 'a1', target: 'b2' }, { id: '2', source: 'a2', target: 'b1' }], opts);
    assert.ok(layout.nodes.get('b2')!.y < layout.nodes.get('b1')!.y);
  });

  it('routes a long edge around the nodes of the columns it crosses', () => {
    // a → d spans two columns full of nodes; a straight line would pass under m1.
    const nodes = [{ id: 'a', column: 0 }, { id: 'm1', column: 1 }, { id: 'm2', column: 2 }, { id: 'd', column: 3 }];
    const edges = [{ id: 'long', source: 'a', target: 'd' }, { id: 'e1', source: 'a', target: 'm1' }, { id: 'e2', source: 'm1', target: 'm2' }, { id: 'e3', source: 'm2', target: 'd' }];
    const layout = layoutGraph(nodes, edges, opts);
    assert.deepEqual(crossings(layout), []);
    const long = layout.edges.find((e) => e.id === 'long')!;
    assert.ok(long.segments.length >= 5, 'lanes in both middle columns');
    assert.match(long.path, /^M60,[\d.]+C/);
  });

  it('routes an edge within one column through the gap to its right, with the label there', () => {
    const nodes = ['a', 'b', 'c'].map((id) => ({ id, column: 0 }));
    const layout = layoutGraph(nodes, [{ id: 'x', source: 'a', target: 'c', label: 'src/some/long/path/file.ts' }], opts);
    assert.deepEqual(crossings(layout), []);
    const label = layout.edges[0].label!;
    assert.ok(label.x - label.width / 2 >= 60 && label.x + label.width / 2 <= 100, 'the label sits in the gap');
    assert.ok(label.text.endsWith('…') && label.full === 'src/some/long/path/file.ts');
  });

  it('property: no edge passes under a node it does not touch', () => {
    const graph = fc.integer({ min: 2, max: 40 }).chain((n) =>
      fc.record({
        columns: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n }),
        edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.boolean()), { maxLength: 3 * n }),
      }),
    );
    fc.assert(
      fc.property(graph, ({ columns, edges }) => {
        const nodes = columns.map((column, i) => ({ id: `n${i}`, column }));
        const layout = layoutGraph(
          nodes,
          edges.map(([a, b, bundle], k) => ({ id: `e${k}`, source: `n${a}`, target: `n${b}`, bundle })),
          opts,
        );
        assert.deepEqual(crossings(layout), []);
        const boxes = [...layout.nodes.values()];
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++)
            if (boxes[i].column === boxes[j].column) assert.ok(boxes[i].y + boxes[i].height <= boxes[j].y || boxes[j].y + boxes[j].height <= boxes[i].y);
      }),
      { numRuns: 300 },
    );
  });

  it('routes a generated plan of 1,000 packages without passing under a node', () => {
    const view = buildPlanView(analyzePlan(generatePlan(1000, { compact: true })), 'p.yaml');
    const layout = layoutDisplay(buildDisplayGraph(view, { threshold: Infinity }));
    assert.equal(layout.nodes.size, 1000);
    assert.deepEqual(crossings(layout), []);
  });
});

describe('what the panel draws', () => {
  it('draws unknown dependencies as ghost nodes and marks cycle edges', () => {
    const text = 'packages:\n  - package_id: a\n    depends_on: [nowhere, c]\n  - package_id: b\n    depends_on: [a]\n  - package_id: c\n    depends_on: [b]\n  - package_id: d\n';
    const view = buildPlanView(analyzePlan(text), 'p.yaml');
    assert.deepEqual(view.nodes.find((n) => n.id === 'a')!.unknownDependencies, ['nowhere']);
    assert.deepEqual(view.cycles.map((c) => [...c].sort()), [['a', 'b', 'c']]);
    const g = buildDisplayGraph(view);
    assert.deepEqual(g.columns, ['ghost', 1, 'none']);
    assert.deepEqual(g.nodes.filter((n) => n.kind === 'ghost').map((n) => n.id), ['ghost:nowhere']);
    assert.equal(g.edges.filter((e) => e.cycle).length, 3);
    assert.deepEqual(g.edges.filter((e) => e.kind === 'unknown').map((e) => `${e.source}>${e.target}`), ['ghost:nowhere>a']);
    assert.deepEqual(crossings(layoutDisplay(g)), []);
  });

  it('collapses waves beyond the threshold into summary nodes that expand one at a time', () => {
    const view = buildPlanView(analyzePlan(generatePlan(1200, { compact: true })), 'p.yaml');
    const collapsed = buildDisplayGraph(view);
    assert.ok(collapsed.collapsed);
    assert.equal(collapsed.nodes.length, view.waves.length);
    assert.ok(collapsed.nodes.every((n) => n.kind === 'summary'));
    assert.equal(collapsed.nodes.reduce((s, n) => s + n.packageIds.length, 0), 1200);
    const deps = view.edges.filter((e) => e.kind === 'dependency').length;
    assert.equal(collapsed.edges.reduce((s, e) => s + e.count, 0), deps, 'aggregated edges count every dependency');
    const expanded = buildDisplayGraph(view, { expanded: new Set(['wave:2']) });
    assert.equal(expanded.nodes.filter((n) => n.kind === 'package').length, view.waves[1].length);
    assert.equal(expanded.shownAs.get(view.waves[1][0]), view.waves[1][0]);
    assert.equal(expanded.shownAs.get(view.waves[0][0]), 'wave:1');
    assert.ok(!buildDisplayGraph(view, { threshold: 5000 }).collapsed);
  });
});

describe('search and keyboard', () => {
  const view = buildPlanView(analyzePlan(demo), 'work-packages.yaml');
  const status = (id: string): PackageStatus => (id === 'wp-api' ? 'failed' : 'pending');

  it('finds by id, title, status and wave; every word must match', () => {
    assert.deepEqual(search(view.nodes, 'wp-api', status), ['wp-api']);
    assert.ok(search(view.nodes, 'api', status).length > 1, 'titles match too');
    assert.deepEqual(search(view.nodes, 'status:failed', status), ['wp-api']);
    assert.deepEqual(search(view.nodes, 'failed', status), ['wp-api']);
    assert.deepEqual(search(view.nodes, 'wave:2', status), ['wp-db', 'wp-api', 'wp-web']);
    assert.deepEqual(search(view.nodes, 'w2 status:pending', status), ['wp-db', 'wp-web']);
    assert.deepEqual(search(view.nodes, 'PROFILE', status).includes('wp-contracts'), true);
    assert.deepEqual(search(view.nodes, '   ', status), []);
  });

  it('moves up/down within a wave and left/right along edges', () => {
    const g = buildDisplayGraph(view);
    const layout = layoutDisplay(g);
    const links = neighbours(g.edges);
    assert.equal(navigate(layout, links, undefined, 'first'), 'wp-contracts');
    const wave2 = layout.columns[1];
    assert.equal(wave2.length, 3);
    assert.equal(navigate(layout, links, wave2[0], 'down'), wave2[1]);
    assert.equal(navigate(layout, links, wave2[1], 'up'), wave2[0]);
    assert.equal(navigate(layout, links, wave2[0], 'up'), wave2[0], 'stays at the top');
    assert.equal(navigate(layout, links, 'wp-contracts', 'left'), 'wp-contracts');
    assert.ok(wave2.includes(navigate(layout, links, 'wp-contracts', 'right')!));
    assert.equal(navigate(layout, links, 'wp-docs', 'right'), 'wp-integration');
    assert.equal(navigate(layout, links, 'wp-docs', 'left'), 'wp-api', 'the dependency of wp-docs');
  });
});

describe('export', () => {
  const view = buildPlanView(analyzePlan(demo), 'work-packages.yaml');

  it('writes a standalone SVG with every node, routed edge and wave header', () => {
    const svg = toSvg(view, (id) => (id === 'wp-db' ? 'succeeded' : 'pending'));
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(svg.match(/<g class="node/g)!.length, 6);
    assert.equal(svg.match(/<path class="edge/g)!.length, 8);
    assert.equal(svg.match(/class="edge dependency critical"/g)!.length, 3);
    assert.match(svg, />wave 4</);
    assert.match(svg, /class="s-succeeded/);
    assert.doesNotMatch(svg, /<script/);
  });

  it('escapes what the plan says', () => {
    const text = 'packages:\n  - package_id: a\n    title: "<script>alert(1)</script> & co"\n';
    const v = buildPlanView(analyzePlan(text), 'p.yaml');
    assert.doesNotMatch(toSvg(v), /<script>/);
    assert.match(toSvg(v), /&lt;script&gt;/);
  });

  it('writes a Mermaid flowchart with waves, the critical path and conflicts', () => {
    const mermaid = toMermaidFlowchart(view, (id) => (id === 'wp-api' ? 'running' : 'pending'));
    assert.match(mermaid, /^flowchart LR\n  subgraph w1\["wave 1"\]/);
    assert.equal(mermaid.match(/==>/g)!.length, 3);
    assert.equal(mermaid.match(/-->/g)!.length, 5);
    assert.match(mermaid, /class n2 s_running/);
    const conflict = buildPlanView(analyzePlan('packages:\n  - package_id: a\n    scope: { write_allow: ["src/**"] }\n  - package_id: b\n    scope: { write_allow: ["src/b/x.ts"] }\n'), 'p.yaml');
    assert.match(toMermaidFlowchart(conflict), /n0 -\. "conflict: src\/b\/x\.ts" \.- n1/);
    const coupled = buildPlanView(analyzePlan('packages:\n  - package_id: a\n  - package_id: b\n'), 'p.yaml', {}, [{ importer: 'b', writer: 'a', file: 'src/a/api.ts', from: 'src/b/use.ts', more: 0, message: 'm' }]);
    assert.match(toMermaidFlowchart(coupled), /n0 -\. "coupling: src\/a\/api\.ts" \.-> n1/);
  });
});
