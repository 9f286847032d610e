/**
 * Agents talk back (ADR 0036): the run-state events of a running attempt's calls to its `waves`
 * MCP server, and what a scope grant keeps on the package's record. Types only.
 */

/** While running: what the agent said or was granted through the run's tools. */
export type TalkEvent =
  /** It said how far it is. `candidate`: best of n, the candidate that said it (its record takes it). */
  | { type: 'progress'; packageId: string; candidate?: number; fraction: number; message: string }
  /** It left a note for its dependents; past 10 notes, refused. A candidate's go to the package with it when it is chosen. */
  | { type: 'handoff'; packageId: string; candidate?: number; note: string }
  /** It asked the person a question; a later one replaces it. */
  | { type: 'asked'; packageId: string; candidate?: number; question: string }
  /** The person (or the person's policy) granted it more write scope: repository-relative paths or patterns, for the rest of the run — the package's, whichever candidate asked. */
  | { type: 'scopeGranted'; packageId: string; paths: string[]; reason: string };

/** Write scope granted to a package's agent (`request_scope`): its paths, the agent's reason, when. */
export interface ScopeGrant {
  paths: string[];
  reason: string;
  at: string;
}

/** The agent CLI's session an attempt ran (core/agents/agentSessions.ts): its agent's id and the CLI's id of it (null: the CLI names it at the end — Codex). */
export interface AgentSession {
  agent: string;
  id: string | null;
  /** The host it ran on (its state is there); absent: this machine. */
  host?: string | null;
}
