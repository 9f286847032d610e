/**
 * A pull worker (ADR 0037) as the editor shows it: its row's words, its tooltip's lines, and
 * whether it has gone silent — its last heartbeat older than a claim's lease, so a package it held
 * is claimable again by another worker. Pure: the lease is given (the worker's own, as it
 * registered it), and the heartbeat's age is the database's own count (`silentMs`),
 * so no clock of this machine is read.
 */
import { escapeMarkdown } from './planStatusText';
import { visibleText } from './visibleText';

/** A worker as the coordinator lists it (the engine's `WorkerRow`). */
export interface WorkerSeen {
  name: string;
  machine: string;
  agents: readonly string[];
  labels: readonly string[];
  slots: number;
  draining: boolean;
  /** Its own lease (`waves worker --lease`): the silence a view judges it by. */
  leaseMs: number;
  /** How long ago its last heartbeat was, by the database's clock. */
  silentMs: number;
}

/** Silent: no heartbeat for longer than a claim's lease (it is stopped, cut off, or waiting for the coordinator). */
export function isSilent(w: Pick<WorkerSeen, 'silentMs'>, leaseMs: number): boolean {
  return w.silentMs > leaseMs;
}

/** A span for a person, coarse: `45 s`, `3 min`, `2 h`, `4 days`. */
function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} days`;
}

/**
 * Its heartbeat in steps a view can keep without redrawing at every read: `heartbeat under
 * 10 s ago`, `heartbeat 30 s ago` (tens of seconds), and past the lease `silent for 3 min`.
 */
export function heartbeatText(w: Pick<WorkerSeen, 'silentMs'>, leaseMs: number): string {
  if (isSilent(w, leaseMs)) return `silent for ${span(w.silentMs)}`;
  const tens = Math.floor(Math.max(0, w.silentMs) / 10_000) * 10;
  return tens === 0 ? 'heartbeat under 10 s ago' : `heartbeat ${tens} s ago`;
}

/** What it runs: `claude, codex [gpu, macos]`. */
export function workerRuns(w: Pick<WorkerSeen, 'agents' | 'labels'>): string {
  const agents = w.agents.length ? w.agents.map(visibleText).join(', ') : 'no agent';
  return w.labels.length ? `${agents} [${w.labels.map(visibleText).join(', ')}]` : agents;
}

/** Its row: the label (its name), the description, and what a screen reader says. */
export function workerRow(w: WorkerSeen, leaseMs: number): { label: string; description: string; accessible: string } {
  const label = visibleText(w.name);
  const parts = [`on ${visibleText(w.machine) || 'an unknown machine'}`, workerRuns(w), heartbeatText(w, leaseMs), ...(w.draining ? ['draining'] : [])];
  return { label, description: parts.join(' · '), accessible: `Worker ${label}, ${parts.join(', ')}` };
}

/**
 * Its tooltip, as lines of plain text (the view escapes them as Markdown): who and where, what it
 * runs, its heartbeat, and what draining or silence means for the packages.
 */
export function workerTooltip(w: WorkerSeen, leaseMs: number): { title: string; lines: string[] } {
  const lines = [
    `Agents: ${w.agents.length ? w.agents.map(visibleText).join(', ') : 'none'}`,
    `Labels: ${w.labels.length ? w.labels.map(visibleText).join(', ') : 'none'}`,
    `Slots: ${w.slots}`,
    isSilent(w, leaseMs)
      ? `Silent: no heartbeat for ${span(w.silentMs)}, longer than a claim's lease (${span(leaseMs)}). It is stopped, cut off, or waiting for the coordinator; a package it held is claimable again by another worker.`
      : `Last ${heartbeatText(w, leaseMs)} (a claim's lease: ${span(leaseMs)}).`,
  ];
  if (w.draining) lines.push('Draining: it finishes what it holds and claims nothing new (Undrain Worker lets it take work again).');
  return { title: `${visibleText(w.name)} on ${visibleText(w.machine) || 'an unknown machine'}`, lines };
}

/** The tooltip as Markdown, every text escaped: the title in bold, a paragraph a line. */
export function workerTooltipMarkdown(w: WorkerSeen, leaseMs: number): string {
  const { title, lines } = workerTooltip(w, leaseMs);
  return [`**${escapeMarkdown(title)}**`, ...lines.map(escapeMarkdown)].join('\n\n');
}

/** What a view must redraw for: everything it shows, the heartbeat only in `heartbeatText`'s steps. */
export function workerShownKey(w: WorkerSeen, leaseMs: number): string {
  return JSON.stringify([w.name, w.machine, w.agents, w.labels, w.slots, w.draining, heartbeatText(w, leaseMs)]);
}
