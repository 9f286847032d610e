/**
 * Agents talk back (ADR 0036): the run-state events of a running attempt's calls to its `waves`
 * MCP server, and what a scope grant keeps on the package's record. Types only.
 */

/** While running: what the agent said or was granted through the run's tools. */
export type TalkEvent =
  /** It said how far it is. */
  | { type: 'progress'; packageId: string; fraction: number; message: string }
  /** It left a note for its dependents; past 10 notes, refused. */
  | { type: 'handoff'; packageId: string; note: string }
  /** It asked the person a question; a later one replaces it. */
  | { type: 'asked'; packageId: string; question: string }
  /** The person (or the person's policy) granted it more write scope: repository-relative paths or patterns, for the rest of the run. */
  | { type: 'scopeGranted'; packageId: string; paths: string[]; reason: string };

/** Write scope granted to a package's agent (`request_scope`): its paths, the agent's reason, when. */
export interface ScopeGrant {
  paths: string[];
  reason: string;
  at: string;
}
