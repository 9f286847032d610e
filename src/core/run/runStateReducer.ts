/**
 * How a run state changes (docs/contracts.md): `applyEvent(state, event, now)` — the only way
 * package records change. The other fields (`recordMerge`, `setIntegration`, `setPlanHash`:
 * runStateFields.ts) and the phase marks within a status (`markWaiting`, …: runStatePhases.ts)
 * are re-exported from here. Illegal or malformed changes come back as a typed error result
 * (`RunStateResult`); nothing here throws on bad input.
 *
 * All functions return new objects and never mutate their input; when nothing changes
 * they return the very same state object, so callers can skip saving on `===`. Records are
 * spread, never rebuilt, so fields written by a newer build survive every change.
 */

import {
  canTransition,
  FILE_CHANGES,
  isTerminal,
  timestamp,
  type ChangedFile,
  type FollowUp,
  MAX_FOLLOW_UPS,
  type CandidateRunRecord,
  type PackageRunRecord,
  type PackageStatus,
  type RunEvent,
  type RunEventType,
  type RunState,
  type RunStateError,
  type RunStateResult,
  type ScopeViolation,
  type VerificationResult,
} from './runState';
import { addSpend, type Spend } from './spend';
import { clearedOutcome } from './runStateInit';
import { CANDIDATE_EVENTS, candidateOf, isGreen, MAX_CANDIDATES, newSet, takeChosen } from './candidates';
import { isOptionalText, isSessionId, isText, MAX_HANDOFF_CHARS, MAX_HANDOFFS, MAX_PROGRESS_CHARS, MAX_QUESTION_CHARS } from './runStateFields';
import { withMark, withRecord } from './runStatePhases';

export { recordMerge, setIntegration, setPlanHash, type MergeUpdate } from './runStateFields';
export { markMerging, markSettingUp, markWaiting, settingUpSince } from './runStatePhases';

// ---------------------------------------------------------------------------------------
// Events

type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

interface EventRule<E extends RunEvent> {
  /** The status a status-changing event moves to (may depend on the payload). */
  to?: (event: E) => PackageStatus;
  /** Statuses in which the event is accepted without changing the status. */
  annotates?: readonly PackageStatus[];
  /**
   * The only statuses the event may move a package from, where the transition table alone
   * is too wide (`interrupted → running` is a re-adoption, never a fresh start).
   */
  from?: readonly PackageStatus[];
  /** Payload checks beyond the types; returns the problem, if any. */
  check?: (event: E, record: PackageRunRecord) => Pick<RunStateError, 'code' | 'message'> | undefined;
  /**
   * The record's new fields. `status` and, for terminal targets, `endedAt` are set by the
   * reducer. An annotation that changes nothing returns `record` itself.
   */
  apply: (record: PackageRunRecord, event: E, at: string, to: PackageStatus) => PackageRunRecord;
}

const invalid = (message: string) => ({ code: 'invalid-event' as const, message });

/** The outcome of an attempt; cleared by `started` (new attempt) and `reset`. */
function clearOutcome(record: PackageRunRecord): PackageRunRecord {
  // What the walls refused belongs to the attempt that met them.
  const { refused: _refused, refusedRegistries: _registries, ...rest } = record;
  return {
    ...rest,
    ...clearedOutcome(),
    ...(record.usageLimit ? { usageLimit: null } : {}),
    // The candidate that went on belongs to the attempt that chose it.
    ...(record.chosen ? { chosen: null } : {}),
    ...(record.ranked ? { ranked: null } : {}),
  };
}

function isSpend(v: unknown): v is Spend {
  const o = v as Partial<Spend> | null | undefined;
  const n = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  return !!o && typeof o === 'object' && n(o.inputTokens) && n(o.outputTokens) && n(o.cachedTokens) && (o.costUsd === null || n(o.costUsd));
}

function isCleanExit(event: EventOf<'exited'>): boolean {
  return event.exitCode === 0 && (event.signal ?? null) === null;
}

function describeExit(event: EventOf<'exited'>): string {
  if (event.reason) return event.reason;
  if (event.signal) return `the agent was killed by ${event.signal}`;
  if (event.exitCode === null) return 'the agent exited without an exit code';
  return `the agent exited with code ${event.exitCode}`;
}

function describeViolations(paths: readonly ScopeViolation[]): string {
  const shown = paths.slice(0, 3).map((v) => v.path);
  if (paths.length > 3) shown.push('…');
  return `${paths.length} file(s) changed outside the write scope: ${shown.join(', ')}`;
}

/** The latest result of each step, in first-reported order. */
function latestResults(results: readonly VerificationResult[]): VerificationResult[] {
  return [...new Map(results.map((r) => [r.step, r])).values()];
}

const isFileList = (list: unknown, minLength: number): list is ChangedFile[] =>
  Array.isArray(list) &&
  list.length >= minLength &&
  list.every((v: Partial<ChangedFile> | null) => isText(v?.path) && FILE_CHANGES.includes(v!.change!));

const withLastError = (record: PackageRunRecord, event: { reason?: string }) => ({
  ...record,
  lastError: event.reason ?? null,
});
const checkOptionalReason = (event: { reason?: string }) =>
  isOptionalText(event.reason) ? undefined : invalid('reason must be a non-empty string when given');

const isLine = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** What is wrong with a follow-up's payload, if anything. */
export function followUpProblem(f: FollowUp | null | undefined): Pick<RunStateError, 'code' | 'message'> | undefined {
  if (!f || typeof f !== 'object') return invalid('followUp must be an object');
  if (!isText(f.at) || !Number.isFinite(Date.parse(f.at))) return invalid('followUp.at must be an ISO 8601 time');
  if (f.kind === 'review') {
    if (f.from !== 'branch' && f.from !== 'integration') return invalid('a review follows up from branch or integration');
    if (!isOptionalText(f.commit)) return invalid('followUp.commit must be a non-empty string or null');
    if (!Array.isArray(f.comments) || f.comments.length === 0) return invalid('a review follow-up carries at least one comment');
    for (const c of f.comments) {
      if (!c || !isText(c.file) || !isLine(c.startLine) || !isLine(c.endLine) || c.endLine < c.startLine || typeof c.excerpt !== 'string' || !isText(c.body))
        return invalid('each comment has a file, 0 ≤ startLine ≤ endLine, an excerpt and non-empty words');
    }
    return undefined;
  }
  if (f.kind === 'integration') {
    if (!isText(f.check) || typeof f.output !== 'string' || !isText(f.tip)) return invalid('an integration follow-up names its check, output and tip');
    if (!Array.isArray(f.met) || !f.met.every((m) => m && isText(m.packageId) && Array.isArray(m.files) && m.files.every(isText)))
      return invalid('met lists {packageId, files}');
    return undefined;
  }
  return invalid('followUp.kind must be review or integration');
}

const RULES: { [T in RunEventType]: EventRule<EventOf<T>> } = {
  ready: { to: () => 'ready', apply: (record) => record },
  queued: {
    to: () => 'queued',
    check: (event) => (isOptionalText(event.host) ? undefined : invalid('host must be a non-empty string when given')),
    apply: (record, event) => (event.host ? { ...record, host: event.host } : record),
  },
  started: {
    to: () => 'running',
    from: ['queued'],
    check: (event, record) => {
      if (event.attempt !== record.attempts + 1) {
        return {
          code: 'attempt-mismatch',
          message: `attempt ${String(event.attempt)} cannot start: ${record.attempts} attempt(s) so far, so the next is ${record.attempts + 1}`,
        };
      }
      if (!isText(event.startToken)) return invalid('startToken must be a non-empty string');
      if (!isText(event.worktree) || !isText(event.logFile)) return invalid('worktree and logFile must be non-empty strings');
      if (!isOptionalText(event.branch) || !isOptionalText(event.baseSha) || !isOptionalText(event.resultFile))
        return invalid('branch, baseSha and resultFile must be non-empty strings when given');
      const pid = event.pid ?? null;
      if (pid !== null && !(Number.isSafeInteger(pid) && pid > 0)) return invalid('pid must be a positive integer when given');
      if (!isOptionalText(event.host)) return invalid('host must be a non-empty string when given');
      const session = event.session ?? null;
      if (session !== null && !(isText(session.agent) && (session.id === null || isSessionId(session.id)) && isOptionalText(session.host))) return invalid('session must be {agent, id, host?} with a session id or null when given');
      return undefined;
    },
    apply: (record, event, at) => ({
      ...clearOutcome(record),
      ...(record.question ? { question: null } : {}),
      ...(record.progress ? { progress: null } : {}),
      ...(record.handoffs ? { handoffs: [] } : {}),
      ...(record.asked ? { asked: null } : {}),
      attempts: event.attempt,
      startedAt: at,
      startToken: event.startToken,
      worktree: event.worktree,
      branch: event.branch ?? null,
      baseSha: event.baseSha ?? null,
      logFile: event.logFile,
      resultFile: event.resultFile ?? null,
      pid: event.pid ?? null,
      ...(event.host ? { host: event.host } : record.host ? { host: null } : {}),
      ...(event.session ? { session: { agent: event.session.agent, id: event.session.id, ...(event.session.host ? { host: event.session.host } : {}) } } : record.session ? { session: null } : {}),
    }),
  },
  exited: {
    to: (event) => (isCleanExit(event) ? 'verifying' : 'failed'),
    annotates: ['cancelled', 'interrupted', 'usage-limit'],
    check: (event, record) => {
      if (event.exitCode !== null && !Number.isSafeInteger(event.exitCode)) return invalid('exitCode must be an integer or null');
      if (!isOptionalText(event.signal)) return invalid('signal must be a non-empty string when given');
      if (!isOptionalText(event.headSha)) return invalid('headSha must be a non-empty string when given');
      if (record.exitCode !== null || record.signal !== null) return invalid(`an exit was already recorded for attempt ${record.attempts}`);
      if (event.refused !== undefined && !(Array.isArray(event.refused) && event.refused.every(isText))) return invalid('refused must list non-empty strings when given');
      if (event.refusedRegistries !== undefined && !(Array.isArray(event.refusedRegistries) && event.refusedRegistries.every(isText))) return invalid('refusedRegistries must list non-empty strings when given');
      return checkOptionalReason(event);
    },
    apply: (record, event, _at, to) => ({
      ...record,
      exitCode: event.exitCode,
      signal: event.signal ?? null,
      ...(isText(event.headSha) ? { headSha: event.headSha } : {}),
      ...(isSpend(event.spend) ? { spend: addSpend(record.spend, event.spend) } : {}),
      ...(event.refused?.length ? { refused: [...new Set(event.refused)].slice(0, 50) } : {}),
      ...(event.refused?.length && event.refusedRegistries?.length ? { refusedRegistries: [...new Set(event.refusedRegistries)].slice(0, 50) } : {}),
      ...(to === 'failed' ? { lastError: describeExit(event) } : {}),
    }),
  },
  needsInput: {
    annotates: ['running'],
    check: (event) => (isText(event.reason) ? undefined : invalid('reason must be a non-empty string')),
    apply: (record, event, at) =>
      record.needsInput?.reason === event.reason
        ? record
        : {
            ...record,
            needsInput: { since: record.needsInput?.since ?? at, reason: event.reason },
            ...(record.needsInput ? {} : { phases: withMark(record, { at, phase: 'waiting', attempt: record.attempts, for: 'person' }) }),
          },
  },
  inputResumed: {
    annotates: ['running'],
    apply: (record, _event, at) =>
      record.needsInput === null ? record : { ...record, needsInput: null, phases: withMark(record, { at, phase: 'running', attempt: record.attempts }) },
  },
  progress: {
    annotates: ['running'],
    check: (event) =>
      typeof event.fraction !== 'number' || !Number.isFinite(event.fraction) || event.fraction < 0 || event.fraction > 1
        ? invalid('fraction must be a number from 0 to 1')
        : isText(event.message) && event.message.length <= MAX_PROGRESS_CHARS
          ? undefined
          : invalid(`message must be a non-empty string of at most ${MAX_PROGRESS_CHARS} characters`),
    apply: (record, event, at) => ({ ...record, progress: { fraction: event.fraction, message: event.message, at } }),
  },
  handoff: {
    annotates: ['running'],
    check: (event, record) =>
      !isText(event.note) || event.note.length > MAX_HANDOFF_CHARS
        ? invalid(`note must be a non-empty string of at most ${MAX_HANDOFF_CHARS} characters`)
        : (record.handoffs?.length ?? 0) >= MAX_HANDOFFS
          ? invalid(`an attempt leaves at most ${MAX_HANDOFFS} notes`)
          : undefined,
    apply: (record, event) => ({ ...record, handoffs: [...(record.handoffs ?? []), event.note] }),
  },
  asked: {
    annotates: ['running'],
    check: (event) => (isText(event.question) && event.question.length <= MAX_QUESTION_CHARS ? undefined : invalid(`question must be a non-empty string of at most ${MAX_QUESTION_CHARS} characters`)),
    apply: (record, event) => (record.asked === event.question ? record : { ...record, asked: event.question }),
  },
  scopeGranted: {
    annotates: ['running'],
    check: (event) =>
      Array.isArray(event.paths) && event.paths.length > 0 && event.paths.every(isText) && isText(event.reason)
        ? undefined
        : invalid('paths must list non-empty strings and reason must be a non-empty string'),
    apply: (record, event, at) => ({ ...record, granted: [...(record.granted ?? []), { paths: [...event.paths], reason: event.reason, at }] }),
  },
  audited: {
    annotates: ['verifying'],
    check: (event) =>
      !isOptionalText(event.headSha)
        ? invalid('headSha must be a non-empty string when given')
        : isFileList(event.changedFiles, 0)
          ? undefined
          : invalid('changedFiles must list {path, change} with change one of A M D R ?'),
    apply: (record, event) => ({
      ...record,
      changedFiles: event.changedFiles.map(({ path, change }) => ({ path, change })),
      ...(isText(event.headSha) ? { headSha: event.headSha } : {}),
    }),
  },
  verificationResult: {
    annotates: ['verifying'],
    check: (event) => {
      if (!isText(event.step) || typeof event.ok !== 'boolean') return invalid('step must be a non-empty string and ok a boolean');
      return event.detail === undefined || typeof event.detail === 'string' ? undefined : invalid('detail must be a string when given');
    },
    // A step run again in the same attempt (its host came back while it was judged) replaces its first result.
    apply: (record, event, at) => ({
      ...record,
      verification: [
        ...record.verification.filter((v) => v.step !== event.step),
        { step: event.step, ok: event.ok, ...(event.detail !== undefined ? { detail: event.detail } : {}), at },
      ],
    }),
  },
  succeeded: {
    to: () => 'succeeded',
    check: (_event, record) => {
      const failing = latestResults(record.verification).filter((r) => !r.ok);
      if (failing.length === 0) return undefined;
      return { code: 'unverified', message: `verification step(s) failed: ${failing.map((r) => r.step).join(', ')}` };
    },
    apply: (record) => ({ ...record, lastError: null, ...(record.followUp ? { followUp: null } : {}) }),
  },
  awaitingReview: { to: () => 'awaiting-review', from: ['verifying'], apply: (record) => ({ ...record, lastError: null }) },
  followUp: {
    to: () => 'pending',
    from: ['succeeded', 'awaiting-review'],
    check: (event) => followUpProblem(event.followUp),
    apply: (record, event, at) => {
      const review = event.followUp.kind === 'review';
      const marks = [...(record.followUps ?? []), { kind: event.followUp.kind, at, attempt: record.attempts + 1 }];
      return {
        ...clearOutcome(record),
        followUp: event.followUp,
        ...(review ? { revisions: (record.revisions ?? 0) + 1 } : {}),
        followUps: marks.slice(-MAX_FOLLOW_UPS),
      };
    },
  },
  failed: {
    to: () => 'failed',
    check: (event) =>
      !isText(event.reason)
        ? invalid('reason must be a non-empty string')
        : !isOptionalText(event.question ?? undefined)
          ? invalid('question must be a non-empty string when given')
          : event.session == null || isSessionId(event.session)
            ? undefined
            : invalid('session must be a session id when given'),
    apply: (record, event) => ({
      ...withLastError(record, event),
      ...(isText(event.question) ? { question: event.question } : {}),
      // The session its CLI named at its end (Codex's), for the attempt's agent.
      ...(event.session && record.session ? { session: { ...record.session, id: event.session } } : {}),
      // Failed while queued: nothing ran, and yet a retry is spent (else it would start, and fail, for ever).
      ...(record.status === 'queued' ? { failedStarts: (record.failedStarts ?? 0) + 1 } : {}),
    }),
  },
  scopeViolation: {
    to: () => 'scope-violation',
    check: (event) =>
      !isOptionalText(event.reason)
        ? invalid('reason must be a non-empty string when given')
        : isFileList(event.paths, event.reason ? 0 : 1)
          ? undefined
          : invalid('paths must list at least one {path, change} with change one of A M D R ?'),
    apply: (record, event) => ({
      ...record,
      scopeViolations: event.paths.map(({ path, change }) => ({ path, change })),
      lastError: event.reason ?? describeViolations(event.paths),
    }),
  },
  cancelled: { to: () => 'cancelled', check: checkOptionalReason, apply: withLastError },
  usageLimit: {
    to: () => 'usage-limit',
    check: (event) => {
      if (!isText(event.detail)) return invalid('detail must be a non-empty string');
      if (event.resetAt !== undefined && event.resetAt !== null && !(isText(event.resetAt) && Number.isFinite(Date.parse(event.resetAt))))
        return invalid('resetAt must be an ISO 8601 time when given');
      return isOptionalText(event.agent ?? undefined) ? undefined : invalid('agent must be a non-empty string when given');
    },
    apply: (record, event) => ({
      ...record,
      usageLimit: { detail: event.detail, resetAt: event.resetAt ?? null, agent: event.agent ?? null },
      usageLimits: (record.usageLimits ?? 0) + 1,
      lastError: `usage limit: ${event.detail}`,
    }),
  },
  interrupted: { to: () => 'interrupted', check: checkOptionalReason, apply: withLastError },
  reattached: {
    to: () => 'running',
    from: ['interrupted'],
    check: (event, record) =>
      isText(event.startToken) && event.startToken === record.startToken ? undefined : invalid('startToken must be the interrupted attempt\'s own'),
    apply: (record) => ({ ...record, lastError: null, exitCode: null, signal: null, endedAt: null }),
  },
  blocked: {
    to: () => 'blocked',
    check: (event) =>
      Array.isArray(event.by) && event.by.length > 0 && event.by.every(isText)
        ? undefined
        : invalid('by must list at least one package id'),
    apply: (record, event) => ({ ...record, blockedBy: [...new Set(event.by)], lastError: null }),
  },
  reset: { to: () => 'pending', apply: clearOutcome },
  candidates: {
    annotates: ['queued'],
    check: (event) =>
      Array.isArray(event.agents) && event.agents.length >= 2 && event.agents.length <= MAX_CANDIDATES && event.agents.every(isText)
        ? undefined
        : invalid(`agents must list 2 … ${MAX_CANDIDATES} agent ids`),
    apply: (record, event) => ({ ...record, candidates: newSet(record, event.agents), chosen: null, ...(record.ranked ? { ranked: null } : {}) }),
  },
  chosen: {
    to: () => 'verifying',
    from: ['running'],
    check: greenChoice,
    apply: (record, event) => ({
      ...takeChosen(record, record.candidates!.find((x) => x.candidate === event.choice)!),
      chosen: { candidate: event.choice, why: event.why },
    }),
  },
  ranked: {
    annotates: ['running'],
    check: (event, record) => (record.chosen ? invalid('a candidate went on already') : greenChoice(event, record)),
    apply: (record, event) => ({ ...record, ranked: { candidate: event.choice, why: event.why } }),
  },
};

/** A choice of a set's candidate (`chosen`, `ranked`): one it has, green, with a reason. */
function greenChoice(event: { choice: number; why: string }, record: PackageRunRecord): Omit<RunStateError, 'packageId' | 'event'> | undefined {
  const c = candidateOf(record, event.choice);
  if (!c) return invalid(`it has no candidate ${String(event.choice)}`);
  if (!isText(event.why)) return invalid('why must be a non-empty string');
  return isGreen(c) ? undefined : { code: 'unverified', message: `candidate ${event.choice} is ${c.status}, not audited and verified green` };
}

type Moved = { ok: true; record: PackageRunRecord } | { ok: false; error: Omit<RunStateError, 'packageId' | 'event'> };

/** `record` (a package's, or a candidate's: `name` says which) moved by `event`'s rule; itself when an annotation changes nothing. */
function moveRecord(record: PackageRunRecord, event: RunEvent, rule: EventRule<RunEvent>, at: string, name: string): Moved {
  const from = record.status;
  const annotation = rule.annotates?.includes(from) ?? false;
  const to = annotation || !rule.to ? from : rule.to(event);
  if (!annotation && (!rule.to || !canTransition(from, to) || (rule.from !== undefined && !rule.from.includes(from)))) {
    return {
      ok: false,
      error: {
        code: 'illegal-transition',
        message: rule.to
          ? `${name} is ${from}; "${event.type}" would move it to ${to}, which is not allowed.`
          : `${name} is ${from}; "${event.type}" is only accepted while ${rule.annotates?.join(' or ')}.`,
        from,
        ...(rule.to ? { to } : {}),
      },
    };
  }
  const problem = rule.check?.(event, record);
  if (problem) return { ok: false, error: { ...problem, message: `${name}, "${event.type}": ${problem.message}.`, from, ...(to !== from ? { to } : {}) } };
  const next = rule.apply(record, event, at, to);
  if (annotation) return { ok: true, record: next };
  // A record that stops running no longer waits for a person.
  return { ok: true, record: { ...next, status: to, endedAt: isTerminal(to) ? at : next.endedAt, needsInput: null, phases: withMark(next, { at, phase: to, attempt: next.attempts }) } };
}

/**
 * A candidate's event: its record moved by the same rule as a package's. The set's first start
 * runs the package (its attempt counted once for the set); what a candidate spends, the package
 * spends. Anything else of the package is the engine's to say (`chosen`, or `failed` once none is left).
 */
function applyToCandidate(state: RunState, record: PackageRunRecord, event: RunEvent & { candidate: number }, rule: EventRule<RunEvent>, at: string): Moved {
  const k = event.candidate;
  if (!(CANDIDATE_EVENTS as readonly string[]).includes(event.type)) return { ok: false, error: invalid(`"${event.type}" is a package's event, not a candidate's`) };
  const list = record.candidates ?? [];
  const i = Number.isInteger(k) ? list.findIndex((c) => c.candidate === k) : -1;
  if (i < 0) return { ok: false, error: { code: 'unknown-package', message: `Package "${record.packageId}" has no candidate ${String(k)}.` } };
  const moved = moveRecord(list[i] as PackageRunRecord, event, rule, at, `Candidate ${k} of package "${record.packageId}"`);
  if (!moved.ok || moved.record === list[i]) return moved.ok ? { ok: true, record } : moved;
  let next: PackageRunRecord = { ...record, candidates: list.map((c, j) => (j === i ? (moved.record as CandidateRunRecord) : c)) };
  if (event.type === 'started' && record.status === 'queued') {
    // Until one is chosen, the package's tree and log are those of its first candidate to start; no runner is its own.
    const { worktree, logFile } = event;
    next = { ...clearOutcome(next), status: 'running', attempts: event.attempt, startedAt: at, worktree, logFile, phases: withMark(next, { at, phase: 'running', attempt: event.attempt }) };
    // What an earlier attempt said through the run's tools is not the set's: its candidates say their own.
    if (next.handoffs?.length || next.progress || next.asked || next.question) next = { ...next, handoffs: [], progress: null, asked: null, question: null };
  }
  if (event.type === 'exited' && isSpend(event.spend)) next = { ...next, spend: addSpend(record.spend, event.spend) };
  return { ok: true, record: next };
}

/**
 * Applies one event to one package's record. Returns the new state, or a typed error
 * (and no state) when the event is not allowed in the package's current status or is
 * malformed. An annotation that changes nothing (`needsInput` with the same reason,
 * `inputResumed` when not waiting) returns `state` itself. Never throws, never mutates `state`.
 */
export function applyEvent(state: RunState, event: RunEvent, now: Date): RunStateResult {
  const fail = (error: Omit<RunStateError, 'packageId' | 'event'>): RunStateResult => ({
    ok: false,
    error: { ...error, packageId: event?.packageId, event: event?.type },
  });
  const rule = RULES[event?.type] as EventRule<RunEvent> | undefined;
  if (!rule || !Object.hasOwn(RULES, event.type)) {
    return fail({ code: 'invalid-event', message: `Unknown run event type "${String(event?.type)}".` });
  }
  if (typeof event.packageId !== 'string' || !Object.hasOwn(state.packages, event.packageId)) {
    return fail({ code: 'unknown-package', message: `The run has no package "${String(event.packageId)}".` });
  }
  const at = timestamp(now);
  if (at === undefined) return fail({ code: 'invalid-event', message: `Invalid event time: ${String(now)}.` });

  const record = state.packages[event.packageId]!;
  const candidate = (event as { candidate?: unknown }).candidate;
  const moved =
    candidate !== undefined
      ? applyToCandidate(state, record, event as RunEvent & { candidate: number }, rule, at)
      : moveRecord(record, event, rule, at, `Package "${event.packageId}"`);
  if (!moved.ok) return fail(moved.error);
  return moved.record === record ? { ok: true, state } : { ok: true, state: withRecord(state, endChosen(moved.record, at), at) };
}

/** A package that ends with a chosen candidate (best of n): that candidate ends with it, as it did. */
function endChosen(record: PackageRunRecord, at: string): PackageRunRecord {
  const k = record.chosen?.candidate;
  if (k === undefined || !isTerminal(record.status)) return record;
  const candidates = record.candidates?.map((c) =>
    c.candidate === k && !isTerminal(c.status) ? { ...c, status: record.status, endedAt: at, lastError: record.lastError, phases: withMark(c, { at, phase: record.status, attempt: c.attempts }) } : c,
  );
  return candidates ? { ...record, candidates } : record;
}
