import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { PACKAGE_ACTIONS, type CandidateAction, type CandidateDetails, type CandidateState, type PackageAction, type PackageDetails } from '../src/protocol';
import type { Rpc } from './rpc';
import { ActionButton } from './ActionButton';
import { codiconClasses, refusedLine, STATUS_ICONS } from '../src/core/present/runStatusText';
import { Elapsed } from './PackageNode';
import { durationText, type StatusStore } from './statusStore';

const ACTION_LABEL: Record<PackageAction, { label: string; icon: string }> = {
  reveal: { label: 'Reveal in Plan', icon: 'go-to-file' },
  showPrompt: { label: 'Show Prompt', icon: 'comment' },
  run: { label: 'Run', icon: 'play' },
  retry: { label: 'Retry', icon: 'debug-restart' },
  cancel: { label: 'Cancel', icon: 'debug-stop' },
  openTerminal: { label: 'Open Terminal', icon: 'terminal' },
  openWorktree: { label: 'Open Worktree', icon: 'folder-opened' },
  showChanges: { label: 'Show Changes', icon: 'diff' },
  requestChanges: { label: 'Request Changes', icon: 'request-changes' },
  approve: { label: 'Approve', icon: 'check-all' },
};

const CANDIDATE_ACTION_LABEL: Record<CandidateAction, { label: string; icon: string }> = {
  pick: { label: 'Pick', icon: 'star-empty' },
  showChanges: { label: 'Show Changes', icon: 'diff' },
};

/** A candidate's state: its icon (and the status class that colours it) and its word. */
const CANDIDATE_STATE: Record<CandidateState, { icon: string; status: string; word: string }> = {
  queued: { icon: 'clock', status: 'queued', word: 'queued' },
  running: { icon: 'sync~spin', status: 'running', word: 'running' },
  verifying: { icon: 'beaker', status: 'verifying', word: 'verifying' },
  green: { icon: 'pass', status: 'succeeded', word: 'green' },
  failed: { icon: 'error', status: 'failed', word: 'failed' },
  stopped: { icon: 'circle-slash', status: 'cancelled', word: 'stopped' },
  chosen: { icon: 'star-full', status: 'succeeded', word: 'chosen ★' },
};

/**
 * Best of n: the candidates of a package's set, each with its agent, state, time, spend and
 * files; while the package awaits the person's pick, each green one has Pick and Show Changes.
 */
function Candidates({ candidates, awaiting, chosenWhy, act }: { candidates: CandidateDetails[]; awaiting: boolean; chosenWhy: string | null; act: (k: number, action: CandidateAction) => void }) {
  const chosen = candidates.find((c) => c.state === 'chosen');
  return (
    <>
      <h3>Candidates</h3>
      {awaiting && <p className="review-line">It awaits your pick: each green candidate passed its audit and verification. The one you pick is merged and its dependents go on; the others end.</p>}
      {chosen && <p>Candidate {chosen.candidate} went on: {chosenWhy ?? 'chosen'}.</p>}
      <ul className="candidates" aria-label="Candidates">
        {candidates.map((c) => {
          const s = CANDIDATE_STATE[c.state];
          const facts = [
            c.agent,
            s.word,
            c.durationMs === null ? '' : durationText(c.durationMs),
            c.changedFiles ? `${c.changedFiles} file${c.changedFiles === 1 ? '' : 's'} changed` : '',
            c.spend ?? '',
          ].filter(Boolean);
          const offered = awaiting && c.state === 'green';
          return (
            <li key={c.candidate} className={`candidate candidate-${c.state}`} data-candidate={c.candidate} aria-label={`Candidate ${c.candidate}: ${facts.join(', ')}`}>
              <div className="candidate-line">
                <span className={`${codiconClasses(s.icon)} status-${s.status}`} aria-hidden="true" />
                <span className="candidate-name">Candidate {c.candidate}</span>
                <span className="muted"> · {facts.join(' · ')}</span>
              </div>
              {c.ranked && <p className="muted">The judge ranks it first: {c.ranked}</p>}
              {c.lastError && c.state !== 'chosen' && c.state !== 'green' && <p className="muted">{c.lastError}</p>}
              {offered && (
                <div className="actions" role="toolbar" aria-label={`Candidate ${c.candidate}`}>
                  {(['pick', 'showChanges'] as const).map((a) => (
                    <ActionButton
                      key={a}
                      state={c.actions[a]}
                      label={CANDIDATE_ACTION_LABEL[a].label}
                      icon={CANDIDATE_ACTION_LABEL[a].icon}
                      primary={a === 'pick'}
                      title={`${CANDIDATE_ACTION_LABEL[a].label}: candidate ${c.candidate}`}
                      ariaLabel={`${CANDIDATE_ACTION_LABEL[a].label} candidate ${c.candidate}`}
                      data={{ 'data-candidate-action': a }}
                      onAct={() => act(c.candidate, a)}
                    />
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function List({ items, empty = 'none' }: { items: string[]; empty?: string }) {
  return items.length ? (
    <ul>
      {items.map((s) => (
        <li key={s}>
          <code>{s}</code>
        </li>
      ))}
    </ul>
  ) : (
    <p className="muted">{empty}</p>
  );
}

export function Details({
  id,
  rpc,
  store,
  onSelect,
  onClose,
  group,
  onOpenGroup,
}: {
  id: string;
  rpc: Rpc;
  store: StatusStore;
  onSelect: (id: string) => void;
  onClose: () => void;
  /** A parent of a plan of plans: its sub-plan's file and leaves. */
  group?: { file: string | null; leaves: string[] };
  onOpenGroup?: () => void;
}) {
  const [details, setDetails] = useState<PackageDetails | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const live = useSyncExternalStore(
    useCallback((l: () => void) => store.subscribe(id, l), [store, id]),
    () => store.get(id),
  );
  useEffect(() => {
    let current = true;
    rpc.details(id).then(
      (d) => current && (setDetails(d), setError(undefined)),
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [rpc, id, live]);

  const act = (action: PackageAction) => {
    setActionError(undefined);
    rpc.action(id, action).catch((e: Error) => setActionError(`${ACTION_LABEL[action].label}: ${e.message}`));
  };

  const pick = (k: number, action: CandidateAction) => {
    setActionError(undefined);
    rpc.candidate(id, k, action).catch((e: Error) => setActionError(`${CANDIDATE_ACTION_LABEL[action].label} candidate ${k}: ${e.message}`));
  };

  const status = live?.status ?? details?.run?.status ?? 'pending';
  const run = details?.run;
  return (
    <aside
      className="details"
      aria-label={`Details of ${id}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="details-head">
        <h2 tabIndex={-1}>
          <span className={`${codiconClasses(STATUS_ICONS[status].icon)} status-${status}`} aria-hidden="true" /> {id}
        </h2>
        <button className="icon-button" aria-label="Close details" title="Close (Escape)" onClick={onClose}>
          <span className="codicon codicon-close" aria-hidden="true" />
        </button>
      </div>
      {error && <p className="error">{error}</p>}
      {details && (
        <>
          <p className="details-title">{details.title}</p>
          <p className="muted">
            {details.wave === null ? 'no wave (on a cycle)' : `wave ${details.wave}`}
            {details.taskType ? ` · ${details.taskType}` : ''}
            {details.priority !== null ? ` · priority ${details.priority}` : ''}
            {details.timeoutMinutes !== null ? ` · ${details.timeoutMinutes} min` : ''}
          </p>
          <div className="actions" role="toolbar" aria-label="Actions">
            {PACKAGE_ACTIONS.map((a) => (
              <ActionButton
                key={a}
                state={details.actions[a]}
                label={ACTION_LABEL[a].label}
                icon={ACTION_LABEL[a].icon}
                primary={a === 'reveal'}
                data={{ 'data-action': a }}
                onAct={() => act(a)}
              />
            ))}
          </div>
          {group && group.file === null && (
            <p className="group-line">
              Its work is a sub-plan its agent plans when the run reaches it (<code>{group.leaves[0]}</code>); it lands when what was planned has, and its own checks pass.
            </p>
          )}
          {group && group.file !== null && onOpenGroup && (
            <p className="group-line">
              Its work is the sub-plan <code>{group.file}</code> ({group.leaves.length} package{group.leaves.length === 1 ? '' : 's'} below it); it lands when they all have, and its own checks pass.{' '}
              <button className="link" onClick={onOpenGroup}>
                <span className="codicon codicon-type-hierarchy-sub" aria-hidden="true" /> Open Sub-plan
              </button>
            </p>
          )}
          {actionError && (
            <p className="error" role="alert">
              {actionError}
            </p>
          )}
          <h3>Status</h3>
          <p>
            {status}
            {live?.awaitingPick ? ' · awaiting your pick' : ''}
            {live?.settingUpSince ? ' · setting up its worktree' : ''}
            {run ? ` · attempt ${run.attempts}` : ' · not run yet'}
            {live?.host ? ` · on ${live.host}` : ''}
            {live?.startedAt ? ' · ' : ''}
            {live?.startedAt && <Elapsed startedAt={live.startedAt} endedAt={live.endedAt} />}
            {run?.exitCode !== null && run?.exitCode !== undefined ? ` · exit code ${run.exitCode}` : ''}
            {run?.signal ? ` · ${run.signal}` : ''}
          </p>
          {run?.lastError && <p className="error">{run.lastError}</p>}
          {run?.resetAt && <p>Its agent's usage limit resets at {new Date(run.resetAt).toLocaleString()} (no retry was spent; Resume goes on).</p>}
          {(run?.openComments || run?.revisions) ? (
            <p className="review-line">
              {run.openComments ? `${run.openComments} open comment${run.openComments === 1 ? '' : 's'}` : 'no open comment'}
              {run.revisions ? ` · ${run.revisions} revision${run.revisions === 1 ? '' : 's'} (no retry spent)` : ''}
            </p>
          ) : null}
          {run?.status === 'awaiting-review' && <p>It awaits your review: Approve merges it; Request Changes sends your open comments to its agent.</p>}
          {run?.candidates && run.candidates.length > 0 && <Candidates candidates={run.candidates} awaiting={!!run.awaitingPick} chosenWhy={run.chosenWhy ?? null} act={pick} />}
          {run?.question && <p>It asks: “{run.question}” — answer it with Answer and Retry Package (the Waves view or the palette).</p>}
          {run?.handoffs && run.handoffs.length > 0 && (
            <>
              <h3>Notes for its dependents</h3>
              {run.handoffs.map((n, k) => (
                <blockquote key={k} className="handoff">
                  {n}
                </blockquote>
              ))}
            </>
          )}
          {run?.granted && run.granted.length > 0 && (
            <p>
              Granted at run time (its audit and merge allow them): {run.granted.map((g, k) => (
                <span key={g}>
                  {k > 0 && ', '}
                  <code>{g}</code>
                </span>
              ))}
            </p>
          )}
          {run && run.refused.length > 0 && <p className="warning">{refusedLine(run.refused, undefined, run.refusedRegistries)}</p>}
          {run?.spend && <p className="muted">Spent: {run.spend}</p>}
          {run?.logFile && (
            <p>
              log: <code>{run.logFile}</code>
            </p>
          )}
          {run && run.verification.length > 0 && (
            <>
              <h3>Verification results</h3>
              <ul>
                {run.verification.map((v) => (
                  <li key={`${v.step}${v.at}`}>
                    <span className={`codicon codicon-${v.ok ? 'pass' : 'error'}`} aria-label={v.ok ? 'passed' : 'failed'} /> {v.step}
                    {v.detail ? `: ${v.detail}` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
          {run && run.scopeViolations.length > 0 && (
            <>
              <h3>Scope violations</h3>
              <List items={run.scopeViolations.map((v) => `${v.change} ${v.path}`)} />
            </>
          )}
          {details.problems.length > 0 && (
            <>
              <h3>Problems</h3>
              <ul className="problems">
                {details.problems.map((p, k) => (
                  <li key={k} className={p.severity}>
                    <span className={`codicon codicon-${p.severity === 'error' ? 'error' : p.severity === 'warning' ? 'warning' : 'info'}`} aria-label={p.severity} /> line{' '}
                    {p.line}: {p.message} <span className="muted">({p.code})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          {details.description && (
            <>
              <h3>Task</h3>
              <p className="task">{details.description}</p>
            </>
          )}
          <h3>Depends on</h3>
          {details.dependencies.length + details.unknownDependencies.length ? (
            <ul>
              {details.dependencies.map((d) => (
                <li key={d}>
                  <button className="link" onClick={() => onSelect(d)}>
                    {d}
                  </button>
                </li>
              ))}
              {details.unknownDependencies.map((d) => (
                <li key={d} className="muted">
                  {d} (not in the plan)
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">nothing</p>
          )}
          <h3>Needed by</h3>
          {details.dependents.length ? (
            <ul>
              {details.dependents.map((d) => (
                <li key={d}>
                  <button className="link" onClick={() => onSelect(d)}>
                    {d}
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">nothing</p>
          )}
          <h3>Scope</h3>
          <List items={details.scope.writeAllow.map((g) => `writes ${g}`).concat(details.scope.deny.map((g) => `never ${g}`))} empty="writes nothing" />
          <h3>Locks</h3>
          <List items={[...details.locks.files, ...details.locks.keys]} />
          <h3>Verification</h3>
          <p className="muted">tier {details.verification.tier ?? 'none'}</p>
          <List items={details.verification.steps.map((s) => `${s.name}${s.command ? `: ${s.command}` : ` (${s.kind})`}`)} empty="no steps" />
        </>
      )}
    </aside>
  );
}
