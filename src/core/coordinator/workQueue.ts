/**
 * Pull workers (ADR 0037): what the work queue on the coordinator holds and decides, without the
 * database — a queued package, a worker, which worker may claim which package, and rows read
 * back from the database checked before anything trusts them. Pure.
 */

/** A lease by default: a dead worker's package is claimable again within this (ADR 0037). */
export const DEFAULT_QUEUE_LEASE_MS = 120_000;
/** Claims of one package before it is a dead letter. */
export const DEFAULT_QUEUE_TRIES = 3;
/** The most characters a reason (a release's, a dead letter's) keeps. */
export const MAX_QUEUE_REASON_CHARS = 500;

export const QUEUE_STATES = ['ready', 'claimed', 'done', 'dead'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** A package as the driver puts it on the queue. */
export interface QueuedPackage {
  featureId: string;
  runId: string;
  packageId: string;
  /** The run's attempt of the package (a retry is queued again as the next). */
  attempt: number;
  /** The agent it runs (a preset's or a profile's id): only a worker offering it may claim it. */
  agent: string;
  /** What the machine must have (`gpu`, `macos`): each among the worker's labels. */
  labels: readonly string[];
  /** The plan file, relative to the repository (`/`-separated). */
  planFile: string;
  /** The plan's hash (SHA-256 of its text): a worker that reads another plan at the base gives it back. */
  planHash: string;
  /** The branch on the shared remote whose tip is, or holds, the base (the run's integration branch). */
  baseRef: string;
  /** The commit its tree starts from. */
  baseSha: string;
  /** Claims before it is a dead letter; default `DEFAULT_QUEUE_TRIES`. */
  maxTries?: number;
  /** What the worker does (the prompt, its dependencies' records, the time limit). */
  order: WorkOrder;
}

/**
 * A package's work as the driver hands it to a worker: its prompt, whose paths are the worker's —
 * `PROMPT_PLACES` where the attempt's own go, `upstreamPlace(id)` where a dependency's record
 * goes — and those records' texts, which the worker writes beside its attempt.
 */
export interface WorkOrder {
  prompt: string;
  /** Each dependency's result record, by package id (absent: it wrote none). */
  upstream: Record<string, string>;
  /** The agent's time limit (ms); null: none. */
  timeoutMs: number | null;
  /**
   * The verification steps the worker runs after its agent, in its walls (absent or empty: none;
   * the driver verifies). Only commands of the plan the driver's person approved; the worker runs
   * one only when the plan at the base (whose hash it checks) gives it to this package.
   */
  verify?: VerifyStep[];
  /**
   * The driver answers the agent's calls of the run's `waves` tools (ADR 0036) relayed through the
   * queue: the worker gives its agent the MCP server, and the prompt names the tools. Absent: no.
   */
  talk?: boolean;
}

/** A verification step as a work order carries it. */
export interface VerifyStep {
  step: string;
  command: string;
}

/** A verification step's result as a worker reports it. */
export interface VerifiedStep {
  step: string;
  command: string;
  ok: boolean;
  detail: string;
}

/** The most verification steps an order may carry. */
const MAX_VERIFY_STEPS = 64;
const isVerifyStep = (v: unknown): v is VerifyStep => {
  const s = v as Partial<VerifyStep> | null;
  return !!s && typeof s === 'object' && typeof s.step === 'string' && s.step.length <= 200 && typeof s.command === 'string' && s.command.trim() !== '' && s.command.length <= 10_000;
};

/** The marks in an order's prompt for the paths only the worker knows. */
export const PROMPT_PLACES = { worktree: '{{waves:worktree}}', resultFile: '{{waves:resultFile}}', attemptDir: '{{waves:attemptDir}}', repoRoot: '{{waves:repoRoot}}' } as const;
/** The mark for dependency `id`'s record in an order's prompt. */
export const upstreamPlace = (id: string) => `{{waves:upstream:${id}}}`;
/** The most an order's prompt, or a record carried, may hold (characters). */
export const MAX_ORDER_CHARS = 1_000_000;

/** What is wrong with a work order; [] when nothing. */
export function orderProblems(order: unknown): string[] {
  if (!order || typeof order !== 'object' || Array.isArray(order)) return ['order must be {prompt, upstream, timeoutMs}'];
  const o = order as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o.prompt !== 'string' || o.prompt.trim() === '' || o.prompt.length > MAX_ORDER_CHARS) problems.push(`order.prompt must be a text of at most ${MAX_ORDER_CHARS} characters`);
  const up = o.upstream;
  if (!up || typeof up !== 'object' || Array.isArray(up) || !Object.entries(up).every(([id, text]) => isQueueName(id) && typeof text === 'string' && text.length <= MAX_ORDER_CHARS)) problems.push('order.upstream must map package ids to record texts');
  if (o.timeoutMs !== null && !(Number.isSafeInteger(o.timeoutMs) && (o.timeoutMs as number) > 0)) problems.push('order.timeoutMs must be a positive whole number or null');
  if (o.talk !== undefined && typeof o.talk !== 'boolean') problems.push('order.talk must be true or false');
  if (o.verify !== undefined && !(Array.isArray(o.verify) && o.verify.length <= MAX_VERIFY_STEPS && o.verify.every(isVerifyStep))) problems.push(`order.verify must be a list of at most ${MAX_VERIFY_STEPS} steps {step, command}`);
  return problems;
}

/** The order's prompt with the worker's paths in place of its marks (each mark replaced wherever it stands, nothing else). */
export function promptFor(order: Pick<WorkOrder, 'prompt'>, places: { worktree: string; resultFile: string; attemptDir: string; repoRoot?: string; upstream: Readonly<Record<string, string>> }): string {
  const marks = new Map<string, string>([
    [PROMPT_PLACES.worktree, places.worktree],
    [PROMPT_PLACES.resultFile, places.resultFile],
    [PROMPT_PLACES.attemptDir, places.attemptDir],
    ...(places.repoRoot !== undefined ? [[PROMPT_PLACES.repoRoot, places.repoRoot] as [string, string]] : []),
    ...Object.entries(places.upstream).map(([id, file]) => [upstreamPlace(id), file] as [string, string]),
  ]);
  return order.prompt.replace(/\{\{waves:[^{}]*\}\}/g, (mark) => marks.get(mark) ?? mark);
}

/** A queued package as the queue has it now. */
export interface QueueItem extends Required<QueuedPackage> {
  state: QueueState;
  /** The worker holding (or that last held) it. */
  worker: string | null;
  /** Raised at every claim: a heartbeat, release or report names it, and only the current one counts. */
  fence: number;
  tries: number;
  /** Why it was last given back, or why it is dead. */
  reason: string | null;
  /** What its worker reported (`done`). */
  report: WorkReport | null;
}

/** What a worker reports for a package it ran: the branch it pushed and its head, its exit. */
export interface WorkReport {
  branch: string;
  headSha: string;
  exitCode: number | null;
  /** One line for a person. */
  detail: string;
  /** The agent's result record as it wrote it (null: none), for the driver to judge as any attempt's. */
  result: string | null;
  /** The order's verification steps as the worker ran them on its commit (absent: it ran none). */
  verification?: VerifiedStep[];
}

/** A worker as it says itself. */
export interface WorkerInfo {
  name: string;
  /** Its machine (host name), for a person. */
  machine: string;
  /** The agents it can run (ids). */
  agents: readonly string[];
  labels: readonly string[];
  /** Packages it runs at once. */
  slots: number;
  /** It takes nothing new (drained by a person). */
  draining: boolean;
}

/** Why `worker` may not claim `item`, in words; null when it may. */
export function placementProblem(item: Pick<QueuedPackage, 'agent' | 'labels'>, worker: Pick<WorkerInfo, 'name' | 'agents' | 'labels' | 'draining'>): string | null {
  if (worker.draining) return `${worker.name} is draining: it takes nothing new`;
  if (!worker.agents.includes(item.agent)) return `${worker.name} does not run ${item.agent} (it runs ${worker.agents.length ? worker.agents.join(', ') : 'no agent'})`;
  const missing = item.labels.filter((l) => !worker.labels.includes(l));
  return missing.length ? `${worker.name} lacks ${missing.join(', ')}` : null;
}

/** A worker's name, an agent's id or a label as the queue keeps it: a few safe characters, nothing a shell or a path reads otherwise. */
export function isQueueName(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(value);
}

/** A repository-relative file path of plain segments (no `..`, not absolute, no option). */
function isRelativeFile(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 500 && /^[A-Za-z0-9_.][A-Za-z0-9_. @+-]*(\/[A-Za-z0-9_.][A-Za-z0-9_. @+-]*)*$/.test(value) && !value.split('/').some((seg) => seg === '..' || seg === '.');
}

/** A branch name as git takes it and nothing else reads as an option or a range. */
export function isBranchName(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/.test(value) && !value.includes('..') && !value.includes('//') && !value.endsWith('/') && !value.endsWith('.lock');
}

/** What is wrong with a package put on the queue; [] when nothing. */
export function queuedProblems(p: QueuedPackage): string[] {
  const problems: string[] = [];
  for (const [field, value] of [['featureId', p.featureId], ['runId', p.runId], ['packageId', p.packageId], ['agent', p.agent]] as const) {
    if (!isQueueName(value)) problems.push(`${field} must be a name of letters, digits and ._:@- (at most 128)`);
  }
  if (!(Number.isSafeInteger(p.attempt) && p.attempt >= 1)) problems.push('attempt must be a whole number from 1');
  if (!Array.isArray(p.labels) || !p.labels.every(isQueueName)) problems.push('labels must be names of letters, digits and ._:@-');
  if (!isRelativeFile(p.planFile)) problems.push('planFile must be a path inside the repository');
  if (typeof p.planHash !== 'string' || !/^[0-9a-f]{64}$/.test(p.planHash)) problems.push('planHash must be a SHA-256 in hex');
  if (!isBranchName(p.baseRef)) problems.push('baseRef must be a branch name');
  if (typeof p.baseSha !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(p.baseSha)) problems.push('baseSha must be a full commit id');
  if (p.maxTries !== undefined && !(Number.isSafeInteger(p.maxTries) && p.maxTries >= 1 && p.maxTries <= 100)) problems.push('maxTries must be 1 … 100');
  problems.push(...orderProblems(p.order));
  return problems;
}

/** A reason as the queue keeps it: one line, at most `MAX_QUEUE_REASON_CHARS`. */
export function queueReason(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim() || 'no reason given';
  return line.length > MAX_QUEUE_REASON_CHARS ? `${line.slice(0, MAX_QUEUE_REASON_CHARS - 1)}…` : line;
}

/** A report read back from the database, or null when it is not one (a row written by anything else is not trusted). */
export function parseReport(raw: unknown): WorkReport | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  if (!isBranchName(o.branch)) return null;
  if (typeof o.headSha !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(o.headSha)) return null;
  if (o.exitCode !== null && !Number.isSafeInteger(o.exitCode)) return null;
  const result = typeof o.result === 'string' && o.result.length <= MAX_ORDER_CHARS ? o.result : null;
  const verified = Array.isArray(o.verification) && o.verification.length <= MAX_VERIFY_STEPS && o.verification.every((v) => isVerifyStep(v) && typeof (v as VerifiedStep).ok === 'boolean' && typeof (v as VerifiedStep).detail === 'string')
    ? (o.verification as VerifiedStep[]).map((v) => ({ step: v.step, command: v.command, ok: v.ok, detail: queueReason(v.detail) }))
    : undefined;
  return { branch: o.branch, headSha: o.headSha, exitCode: o.exitCode as number | null, detail: typeof o.detail === 'string' ? queueReason(o.detail) : '', result, ...(verified ? { verification: verified } : {}) };
}

/**
 * Whether a worker's push may be merged (ADR 0037, "Fencing at the merge"): the item is `done`
 * by the fence of the report the driver read, and names the same branch and head. Else why not.
 */
export function mergeableReport(item: Pick<QueueItem, 'state' | 'fence' | 'report' | 'packageId'>, read: { fence: number; report: WorkReport }): { ok: true } | { ok: false; reason: string } {
  if (item.state !== 'done') return { ok: false, reason: `${item.packageId} is ${item.state} on the queue, not done` };
  if (item.fence !== read.fence) return { ok: false, reason: `${item.packageId}'s report was made under claim ${read.fence}; the queue's claim is ${item.fence}: a worker that lost its lease` };
  if (!item.report || item.report.branch !== read.report.branch || item.report.headSha !== read.report.headSha) return { ok: false, reason: `${item.packageId}'s report on the queue is not the one read` };
  return { ok: true };
}
