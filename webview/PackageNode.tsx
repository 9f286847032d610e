import type { Node, NodeProps } from '@xyflow/react';
import { memo, useCallback, useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import type { PackageStatus } from '../src/core/run/runState';
import { codiconClasses, SETTING_UP_ICON, STATUS_ICONS } from '../src/core/present/runStatusText';
import { plural } from '../src/core/util/plural';
import type { PlanNode } from '../src/protocol';
import { ACTIVE, BAD, DONE, elapsed, type StatusStore } from './statusStore';

/** Elapsed time; ticked by main.tsx in the DOM without re-rendering React. */
export function Elapsed({ startedAt, endedAt }: { startedAt: string | null; endedAt: string | null }) {
  const ref = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => {
    if (ref.current) ref.current.textContent = elapsed(startedAt, endedAt);
  }, [startedAt, endedAt]);
  return <span className="elapsed" ref={ref} data-started={startedAt ?? ''} data-ended={endedAt ?? ''} />;
}

/** `open`: a parent's (a plan of plans): opens its sub-plan in the panel. */
export type PackageNodeData = { pkg: PlanNode; store: StatusStore; match: boolean; open?: (id: string) => void };
export type GhostNodeData = { id: string; dependents: number };
export type SummaryNodeData = { label: string; ids: string[]; store: StatusStore; expand: (key: string) => void };
export type PackageFlowNode = Node<PackageNodeData, 'package'>;
export type GhostFlowNode = Node<GhostNodeData, 'ghost'>;
export type SummaryFlowNode = Node<SummaryNodeData, 'summary'>;
export type FlowNode = PackageFlowNode | GhostFlowNode | SummaryFlowNode;

function problemsText(pkg: PlanNode): string {
  const { errors, warnings } = pkg.problems;
  return [errors ? plural(errors, 'error') : '', warnings ? plural(warnings, 'warning') : '']
    .filter(Boolean)
    .join(', ');
}

/** The screen-reader label of a package node: id, status, wave, title, problems. */
export function packageLabel(pkg: PlanNode, status: PackageStatus): string {
  const problems = problemsText(pkg);
  return [
    `${pkg.id}, ${status}`,
    pkg.wave === null ? 'no wave (on a cycle)' : `wave ${pkg.wave}`,
    pkg.title,
    pkg.onCriticalPath ? 'on the critical path' : '',
    problems,
  ]
    .filter(Boolean)
    .join(', ');
}

/** A parent's group: how far the leaves below it are, and the button that opens its sub-plan. */
function GroupOpener({ pkg, store, open }: { pkg: PlanNode; store: StatusStore; open: (id: string) => void }) {
  const c = useCounts(store, pkg.group!.leaves);
  const shown = pkg.localId ?? pkg.id;
  return (
    <>
      {pkg.group!.file === null ? (
        // Not planned yet: its planner's progress, nothing to open.
        <span className="group-open planning" title="Its agent plans its sub-plan when the run reaches it">
          <span className="codicon codicon-type-hierarchy-sub" aria-hidden="true" /> {c.done}/{c.total}
        </span>
      ) : (
        <button
          className="link group-open"
          title={`Open its sub-plan (${pkg.group!.file}): its own waves`}
          aria-label={`Open the sub-plan of ${shown}: ${c.done} of ${c.total} done${c.active ? `, ${c.active} running` : ''}${c.bad ? `, ${c.bad} failed or stopped` : ''}`}
          onClick={(e) => {
            e.stopPropagation();
            open(pkg.id);
          }}
        >
          <span className="codicon codicon-type-hierarchy-sub" aria-hidden="true" /> {c.done}/{c.total}
        </button>
      )}
      <span className="group-progress" aria-hidden="true">
        <span className="progress-done" style={{ width: `${Math.round((100 * c.done) / Math.max(1, c.total))}%` }} />
        <span className="progress-active" style={{ width: `${Math.round((100 * c.active) / Math.max(1, c.total))}%` }} />
        <span className="progress-bad" style={{ width: `${Math.round((100 * c.bad) / Math.max(1, c.total))}%` }} />
      </span>
    </>
  );
}

function PackageNodeView({ data }: NodeProps<PackageFlowNode>) {
  const { pkg, store, match, open } = data;
  const subscribe = useCallback((listener: () => void) => store.subscribe(pkg.id, listener), [store, pkg.id]);
  const live = useSyncExternalStore(subscribe, () => store.get(pkg.id));
  const status = live?.status ?? pkg.status;
  const problems = pkg.problems.errors + pkg.problems.warnings;
  const ref = useRef<HTMLDivElement>(null);
  const label = packageLabel(pkg, status) + (pkg.group ? (pkg.group.file === null ? ', its sub-plan planned by its agent when the run reaches it' : `, a sub-plan of ${plural(pkg.group.leaves.length, 'package')} (its button opens it)`) : '') + (live?.awaitingPick ? ', awaiting your pick' : '') + (live?.settingUpSince ? ', setting up its worktree' : '');
  useLayoutEffect(() => {
    // React Flow's node wrapper is what gets focus: give it the label with the live status.
    ref.current?.closest('.react-flow__node')?.setAttribute('aria-label', label);
  }, [label]);
  const cls = ['pkg', `status-${status}`, pkg.group ? 'group' : '', pkg.onCriticalPath ? 'critical' : '', pkg.onCycle ? 'cycle' : '', match ? 'match' : ''].filter(Boolean).join(' ');
  return (
    <div className={cls} ref={ref}>
      <div className="pkg-head">
        <span className={`${codiconClasses((live?.settingUpSince ? SETTING_UP_ICON : STATUS_ICONS[status]).icon)} pkg-icon`} aria-hidden="true" />
        <span className="pkg-id">{pkg.localId ?? pkg.id}</span>
        {pkg.group && open && <GroupOpener pkg={pkg} store={store} open={open} />}
        {problems > 0 && (
          <span
            className={`pkg-problems ${pkg.problems.errors ? 'has-errors' : 'has-warnings'}`}
            title={pkg.problems.messages.join('\n')}
            aria-label={problemsText(pkg)}
          >
            <span className={`codicon codicon-${pkg.problems.errors ? 'error' : 'warning'}`} aria-hidden="true" />
            {problems}
          </span>
        )}
        {pkg.onCriticalPath && <span className="codicon codicon-star-full pkg-critical" title="on the critical path" aria-hidden="true" />}
      </div>
      <div className="pkg-title" title={pkg.title}>{pkg.title || '\u00a0'}</div>
      <div className="pkg-status">
        {/* Best of n: a set whose candidates have run waits for the person's pick (its status is still running). */}
        <span className="pkg-status-text">{live?.awaitingPick ? 'awaiting your pick' : live?.settingUpSince ? 'setting up' : status}</span>
        {live?.host && status !== 'pending' && status !== 'ready' && <span className="pkg-host"> · on {live.host}</span>}
        {(live?.attempts ?? 0) > 1 && <span> · attempt {live!.attempts}</span>}
        {live?.startedAt && (
          <>
            {' · '}
            <Elapsed startedAt={live.startedAt} endedAt={live.endedAt} />
          </>
        )}
        {/* How far its agent says it is (agents talk back): the share, its words on hover. */}
        {status === 'running' && live?.progress && (
          <span className="pkg-progress-text" title={live.progress.message}>
            {' · '}
            {Math.round(live.progress.fraction * 100)} %
          </span>
        )}
        {/* Its worktree's set-up command (npm ci, say) runs: how long so far. */}
        {live?.settingUpSince && !live.startedAt && (
          <>
            {' · '}
            <Elapsed startedAt={live.settingUpSince} endedAt={null} />
          </>
        )}
      </div>
    </div>
  );
}

function GhostNodeView({ data }: NodeProps<GhostFlowNode>) {
  return (
    <div className="ghost" title={`${data.id} is not a package of this plan (dependency-unknown)`}>
      <span className="codicon codicon-question" aria-hidden="true" /> {data.id}
    </div>
  );
}

/** Counts by status of a wave's packages; re-renders only when one of them changes. */
export function useCounts(store: StatusStore, ids: readonly string[]) {
  const changes = useRef(0);
  useSyncExternalStore(
    useCallback(
      (l: () => void) =>
        store.subscribeMany(ids, () => {
          changes.current++;
          l();
        }),
      [store, ids],
    ),
    () => changes.current,
  );
  let done = 0;
  let active = 0;
  let bad = 0;
  for (const id of ids) {
    const s = store.status(id);
    if (DONE.has(s)) done++;
    else if (ACTIVE.has(s)) active++;
    else if (BAD.has(s)) bad++;
  }
  return { done, active, bad, total: ids.length };
}

/** A collapsed wave: counts by status; a click (or Enter) expands it. */
function SummaryNodeView({ id, data }: NodeProps<SummaryFlowNode>) {
  const c = useCounts(data.store, data.ids);
  return (
    <div className="summary">
      <div className="pkg-head">
        <span className="codicon codicon-layers" aria-hidden="true" />
        <span className="pkg-id">{data.label}</span>
        <button className="link" onClick={() => data.expand(id)} aria-label={`Expand ${data.label}`}>
          expand
        </button>
      </div>
      <div className="pkg-title">
        {plural(c.total, 'package')} · {c.done} done · {c.active} running · {c.bad} failed or stopped
      </div>
      <div className="progress" aria-hidden="true">
        <span className="progress-done" style={{ width: `${Math.round((100 * c.done) / Math.max(1, c.total))}%` }} />
      </div>
    </div>
  );
}

export const nodeTypes = { package: memo(PackageNodeView), ghost: memo(GhostNodeView), summary: memo(SummaryNodeView) };
