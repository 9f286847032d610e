/**
 * A button of an actions toolbar. A disabled action says its own reason: on hover (its title),
 * on keyboard focus (a tooltip under the toolbar) and to a screen reader (its accessible
 * description). Like VS Code's own disabled actions it stays focusable (`aria-disabled`, not
 * `disabled`, which would take it out of the tab order) and does nothing when pressed.
 */
import { useId } from 'react';
import type { ActionState } from '../src/protocol';

export function ActionButton({
  state,
  label,
  icon,
  primary,
  title,
  ariaLabel,
  data,
  onAct,
}: {
  state: ActionState;
  label: string;
  icon: string;
  primary: boolean;
  /** The tooltip while enabled; the label by default. */
  title?: string;
  ariaLabel?: string;
  /** data-* attributes (the tests find a button by them). */
  data: Record<`data-${string}`, string | number>;
  onAct: () => void;
}) {
  const tip = useId();
  const off = !state.enabled;
  return (
    <>
      <button
        className={primary ? 'primary' : 'secondary'}
        aria-disabled={off || undefined}
        title={off ? `${label}: ${state.reason}` : (title ?? label)}
        aria-label={ariaLabel}
        aria-describedby={off ? tip : undefined}
        {...data}
        onClick={() => {
          if (!off) onAct();
        }}
      >
        <span className="action-face">
          <span className={`codicon codicon-${icon}`} aria-hidden="true" /> {label}
        </span>
      </button>
      {off && (
        <span id={tip} role="tooltip" className="action-tip">
          {state.reason}
        </span>
      )}
    </>
  );
}
