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
import type { PackageRunRecord, PackageStatus, PhaseMark, ShownField, VerificationResult } from '../core/run/runState';

/** Bumped on any incompatible change to the messages below. */
export const PROTOCOL_VERSION = 2;

// ---------------------------------------------------------------------------------------
// Host → webview

/**
 * The live part of a package, sent whole in `plan` nodes and in `status` deltas: the run
 * record's fields of the same names (status, attempts, ISO 8601 startedAt / endedAt, exitCode)
 * and the host its attempt runs or ran on (null: this machine, without hosts).
 */
export interface PackageLiveStatus extends Pick<PackageRunRecord, 'status' | 'attempts' | 'startedAt' | 'endedAt' | 'exitCode'> {
  id: string;
  host: string | null;
  /** Best of n: the state of each candidate of its last set, in order (absent: no set), so a candidate's change reaches the panel. */
  candidates?: CandidateState[];
  /** Best of n, `pick: person`: every candidate has ended or is green, and the package waits for the person's pick. */
  awaitingPick?: boolean;
  /** Queued, its new tree's set-up command under way since then (ISO 8601); absent: not. */
  settingUpSince?: string;
}

/**
 * A candidate of a best-of-n set as the panel says it: `queued`, `running`, `verifying` (its
 * audit and verification under way), `green` (audited and verified, may be picked), `failed`
 * (its attempt, audit or verification failed, or it wrote outside its scope), `stopped`
 * (cancelled, interrupted, at a usage limit), `chosen` (it went on as the package's attempt).
 */
export type CandidateState = 'queued' | 'running' | 'verifying' | 'green' | 'failed' | 'stopped' | 'chosen';

export interface PlanNode extends PackageLiveStatus {
  title: string;
  /** 1-based wave, or null when the package is on a dependency cycle or otherwise unplaced. */
  wave: number | null;
  priority: number | null;
  taskType: string | null;
  onCriticalPath: boolean;
  /** The package's `scope.write_allow` globs. */
  writeScope: string[];
  /** The package's lock files and lock keys. */
  locks: string[];
  /** The plan's diagnostics on this package: counts and their messages (for the tooltip). */
  problems: NodeProblems;
  /** Dependencies named in `depends_on` that are not in the plan (drawn as ghost nodes). */
  unknownDependencies: string[];
  /** On a dependency cycle. */
  onCycle: boolean;
}

export interface NodeProblems {
  errors: number;
  warnings: number;
  /** `severity code: message`, at most 20. */
  messages: string[];
}

/** `source` must finish before `target` may start (arrow from dependency to dependent). */
export interface DependencyEdge {
  id: string;
  kind: 'dependency';
  source: string;
  target: string;
  /** On the critical path. */
  critical: boolean;
  /** Both ends are on the same dependency cycle. */
  cycle: boolean;
}

/** Two packages that may run in parallel but share write scope or a lock (undirected). */
export interface ConflictEdge {
  id: string;
  kind: 'conflict';
  source: string;
  target: string;
  /** What they share: write scope (a path both may write) or a lock. */
  reason: 'write-scope' | 'lock';
  /** A repo-relative path both write scopes match, or the shared lock key. */
  witness: string;
}

/**
 * Code `target` may write imports a file `source` may change, and the two may run in parallel:
 * `target` wants a dependency on `source` (drawn dashed, from source to target).
 */
export interface CouplingEdge {
  id: string;
  kind: 'coupling';
  source: string;
  target: string;
  /** The first file imported (the edge's label). */
  file: string;
  /** The warning, as the Problems panel shows it (the edge's tooltip). */
  message: string;
}

export type PlanEdge = DependencyEdge | ConflictEdge | CouplingEdge;

/** The whole graph view model; replaces everything the webview shows. */
export interface PlanMessage {
  type: 'plan';
  seq: number;
  /** `feature.id`, or null when the plan has none. */
  featureId: string | null;
  /** The plan file, workspace-relative with forward slashes. */
  planFile: string;
  /** The plan file's URI (the panel keeps it in its state, so a reload reopens the same plan). */
  planUri: string;
  /** Id of the run the statuses come from, or null when the plan has not run. */
  runId: string | null;
  nodes: PlanNode[];
  edges: PlanEdge[];
  /** `waves[i]` lists the package ids of wave i + 1. */
  waves: string[][];
  /** Package ids along the critical path, first to last. */
  criticalPath: string[];
  /** Each dependency cycle, in order (cycle[k] depends on cycle[k+1], the last on the first). */
  cycles: string[][];
  /** How many diagnostics the plan has (the Problems panel lists them). */
  problems: { errors: number; warnings: number };
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
  | ExportTimelineRequest;

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
}

/**
 * Whether an action can act now, and why not when it cannot: each disabled action carries its
 * own reason, which the webview gives its button as its tooltip and accessible description.
 */
export type ActionState = { enabled: true; reason?: undefined } | { enabled: false; reason: string };

/** The details pane's content for one package (`packageDetails` result). */
export interface PackageDetails {
  id: string;
  title: string;
  description: string;
  taskType: string | null;
  priority: number | null;
  wave: number | null;
  dependencies: string[];
  dependents: string[];
  unknownDependencies: string[];
  scope: { writeAllow: string[]; readAllow: string[]; deny: string[] };
  locks: { files: string[]; keys: string[] };
  verification: { tier: string | null; steps: { name: string; kind: string; command: string | null }[] };
  timeoutMinutes: number | null;
  retryBudget: number | null;
  problems: { severity: 'error' | 'warning' | 'info'; code: string; message: string; line: number }[];
  /** The package's record in the plan's run, or null when it has not run. */
  run: PackageRunDetails | null;
  actions: Record<PackageAction, ActionState>;
}

/** A package's run record as the details pane shows it: the record's own fields, and what is read from it for a person. */
export interface PackageRunDetails
  extends Pick<PackageRunRecord, ShownField | 'signal' | 'logFile' | 'worktree' | 'branch' | 'blockedBy' | 'refusedRegistries' | 'revisions'>,
    Required<Pick<PackageRunRecord, 'question' | 'refused'>> {
  runId: string;
  verification: (Omit<VerificationResult, 'detail'> & { detail: string | null })[];
  scopeViolations: { path: string; change: string }[];
  /** While `usage-limit`: when the agent's limit resets (ISO 8601), when it said. */
  resetAt: string | null;
  /** What its attempts spent, for a person (`12,345 tokens (…) · $0.42`), where the agent reports it. */
  spend: string | null;
  /** The person's open review comments on it. */
  openComments?: number;
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
