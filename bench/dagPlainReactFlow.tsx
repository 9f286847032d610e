/**
 * The baseline for bench/dag.bench.ts: React Flow's plain rendering of a plan — every
 * package a default node, every dependency a default edge, statuses in `node.data` via
 * `setNodes` — at the positions of a simple wave grid. Bench only; never shipped.
 */
import '@xyflow/react/dist/style.css';
import { ReactFlow, useEdgesState, useNodesState, type Edge, type Node } from '@xyflow/react';
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import type { HostMessage } from '../src/protocol';

function Plain() {
  const [nodes, setNodes] = useNodesState<Node>([]);
  const [edges, setEdges] = useEdgesState<Edge>([]);
  useEffect(() => {
    const onMessage = (e: MessageEvent<HostMessage>) => {
      const m = e.data;
      if (m.type === 'plan') {
        const row = new Map<number, number>();
        setNodes(
          m.nodes.map((n) => {
            const w = n.wave ?? 0;
            const y = row.get(w) ?? 0;
            row.set(w, y + 1);
            return { id: n.id, position: { x: w * 280, y: y * 80 }, data: { label: `${n.id} ${n.status}` }, className: `status-${n.status}` };
          }),
        );
        setEdges(m.edges.filter((x) => x.kind === 'dependency').map((x) => ({ id: x.id, source: x.source, target: x.target })));
      } else if (m.type === 'status') {
        const by = new Map(m.deltas.map((d) => [d.id, d]));
        setNodes((ns) => ns.map((n) => (by.has(n.id) ? { ...n, data: { label: `${n.id} ${by.get(n.id)!.status}` }, className: `status-${by.get(n.id)!.status}` } : n)));
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [setNodes, setEdges]);
  return (
    <div style={{ width: '100vw', height: '100vh' }}>
      <ReactFlow nodes={nodes} edges={edges} fitView minZoom={0.02} nodesDraggable={false} nodesConnectable={false} onlyRenderVisibleElements />
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<Plain />);
