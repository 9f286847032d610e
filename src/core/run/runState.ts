/**
 * The run-state model (format version 2): where each package of one feature's run stands,
 * how its merge went, and what earlier runs of the feature ended with. Everything here is
 * pure — no I/O, no `vscode`, no clock: callers pass `now`.
 *
 * - `PackageStatus` and the transition table (`TRANSITIONS`, `canTransition`).
 * - `PackageRunRecord`, `MergeRecord`, `RunState` — the persisted shape, described by
 *   `schemas/run-state.schema.json` (keep both in step). Locks are not here: they live in
 *   the repository's lock table (`lockTable.ts`).
 * - `RunEvent` and the typed error results of every change; the time and hash formats
 *   written; `checkRunStateInvariants`, what the schema cannot express.
 *
 * A state is made by `runStateInit.ts`, changed by `runStateReducer.ts` (`applyEvent` is the
 * only way package records change). See `docs/contracts.md` for the tables and examples.
 */

import { isSafeName } from './safeName';
import type { Spend } from './spend';
import type { AgentSession, ScopeGrant, TalkEvent } from './talkEvents';
export type { ScopeGrant } from './talkEvents';

// ---------------------------------------------------------------------------------------
// Statuses and transitions

export const PACKAGE_STATUSES = [
  'pending', // waiting for its dependencies
  'ready', // dependencies succeeded; may be queued
  'queued', // picked by the scheduler, waiting for a slot, its locks or its worktree
  'running', // the agent process runs (attempt `attempts`)
  'verifying', // the agent exited cleanly; verification steps and scope audit run
  'awaiting-review', // passed its audit and verification; waits for the person's Approve or Request Changes before its merge
  'succeeded',
  'failed',
  'blocked', // a dependency failed, was cancelled or violated its scope
  'cancelled', // stopped by the user
  'interrupted', // the run stopped without an exit record (VS Code closed, crash)
  'scope-violation', // the package changed files outside its write scope
  'usage-limit', // the agent stopped at a usage limit: no retry spent; goes on after its reset
] as const;

export type PackageStatus = (typeof PACKAGE_STATUSES)[number];

/** Statuses that end a package's run: only `reset` moves a package on from these. */
export const TERMINAL_STATUSES: readonly PackageStatus[] = [
  'succeeded',
  'failed',
  'blocked',
  'cancelled',
  'interrupted',
  'scope-violation',
  'usage-limit',
];

/** Statuses in which the package holds a scheduler slot or a live process. */
export const ACTIVE_STATUSES: readonly PackageStatus[] = ['queued', 'running', 'verifying'];

export function isPackageStatus(value: unknown): value is PackageStatus {
  return typeof value === 'string' && (PACKAGE_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: PackageStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isActive(status: PackageStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/**
 * Every legal status change, `from → [to…]`. A status never "changes" to itself: events
 * that only add facts (`exited` after a cancel, `verificationResult`) are annotations,
 * listed in `docs/contracts.md`, and are not transitions.
 */
export const TRANSITIONS: Readonly<Record<PackageStatus, readonly PackageStatus[]>> = {
  pending: ['ready', 'blocked', 'cancelled'],
  ready: ['queued', 'pending', 'blocked', 'cancelled'],
  queued: ['running', 'pending', 'blocked', 'cancelled', 'failed', 'interrupted'],
  running: ['verifying', 'failed', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit'],
  verifying: ['succeeded', 'awaiting-review', 'failed', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit'],
  'awaiting-review': ['succeeded', 'pending', 'failed', 'cancelled', 'scope-violation'],
  succeeded: ['pending'],
  failed: ['pending'],
  blocked: ['pending'],
  cancelled: ['pending'],
  interrupted: ['pending', 'running'],
  'scope-violation': ['pending'],
  'usage-limit': ['pending'],
};

export function canTransition(from: PackageStatus, to: PackageStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

// ---------------------------------------------------------------------------------------
// The persisted shape

/** How a file changed, as `git diff --name-status` letters; `?` = untracked. */
export type FileChange = 'A' | 'M' | 'D' | 'R' | '?';
export const FILE_CHANGES: readonly FileChange[] = ['A', 'M', 'D', 'R', '?'];

export interface VerificationResult {
  /** The verification step's name, as in the plan. */
  step: string;
  ok: boolean;
  /** Short human text: the failing command's summary, evidence, etc. */
  detail?: string;
  /** When the result was recorded (ISO 8601). */
  at: string;
}

export interface ScopeViolation {
  /** Repo-relative path (forward slashes) changed outside the package's write scope. */
  path: string;
  change: FileChange;
}

/** A file the audit found changed: the same shape as a scope violation. */
export type ChangedFile = ScopeViolation;

/** Set while the agent waits for a person (a permission prompt, a usage limit). */
export interface NeedsInput {
  /** When the wait was first reported (ISO 8601). */
  since: string;
  /** What it waits for, for a person. */
  reason: string;
}

/**
 * One comment sent to a package's agent: 1-based lines of `file` in the commit reviewed
 * (`startLine` = `endLine` = 0: the whole file), the code it was written on, the person's words.
 */
export interface ReviewComment {
  file: string;
  startLine: number;
  endLine: number;
  excerpt: string;
  body: string;
  /** The review thread it comes from (the editor's, `waves review`'s), to say which it addressed. */
  threadId?: string;
}

/**
 * What a package's next attempt is asked to address, after it succeeded once (or while it awaits
 * review): the person's review comments — on its own changes (`branch`: the attempt goes on
 * from its branch) or on the integrated result (`integration`: from the integration tip) —, or an
 * integration check its merge turned red (the command, what it printed, the changes of the
 * other packages it met). Kept until an attempt of the package succeeds.
 */
export type FollowUp =
  | { kind: 'review'; at: string; from: 'branch' | 'integration'; commit: string | null; comments: ReviewComment[] }
  | { kind: 'integration'; at: string; check: string; output: string; tip: string; met: { packageId: string; files: string[] }[] };

/** Follow-ups a package was sent, oldest first: which kind, when, and the attempt that carried it. */
export interface FollowUpMark {
  kind: FollowUp['kind'];
  at: string;
  attempt: number;
}

/** Everything known about one package in one run. Unset values are `null`, never absent. */
export interface PackageRunRecord {
  packageId: string;
  status: PackageStatus;
  /** Attempts started so far (0 before the first `started`). Survives `reset`. */
  attempts: number;
  /** When the current attempt started (ISO 8601). */
  startedAt: string | null;
  /** When the package reached its current terminal status (ISO 8601). */
  endedAt: string | null;
  /** The agent's exit code for the current attempt; null when unknown or killed by a signal. */
  exitCode: number | null;
  /** The signal that ended the agent (e.g. `SIGTERM`), if any. */
  signal: string | null;
  /** The runner's process id for the current attempt, to adopt it after a reload. */
  pid: number | null;
  /** The random token of the current attempt's runner (in its argv): a reused pid is not adopted. */
  startToken: string | null;
  /** Set while the running agent waits for a person; cleared when it goes on or stops running. */
  needsInput: NeedsInput | null;
  /** Absolute path of the worktree (its own, or the feature's shared one for `mode: shared`). Kept across `reset`. */
  worktree: string | null;
  /** The branch the package works on. Kept across `reset`. */
  branch: string | null;
  /** The commit the worktree was created from. Kept across `reset`. */
  baseSha: string | null;
  /** The package branch's tip when its last attempt ended; a retry starts from it. Kept across `reset`. */
  headSha: string | null;
  /** Absolute path of the current (or last) attempt's log. Kept across `reset`. */
  logFile: string | null;
  /** Absolute path of the current (or last) attempt's result record. Kept across `reset`. */
  resultFile: string | null;
  verification: VerificationResult[];
  /** The audit's list of the files the current attempt changed. */
  changedFiles: ChangedFile[];
  scopeViolations: ScopeViolation[];
  /** Dependencies whose outcome blocks this package (status `blocked`). */
  blockedBy: string[];
  /** One line for a person: why the package failed, was cancelled or interrupted. */
  lastError: string | null;
  /** The host the current (or last) attempt runs on (its name in the hosts list); absent: this machine. Kept across `reset`. */
  host?: string | null;
  /** While `usage-limit`: what the agent said and when its limit resets (null: it did not say). */
  usageLimit?: UsageLimit | null;
  /** Attempts that ended at a usage limit: they spend no retry (`schedule.ts`). Survives `reset`. */
  usageLimits?: number;
  /**
   * Failures before an agent started (its tree, the set-up hook, the prompt, the runner): each
   * spends a retry as an attempt does, though no attempt ran (`retriesSpent`). Survives `reset`.
   */
  failedStarts?: number;
  /** Tokens and cost of every attempt so far, where the agent reports them. Survives `reset`. */
  spend?: Spend | null;
  /** What the walls refused the last attempt's agent: network targets (`host:port`) the proxy turned away. Absent: nothing; cleared when an attempt starts. */
  refused?: string[];
  /** Those of `refused` that are package registries the person's configuration names (said with `--allow-registries`). Absent: none. */
  refusedRegistries?: string[];
  /** The question the last attempt ended with (it changed nothing): a retry can carry the person's answer. Survives `reset`; cleared when an attempt starts. */
  question?: string | null;
  /** The agent CLI's session of the current (or last) attempt: the person's answer to its question resumes it. Set when an attempt starts. */
  session?: AgentSession | null;
  /** Agents talk back (ADR 0036): how far the current attempt says it is (its `progress` call). Absent or null: it said nothing; cleared when an attempt starts. */
  progress?: { fraction: number; message: string; at: string } | null;
  /** Its notes for the packages that depend on it (its `handoff` calls), oldest first, at most 10; put into each dependent's prompt. Cleared when an attempt starts. */
  handoffs?: string[];
  /** The question the current attempt asked the person (its `ask` call): if it ends changing nothing, it failed as this question, no guess from its words. Cleared when an attempt starts. */
  asked?: string | null;
  /** Write scope the person granted its agents in this run (`request_scope` calls), oldest first: its audits and merge allow these too, in every later attempt (a revision builds on them). */
  granted?: ScopeGrant[];
  /**
   * What the package did in this run and from when, oldest first (the run timeline): every
   * status it moved to, and what it waited for in between (`waiting`), its tree's set-up command
   * (`setting-up`) and its merge (`merging`).
   * Survives `reset`; at most `MAX_PHASES`, the oldest dropped. Absent: written by an older build.
   */
  phases?: PhaseMark[];
  /** What the next attempt is asked to address; null or absent: nothing. Cleared when an attempt succeeds. */
  followUp?: FollowUp | null;
  /** Review revisions asked for: each carried by one attempt that spends no retry. Survives `reset`. */
  revisions?: number;
  /** Every follow-up sent, oldest first (at most `MAX_FOLLOW_UPS`). Survives `reset`. */
  followUps?: FollowUpMark[];
  /** Best of n (ADR 0031): the attempts of its last set of candidates, by number; absent: it never had candidates. Survives `reset`. */
  candidates?: CandidateRunRecord[];
  /** Which candidate of the current set went on, and why; null or absent: none yet. Cleared when a set starts. */
  chosen?: { candidate: number; why: string } | null;
  /** `pick: judge` with `confirm`: the judge's first, waiting for the person's pick; null or absent: none. Cleared when a set starts. */
  ranked?: { candidate: number; why: string } | null;
}

/**
 * The fields every view of a record copies as they are (the details pane's, `packageFacts`, the
 * report row through the facts): those of every state version.
 */
export const SHOWN_FIELDS = ['status', 'attempts', 'startedAt', 'endedAt', 'exitCode', 'lastError'] as const;
export type ShownField = (typeof SHOWN_FIELDS)[number];

/**
 * One candidate of a package (best of n): an attempt with a record of its own, moved by the same
 * events and rules as a package's (`candidate` on the event). `packageId` is its key: the
 * package's id for candidate 1 (its tree and branch are the package's), `<package>.c<k>` else.
 */
export interface CandidateRunRecord extends Omit<PackageRunRecord, 'candidates' | 'chosen' | 'ranked'> {
  /** 1 … `MAX_CANDIDATES`. */
  candidate: number;
  /** The agent it runs (a preset's or a profile's id). */
  agent: string;
}

/** The most follow-up marks a record keeps. */
export const MAX_FOLLOW_UPS = 100;

/** What a package waits for: a lock another package holds, a host with a free slot, its agent's usage limit, the person. */
export const WAIT_REASONS = ['lock', 'host', 'usage-limit', 'person'] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];

/** A phase of a package's life: a status, or a wait, its tree's set-up command or a merge within one. */
export type Phase = PackageStatus | 'waiting' | 'setting-up' | 'merging';

/** From `at` on, the package was in `phase` (until the next mark). */
export interface PhaseMark {
  /** ISO 8601. */
  at: string;
  phase: Phase;
  /** The record's `attempts` then: the attempt under way, or the last one before a start. */
  attempt: number;
  /** `waiting`: what for. */
  for?: WaitReason;
}

/** The most marks a record keeps (a package retried and waiting very often drops its oldest). */
export const MAX_PHASES = 400;

export interface UsageLimit {
  detail: string;
  /** ISO 8601, when the agent gave one. */
  resetAt: string | null;
  /** The agent's label (a limit holds for every package on that agent). */
  agent: string | null;
}

export const MERGE_STATUSES = ['pending', 'merged', 'conflict', 'skipped'] as const;
export type MergeStatus = (typeof MERGE_STATUSES)[number];

/** How a package's branch went into the integration branch. */
export interface MergeRecord {
  status: MergeStatus;
  /** `merged`: the files it brought; `conflict`: the conflicting files. Repo-relative. */
  files: string[];
  /** The merge commit on the integration branch, when merged. */
  commit: string | null;
}

/** The integration branch of the run and its worktree. */
export interface IntegrationInfo {
  branch: string;
  /** Absolute path of its worktree. */
  worktree: string;
  /** The commit it was created from. */
  baseSha: string;
  /** Its current tip. */
  tipSha: string;
  /** The integration guard: absent when the run has none. */
  guard?: GuardState;
}

/** One run of the integration checks at one commit. */
export interface GuardCheck {
  /** The command that failed, or every command (joined) when all passed. */
  command: string;
  /** The commit checked. */
  tip: string;
  ok: boolean;
  /** `base`: before any merge; `tip`: the newest merges; `bisect`: one merge of a red range. */
  purpose: 'base' | 'tip' | 'bisect';
  at: string;
  ms: number;
}

/** The integration guard's state: its checks, the last green tip, who is blamed for a red one. */
export interface GuardState {
  /** `off`: turned off when the run was taken up again (`--no-integration-guard`): nothing more is checked or held. */
  status: 'unknown' | 'checking' | 'green' | 'red' | 'base-red' | 'off';
  greenTip: string | null;
  checks: GuardCheck[];
  blamed: GuardBlame | null;
}

/** The package whose merge turned the integration branch red, and what became of it. */
export interface GuardBlame {
  packageId: string;
  command: string;
  tip: string;
  at: string;
  /** The end of what the failing check printed (at most `GUARD_OUTPUT_CHARS`). */
  output?: string;
  /**
   * `sent`: the failure went to its agent as a follow-up attempt; `no-retry`: its retry budget is
   * spent, the person decides; `not-landed`: its work is not merged as it stands (running again, or
   * failed). Absent in states written before it was kept.
   */
  outcome?: 'sent' | 'no-retry' | 'not-landed';
}

/** What an earlier run of the feature ended with; its whole state is kept at `archive`. */
export interface RunHistoryEntry {
  runId: string;
  createdAt: string;
  /** The earlier run's last change (its `updatedAt`). */
  endedAt: string;
  planHash: string | null;
  /** How many packages ended in each status (statuses with none are left out). */
  counts: Partial<Record<PackageStatus, number>>;
  /** Where its final state was archived: repo-relative, forward slashes. */
  archive: string;
}

export const RUN_STATE_VERSION = 2;

export interface RunState {
  version: 2;
  featureId: string;
  /** The plan file, workspace-relative with forward slashes. */
  planFile: string;
  /** `feature.plan_revision` of the plan the run started from, when it has one. */
  planRevision?: number;
  /** SHA-256 (hex) of the plan text the run started from; null only in a migrated version-1 state. */
  planHash: string | null;
  /**
   * The machine whose engine drives the run (`src/engine/consent/machine.ts`: SHA-256 of the
   * operating system's machine id, the same under every user and home folder). Absent or another:
   * the run is foreign here — offered, never adopted. Without `person` (a state written before
   * ADR 0027), or equal to it, it holds the person's id instead.
   */
  machine?: string;
  /**
   * The person who drives it (SHA-256 of a random id in their own folder, which a repository
   * cannot ship): another is foreign here too, on the same machine. Written with `machine`.
   */
  person?: string;
  /** The run's agents ran without walls: the person's explicit choice. Absent: inside walls. */
  unconfined?: true;
  /** With `unconfined`: the container the run's engine runs in was their wall instead (the person's own `waves.sandbox.container`). */
  containerWall?: true;
  /** The review gate the run keeps: a resume or an adoption that does not say otherwise keeps it. Absent: off. */
  reviewGate?: 'before-merge';
  /** Identifies this run (one feature may be run several times). */
  runId: string;
  createdAt: string;
  updatedAt: string;
  /** Keyed by package id; `packages[id].packageId === id`. */
  packages: Record<string, PackageRunRecord>;
  /** Keyed by package id (a key of `packages`): merge status of packages the engine merged or tried to. */
  merges: Record<string, MergeRecord>;
  integration: IntegrationInfo | null;
  /** Earlier runs of the feature, oldest first. */
  history: RunHistoryEntry[];
  /** How many packages may be under way at once in this run (the timeline's cap). Absent: written by an older build. */
  maxParallel?: number;
}

/**
 * The retries a package has spent: its attempts, less those stopped by a usage limit and
 * those that carried a review's revision, plus its failures before an agent started. It is retried automatically while this is at
 * most its retry budget (`schedule.ts`).
 */
export function retriesSpent(record: PackageRunRecord): number {
  return record.attempts - (record.usageLimits ?? 0) - (record.revisions ?? 0) + (record.failedStarts ?? 0);
}

// ---------------------------------------------------------------------------------------
// Time

/** The timestamp format written: `Date.prototype.toISOString()` for years 0000–9999. */
const WRITTEN_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** ISO 8601 text for `now`, or undefined when `now` is not a valid date in years 0–9999. */
export function timestamp(now: Date): string | undefined {
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) return undefined;
  const text = now.toISOString();
  return WRITTEN_TIMESTAMP.test(text) ? text : undefined;
}

/** `timestamp(now)`, or a RangeError when `now` is not a valid date (a programming error). */
export function requireTimestamp(now: Date): string {
  const text = timestamp(now);
  if (text === undefined) throw new RangeError(`Invalid time for the run state: ${String(now)}`);
  return text;
}

/** A plan hash as written: SHA-256, 64 lower-case hex digits. */
export const PLAN_HASH = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------------------
// Events

/** An attempt's event with `candidate` (best of n) is that candidate's: its record moves by the same rules (candidates.ts). */
export type RunEvent =
  /** pending → ready: every dependency succeeded. */
  | { type: 'ready'; packageId: string }
  /** ready → queued: the scheduler picked it; `host`: where it is placed, known before its runner exists so a resume looks there. */
  | { type: 'queued'; packageId: string; host?: string | null }
  /** queued → running: the runner started attempt `attempt` (must be `attempts + 1`). */
  | {
      type: 'started';
      packageId: string;
      candidate?: number;
      attempt: number;
      /** The random token passed to this attempt's runner. */
      startToken: string;
      worktree: string;
      branch?: string | null;
      baseSha?: string | null;
      logFile: string;
      resultFile?: string | null;
      pid?: number | null;
      /** The host it runs on. */
      host?: string | null;
      session?: AgentSession | null;
    }
  /**
   * The agent process ended (from the runner's `exit.json`). In `running`: a clean exit
   * (code 0, no signal) → verifying; anything else → failed. In `cancelled` or
   * `interrupted`: only records the exit.
   */
  | {
      type: 'exited';
      packageId: string;
      candidate?: number;
      exitCode: number | null;
      signal?: string | null;
      /** Why it ended, for a person (e.g. `timed out after 30 min`); becomes `lastError` on failure. */
      reason?: string;
      /** The package branch's tip after the attempt. */
      headSha?: string | null;
      /** What the attempt spent, where the agent reports it: added to the record's `spend`. */
      spend?: Spend | null;
      /** What its walls refused it: network targets; kept on the record (`refused`). */
      refused?: string[];
      /** Those of `refused` that are package registries. */
      refusedRegistries?: string[];
    }
  /** While running: the agent waits for a person. Reported again: the reason is updated, `since` kept. */
  | { type: 'needsInput'; packageId: string; candidate?: number; reason: string }
  /** While running: the agent goes on after waiting. */
  | { type: 'inputResumed'; packageId: string; candidate?: number }
  | TalkEvent
  /** While verifying: the audit's list of changed files (replaces any earlier list), and the commit that was audited (it alone is verified and merged). */
  | { type: 'audited'; packageId: string; candidate?: number; changedFiles: ChangedFile[]; headSha?: string }
  /** While verifying: one step's outcome. A step may be reported again (re-run); the last counts. */
  | { type: 'verificationResult'; packageId: string; candidate?: number; step: string; ok: boolean; detail?: string }
  /** verifying | awaiting-review → succeeded. Rejected while the last result of any step is not ok. Clears `followUp`. */
  | { type: 'succeeded'; packageId: string }
  /** verifying → awaiting-review: audited and verified, its merge waits for the person (the review gate). */
  | { type: 'awaitingReview'; packageId: string }
  /**
   * succeeded | awaiting-review → pending: its next attempt addresses `followUp` (review
   * comments, a broken integration check). A review counts a revision (no retry spent).
   */
  | { type: 'followUp'; packageId: string; followUp: FollowUp }
  /** queued | running | verifying → failed. `question`: the agent ended its turn with one; `session`: its CLI's session id, said at its end. */
  | { type: 'failed'; packageId: string; candidate?: number; reason: string; question?: string | null; session?: string | null }
  /**
   * running | verifying → scope-violation: files changed outside the write scope, or another
   * breach of the package's bounds (`reason` says which: it left its branch, it changed the
   * repository's git set-up or the person's checkout; `paths` may then be empty).
   */
  | { type: 'scopeViolation'; packageId: string; candidate?: number; paths: ScopeViolation[]; reason?: string }
  /** Any non-terminal status → cancelled. */
  | { type: 'cancelled'; packageId: string; candidate?: number; reason?: string }
  /** running | verifying → usage-limit: the agent stopped at a usage limit (its own structured report or exit). No retry is spent. */
  | { type: 'usageLimit'; packageId: string; candidate?: number; detail: string; resetAt?: string | null; agent?: string | null }
  /** queued | running | verifying → interrupted: found dead without an exit record. */
  | { type: 'interrupted'; packageId: string; candidate?: number; reason?: string }
  /**
   * interrupted → running: the same attempt found again (its host, out of reach, answered
   * again, its runner alive or its exit there). `startToken` must be the attempt's own.
   */
  | { type: 'reattached'; packageId: string; candidate?: number; startToken: string }
  /** pending | ready | queued → blocked by the listed dependencies. */
  | { type: 'blocked'; packageId: string; by: string[] }
  /**
   * ready | queued | any terminal status → pending (retry, resume, or a dependency was
   * reset). Clears the outcome of the last attempt; keeps `attempts`, `worktree`,
   * `branch`, `baseSha`, `headSha`, `logFile` and `resultFile` so a resume can find them.
   */
  | { type: 'reset'; packageId: string }
  /**
   * While queued, best of n (ADR 0031): its next attempt is a set of candidates, one per agent
   * (2 … `MAX_CANDIDATES`), each queued. A candidate keeps its branch's fields from the last set.
   */
  | { type: 'candidates'; packageId: string; agents: string[] }
  /** running → verifying: candidate `choice`, green (audited, verified), goes on; the package takes its attempt's fields. */
  | { type: 'chosen'; packageId: string; choice: number; why: string }
  /** While running (`pick: judge` with `confirm`): the judge ranked green candidate `choice` first, for `why`; the package still awaits the person's pick. */
  | { type: 'ranked'; packageId: string; choice: number; why: string };

export type RunEventType = RunEvent['type'];

export type RunStateErrorCode =
  /** The event names a package the state has no record for. */
  | 'unknown-package'
  /** The event is not allowed in the package's current status. */
  | 'illegal-transition'
  /** `started.attempt` is not `attempts + 1` (e.g. a revived terminal starting twice). */
  | 'attempt-mismatch'
  /** `succeeded` while a verification step's last result is a failure. */
  | 'unverified'
  /** The event or argument is malformed (empty reason, non-integer exit code, bad time…). */
  | 'invalid-event';

export interface RunStateError {
  code: RunStateErrorCode;
  /** One sentence for a person. */
  message: string;
  packageId?: string;
  /** The event type, for event errors. */
  event?: RunEventType;
  from?: PackageStatus;
  to?: PackageStatus;
}

export type RunStateResult = { ok: true; state: RunState } | { ok: false; error: RunStateError };

// ---------------------------------------------------------------------------------------
// Invariants the JSON Schema cannot express

/** Problems with cross-field invariants; empty when the state is consistent. */
export function checkRunStateInvariants(state: RunState): string[] {
  const problems: string[] = [];
  // Both name folders and branches (runPaths.ts): a state naming others is not one the engine wrote.
  if (!isSafeName(state.runId)) problems.push(`runId "${state.runId}" cannot name a folder or a branch`);
  for (const [id, record] of Object.entries(state.packages)) {
    if (record.packageId !== id) problems.push(`packages["${id}"].packageId is "${record.packageId}"`);
    if (!isSafeName(id)) problems.push(`package id "${id}" cannot name a folder or a branch`);
  }
  for (const id of Object.keys(state.merges)) {
    if (!Object.hasOwn(state.packages, id)) problems.push(`merges["${id}"] names a package the run does not have`);
  }
  return problems;
}
