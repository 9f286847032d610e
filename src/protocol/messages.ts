/**
 * The host <-> webview protocol of the DAG panel: every message either side may send, and
 * the few pure helpers both sides need to recognise or build one (`isHostMessage`,
 * `toLiveStatus`, `replyTo`).
 *
 * Imported by BOTH the extension host and the webview bundle: no `vscode`, no Node
 * imports, no Ajv; only type imports from `src/core`. The host's validation of what the
 * webview sends lives in `./validate.ts` (host only); the webview's request/reply helper
 * in `./requester.ts`.
 *
 * Handshake: the webview posts `ready`; only then does the host post a full `plan`,
 * followed by batched `status` messages. The webview may post `ready` again at any time
 * (after a reload, or when it sees a gap in `seq`) to get a fresh `plan`.
 * See `docs/contracts.md` ("Host ↔ webview protocol").
 */
import type {
  ActionState,
  CandidateState,
  PackageDetailsBase,
  PackageLiveStatus,
  PackageRunDetailsBase,
  PlanView,
} from '../core/dag/planView';
import type { PackageRunRecord, PackageStatus, PhaseMark } from '../core/run/runState';

/** Bumped on any incompatible change to the messages below. */
export const PROTOCOL_VERSION = 2;

// ---------------------------------------------------------------------------------------
// Host → webview

// The plan's view (its nodes, edges and live statuses) is src/core's (`core/dag/planView.ts`, what
// core/dag builds and draws); here under the same names.
export type {
  ActionState,
  CandidateState,
  ConflictEdge,
  CouplingEdge,
  DependencyEdge,
  NodeProblems,
  PackageLiveStatus,
  PlanEdge,
  PlanNode,
  PlanView,
} from '../core/dag/planView';


/** The whole graph view model (src/core's `PlanView`, with the plan's URI, its run and `seq`); replaces everything the webview shows. */
export interface PlanMessage extends PlanView {
  seq: number;
  /** The plan file's URI (the panel keeps it in its state, so a reload reopens the same plan). */
  planUri: string;
  /** Id of the run the statuses come from, or null when the plan has not run. */
  runId: string | null;
  /** Set when the plan is a proposal of a planning session: the approval bar. */
  proposal?: ProposalView;
  /** The integration guard's state; absent or null: the run has no guard. */
  integration?: IntegrationView | null;
}

/** The integration branch's state as the integration guard keeps it, for the panel's bar. */
export interface IntegrationView {
  status: 'unknown' | 'checking' | 'green' | 'red' | 'base-red' | 'off';
  /** The state in words (`core/run/integrationGuard.ts` `guardText`). */
  text: string;
  /** The package blamed for a red tip, if any. */
  blamed: string | null;
  /** The guard sends nothing more (the blamed package's retry budget is spent): what happened and what the person can do (`guardStuck`). */
  stuck?: string | null;
}

/** The actions of a proposed plan's approval bar, in the order it shows them. */
export const PROPOSAL_ACTIONS = ['approve', 'requestChanges', 'discard', 'runPlan'] as const;
export type ProposalAction = (typeof PROPOSAL_ACTIONS)[number];

/** A proposed plan as the approval bar shows it. */
export interface ProposalView {
  id: string;
  /** `valid`, `invalid`, `interrupted` (its last round stopped before the agent ended), `approved`, `planning` (a round runs), `discarded`. */
  status: string;
  rounds: number;
  /** The planning folder, repository-relative (proposal.md, design.md, contracts/ are there). */
  planDir: string;
  actions: Record<ProposalAction, ActionState>;
  /** The forecast of running it, once the host has made it. */
  forecast?: ProposalForecast;
  /** Set when the session completed a draft (Complete with Agent): where the proposal came from. */
  draft?: ProposalDraft;
}

/** The draft a proposal was completed from: the converted plan and the task lists it was converted from, repository-relative. */
export interface ProposalDraft {
  plan: string;
  sources: string[];
}

/** A proposed plan's forecast as the approval bar shows it: one line, and the lines behind it. */
export interface ProposalForecast {
  /** `about 6m 10s (4m 50s – 7m 30s), at most 4 at once, from 3 past runs`, or `no history yet: …`. */
  headline: string;
  /** Every line of the forecast (wall time, critical path, spend per agent). */
  details: string[];
}

/**
 * Status changes since the previous message, batched (every 50–100 ms). Each delta is the
 * package's complete live status, so applying one twice is harmless.
 */
export interface StatusMessage {
  type: 'status';
  seq: number;
  deltas: PackageLiveStatus[];
  /** The integration guard's state when it changed; null: the run has no guard (any more). */
  integration?: IntegrationView | null;
}

/** One package's part of the run timeline: its phase marks, and for a record of an older build (no marks) its last attempt. */
export interface TimelineRowData {
  id: string;
  phases: PhaseMark[];
  status: PackageStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
}

/**
 * The run timeline's data, after each `plan` (`full`: every package of the run) and with
 * the statuses (only the packages whose marks changed). Shares `seq` with `plan` and `status`.
 */
export interface TimelineMessage {
  type: 'timeline';
  seq: number;
  full: boolean;
  /** The run's cap, null when unknown. */
  cap: number | null;
  /** A package holds a slot: the timeline runs to now, with a "now" line. */
  live: boolean;
  /** The run's last change (ISO 8601): where a finished run's timeline ends. */
  updatedAt: string | null;
  rows: TimelineRowData[];
}

export interface ReplyError {
  message: string;
  /** A stable code when the host has one (e.g. `unknown-package`, `illegal-transition`). */
  code?: string;
}

export type ReplyMessage =
  | { type: 'reply'; inReplyTo: number; ok: true; result: unknown }
  | { type: 'reply'; inReplyTo: number; ok: false; error: ReplyError };

export type HostMessage = PlanMessage | StatusMessage | TimelineMessage | ReplyMessage;

const HOST_MESSAGE_TYPES: ReadonlySet<string> = new Set<HostMessage['type']>(['plan', 'status', 'timeline', 'reply']);

/** A cheap check for the webview's `message` listener: is this one of the host's messages? */
export function isHostMessage(raw: unknown): raw is HostMessage {
  return typeof raw === 'object' && raw !== null && HOST_MESSAGE_TYPES.has((raw as { type?: unknown }).type as string);
}

/** A run record's part of the timeline (host side). */
export function toTimelineRow(record: PackageRunRecord): TimelineRowData {
  const { packageId: id, status, attempts, startedAt, endedAt } = record;
  return { id, phases: Array.isArray(record.phases) ? record.phases : [], status, attempts, startedAt, endedAt };
}

/** The live status of a run record, for `plan` nodes and `status` deltas (host side). */
export function toLiveStatus(record: PackageRunRecord): PackageLiveStatus {
  const { packageId: id, status, attempts, startedAt, endedAt, exitCode } = record;
  return { id, status, attempts, startedAt, endedAt, exitCode, host: record.host ?? null };
}

// ---------------------------------------------------------------------------------------
// Webview → host

/** Handshake: the webview is listening; the host answers with a full `plan`. */
export interface ReadyMessage {
  type: 'ready';
  protocolVersion: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A line for the extension's output channel (webview errors, mostly). */
export interface LogMessage {
  type: 'log';
  level: LogLevel;
  message: string;
}

/** Reveal the package in the plan YAML. */
export interface OpenPackageRequest {
  type: 'openPackage';
  requestId: number;
  packageId: string;
}
/** Everything the details pane shows about one package; the result is `PackageDetails`. */
export interface PackageDetailsRequest {
  type: 'packageDetails';
  requestId: number;
  packageId: string;
}

/** The actions of the details pane, in the order it shows them. */
export const PACKAGE_ACTIONS = [
  'reveal',
  'showPrompt',
  'run',
  'retry',
  'cancel',
  'openTerminal',
  'openWorktree',
  'showChanges',
  'requestChanges',
  'approve',
] as const;
export type PackageAction = (typeof PACKAGE_ACTIONS)[number];

/** Do `action` on a package; the host answers with an error reply when it cannot. */
export interface PackageActionRequest {
  type: 'packageAction';
  requestId: number;
  packageId: string;
  action: PackageAction;
}

/** What the details pane does with one candidate of a best-of-n set. */
export const CANDIDATE_ACTIONS = ['pick', 'showChanges'] as const;
export type CandidateAction = (typeof CANDIDATE_ACTIONS)[number];

/** Pick a candidate of the package (it goes on) or show its changes; the host answers with an error reply when it cannot. */
export interface CandidateActionRequest extends Omit<PackageActionRequest, 'type' | 'action'> {
  type: 'candidateAction';
  /** 1-based, as the run state numbers its candidates. */
  candidate: number;
  action: CandidateAction;
}

export const EXPORT_FORMATS = ['svg', 'mermaid'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Export the panel's plan (the host asks where to save); the result is the saved path or null when cancelled. */
export interface ExportDagRequest {
  type: 'exportDag';
  requestId: number;
  format: ExportFormat;
}
export interface RunWaveRequest {
  type: 'runWave';
  requestId: number;
  /** 1-based wave number. */
  wave: number;
}
/** An action of the approval bar on the panel's proposed plan; the host answers with an error reply when it cannot. */
export interface ProposalActionRequest {
  type: 'proposalAction';
  requestId: number;
  action: ProposalAction;
}
/** Open a file of the workspace (e.g. a conflict witness). */
export interface RevealFileRequest {
  type: 'revealFile';
  requestId: number;
  /** Repo-relative, forward slashes; see `isRepoRelativePath` in `./validate.ts`. */
  path: string;
}

/** Select the package in the Waves view too (the timeline's click). */
export interface RevealInWavesRequest {
  type: 'revealInWaves';
  requestId: number;
  packageId: string;
}
/** Export the run timeline as SVG (the host draws it from the run state and asks where to save); the result is the saved path or null when cancelled. */
export interface ExportTimelineRequest {
  type: 'exportTimeline';
  requestId: number;
}

/** Open a sub-plan in the panel (ADR 0035): the parents from the top plan down, each by its id in its own plan; empty: back to the top plan. */
export interface OpenGroupRequest {
  type: 'openGroup';
  requestId: number;
  path: string[];
}

/** Messages the host answers with a `reply`. */
export type WebviewRequest =
  | OpenPackageRequest
  | PackageDetailsRequest
  | PackageActionRequest
  | CandidateActionRequest
  | RunWaveRequest
  | RevealFileRequest
  | ExportDagRequest
  | ProposalActionRequest
  | RevealInWavesRequest
  | ExportTimelineRequest
  | OpenGroupRequest;

export type WebviewMessage = ReadyMessage | LogMessage | WebviewRequest;

/** The `result` of a successful reply to each request. */
export interface WebviewRequestResults {
  openPackage: null;
  packageDetails: PackageDetails;
  packageAction: null;
  candidateAction: null;
  runWave: null;
  revealFile: null;
  exportDag: string | null;
  proposalAction: null;
  revealInWaves: null;
  exportTimeline: string | null;
  openGroup: null;
}


/** The details pane's content for one package (`packageDetails` result): src/core's facts of it, and the actions a person may take. */
export interface PackageDetails extends PackageDetailsBase {
  run: PackageRunDetails | null;
  actions: Record<PackageAction, ActionState>;
}

/** A package's run record as the details pane shows it (src/core's `PackageRunDetailsBase`), with best of n's candidates. */
export interface PackageRunDetails extends PackageRunDetailsBase {
  /** Best of n: the candidates of its last set, in order; absent without a set. */
  candidates?: CandidateDetails[];
  /** Why the candidate that went on was chosen (`your pick`, `the first green one`, `the judge: …`); null: none chosen yet. */
  chosenWhy?: string | null;
  /** It waits for the person's pick among its green candidates. */
  awaitingPick?: boolean;
}

/** One candidate of a package's set in the details pane, with its actions. */
export interface CandidateDetails {
  candidate: number;
  agent: string;
  state: CandidateState;
  /** Its run record's status, as the run state says it. */
  status: PackageStatus;
  branch: string | null;
  /** Start to end (or to its last step while it waits green), when known. */
  durationMs: number | null;
  /** What it spent, for a person, where its agent reports it. */
  spend: string | null;
  changedFiles: number;
  lastError: string | null;
  /** The judge ranked it first and the pick is the person's: the judge's reason. */
  ranked: string | null;
  actions: Record<CandidateAction, ActionState>;
}

// ---------------------------------------------------------------------------------------
// Replies (host side; the webview's requester settles them, see `./requester.ts`)

/**
 * Builds the reply to a request (host side): `result` gives an ok reply; an `Error`
 * gives an error reply with its message and, when it has a string `code`, that code.
 * A malformed request (only its `requestId` is known) can only get an error.
 */
export function replyTo<R extends WebviewRequest>(
  request: R,
  outcome: WebviewRequestResults[R['type']] | Error,
): ReplyMessage;
export function replyTo(request: { requestId: number }, outcome: Error): ReplyMessage;
export function replyTo(request: { requestId: number }, outcome: unknown): ReplyMessage {
  if (outcome instanceof Error) {
    const code = (outcome as { code?: unknown }).code;
    return {
      type: 'reply',
      inReplyTo: request.requestId,
      ok: false,
      error: { message: outcome.message || outcome.name, ...(typeof code === 'string' ? { code } : {}) },
    };
  }
  return { type: 'reply', inReplyTo: request.requestId, ok: true, result: outcome };
}
