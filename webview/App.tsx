import {
  Controls,
  ReactFlow,
  ReactFlowProvider,
  ViewportPortal,
  useReactFlow,
  type ColorMode,
  type NodeMouseHandler,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { buildDisplayGraph, groupKey, layoutDisplay, type DisplayGraph } from '../src/core/dag/display';
import type { Layout } from '../src/core/dag/layout';
import { plural } from '../src/core/util/plural';
import { navigate, neighbours, type Direction } from '../src/core/dag/navigate';
import { search } from '../src/core/dag/search';
import type { IntegrationView, PlanMessage } from '../src/protocol';
import { Details } from './Details';
import { EdgeLayer } from './EdgeLayer';
import { Overview } from './Overview';
import { nodeTypes, type FlowNode } from './PackageNode';
import type { Rpc } from './rpc';
import { ProposalBar } from './ProposalBar';
import type { StatusStore } from './statusStore';
import { TimelineView } from './Timeline';
import type { TimelineStore } from './timelineStore';
import { WaveHeaders } from './WaveHeaders';

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

/** UI state kept with `vscode.setState` across hide/show and reloads. */
export interface SavedState {
  planUri?: string;
  viewport?: Viewport;
  selected?: string;
  expanded?: string[];
  filter?: string;
  /** The graph or the run timeline. */
  view?: 'graph' | 'timeline';
  /** The sub-plan shown (`scopeKey`): the rest of the state is its. */
  group?: string;
}

/** Which sub-plan a plan message shows: its parents' ids from the top plan down, `/`-joined ('' for the top plan). */
export function scopeKey(plan: PlanMessage): string {
  return (plan.group?.path ?? []).map((p) => p.id).join('/');
}

export interface AppProps {
  plan: PlanMessage | undefined;
  store: StatusStore;
  /** The run timeline's data. */
  timeline: TimelineStore;
  rpc: Rpc;
  saved: SavedState;
  save: (patch: Partial<SavedState>) => void;
}

/** Plans with more packages than this do not open fitted to the whole plan. */
const LARGE_VIEW = 200;

export const FILTERS: { value: string; label: string }[] = [
  { value: '', label: 'All statuses' },
  { value: 'active', label: 'Running' },
  { value: 'bad', label: 'Failed or stopped' },
  { value: 'done', label: 'Succeeded' },
  { value: 'todo', label: 'Not started' },
];

export function App(props: AppProps) {
  if (!props.plan) return <div className="empty">Waiting for the plan…</div>;
  return (
    <ReactFlowProvider key={`${props.plan.planUri}#${scopeKey(props.plan)}`}>
      <Graph {...props} plan={props.plan} />
    </ReactFlowProvider>
  );
}

function Graph({ plan, store, timeline, rpc, saved, save }: AppProps & { plan: PlanMessage }) {
  const colorMode = useThemeKind();
  const flow = useReactFlow();
  const samePlan = saved.planUri === plan.planUri && (saved.group ?? '') === scopeKey(plan);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(samePlan ? (saved.expanded ?? []) : []));
  const [selected, setSelected] = useState<string | undefined>(samePlan ? saved.selected : undefined);
  const [focusId, setFocusId] = useState<string | undefined>(undefined);
  const [query, setQuery] = useState('');
  const [matchIndex, setMatchIndex] = useState(0);
  const [filter, setFilter] = useState(samePlan ? (saved.filter ?? '') : '');
  const [announcement, setAnnouncement] = useState('');
  const [view, setView] = useState<'graph' | 'timeline'>(saved.view === 'timeline' ? 'timeline' : 'graph');
  const flowRef = useRef<HTMLDivElement>(null);

  const display = useMemo(() => buildDisplayGraph(plan, { expanded }), [plan, expanded]);
  const layout = useMemo(() => layoutDisplay(display), [display]);
  const links = useMemo(() => neighbours(display.edges), [display]);
  const byId = useMemo(() => new Map(plan.nodes.map((n) => [n.id, n])), [plan]);
  const matches = useMemo(() => search(plan.nodes, query, (id) => store.status(id)), [plan, query, store]);
  const matchSet = useMemo(() => new Set(matches), [matches]);

  const expand = useCallback(
    (key: string) => {
      setExpanded((before) => {
        const next = new Set(before).add(key);
        save({ expanded: [...next] });
        return next;
      });
    },
    [save],
  );
  const collapse = useCallback(
    (key: string) => {
      setExpanded((before) => {
        const next = new Set(before);
        next.delete(key);
        save({ expanded: [...next] });
        return next;
      });
    },
    [save],
  );

  /** Opens a sub-plan: `path` from the top plan down; when the host cannot, its reason is shown in the bar. */
  const [groupError, setGroupError] = useState('');
  const openGroup = useCallback(
    (path: string[]) => {
      setGroupError('');
      rpc.openGroup(path).catch((e: Error) => setGroupError(`Could not open the sub-plan: ${e.message}`));
    },
    [rpc],
  );
  const here = useMemo(() => (plan.group?.path ?? []).map((p) => p.id), [plan]);
  const openChild = useCallback((id: string) => openGroup([...here, byId.get(id)?.localId ?? id]), [openGroup, here, byId]);
  const base = useMemo(() => toNodes(display, layout, byId, store, matchSet, expand, openChild), [display, layout, byId, store, matchSet, expand, openChild]);
  const current = focusId && layout.nodes.has(focusId) ? focusId : layout.columns.find((c) => c.length)?.[0];
  const nodes = useMemo(
    () => base.map((n) => (n.id === current || n.id === selected ? { ...n, focusable: n.id === current, selected: n.id === selected } : n)),
    [base, current, selected],
  );

  const select = useCallback(
    (id: string | undefined) => {
      setSelected(id);
      save({ selected: id });
    },
    [save],
  );

  const centre = useCallback(
    (id: string) => {
      const b = layout.nodes.get(id);
      if (b) void flow.setCenter(b.x + b.width / 2, b.y + b.height / 2, { zoom: Math.max(flow.getZoom(), 0.8), duration: 0 });
    },
    [flow, layout],
  );

  const focusNode = useCallback(
    (id: string) => {
      setFocusId(id);
      centre(id);
      requestAnimationFrame(() => requestAnimationFrame(() => flowRef.current?.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`)?.focus()));
    },
    [centre],
  );

  /** Shows a package: expands its wave when collapsed, centres and focuses it. */
  const reveal = useCallback(
    (id: string) => {
      const shown = display.shownAs.get(id);
      if (shown && shown !== id) {
        const pkg = byId.get(id);
        if (pkg) expand(groupKey(pkg.wave));
        setFocusId(id);
        requestAnimationFrame(() => focusNode(id));
        return;
      }
      focusNode(id);
    },
    [display, byId, expand, focusNode],
  );

  const onNodeClick: NodeMouseHandler<FlowNode> = useCallback(
    (_e, node) => {
      setFocusId(node.id);
      if (node.type === 'package') select(node.id);
      else if (node.type === 'summary') expand(node.id);
    },
    [select, expand],
  );
  const onNodeDoubleClick: NodeMouseHandler<FlowNode> = useCallback(
    (_e, node) => {
      if (node.type === 'package') void rpc.action(node.id, 'reveal').catch(() => undefined);
    },
    [rpc],
  );

  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (!target.classList.contains('react-flow__node')) return;
      const id = target.dataset.id!;
      const keys: Record<string, Direction> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right', Home: 'first', End: 'last' };
      const direction = keys[e.key];
      if (direction) {
        e.preventDefault();
        e.stopPropagation();
        const next = navigate(layout, links, id, direction);
        if (next) focusNode(next);
        return;
      }
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        const node = display.nodes.find((n) => n.id === id);
        if (node?.kind === 'summary') expand(id);
        else if (node?.kind === 'package') {
          select(id);
          requestAnimationFrame(() => document.querySelector<HTMLElement>('.details h2')?.focus());
        }
      } else if (e.key === 'Escape') select(undefined);
      else if (e.key === 'Backspace' && here.length) {
        e.preventDefault();
        openGroup(here.slice(0, -1));
      }
    },
    [layout, links, focusNode, display, expand, select, here, openGroup],
  );

  const onSearchKey = useCallback(
    (e: React.KeyboardEvent) => {
      if (e.key === 'Enter' && matches.length) {
        const k = matchIndex % matches.length;
        reveal(matches[k]);
        setMatchIndex(k + 1);
        setAnnouncement(`${matches[k]}: match ${k + 1} of ${matches.length}`);
      } else if (e.key === 'Escape') setQuery('');
    },
    [matches, matchIndex, reveal],
  );

  // A sub-plan opened (this view is made anew for each): said to a screen reader.
  const opened = plan.group?.path.at(-1)?.id;
  useEffect(() => {
    if (opened) setAnnouncement(`Sub-plan of ${opened}: ${plural(plan.waves.length, 'wave')}, ${plural(plan.nodes.length, 'package')}`);
  }, [opened]);

  useEffect(() => {
    if (query) setAnnouncement(plural(matches.length, 'match', 'matches'));
    setMatchIndex(0);
  }, [query, matches.length]);

  const onMoveEnd = useCallback((_e: unknown, viewport: Viewport) => save({ viewport }), [save]);
  // Small plans fit the view; large ones open at a readable zoom on the first wave, so only
  // what is in view is drawn (Fit view is one click away).
  const initialViewport = useMemo((): Viewport | undefined => {
    if (samePlan && saved.viewport) return saved.viewport;
    if (plan.nodes.length <= LARGE_VIEW) return undefined;
    const first = layout.nodes.get(layout.columns.find((c) => c.length)?.[0] ?? '');
    const zoom = 0.8;
    return first ? { x: 40 - first.x * zoom, y: 120 - first.y * zoom, zoom } : undefined;
    // Only when the plan is first shown.
  }, [plan.planUri]);

  const unplaced = plan.nodes.filter((n) => n.wave === null).length;
  const conflicts = plan.edges.filter((e) => e.kind === 'conflict').length;
  const problems = plan.problems.errors + plan.problems.warnings;
  return (
    <div className="app">
      <header className="bar">
        <span className="codicon codicon-layers" aria-hidden="true" />
        {plan.group ? (
          <nav className="crumbs" aria-label="Sub-plans opened">
            <button className="link" onClick={() => openGroup([])} title="Back to the top plan">
              {plan.featureId ?? 'top plan'}
            </button>
            {plan.group.path.map((p, k) => (
              <span key={p.id}>
                <span className="codicon codicon-chevron-right" aria-hidden="true" />
                {k === plan.group!.path.length - 1 ? (
                  <strong aria-current="page" title={`${p.title ? `${p.title} — ` : ''}${plan.planFile}`}>{p.id}</strong>
                ) : (
                  <button className="link" onClick={() => openGroup(here.slice(0, k + 1))}>
                    {p.id}
                  </button>
                )}
              </span>
            ))}
          </nav>
        ) : (
          <strong>{plan.featureId ?? plan.planFile}</strong>
        )}
        <span className="summary-text">
          {plural(plan.waves.length, 'wave')} · {plural(plan.nodes.length, 'package')}
          {unplaced ? ` · ${unplaced} on a cycle` : ''}
          {conflicts ? ` · ${plural(conflicts, 'conflict')}` : ''}
          {display.collapsed ? ' · large plan: waves collapsed' : ''}
        </span>
        {groupError && (
          <span className="error" role="alert">
            {groupError}
          </span>
        )}
        {problems > 0 && (
          <span className="badge" title={`${plural(plan.problems.errors, 'error')}, ${plural(plan.problems.warnings, 'warning')} (see the Problems panel)`}>
            <span className={`codicon codicon-${plan.problems.errors ? 'error' : 'warning'}`} aria-hidden="true" /> {problems}
          </span>
        )}
        {plan.integration && (
          <span className={`badge integration ${plan.integration.status}`} role="status" title={`Integration guard: ${plan.integration.text}${plan.integration.stuck ? `\n${plan.integration.stuck}` : ''}`}>
            <span className={`codicon codicon-${INTEGRATION_ICONS[plan.integration.status]}`} aria-hidden="true" /> {integrationWords(plan.integration)}
          </span>
        )}
        <span className="views" role="tablist" aria-label="View">
          {(['graph', 'timeline'] as const).map((v) => (
            <button
              key={v}
              role="tab"
              className={`view-tab${view === v ? ' current' : ''}`}
              aria-selected={view === v}
              title={v === 'graph' ? 'The plan as a graph' : 'The run over time: each package\'s attempts, waits and the slots held'}
              onClick={() => {
                setView(v);
                save({ view: v });
              }}
            >
              {v === 'graph' ? 'Graph' : 'Timeline'}
            </button>
          ))}
        </span>
        <span className="tools">
          <input
            className="search"
            type="search"
            placeholder="Find: id, title, status:failed, wave:2"
            aria-label="Find packages by id, title, status or wave; Enter goes to the next match"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={onSearchKey}
          />
          {query && <span className="match-count">{matches.length}</span>}
          <select
            aria-label="Filter by status"
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value);
              save({ filter: e.target.value });
            }}
          >
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
          <button className="icon-button" title="Fit the whole plan in view" aria-label="Fit view" onClick={() => void flow.fitView()}>
            <span className="codicon codicon-screen-full" aria-hidden="true" />
          </button>
          <button className="icon-button" title="Export as SVG" aria-label="Export as SVG" onClick={() => void rpc.exportDag('svg')}>
            <span className="codicon codicon-file-media" aria-hidden="true" />
          </button>
          <button className="icon-button" title="Export as Mermaid" aria-label="Export as Mermaid" onClick={() => void rpc.exportDag('mermaid')}>
            <span className="codicon codicon-markdown" aria-hidden="true" />
          </button>
        </span>
        <span className="legend" aria-hidden="true">
          <span className="legend-critical">critical path</span>
          <span className="legend-conflict">conflict</span>
          {plan.edges.some((e) => e.kind === 'coupling') && <span className="legend-coupling">coupling</span>}
        </span>
      </header>
      {plan.proposal && <ProposalBar proposal={plan.proposal} rpc={rpc} />}
      <div className="main">
        {view === 'timeline' && (
          <TimelineView
            plan={plan}
            timeline={timeline}
            rpc={rpc}
            selected={selected}
            onSelect={(id) => {
              select(id);
              setFocusId(id);
            }}
          />
        )}
        <div className={view === 'timeline' ? 'flow hidden' : 'flow'} ref={flowRef} data-filter={filter} onKeyDown={onKeyDown}>
          <ReactFlow
            nodes={nodes}
            edges={[]}
            nodeTypes={nodeTypes}
            colorMode={colorMode}
            onNodeClick={onNodeClick}
            onNodeDoubleClick={onNodeDoubleClick}
            onPaneClick={() => select(undefined)}
            onMoveEnd={onMoveEnd}
            nodesDraggable={false}
            nodesConnectable={false}
            nodesFocusable
            edgesFocusable={false}
            elementsSelectable={false}
            onlyRenderVisibleElements={nodes.length > 200}
            defaultViewport={initialViewport}
            fitView={!initialViewport}
            fitViewOptions={{ maxZoom: 1 }}
            minZoom={0.02}
            proOptions={{ hideAttribution: true }}
            ariaLabelConfig={{
              'node.a11yDescription.default': `Arrow keys move along the wave and the edges; Enter opens the details; Escape closes them${here.length ? '; Backspace goes back up to the plan above' : ''}.`,
              'node.a11yDescription.keyboardDisabled': 'Arrow keys move along the wave and the edges; Enter opens the details.',
            }}
          >
            <ViewportPortal>
              <EdgeLayer display={display} layout={layout} selected={selected} />
            </ViewportPortal>
            <WaveHeaders display={display} layout={layout} plan={plan} store={store} expand={expand} collapse={collapse} />
            <Overview display={display} layout={layout} />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
        {selected && byId.has(selected) && (
          <Details
            key={selected}
            id={selected}
            group={byId.get(selected)?.group}
            onOpenGroup={() => openChild(selected)}
            rpc={rpc}
            store={store}
            onSelect={(id) => {
              select(id);
              reveal(id);
            }}
            onClose={() => {
              const id = selected;
              select(undefined);
              reveal(id);
            }}
          />
        )}
      </div>
      <div className="sr-only" role="status" aria-live="polite">
        {announcement}
      </div>
    </div>
  );
}

function toNodes(
  display: DisplayGraph,
  layout: Layout,
  byId: ReadonlyMap<string, PlanMessage['nodes'][number]>,
  store: StatusStore,
  matches: ReadonlySet<string>,
  expand: (key: string) => void,
  open: (id: string) => void,
): FlowNode[] {
  const dependents = new Map<string, number>();
  for (const e of display.edges) if (e.kind === 'unknown') dependents.set(e.source, (dependents.get(e.source) ?? 0) + 1);
  return display.nodes.map((n): FlowNode => {
    const b = layout.nodes.get(n.id)!;
    const position = { x: b.x, y: b.y };
    // Sizes are fixed by the layout and edges are ours, so there is nothing to measure:
    // `handles: []` stops React Flow from rendering every node once to measure its handles
    // (it does so for nodes without handle bounds, even with onlyRenderVisibleElements), and
    // `measured` counts nodes that were never drawn in Fit view.
    const size = { width: b.width, height: b.height };
    const common = { id: n.id, position, focusable: false, ...size, initialWidth: b.width, initialHeight: b.height, measured: size, handles: [] };
    if (n.kind === 'package') {
      const pkg = byId.get(n.id)!;
      return { ...common, type: 'package', data: { pkg, store, match: matches.has(n.id), ...(pkg.group ? { open } : {}) } };
    }
    if (n.kind === 'ghost') {
      return { ...common, type: 'ghost', data: { id: n.packageIds[0], dependents: dependents.get(n.id) ?? 0 }, ariaLabel: `${n.packageIds[0]}: not a package of this plan` };
    }
    const label = n.wave === null ? 'No wave (cycle)' : `Wave ${n.wave}`;
    return { ...common, type: 'summary', data: { label, ids: n.packageIds, store, expand }, ariaLabel: `${label}, ${plural(n.packageIds.length, 'package')}, collapsed; Enter expands` };
  });
}

/** The integration guard's state as the bar's codicon. */
const INTEGRATION_ICONS: Record<IntegrationView['status'], string> = {
  unknown: 'circle-outline',
  checking: 'sync',
  green: 'pass',
  red: 'error',
  'base-red': 'warning',
  off: 'circle-slash',
};

/** The bar's words for the integration guard: short; the whole sentence is its tooltip. */
function integrationWords(v: IntegrationView): string {
  switch (v.status) {
    case 'green':
      return 'integration green';
    case 'checking':
      return 'integration: checking';
    case 'red':
      return v.blamed ? `integration red: ${v.blamed}${v.stuck ? ', no retry left' : ''}` : 'integration red';
    case 'base-red':
      return 'integration red at the base';
    case 'off':
      return 'integration guard off';
    default:
      return 'integration: not checked yet';
  }
}
