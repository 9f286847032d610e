/**
 * A package's facts in a run, from one place: what `waves status` shows (its table and lines,
 * and all of them in `--json`), what `waves review` lists of a package, and the run report's
 * per-package part (runReport.ts) are all read from `packageFacts`, so no front end can say
 * another thing of the same package (a revision one shows and another does not have).
 *
 * - `packageFacts(state, id)`: the facts of a package in the run state, for every reader (the
 *   types are narrow on purpose: the report reads records of every state version).
 * - `statusPackageLines`: `waves status`'s package table and the lines under it (what the walls
 *   refused, the review and follow-ups), from the facts alone — which is what `--json` carries.
 * - `reviewHeadline`: `waves review`'s line of a package.
 *
 * Pure: no I/O, no clock (`elapsedMs` takes `now`).
 */
import { SHOWN_FIELDS, type FollowUp, type PackageRunRecord, type ShownField } from '../run/runState';
import { pick } from '../util/pick';
import type { Spend } from '../run/spend';
import { settingUpSince } from '../run/runStateReducer';
import { awaitingPick, isGreen } from '../run/candidates';
import { shellQuote } from '../util/shellQuote';
import { refusedLine } from './runStatusText';
import { pickPassedText } from './progressModel';
import { fit, formatElapsed, sanitize, truncate } from './terminalText';

/** The record fields the facts are read from: those of every state version (the status as text), the rest where the record has them. */
export interface FactsRecord
  extends Pick<PackageRunRecord, Exclude<ShownField, 'status'>>,
    Partial<
      Pick<
        PackageRunRecord,
        | 'signal' | 'needsInput' | 'usageLimit' | 'question' | 'spend' | 'refused' | 'refusedRegistries' | 'blockedBy' | 'branch' | 'worktree' | 'host'
        | 'scopeViolations' | 'changedFiles' | 'resultFile' | 'revisions' | 'followUps' | 'followUp' | 'phases' | 'chosen' | 'ranked' | 'progress' | 'handoffs' | 'granted'
      >
    > {
  status: string;
  /** Best of n: its last set (with what `isGreen` reads of each, where the record has it). */
  candidates?: readonly (Omit<FactsRecord, 'candidates' | 'chosen' | 'ranked'> & { candidate: number; agent: string; headSha?: string | null; verification?: readonly { step: string; ok: boolean }[] })[];
}

/** One candidate of a package (best of n): how its attempt went. */
export interface CandidateFacts {
  candidate: number;
  agent: string;
  status: string;
  branch: string | null;
  durationMs: number | null;
  exitCode: number | null;
  lastError: string | null;
  spend: Spend | null;
  changedFiles: number;
  /** It went on as the package's attempt. */
  chosen: boolean;
  /** Audited and verified, nothing outside its scope (`isGreen`): it may go on. */
  green: boolean;
  /** The judge ranked it first and the pick is the person's (`confirm`): the judge's reason; else null. */
  ranked: string | null;
  /** The host it ran on (a run over hosts); null: this machine without a hosts list. */
  host: string | null;
}

/** The run-state parts the facts are read from: the package's record, its merge, the integration guard's blame. */
export interface FactsState {
  packages: Record<string, FactsRecord>;
  merges?: Record<string, { status: string }>;
  integration?: { guard?: { blamed?: { packageId: string; command: string; tip: string; at: string } | null } } | null;
}

/** What a package's next attempt is asked to address, in short (the comments' words and the check's output stay in the state). */
export type PendingFollowUp =
  | { kind: 'review'; at: string; from: 'branch' | 'integration'; commit: string | null; comments: number }
  | { kind: 'integration'; at: string; check: string; tip: string; met: string[] };

/** A package's facts: the record's own fields (unset: null, empty or 0), and what is read from it and the run. */
export interface PackageFacts
  extends Pick<FactsRecord, ShownField>,
    Required<
      Pick<
        PackageRunRecord,
        | 'signal'
        | 'needsInput'
        | 'usageLimit'
        | 'question'
        | 'spend'
        | 'refused'
        | 'refusedRegistries'
        | 'blockedBy'
        | 'branch'
        | 'worktree'
        | 'host'
        | 'resultFile'
        | 'revisions'
        | 'progress'
        | 'handoffs'
      >
    > {
  id: string;
  /** Write scope the person granted its agents at run time (`request_scope`, ADR 0036): the paths, in the order granted. */
  granted: string[];
  /** Start → end of the last attempt, when both are known (the report's duration). */
  durationMs: number | null;
  /** Queued, its new tree's set-up command under way since then (ISO 8601); null: not. */
  settingUpSince: string | null;
  /** Its merge's status; null: not merged nor tried. */
  merge: string | null;
  /** Files changed outside its write scope. */
  violations: { path: string; change: string }[];
  /** The audit's list of the files its last attempt changed. */
  changedFiles: { path: string; change: string }[];
  /** Every follow-up it was sent (review comments; a broken integration check), oldest first. */
  followUps: { kind: string; at: string; attempt: number }[];
  /** What its next attempt is asked to address; null: nothing. */
  followUp: PendingFollowUp | null;
  /** The integration guard holds its merge to blame for the red integration branch: the check and the red tip; null: not blamed. */
  blamed: { command: string; tip: string; at: string } | null;
  /** Best of n: its last set's candidates, and why the one that went on was chosen; [] and null without. */
  candidates: CandidateFacts[];
  chosenWhy: string | null;
  /** Best of n (`pick: person`, or a judge's first to confirm): every candidate has ended or is green, none chosen — it waits for the person's pick of a green one (`awaitingPick`). Its status stays `running`. */
  awaitingPick: boolean;
}

function time(iso: string | null | undefined): number | null {
  if (typeof iso !== 'string') return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

const own = <T>(obj: Record<string, T> | undefined, key: string): T | undefined => (obj && Object.hasOwn(obj, key) ? obj[key] : undefined);

/** A package's facts in the run state; a RangeError when the state has no such package (a caller's mistake). */
export function packageFacts(state: FactsState, id: string): PackageFacts {
  const record = own(state.packages, id);
  if (!record) throw new RangeError(`The run has no package ${id}`);
  const blame = state.integration?.guard?.blamed;
  return {
    id,
    ...pick(record, SHOWN_FIELDS),
    durationMs: durationOf(record.startedAt, record.endedAt),
    signal: record.signal ?? null,
    needsInput: record.needsInput ?? null,
    settingUpSince: settingUpSince(record),
    usageLimit: record.usageLimit ?? null,
    question: record.question ?? null,
    progress: record.progress ?? null,
    handoffs: [...(record.handoffs ?? [])],
    granted: (record.granted ?? []).flatMap((g) => g.paths),
    spend: record.spend ?? null,
    refused: [...(record.refused ?? [])],
    refusedRegistries: [...(record.refusedRegistries ?? [])],
    blockedBy: [...(record.blockedBy ?? [])],
    merge: own(state.merges, id)?.status ?? null,
    branch: record.branch ?? null,
    worktree: record.worktree ?? null,
    host: record.host ?? null,
    violations: (record.scopeViolations ?? []).map((v) => ({ path: v.path, change: v.change })),
    changedFiles: (record.changedFiles ?? []).map((v) => ({ path: v.path, change: v.change })),
    resultFile: record.resultFile ?? null,
    revisions: record.revisions ?? 0,
    followUps: (record.followUps ?? []).map((f) => ({ kind: f.kind, at: f.at, attempt: f.attempt })),
    followUp: pendingFollowUp(record.followUp ?? null),
    blamed: blame && blame.packageId === id ? { command: blame.command, tip: blame.tip, at: blame.at } : null,
    candidates: (record.candidates ?? []).map((c) => ({
      candidate: c.candidate,
      agent: c.agent,
      status: c.status,
      branch: c.branch ?? null,
      // A green candidate waiting for the pick has not ended: its time is to its last step (its verification).
      durationMs: durationOf(c.startedAt, c.endedAt ?? (Array.isArray(c.phases) ? (c.phases.at(-1)?.at ?? null) : null)),
      exitCode: c.exitCode,
      lastError: c.lastError,
      spend: c.spend ?? null,
      changedFiles: (c.changedFiles ?? []).length,
      chosen: record.chosen?.candidate === c.candidate,
      green: isGreen(c),
      ranked: record.ranked?.candidate === c.candidate ? record.ranked.why : null,
      host: c.host ?? null,
    })),
    chosenWhy: record.chosen?.why ?? null,
    awaitingPick: awaitingPick(record),
  };
}

function durationOf(startedAt: string | null, endedAt: string | null): number | null {
  const start = time(startedAt);
  const end = time(endedAt);
  return start !== null && end !== null && end >= start ? end - start : null;
}

/** A package's candidates, a line each: `a: candidate 2 (codex) cancelled: …`, the one that went on marked with why. */
export function candidateLines(p: Pick<PackageFacts, 'id' | 'candidates' | 'chosenWhy'>): string[] {
  return p.candidates.map((c) => {
    const went = c.chosen ? ` — went on: ${p.chosenWhy ?? 'chosen'}` : c.ranked ? ` — the judge's first: ${c.ranked}` : '';
    const took = c.durationMs === null ? '' : ` in ${formatElapsed(c.durationMs)}`;
    return `${p.id}: candidate ${c.candidate} (${c.agent}${c.host ? ` on ${c.host}` : ''}) ${c.status}${took}${c.lastError && !c.chosen ? `: ${c.lastError}` : ''}${went}`;
  });
}

/** What passed of a package awaiting its pick, from its facts (`pickPassedText`'s words). */
function passedOf(p: Pick<PackageFacts, 'candidates'>): string {
  const ranked = p.candidates.find((c) => c.ranked !== null);
  return pickPassedText(
    p.candidates.filter((c) => c.green),
    ranked ? { candidate: ranked.candidate, why: ranked.ranked! } : null,
  );
}

/**
 * A package awaiting the person's pick in one line, with the command that picks (the judge's first,
 * else the first green one; the others named): `a awaits your pick: candidates 1 (codex), 2 (gemini)
 * passed audit and verification. Pick one: waves pick work-packages.yaml a 1 (or 2)`. '' when it
 * awaits none. `plan`: the plan as the person named it.
 */
export function pickWaitLine(p: Pick<PackageFacts, 'id' | 'candidates' | 'awaitingPick'>, plan: string): string {
  if (!p.awaitingPick) return '';
  const green = p.candidates.filter((c) => c.green).map((c) => c.candidate);
  const first = p.candidates.find((c) => c.green && c.ranked !== null)?.candidate ?? green[0]!;
  const others = green.filter((k) => k !== first);
  const command = ['waves', 'pick', plan, p.id, String(first)].map(shellQuote).join(' ');
  return `${p.id} awaits your pick: ${passedOf(p)}. Pick ${green.length === 1 ? 'it' : 'one'}: ${command}${others.length ? ` (or ${others.join(', ')})` : ''}`;
}

function pendingFollowUp(f: FollowUp | null): PendingFollowUp | null {
  if (!f) return null;
  if (f.kind === 'review') return { kind: 'review', at: f.at, from: f.from, commit: f.commit, comments: f.comments.length };
  return { kind: 'integration', at: f.at, check: f.check, tip: f.tip, met: f.met.map((m) => m.packageId) };
}

/** How long a package has run: its last attempt's start to its end, or to `now` while it goes on. */
export function elapsedMs(facts: Pick<PackageFacts, 'startedAt' | 'endedAt'>, now: number): number | null {
  const start = time(facts.startedAt);
  if (start === null) return null;
  const end = facts.endedAt ? time(facts.endedAt) : now;
  return end === null ? null : Math.max(0, end - start);
}

// ---------------------------------------------------------------------------------------
// Words

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * A package's review and follow-ups in words ('' when none): its revisions, its open review
 * comments (`openComments`, from the review threads), the integration failures it was sent, and
 * what its next attempt addresses.
 */
export function followUpText(facts: Pick<PackageFacts, 'revisions' | 'followUps' | 'followUp'>, openComments = 0): string {
  const parts: string[] = [];
  if (facts.revisions) parts.push(plural(facts.revisions, 'revision'));
  if (openComments) parts.push(plural(openComments, 'open comment'));
  const broke = facts.followUps.filter((f) => f.kind === 'integration');
  if (broke.length) parts.push(`sent ${broke.length === 1 ? 'the failure of an integration check it broke (attempt' : `the failures of ${broke.length} integration checks it broke (attempts`} ${broke.map((f) => f.attempt).join(', ')})`);
  const next = facts.followUp;
  if (next?.kind === 'review') parts.push(`its next attempt addresses ${plural(next.comments, 'review comment')} (from its ${next.from === 'branch' ? 'branch' : 'integration tip'})`);
  else if (next?.kind === 'integration') parts.push(`its next attempt addresses the integration check it broke: ${next.check}`);
  return parts.join('; ');
}

/** `waves review`'s line of a package: `wp-a  succeeded, 1 revision, 2 open comments`. */
export function reviewHeadline(facts: Pick<PackageFacts, 'id' | 'status' | 'revisions'>, openComments: number): string {
  return `${facts.id}  ${facts.status}${facts.revisions ? `, ${plural(facts.revisions, 'revision')}` : ''}${openComments ? `, ${plural(openComments, 'open comment')}` : ''}`;
}

/** A package as `waves status` shows it: its facts, its wave, how long it ran, its open review comments. */
export interface StatusPackage extends PackageFacts {
  wave: number | null;
  elapsedMs: number | null;
  /** Open review threads of the package; null when the review threads cannot be read. */
  openComments: number | null;
  /** A plan of plans (ADR 0035): the parent it runs under, by its id in the run, and how deep (0: the top plan's). */
  parent?: string;
  depth?: number;
}

/**
 * `waves status`'s package table (ID, WAVE, STATUS, TRY, ELAPSED, EXIT, MERGE, DETAIL — the
 * host, what it waits for or why it stopped), then each package's candidates, a line for each
 * awaiting the person's pick with the command that picks (given `plan`, the plan as the person
 * named it), for each whose walls refused something and for each with a review or follow-ups.
 * `width`: the terminal's columns (Infinity: not a terminal, nothing cut). Every word comes from
 * the packages given.
 */
export function statusPackageLines(packages: readonly StatusPackage[], width: number, plan?: string): string[] {
  // A plan of plans: each package below its parent, indented by its depth.
  const shownId = (p: StatusPackage) => `${'  '.repeat(p.depth ?? 0)}${p.id}`;
  const idWidth = Math.min(40, Math.max(2, ...packages.map((p) => shownId(p).length)));
  const row = (cells: string[], widths: number[], rest: string) => {
    const text = cells.map((c, i) => fit(c, widths[i]!, i === 0 || i === 2 || i === 6 ? 'left' : 'right')).join('  ') + '  ' + rest;
    return (width === Infinity ? sanitize(text) : truncate(text, width)).trimEnd();
  };
  const widths = [idWidth, 4, 15, 3, 7, 6, 8];
  const lines = [row(['ID', 'WAVE', 'STATUS', 'TRY', 'ELAPSED', 'EXIT', 'MERGE'], widths, 'DETAIL')];
  for (const p of packages) {
    const why = p.needsInput
      ? `needs input since ${p.needsInput.since}: ${p.needsInput.reason}`
      : p.settingUpSince
        ? `its worktree's set-up command runs since ${p.settingUpSince}`
        : p.awaitingPick
          ? `awaiting your pick: ${passedOf(p)}`
          : p.blockedBy.length
            ? `blocked by ${p.blockedBy.join(', ')}`
            : p.status === 'running' && p.progress
              ? progressText(p.progress)
              : (p.lastError ?? '');
    // Where it runs, when the run is over hosts.
    const detail = p.host ? `on ${p.host}${why ? ` · ${why}` : ''}` : why;
    const exit = p.signal ?? (p.exitCode === null ? '' : String(p.exitCode));
    const status = p.needsInput ? 'needs-input' : p.settingUpSince ? 'setting-up' : p.awaitingPick ? 'awaiting-pick' : p.status;
    lines.push(
      row(
        [shownId(p), p.wave === null ? '–' : String(p.wave), status, p.attempts ? String(p.attempts) : '', p.elapsedMs === null ? '' : formatElapsed(p.elapsedMs), exit, p.merge ?? ''],
        widths,
        detail,
      ),
    );
  }
  // Best of n: each package's candidates, and which went on.
  for (const p of packages) lines.push(...candidateLines(p));
  // Best of n: who waits for the person's pick, and the command that picks.
  if (plan !== undefined) for (const p of packages) if (p.awaitingPick) lines.push(pickWaitLine(p, plan));
  // What the walls refused each package's last attempt.
  for (const p of packages) if (p.refused.length) lines.push(`${p.id}: ${refusedLine(p.refused, undefined, p.refusedRegistries)}`);
  // The notes its agent left its dependents (agents talk back, ADR 0036).
  for (const p of packages) if (p.handoffs.length) lines.push(`${p.id}: ${handoffLine(p.handoffs)}`);
  // The write scope the person granted its agents at run time.
  for (const p of packages) if (p.granted.length) lines.push(`${p.id}: ${grantedLine(p.granted)}`);
  // Its review and follow-ups: what `waves review` and the report say of it too.
  for (const p of packages) {
    const text = followUpText(p, p.openComments ?? 0);
    if (text) lines.push(`${p.id}: ${text}`);
  }
  return lines;
}

/** A running package's progress as its agent said it: `40 % · writing the tests`. */
export function progressText(progress: { fraction: number; message: string }): string {
  return `${Math.round(progress.fraction * 100)} % · ${progress.message}`;
}

/** `1 note for its dependents: "the endpoint is /v2/users"` (the first one, on one line). */
export function handoffLine(handoffs: readonly string[]): string {
  const first = handoffs[0]!.replace(/\s+/g, ' ').trim();
  const shown = first.length > 120 ? `${first.slice(0, 119)}…` : first;
  return `${handoffs.length === 1 ? '1 note' : `${handoffs.length} notes`} for its dependents: "${shown}"${handoffs.length > 1 ? ' …' : ''}`;
}

/** `granted at run time: docs/api.md, docs/faq.md` (what its audit and merge allow beyond its plan's scope). */
export function grantedLine(granted: readonly string[]): string {
  return `granted at run time: ${granted.join(', ')}`;
}
