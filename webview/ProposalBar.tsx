/**
 * The approval bar of a proposed plan: what the planning agent proposed, and the
 * person's actions — Approve, Request Changes, Discard, then Run Plan once approved. Nothing
 * runs before Approve: the host enables Run Plan only then. The forecast of running it:
 * its expected wall time and range, the rest of it (spend per agent) on hover. A proposal that
 * Complete with Agent made from a converted task list says so: the draft plan and its task lists.
 */
import { useState } from 'react';
import { PROPOSAL_ACTIONS, type ProposalAction, type ProposalView } from '../src/protocol';
import { ActionButton } from './ActionButton';
import type { Rpc } from './rpc';

const LABEL: Record<ProposalAction, { label: string; icon: string }> = {
  approve: { label: 'Approve', icon: 'check' },
  requestChanges: { label: 'Request Changes…', icon: 'comment' },
  discard: { label: 'Discard', icon: 'trash' },
  runPlan: { label: 'Run Plan', icon: 'play' },
};

const STATUS: Record<string, string> = {
  valid: 'valid — waiting for your approval',
  invalid: 'still has errors (see the Problems panel)',
  interrupted: 'interrupted — its last round was stopped before the agent ended; request changes for a complete round',
  approved: 'approved',
  planning: 'the agent is working on it…',
  discarded: 'discarded',
};

export function ProposalBar({ proposal, rpc }: { proposal: ProposalView; rpc: Rpc }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = (a: ProposalAction) => {
    setBusy(true);
    setError(null);
    rpc
      .proposal(a)
      .catch((err: Error) => setError(err.message))
      .finally(() => setBusy(false));
  };
  return (
    <div className="proposal-bar" role="region" aria-label="Proposed plan">
      <span className="codicon codicon-lightbulb" aria-hidden="true" />
      <span>
        Proposed plan <strong>{proposal.id}</strong> ({proposal.planDir}/, {proposal.rounds} round{proposal.rounds === 1 ? '' : 's'}): {STATUS[proposal.status] ?? proposal.status}
      </span>
      <span className="actions" role="toolbar" aria-label="Approval">
        {PROPOSAL_ACTIONS.map((a) => {
          const state = proposal.actions[a];
          return (
            <ActionButton
              key={a}
              state={busy && state.enabled ? { enabled: false, reason: 'the last action is still under way' } : state}
              label={LABEL[a].label}
              icon={LABEL[a].icon}
              primary={a === 'approve' || (a === 'runPlan' && state.enabled)}
              data={{ 'data-proposal-action': a }}
              onAct={() => act(a)}
            />
          );
        })}
      </span>
      {proposal.draft && (
        <span className="proposal-draft" data-proposal-draft="">
          <span className="codicon codicon-references" aria-hidden="true" /> Completed from the draft plan <code>{proposal.draft.plan}</code>
          {proposal.draft.sources.length > 0 && (
            <>
              , converted from{' '}
              {proposal.draft.sources.map((s, i) => (
                <span key={s}>
                  {i > 0 && (i === proposal.draft!.sources.length - 1 ? ' and ' : ', ')}
                  <code>{s}</code>
                </span>
              ))}
            </>
          )}
        </span>
      )}
      {proposal.forecast && (
        <span className="proposal-forecast" title={proposal.forecast.details.join('\n')} aria-label={proposal.forecast.details.join(' ')} data-proposal-forecast="">
          <span className="codicon codicon-watch" aria-hidden="true" /> Forecast: {proposal.forecast.headline}
        </span>
      )}
      {error && (
        <span className="proposal-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
