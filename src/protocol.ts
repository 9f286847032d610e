/**
 * The host <-> webview protocol of the DAG panel: every message either side may send,
 * the host's validation of what the webview sends, and a small request/reply helper.
 *
 * Imported by BOTH the extension host and the webview bundle: no `vscode`, no Node
 * imports, no Ajv; only type imports from `src/core`.
 *
 * Handshake: the webview posts `ready`; only then does the host post a full `plan`,
 * followed by batched `status` messages. The webview may post `ready` again at any time
 * (after a reload, or when it sees a gap in `seq`) to get a fresh `plan`.
 * See `docs/contracts.md` ("Host ↔ webview protocol").
 */
import type { PackageRunRecord, PackageStatus } from './core/run/runState';

/** Bumped on any incompatible change to the messages below. */
export const PROTOCOL_VERSION = 2;

// ---------------------------------------------------------------------------------------
// Host → webview

/**
 * The live part of a package, sent whole in `plan` nodes and in `status` deltas: the run
 * record's fields of the same names (status, attempts, ISO 8601 startedAt / endedAt, exitCode).
 */
export interface PackageLiveStatus extends Pick<PackageRunRecord, 'status' | 'attempts' | 'startedAt' | 'endedAt' | 'exitCode'> {
  id: string;
}

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

export type PlanEdge = DependencyEdge | ConflictEdge;

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
}

/**
 * Status changes since the previous message, batched (every 50–100 ms). Each delta is the
 * package's complete live status, so applying one twice is harmless.
 */
export interface StatusMessage {
  type: 'status';
  seq: number;
  deltas: PackageLiveStatus[];
}

export interface ReplyError {
  message: string;
  /** A stable code when the host has one (e.g. `unknown-package`, `illegal-transition`). */
  code?: string;
}

export type ReplyMessage =
  | { type: 'reply'; inReplyTo: number; ok: true; result: unknown }
  | { type: 'reply'; inReplyTo: number; ok: false; error: ReplyError };

export type HostMessage = PlanMessage | StatusMessage | ReplyMessage;

const HOST_MESSAGE_TYPES: ReadonlySet<string> = new Set<HostMessage['type']>(['plan', 'status', 'reply']);

/** A cheap check for the webview's `message` listener: is this one of the host's messages? */
export function isHostMessage(raw: unknown): raw is HostMessage {
  return typeof raw === 'object' && raw !== null && HOST_MESSAGE_TYPES.has((raw as { type?: unknown }).type as string);
}

/** The live status of a run record, for `plan` nodes and `status` deltas (host side). */
export function toLiveStatus(record: PackageRunRecord): PackageLiveStatus {
  const { packageId: id, status, attempts, startedAt, endedAt, exitCode } = record;
  return { id, status, attempts, startedAt, endedAt, exitCode };
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
] as const;
export type PackageAction = (typeof PACKAGE_ACTIONS)[number];

/** Do `action` on a package; the host answers with an error reply when it cannot. */
export interface PackageActionRequest {
  type: 'packageAction';
  requestId: number;
  packageId: string;
  action: PackageAction;
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
/** Open a file of the workspace (e.g. a conflict witness). */
export interface RevealFileRequest {
  type: 'revealFile';
  requestId: number;
  /** Repo-relative, forward slashes; see `isRepoRelativePath`. */
  path: string;
}

/** Messages the host answers with a `reply`. */
export type WebviewRequest =
  | OpenPackageRequest
  | PackageDetailsRequest
  | PackageActionRequest
  | RunWaveRequest
  | RevealFileRequest
  | ExportDagRequest;

export type WebviewMessage = ReadyMessage | LogMessage | WebviewRequest;

/** The `result` of a successful reply to each request. */
export interface WebviewRequestResults {
  openPackage: null;
  packageDetails: PackageDetails;
  packageAction: null;
  runWave: null;
  revealFile: null;
  exportDag: string | null;
}

/** Whether an action can act now, and why not when it cannot. */
export interface ActionState {
  enabled: boolean;
  /** Why it is disabled (shown beside the button). */
  reason?: string;
}

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

export interface PackageRunDetails {
  runId: string;
  status: PackageStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  logFile: string | null;
  worktree: string | null;
  branch: string | null;
  verification: { step: string; ok: boolean; detail: string | null; at: string }[];
  scopeViolations: { path: string; change: string }[];
  blockedBy: string[];
  lastError: string | null;
}

// ---------------------------------------------------------------------------------------
// Validation of what the webview sends (host side)

export const MAX_PACKAGE_ID_LENGTH = 128;
export const MAX_PATH_LENGTH = 1024;
export const MAX_LOG_MESSAGE_LENGTH = 8192;
export const MAX_WAVE = 10_000;

/**
 * Control, format (bidi overrides, zero-width), surrogate and line/paragraph separator
 * characters: never part of a package id or path we accept.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

const isBoundedText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

/**
 * Package ids as the webview may name them: 1–128 printable characters. Looser than the
 * plan format's `^[a-z][a-z0-9_-]{0,63}$` on purpose: plans that drift from it still
 * load and draw, and their packages must stay clickable. The host looks the id up.
 */
export function isPackageIdLike(value: unknown): value is string {
  return isBoundedText(value, MAX_PACKAGE_ID_LENGTH) && !UNPRINTABLE.test(value);
}

/**
 * A path relative to the workspace folder: 1–1024 printable characters, forward slashes
 * only, not absolute, no drive letter or scheme (no `:` at all), no `\`, and no empty,
 * `.` or `..` segment — so joining it to the workspace root cannot leave the root.
 */
export function isRepoRelativePath(value: unknown): value is string {
  if (!isBoundedText(value, MAX_PATH_LENGTH) || UNPRINTABLE.test(value) || /[\\:]/.test(value)) return false;
  return value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Checks one field; returns what is wrong with it, or undefined. */
type FieldCheck = (value: unknown) => string | undefined;

const check =
  (test: (value: unknown) => boolean, expected: string): FieldCheck =>
  (value) =>
    test(value) ? undefined : `expected ${expected}`;

const isRequestId = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const requestId = check(isRequestId, 'a positive integer');
const packageId = check(isPackageIdLike, `1–${MAX_PACKAGE_ID_LENGTH} printable characters`);

/**
 * The exact fields of every message the webview may send, besides `type`. The mapped
 * type makes the compiler hold this table to the interfaces above: a field added to an
 * interface must be added here.
 */
const MESSAGE_FIELDS: { [M in WebviewMessage as M['type']]: { [K in Exclude<keyof M, 'type'>]-?: FieldCheck } } = {
  ready: { protocolVersion: check((v) => v === PROTOCOL_VERSION, `protocol version ${PROTOCOL_VERSION}`) },
  log: {
    level: check((v) => LOG_LEVELS.includes(v as LogLevel), LOG_LEVELS.join(' | ')),
    message: check(
      (v) => typeof v === 'string' && v.length <= MAX_LOG_MESSAGE_LENGTH,
      `a string of at most ${MAX_LOG_MESSAGE_LENGTH} characters`,
    ),
  },
  openPackage: { requestId, packageId },
  packageDetails: { requestId, packageId },
  packageAction: {
    requestId,
    packageId,
    action: check((v) => (PACKAGE_ACTIONS as readonly unknown[]).includes(v), PACKAGE_ACTIONS.join(' | ')),
  },
  exportDag: { requestId, format: check((v) => (EXPORT_FORMATS as readonly unknown[]).includes(v), EXPORT_FORMATS.join(' | ')) },
  runWave: {
    requestId,
    wave: check(
      (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WAVE,
      `an integer 1–${MAX_WAVE}`,
    ),
  },
  revealFile: {
    requestId,
    path: check(isRepoRelativePath, 'a repo-relative path (forward slashes, no "..", ".", "//", "\\" or ":")'),
  },
};

export type WebviewMessageValidation =
  | { ok: true; message: WebviewMessage }
  /** `requestId` is set when the message had a well-formed one: reply to it with the error. */
  | { ok: false; error: string; requestId?: number };

/** Shortens a key or type name the webview sent before it goes into an error text. */
const quote = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * Validates anything received from the webview. Accepts only a plain object whose `type`
 * is known and whose own keys are exactly that message's fields, each well-formed.
 * Never throws; never invokes getters; returns a fresh object on success. On failure,
 * `requestId` lets the host answer a malformed request at once instead of letting it
 * time out.
 */
export function validateWebviewMessage(raw: unknown): WebviewMessageValidation {
  let requestId: number | undefined;
  const fail = (error: string): WebviewMessageValidation => ({ ok: false, error, ...(requestId ? { requestId } : {}) });
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('message: expected an object');
    const proto = Object.getPrototypeOf(raw);
    if (proto !== Object.prototype && proto !== null) return fail('message: expected a plain object');

    // Read own data properties only, so a getter or a prototype cannot supply values.
    const fields = new Map<PropertyKey, unknown>();
    for (const key of Reflect.ownKeys(raw)) {
      const descriptor = Object.getOwnPropertyDescriptor(raw, key);
      if (!descriptor || !('value' in descriptor)) return fail(`message: ${quote(String(key))} is not a data property`);
      fields.set(key, descriptor.value);
    }

    if (isRequestId(fields.get('requestId'))) requestId = fields.get('requestId') as number;
    const type = fields.get('type');
    if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_FIELDS, type)) {
      return fail(`message: unknown type ${typeof type === 'string' ? quote(type) : `(${typeof type})`}`);
    }
    const shape: Record<string, FieldCheck> = MESSAGE_FIELDS[type as WebviewMessage['type']];
    const message: Record<string, unknown> = { type };
    for (const key of fields.keys()) {
      if (key !== 'type' && (typeof key !== 'string' || !Object.hasOwn(shape, key))) {
        return fail(`${type}: unexpected key ${quote(String(key))}`);
      }
    }
    for (const [key, checkField] of Object.entries(shape)) {
      if (!fields.has(key)) return fail(`${type}.${key}: missing`);
      const problem = checkField(fields.get(key));
      if (problem) return fail(`${type}.${key}: ${problem}`);
      message[key] = fields.get(key);
    }
    return { ok: true, message: message as unknown as WebviewMessage };
  } catch {
    return fail('message: could not be read');
  }
}

// ---------------------------------------------------------------------------------------
// Request / reply

export type RequestFailureCode =
  /** The other side answered with an error reply; see `remoteCode`. */
  | 'remote'
  /** No reply within `timeoutMs`. */
  | 'timeout'
  /** The requester was disposed (panel closed) before the reply came. */
  | 'disposed'
  /** `post` threw. */
  | 'post-failed';

/** How a request promise rejects. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    message: string,
    readonly code: RequestFailureCode,
    /** The error reply's `code`, for `remote` failures. */
    readonly remoteCode?: string,
  ) {
    super(message);
  }
}

export interface TimerFunctions {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RequesterOptions {
  /** Reject a request with no reply after this many milliseconds. */
  timeoutMs: number;
  /** Timer functions; the global ones by default (tests inject a fake clock). */
  timers?: TimerFunctions;
}

/** A request as the caller writes it: the requester adds `requestId`. */
export type RequestWithoutId<R> = R extends unknown ? Omit<R, 'requestId'> : never;

export interface Requester<Req extends { type: string; requestId: number }, Results extends object> {
  /** Posts `message` with a new `requestId`; resolves with the reply's `result`. */
  request<M extends RequestWithoutId<Req>>(message: M): Promise<Results[M['type'] & keyof Results]>;
  /**
   * Feed every `reply` received here. Returns false when no pending request matches
   * (late, duplicate or unknown `inReplyTo`), which is not an error.
   */
  handleReply(reply: ReplyMessage): boolean;
  /** Requests still waiting for a reply. */
  readonly pending: number;
  /** Rejects every pending request with code `disposed`; later requests reject at once. */
  dispose(): void;
}

/**
 * A transport-agnostic requester: `post` sends a message (in the webview,
 * `vscodeApi.postMessage`), and the caller routes incoming replies to `handleReply`.
 * Request ids count up from 1. Replies may arrive in any order.
 *
 * `Req` is the union of requests this side sends and `Results` maps each request `type`
 * to its result; both default to the webview's (`WebviewRequest`, `WebviewRequestResults`),
 * so the webview writes `createRequester((m) => vscodeApi.postMessage(m), { timeoutMs })`.
 */
export function createRequester<
  Req extends { type: string; requestId: number } = WebviewRequest,
  Results extends object = WebviewRequestResults,
>(post: (message: Req) => void, options: RequesterOptions): Requester<Req, Results> {
  const timers: TimerFunctions = options.timers ?? {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const waiting = new Map<
    number,
    { resolve(result: unknown): void; reject(error: RequestError): void; timer: unknown }
  >();
  let nextId = 1;
  let disposed = false;

  /** Removes a pending request and settles it. */
  const settle = (id: number, outcome: { result: unknown } | { error: RequestError }): boolean => {
    const entry = waiting.get(id);
    if (!entry) return false;
    waiting.delete(id);
    timers.clearTimeout(entry.timer);
    if ('error' in outcome) entry.reject(outcome.error);
    else entry.resolve(outcome.result);
    return true;
  };

  return {
    request(message) {
      if (disposed)
        return Promise.reject(new RequestError(`"${message.type}" was not sent: the connection is closed`, 'disposed'));
      const requestId = nextId++;
      return new Promise((resolve, reject) => {
        const timer = timers.setTimeout(
          () =>
            settle(requestId, {
              error: new RequestError(`"${message.type}" got no reply within ${options.timeoutMs} ms`, 'timeout'),
            }),
          options.timeoutMs,
        );
        waiting.set(requestId, { resolve: resolve as (result: unknown) => void, reject, timer });
        try {
          post({ ...message, requestId } as unknown as Req);
        } catch (error) {
          settle(requestId, {
            error: new RequestError(
              `"${message.type}" could not be sent: ${(error as Error)?.message ?? String(error)}`,
              'post-failed',
            ),
          });
        }
      });
    },
    handleReply(reply) {
      return settle(
        reply.inReplyTo,
        reply.ok
          ? { result: reply.result }
          : { error: new RequestError(reply.error.message, 'remote', reply.error.code) },
      );
    },
    get pending() {
      return waiting.size;
    },
    dispose() {
      disposed = true;
      for (const id of [...waiting.keys()])
        settle(id, { error: new RequestError('The connection closed before a reply came', 'disposed') });
    },
  };
}

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
