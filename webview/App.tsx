import {
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  type ColorMode,
  type Edge,
  type NodeMouseHandler,
} from '@xyflow/react';
import { VscodeBadge } from '@vscode-elements/react-elements';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { plural } from '../src/core/summary';
import type { PlanMessage } from '../src/protocol';
import { layoutByWave } from './layout';
import { PackageNode, type PackageFlowNode } from './PackageNode';
import type { StatusStore } from './statusStore';

const nodeTypes = { package: PackageNode };

function themeKind(): ColorMode {
  const kind = document.body.dataset.vscodeThemeKind ?? '';
  return kind === 'vscode-light' || kind === 'vscode-high-contrast-light' ? 'light' : 'dark';
}

/** VS Code sets the theme kind on <body>; follow it (not the OS, unlike colorMode="system"). */
function useThemeKind(): ColorMode {
  const [mode, setMode] = useState<ColorMode>(themeKind);
  useEffect(() => {
    const observer = new MutationObserver(() => setMode(themeKind()));
    observer.observe(document.body, { attributes: true, attributeFilter: ['data-vscode-theme-kind', 'class'] });
    return () => observer.disconnect();
  }, []);
  return mode;
}

export interface AppProps {
  plan: PlanMessage | undefined;
  store: StatusStore;
  open: (id: string) => void;
}

export function App({ plan, store, open }: AppProps) {
  const colorMode = useThemeKind();
  const { nodes, edges } = useMemo(() => toFlow(plan, store), [plan, store]);
  const onNodeClick: NodeMouseHandler<PackageFlowNode> = useCallback((_e, node) => open(node.id), [open]);
  // React Flow focuses the node wrapper: Enter there opens the package.
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key === 'Enter' && target.classList.contains('react-flow__node') && target.dataset.id) open(target.dataset.id);
    },
    [open],
  );

  if (!plan) return <div className="empty">Waiting for the plan…</div>;
  const unplaced = plan.nodes.filter((n) => n.wave === null).length;
  const conflicts = plan.edges.filter((e) => e.kind === 'conflict').length;
  return (
    <div className="app">
      <header className="bar" aria-live="polite">
        <span className="codicon codicon-layers" aria-hidden="true" />
        <strong>{plan.featureId ?? plan.planFile}</strong>
        <span>
          {plural(plan.waves.length, 'wave')} · {plural(plan.nodes.length, 'package')}
          {unplaced ? ` · ${unplaced} without a wave` : ''}
          {conflicts ? ` · ${conflicts} conflict${conflicts === 1 ? '' : 's'}` : ''}
        </span>
        {plan.problems.errors + plan.problems.warnings > 0 && (
          <VscodeBadge variant="counter" title={`${plan.problems.errors} errors, ${plan.problems.warnings} warnings (see the Problems panel)`}>
            {plan.problems.errors + plan.problems.warnings}
          </VscodeBadge>
        )}
        <span className="legend">
          <span className="legend-critical">critical path</span>
          <span className="legend-conflict">conflict</span>
        </span>
      </header>
      <div className="flow" onKeyDown={onKeyDown}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          colorMode={colorMode}
          onNodeClick={onNodeClick}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          onlyRenderVisibleElements={nodes.length > 300}
          fitView
          minZoom={0.05}
          proOptions={{ hideAttribution: true }}
          ariaLabelConfig={{ 'node.a11yDescription.default': 'Press Enter to open the package in the plan.' }}
        >
          <Background gap={24} size={1} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </div>
  );
}

function toFlow(plan: PlanMessage | undefined, store: StatusStore): { nodes: PackageFlowNode[]; edges: Edge[] } {
  if (!plan) return { nodes: [], edges: [] };
  const waveOf = new Map(plan.nodes.map((n) => [n.id, n.wave]));
  const deps = plan.edges.filter((e) => e.kind === 'dependency');
  const positions = layoutByWave({ ids: plan.nodes.map((n) => n.id), wave: (id) => waveOf.get(id) ?? null, edges: deps });
  const nodes: PackageFlowNode[] = plan.nodes.map((pkg) => ({
    id: pkg.id,
    type: 'package',
    position: positions.get(pkg.id) ?? { x: 0, y: 0 },
    data: { pkg, store },
    ariaLabel: `${pkg.id}, ${pkg.wave === null ? 'no wave' : `wave ${pkg.wave}`}${pkg.title ? `: ${pkg.title}` : ''}`,
  }));
  const edges: Edge[] = plan.edges.map((e) =>
    e.kind === 'dependency'
      ? {
          id: e.id,
          source: e.source,
          target: e.target,
          className: e.critical ? 'dep critical' : 'dep',
          markerEnd: { type: MarkerType.ArrowClosed },
        }
      : {
          id: e.id,
          source: e.source,
          target: e.target,
          className: 'conflict',
          label: e.witness,
          ariaLabel: `conflict between ${e.source} and ${e.target}: ${e.witness}`,
        },
  );
  return { nodes, edges };
}
