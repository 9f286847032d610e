/**
 * The run timeline's model: from each package's phase marks (`PackageRunRecord.phases`,
 * written by the reducer) its attempts as bars split into segments — queued, waiting (for a
 * lock, a host, a usage limit, the person), running, verifying, merging —; the rows grouped by
 * wave; the critical path by time at work; the slots held over time against the cap. The DAG
 * panel's timeline, `waves report`'s Gantt and the exported SVG all draw this one model
 * (`timelineSvg.ts`, `timelineGantt.ts`). Pure: no clock (the caller passes `now`), and input
 * read from files or messages is checked here, never trusted — a bad mark is skipped.
 */
import type { PlanAnalysis } from '../plan/analyze';
import { criticalPath } from '../run/runTime';
import { isActive, isPackageStatus, WAIT_REASONS, type PackageStatus, type Phase, type PhaseMark, type RunState, type WaitReason } from '../run/runState';

export const SEGMENT_KINDS = ['queued', 'waiting', 'setting-up', 'running', 'verifying', 'merging'] as const;
export type SegmentKind = (typeof SEGMENT_KINDS)[number];

/** A stretch of one attempt (ms since the epoch; `end` null: still going). */
export interface Segment {
  kind: SegmentKind;
  /** `waiting`: what for. */
  for?: WaitReason;
  start: number;
  end: number | null;
  /** Whether the package held one of the run's slots (queued for its start, or at work): the cap counts these. */
  slot: boolean;
}

/** One attempt of a package: its segments, and how it ended. */
export interface Bar {
  /** The attempt number (1 the first; a start that failed before its agent ran keeps the number of the next). */
  attempt: number;
  /** `retry`: after an attempt that did not succeed; `revision`: after one that did (the person asked again). */
  kind: 'first' | 'retry' | 'revision';
  segments: Segment[];
  /** The status it ended in (`succeeded`, `failed`, `usage-limit`…), null while it goes on or when unknown. */
  outcome: PackageStatus | null;
}

/** Marks read into bars; the ends of the last segment may be open. */
export function barsOf(marks: unknown): Bar[] {
  const bars: Bar[] = [];
  let open = null as Segment | null;
  let bar = null as Bar | null;
  let last = -Infinity;
  for (const mark of Array.isArray(marks) ? marks : []) {
    const m = readMark(mark);
    if (!m) continue;
    const at = Math.max(last, m.at);
    last = at;
    if (open) open.end = at;
    open = null;
    const shape = segmentOf(m);
    if (!shape) {
      if (bar && isPackageStatus(m.phase) && OUTCOMES.has(m.phase)) bar.outcome = m.phase;
      continue;
    }
    // A usage limit ends its attempt and starts the wait for the next one.
    if (m.phase === 'usage-limit' && bar) bar.outcome = 'usage-limit';
    const attempt = shape.atWork ? m.attempt : m.attempt + 1;
    // The same attempt found again after an interruption (its runner alive) goes on in its bar.
    if (bar && bar.attempt === attempt && bar.outcome === 'interrupted' && shape.atWork) bar.outcome = null;
    if (!bar || bar.attempt !== attempt || bar.outcome !== null) {
      // After a start that failed before its agent ran, the next try keeps the attempt number: a retry all the same.
      const before: Bar | null = bar;
      bar = { attempt, kind: !before ? 'first' : before.outcome === 'succeeded' ? 'revision' : 'retry', segments: [], outcome: null };
      bars.push(bar);
    }
    const previous = bar.segments.at(-1);
    if (previous && previous.kind === shape.kind && previous.for === shape.for && previous.end === at && previous.slot === shape.slot) {
      previous.end = null;
      open = previous;
      continue;
    }
    open = { kind: shape.kind, ...(shape.for ? { for: shape.for } : {}), start: at, end: null, slot: shape.slot };
    bar.segments.push(open);
  }
  // Moments (a status passed through at once) draw nothing.
  for (const b of bars) b.segments = b.segments.filter((x) => x.end === null || x.end > x.start);
  return bars.filter((b) => b.segments.length > 0);
}

const OUTCOMES: ReadonlySet<PackageStatus> = new Set(['succeeded', 'failed', 'blocked', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit']);
const PHASES: ReadonlySet<string> = new Set(['waiting', 'setting-up', 'merging']);

function readMark(raw: unknown): { at: number; phase: Phase; attempt: number; for?: WaitReason } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as Partial<Record<keyof PhaseMark, unknown>>;
  const at = typeof m.at === 'string' ? Date.parse(m.at) : NaN;
  if (!Number.isFinite(at)) return null;
  if (!(isPackageStatus(m.phase) || (typeof m.phase === 'string' && PHASES.has(m.phase)))) return null;
  const attempt = Number.isSafeInteger(m.attempt) && (m.attempt as number) >= 0 ? (m.attempt as number) : 0;
  const why = (WAIT_REASONS as readonly unknown[]).includes(m.for) ? (m.for as WaitReason) : undefined;
  return { at, phase: m.phase as Phase, attempt, ...(why ? { for: why } : {}) };
}

/** The segment a mark begins, or null for a gap (not yet ready, blocked, ended). */
function segmentOf(m: { phase: Phase; for?: WaitReason }): { kind: SegmentKind; for?: WaitReason; slot: boolean; atWork: boolean } | null {
  switch (m.phase) {
    case 'ready':
      return { kind: 'queued', slot: false, atWork: false };
    case 'queued':
      return { kind: 'queued', slot: true, atWork: false };
    case 'waiting':
      return m.for === 'person' ? { kind: 'waiting', for: 'person', slot: true, atWork: true } : { kind: 'waiting', for: m.for ?? 'lock', slot: false, atWork: false };
    case 'usage-limit':
      return { kind: 'waiting', for: 'usage-limit', slot: false, atWork: false };
    case 'awaiting-review':
      // The review gate: its work is done and its slot free; it waits for the person.
      return { kind: 'waiting', for: 'person', slot: false, atWork: false };
    case 'setting-up':
      // Its new tree's set-up command, before the attempt's agent starts (the mark carries the attempts before it).
      return { kind: 'setting-up', slot: true, atWork: false };
    case 'running':
    case 'verifying':
    case 'merging':
      return { kind: m.phase, slot: true, atWork: true };
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------
// The whole run

export interface TimelinePackage {
  id: string;
  /** 1-based wave, null when unplaced (a cycle) or not in the plan. */
  wave: number | null;
  dependsOn: readonly string[];
  /** The record's `phases` (anything: it is checked). */
  phases?: unknown;
  /** For a record without phases (an older build): its status and last attempt's times. */
  status?: string;
  startedAt?: string | null;
  endedAt?: string | null;
  attempts?: number;
  /** Best of n: a candidate's row, drawn beside the package it is a candidate of. */
  candidateOf?: string;
  /** Best of n: when the package's last set began (ms); from then on its candidates' rows hold the slots, not its own. */
  setSince?: number;
  /** A plan of plans (ADR 0035): the parent whose sub-plan's leaf this row is, drawn right below it. */
  within?: string;
}

export interface TimelineInput {
  packages: readonly TimelinePackage[];
  /** The run's cap (null: unknown; the curve is drawn against its peak). */
  cap: number | null;
  /** Ms since the epoch: now while the run is live, else the run's last change. Open segments end here. */
  now: number;
  /** The run goes on (a "now" line is drawn). */
  live: boolean;
}

export interface TimelineRow {
  id: string;
  /** Best of n: the package this row is a candidate of. */
  candidateOf?: string;
  /** A plan of plans: the parent whose sub-plan's leaf this row is. */
  within?: string;
  /** A parent of a plan of plans: from the first start below it to the last end (its join's included), null before anything started. */
  span?: { start: number; end: number } | null;
  wave: number | null;
  /** The bars with every end closed (open ones end at `now`). */
  bars: Bar[];
  /** A segment is still going (its end is `now`). */
  open: boolean;
  onCriticalPath: boolean;
  /** Time at work (running, verifying, merging, answering the person), all attempts. */
  workMs: number;
}

export interface TimelineWave {
  /** null: packages without a wave. */
  wave: number | null;
  /** Indexes into `rows`. */
  rows: number[];
}

export interface Timeline {
  /** The first segment's start, null when nothing happened yet. */
  start: number | null;
  /** The last segment's end (`now` while one is open), null when nothing happened yet. */
  end: number | null;
  now: number;
  live: boolean;
  cap: number | null;
  rows: TimelineRow[];
  waves: TimelineWave[];
  /** Slots held over time: from `t` on, `n` (steps; the last one lasts to `end`). */
  curve: { t: number; n: number }[];
  /** The most slots held at once. */
  peak: number;
  /** Slot-milliseconds the cap allowed but nothing used, between start and end (null without a cap or a span). */
  idleSlotMs: number | null;
  /** The chain of dependencies with the most time at work, first to last. */
  criticalPath: string[];
}

export function buildTimeline(input: TimelineInput): Timeline {
  const now = Number.isFinite(input.now) ? input.now : 0;
  const packages = (Array.isArray(input.packages) ? input.packages : []).filter((p) => p && typeof p.id === 'string');
  const order = packages
    .map((p, i) => ({ p, i }))
    .sort((a, b) => waveKey(a.p.wave) - waveKey(b.p.wave) || a.i - b.i)
    .map(({ p }) => p);
  let start: number | null = null;
  let end: number | null = null;
  const rows: TimelineRow[] = order.map((p) => {
    const bars = Array.isArray(p.phases) && p.phases.length > 0 ? barsOf(p.phases) : fallbackBars(p);
    // A set of candidates holds its slots in the candidates' rows (its time at work is still the package's).
    const since = typeof p.setSince === 'number' && Number.isFinite(p.setSince) ? p.setSince : Infinity;
    let open = false;
    let workMs = 0;
    for (const bar of bars) {
      for (const s of bar.segments) {
        if (s.end === null) {
          open = true;
          s.end = Math.max(s.start, now);
        }
        start = start === null ? s.start : Math.min(start, s.start);
        end = end === null ? s.end : Math.max(end, s.end);
        if (s.slot && s.kind !== 'queued') workMs += s.end - s.start;
        if (s.start >= since) s.slot = false;
      }
    }
    return {
      id: p.id,
      ...(typeof p.candidateOf === 'string' ? { candidateOf: p.candidateOf } : {}),
      ...(typeof p.within === 'string' ? { within: p.within } : {}),
      wave: validWave(p.wave),
      bars,
      open,
      onCriticalPath: false,
      workMs,
    };
  });
  spansOfParents(rows);
  const waves: TimelineWave[] = [];
  rows.forEach((row, i) => {
    const group = waves.at(-1);
    if (group && group.wave === row.wave) group.rows.push(i);
    else waves.push({ wave: row.wave, rows: [i] });
  });
  const { curve, peak } = slotCurve(rows);
  const cap = Number.isSafeInteger(input.cap) && (input.cap as number) >= 1 ? (input.cap as number) : null;
  const span = start !== null && end !== null ? end - start : null;
  const busy = curve.reduce((sum, step, k) => sum + step.n * ((curve[k + 1]?.t ?? end ?? step.t) - step.t), 0);
  // The chain is of the plan's own packages: a parent's time is its sub-plan's span, its leaves are not links.
  const work = new Map(rows.filter((r) => !r.candidateOf && !r.within).map((r) => [r.id, r.span ? r.span.end - r.span.start : r.workMs] as const).filter(([, ms]) => ms > 0));
  const chain = criticalPath(
    packages.filter((p) => typeof p.candidateOf !== 'string' && typeof p.within !== 'string').map((p) => ({ id: p.id, dependsOn: (Array.isArray(p.dependsOn) ? (p.dependsOn as readonly unknown[]) : []).filter((v): v is string => typeof v === "string").map((value) => ({ value })) })),
    work,
  ).chain;
  const onPath = new Set(chain);
  for (const row of rows) row.onCriticalPath = onPath.has(row.id);
  return {
    start,
    end,
    now,
    live: input.live === true,
    cap,
    rows,
    waves,
    curve,
    peak,
    idleSlotMs: cap !== null && span !== null ? Math.max(0, cap * span - busy) : null,
    criticalPath: chain,
  };
}

/** Each parent's span: its own bars and those of every row below it (`within`, at any depth), first start to last end. */
function spansOfParents(rows: TimelineRow[]): void {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const extent = (r: TimelineRow): { start: number; end: number } | null => {
    const times = r.bars.flatMap((b) => b.segments.flatMap((x) => [x.start, x.end ?? x.start]));
    return times.length ? { start: Math.min(...times), end: Math.max(...times) } : null;
  };
  const widen = (a: { start: number; end: number } | null, b: { start: number; end: number } | null) => (!a ? b : !b ? a : { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) });
  for (const row of rows) {
    const own = extent(row);
    const seen = new Set<TimelineRow>([row]);
    for (let up = row.within !== undefined ? byId.get(row.within) : undefined; up && !seen.has(up); up = up.within !== undefined ? byId.get(up.within) : undefined) {
      seen.add(up);
      up.span = widen(up.span === undefined ? extent(up) : up.span, own);
    }
  }
}

const validWave = (wave: unknown): number | null => (Number.isSafeInteger(wave) && (wave as number) >= 1 ? (wave as number) : null);
const waveKey = (wave: unknown) => validWave(wave) ?? Number.MAX_SAFE_INTEGER;

/** A record without phase marks (written by an older build): its last attempt as one running bar. */
function fallbackBars(p: TimelinePackage): Bar[] {
  const start = typeof p.startedAt === 'string' ? Date.parse(p.startedAt) : NaN;
  if (!Number.isFinite(start)) return [];
  const ended = typeof p.endedAt === 'string' ? Date.parse(p.endedAt) : NaN;
  const status = isPackageStatus(p.status) ? p.status : null;
  const going = status === 'running' || status === 'verifying';
  const end = going || !Number.isFinite(ended) ? null : Math.max(start, ended);
  const attempt = Number.isSafeInteger(p.attempts) && (p.attempts as number) >= 1 ? (p.attempts as number) : 1;
  return [
    {
      attempt,
      kind: attempt > 1 ? 'retry' : 'first',
      segments: [{ kind: status === 'verifying' ? 'verifying' : 'running', start, end: going || end !== null ? end : start, slot: true }],
      outcome: status && OUTCOMES.has(status) ? status : null,
    },
  ];
}

/** Slots held over time: +1 where a held stretch begins, −1 where it ends, summed per instant. */
function slotCurve(rows: readonly TimelineRow[]): { curve: { t: number; n: number }[]; peak: number } {
  const delta = new Map<number, number>();
  for (const row of rows) {
    for (const bar of row.bars) {
      for (const s of bar.segments) {
        if (!s.slot || s.end === null || s.end <= s.start) continue;
        delta.set(s.start, (delta.get(s.start) ?? 0) + 1);
        delta.set(s.end, (delta.get(s.end) ?? 0) - 1);
      }
    }
  }
  const curve: { t: number; n: number }[] = [];
  let n = 0;
  let peak = 0;
  for (const t of [...delta.keys()].sort((a, b) => a - b)) {
    n += delta.get(t)!;
    peak = Math.max(peak, n);
    if (curve.at(-1)?.n === n) continue;
    curve.push({ t, n });
  }
  return { curve, peak };
}

/**
 * The timeline's packages from a plan's analysis and a run state: the plan's in plan order, then
 * the run's others. `joins` (a plan of plans' parents → their children in the run, nestTree.ts):
 * each parent's sub-plan's packages right below it, in its wave, `within` it.
 */
export function timelinePackagesOf(analysis: Pick<PlanAnalysis, 'plan' | 'graph'> | undefined, state: Pick<RunState, 'packages'>, joins?: Readonly<Record<string, readonly string[]>>): TimelinePackage[] {
  const out: TimelinePackage[] = [];
  const seen = new Set<string>();
  const wave = new Map<string, number>();
  analysis?.graph.waves.forEach((ids, k) => ids.forEach((id) => wave.set(id, k + 1)));
  const records = state?.packages && typeof state.packages === 'object' ? state.packages : {};
  const add = (id: string, dependsOn: string[], within?: { parent: string; wave: number | null }) => {
    if (seen.has(id)) return;
    seen.add(id);
    if (within && within.wave !== null) wave.set(id, within.wave);
    const r = Object.hasOwn(records, id) ? records[id] : undefined;
    const set = Array.isArray(r?.candidates) ? r.candidates : [];
    const firsts = set.map((c) => Date.parse(Array.isArray(c?.phases) ? (c.phases[0]?.at ?? '') : '')).filter(Number.isFinite);
    out.push({
      id,
      wave: wave.get(id) ?? null,
      dependsOn,
      ...(r ? { phases: r.phases, status: r.status, startedAt: r.startedAt, endedAt: r.endedAt, attempts: r.attempts } : {}),
      ...(firsts.length ? { setSince: Math.min(...firsts) } : {}),
      ...(within ? { within: within.parent } : {}),
    });
    // Best of n: its candidates as sibling rows, right below it.
    for (const c of set) {
      // Candidate 1 works in the package's own tree: its row is named `<package>.c1` all the same.
      const row = Number.isSafeInteger(c?.candidate) ? `${id}.c${c.candidate}` : null;
      if (!row || seen.has(row)) continue;
      seen.add(row);
      out.push({ id: row, candidateOf: id, wave: wave.get(id) ?? null, dependsOn: [], phases: c.phases, status: c.status, startedAt: c.startedAt, endedAt: c.endedAt, attempts: c.attempts });
    }
    // A parent's children below it (theirs below each of them), in its wave.
    const children = joins && Object.hasOwn(joins, id) ? joins[id]! : [];
    for (const child of children) add(child, [], { parent: id, wave: wave.get(id) ?? null });
  };
  for (const p of analysis?.plan.packages ?? []) if (p.id) add(p.id, p.dependsOn.map((d) => d.value));
  for (const id of Object.keys(records)) add(id, []);
  return out;
}

/**
 * A run's timeline: live while a package holds a slot (open segments end at `clock`, a "now"
 * line), else ended at the run's last change.
 */
export function timelineOfRun(
  analysis: Pick<PlanAnalysis, 'plan' | 'graph'> | undefined,
  state: Pick<RunState, 'packages' | 'updatedAt' | 'maxParallel'>,
  clock: number,
  joins?: Readonly<Record<string, readonly string[]>>,
): Timeline {
  const records = state?.packages && typeof state.packages === 'object' ? Object.values(state.packages) : [];
  const live = records.some((r) => r && isActive(r.status));
  const ended = Date.parse(state?.updatedAt);
  return buildTimeline({
    packages: timelinePackagesOf(analysis, state, joins),
    cap: state?.maxParallel ?? null,
    now: live || !Number.isFinite(ended) ? clock : ended,
    live,
  });
}

/** What a segment is, for a person: `waiting for a lock`, `running`. */
export function segmentLabel(s: Pick<Segment, 'kind' | 'for'>): string {
  if (s.kind === 'setting-up') return 'setting up its worktree';
  if (s.kind !== 'waiting') return s.kind;
  return WAIT_LABEL[s.for ?? 'lock'];
}

const WAIT_LABEL: Record<WaitReason, string> = {
  lock: 'waiting for a lock',
  host: 'waiting for a host',
  'usage-limit': 'waiting for a usage limit to reset',
  person: 'waiting for you',
};

/** An attempt, for a person: `attempt 2 (retry), failed`. */
export function barLabel(bar: Pick<Bar, 'attempt' | 'kind' | 'outcome'>): string {
  const kind = bar.kind === 'first' ? '' : ` (${bar.kind})`;
  return `attempt ${bar.attempt}${kind}${bar.outcome ? `, ${bar.outcome}` : ''}`;
}
