/**
 * Spec Kitty's state files, kept beside a feature's `tasks/` folder (`kitty-specs/<feature>/`):
 *
 * - `status.events.jsonl`: every lane move of every work package, one JSON object a line
 *   (`{"event_id", "wp_id", "from_lane", "to_lane", "at", "review_ref", …}`). Spec Kitty (2.x on)
 *   reads a work package's lane from it alone, replaying it as its reducer does: moves deduplicated
 *   by `event_id`, sorted by (`at`, `event_id`), the later one wins — except that at the same
 *   instant a review rollback (`in_review` → `in_progress`, or `for_review` → `in_progress` with a
 *   `review_ref`) beats a forward move. Lines of other kinds share the file and move no lane:
 *   `kind: "annotation"`, mission events (an `event_type`), retrospective events.
 * - `status.json`: the snapshot Spec Kitty writes from the log (`work_packages.<WP>.lane`). Read
 *   when there is no log; beside a log, only compared with it.
 * - `lanes.json`: the execution lanes `finalize-tasks` computes. A lane's work packages share one
 *   worktree and run one after another, in its `wp_ids` order. Where its `collapse_report` says they
 *   share the lane because their owned files overlap (`write_scope_overlap`, `surface_heuristic`,
 *   `frozen_lane_membership`), that order is read as implied dependencies; where only because one
 *   depends on another (`dependency`, older versions), nothing more than those dependencies is read:
 *   such lanes serialised work packages their dependencies leave parallel.
 *
 * Lanes: planned, claimed, in_progress, for_review, in_review, approved, done, blocked, canceled
 * (`doing`: in_progress, as older versions wrote it). Pure.
 */
import { diag, linesOf, type ForeignDiagnostic, type SourceFile } from './foreignModel';
import type { TextRange } from '../plan/model';
import { member, parseJson, type JsonNode } from './jsonRanges';

export const EVENTS_FILE = 'status.events.jsonl';
export const SNAPSHOT_FILE = 'status.json';
export const LANES_FILE = 'lanes.json';
const STATE_FILES = new Set([EVENTS_FILE, SNAPSHOT_FILE, LANES_FILE]);

export const KITTY_LANES: readonly string[] = [
  'planned',
  'claimed',
  'in_progress',
  'for_review',
  'in_review',
  'approved',
  'done',
  'blocked',
  'canceled',
];
const MOVE_LANES = new Set([...KITTY_LANES, 'genesis']);
const ALIASES: Record<string, string> = { doing: 'in_progress' };
const RETROSPECTIVE_TYPES = new Set(['RetrospectiveCaptured', 'RetrospectiveCaptureFailed', 'RetrospectiveSkipped']);

const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** A Spec Kitty state file by its name: `status.events.jsonl`, `status.json`, `lanes.json`. */
export function isSpecKittyStateFile(path: string): boolean {
  return STATE_FILES.has(baseOf(path.replace(/\\/g, '/')));
}

/** A lane as Spec Kitty reads it (`doing` → `in_progress`); undefined when it is none. */
export function kittyLane(value: string, lanes: ReadonlySet<string> = MOVE_LANES): string | undefined {
  const lane = ALIASES[value] ?? value;
  return lanes.has(lane) ? lane : undefined;
}

export interface KittyState {
  /** Each work package's lane, by its id, from `from`. */
  lanes: Map<string, string>;
  /** The file the lanes come from (the log, else the snapshot); null when neither is there. */
  from: string | null;
  /** `wp` waits for `after` because lanes.json runs them in that order. */
  implied: { wp: string; after: string; reason: string }[];
  diagnostics: ForeignDiagnostic[];
  notes: string[];
}

/**
 * The state files of one feature read for its work packages: `known`, their ids; `dependsOn`, the
 * ids each one's front matter depends on (to read only the lane order they leave open).
 */
export function readKittyState(
  files: readonly SourceFile[],
  known: ReadonlySet<string>,
  dependsOn: ReadonlyMap<string, readonly string[]>,
): KittyState {
  const state: KittyState = { lanes: new Map(), from: null, implied: [], diagnostics: [], notes: [] };
  const byName = new Map(files.map((f) => [baseOf(f.path), f]));
  const events = byName.get(EVENTS_FILE);
  const snapshot = byName.get(SNAPSHOT_FILE);
  const lanes = byName.get(LANES_FILE);
  if (events) {
    state.lanes = replayEvents(events, known, state.diagnostics);
    state.from = events.path;
  }
  if (snapshot) {
    const read = snapshotLanes(snapshot, known, state.diagnostics);
    if (!events) {
      state.lanes = new Map([...read].map(([wp, at]) => [wp, at.lane]));
      state.from = snapshot.path;
    } else compareSnapshot(snapshot.path, read, state.lanes, state.diagnostics);
  }
  if (lanes) laneOrder(lanes, known, dependsOn, state);
  return state;
}

interface Move {
  id: string;
  wp: string;
  from: string;
  to: string;
  at: string;
  rollback: boolean;
}

/** The lane of each known work package after the log's moves, as Spec Kitty's reducer folds them. */
function replayEvents(file: SourceFile, known: ReadonlySet<string>, out: ForeignDiagnostic[]): Map<string, string> {
  const { path, text } = file;
  const moves: Move[] = [];
  const unknown = new Map<string, { range: TextRange; count: number }>();
  const invalid = (message: string, range: TextRange) => out.push(diag('warning', 'foreign-state-invalid', message, range, null, path));
  for (const { text: line, start } of linesOf(text)) {
    if (!line.trim()) continue;
    const whole = { start, end: start + line.length };
    const parsed = parseJson(text, start, whole.end);
    if ('error' in parsed) {
      out.push(
        diag(
          'error',
          'foreign-not-format',
          `This line of ${EVENTS_FILE} is not valid JSON (${parsed.error}): Spec Kitty cannot read the log; it is passed over here.`,
          charAt(parsed.at, whole),
          null,
          path,
        ),
      );
      continue;
    }
    const node = parsed.node;
    if (node.kind !== 'object') {
      out.push(
        diag(
          'error',
          'foreign-not-format',
          `This line of ${EVENTS_FILE} is not a JSON object: Spec Kitty cannot read the log; it is passed over here.`,
          whole,
          null,
          path,
        ),
      );
      continue;
    }
    const wpNode = member(node, 'wp_id');
    const noteWp = () => {
      if (wpNode?.kind !== 'string' || known.has(wpNode.value)) return true;
      const seen = unknown.get(wpNode.value);
      if (seen) seen.count++;
      else unknown.set(wpNode.value, { range: wpNode.range, count: 1 });
      return false;
    };
    const kind = member(node, 'kind');
    if (kind && kind.kind !== 'null') {
      if (kind.kind === 'string' && kind.value === 'annotation')
        noteWp(); // runtime notes: no lane moves
      else
        invalid(
          `A line of a kind Spec Kitty does not know (\`${text.slice(kind.range.start, kind.range.end)}\`): passed over.`,
          kind.range,
        );
      continue;
    }
    const eventName = member(node, 'event_name');
    const type = member(node, 'type');
    if (
      member(node, 'event_type') ||
      (eventName?.kind === 'string' && eventName.value.startsWith('retrospective.')) ||
      (type?.kind === 'string' && RETROSPECTIVE_TYPES.has(type.value))
    )
      continue; // not a lane move
    const fields = ['event_id', 'wp_id', 'from_lane', 'to_lane', 'at'] as const;
    const missing = fields.filter((f) => member(node, f)?.kind !== 'string');
    if (missing.length) {
      invalid(`A lane move needs ${missing.map((f) => `\`${f}\``).join(', ')} as text: this line is passed over.`, whole);
      continue;
    }
    const value = (f: (typeof fields)[number]) => member(node, f) as Extract<JsonNode, { kind: 'string' }>;
    const lanes = (['from_lane', 'to_lane'] as const).map((f) => ({ node: value(f), lane: kittyLane(value(f).value) }));
    const bad = lanes.find((l) => l.lane === undefined);
    if (bad) {
      invalid(`\`${bad.node.value}\` is not a Spec Kitty lane (${KITTY_LANES.join(', ')}): this move is passed over.`, bad.node.range);
      continue;
    }
    if (!noteWp()) continue;
    const [from, to] = lanes.map((l) => l.lane!);
    const reviewRef = member(node, 'review_ref');
    moves.push({
      id: value('event_id').value,
      wp: value('wp_id').value,
      from,
      to,
      at: value('at').value,
      rollback:
        to === 'in_progress' && (from === 'in_review' || (from === 'for_review' && reviewRef !== undefined && reviewRef.kind !== 'null')),
    });
  }
  for (const [wp, { range, count }] of unknown) {
    invalid(
      `${EVENTS_FILE} names \`${wp}\` (${count} line${count === 1 ? '' : 's'}), which is not a work package of these files: passed over.`,
      range,
    );
  }
  // Spec Kitty's reducer: the first of each event id, in (at, event id) order, the later move winning.
  const seen = new Set<string>();
  const unique = moves.filter((m) => !seen.has(m.id) && (seen.add(m.id), true));
  unique.sort((a, b) => compare(a.at, b.at) || compare(a.id, b.id));
  const current = new Map<string, Move>();
  for (const move of unique) {
    const setter = current.get(move.wp);
    // At the same instant, a rollback beats a forward move, and a forward move does not undo a rollback.
    if (setter && setter.at === move.at && setter.rollback && !move.rollback) continue;
    current.set(move.wp, move);
  }
  return new Map([...current].map(([wp, m]) => [wp, m.to]));
}

/** The character at `at` within `within` (its last one when `at` is at its end). */
function charAt(at: number, within: TextRange): TextRange {
  const start = Math.max(within.start, Math.min(at, within.end - 1));
  return { start, end: Math.min(within.end, start + 1) };
}

/** Code point order, as Python compares strings. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The lanes status.json gives, each where it is written. */
function snapshotLanes(
  file: SourceFile,
  known: ReadonlySet<string>,
  out: ForeignDiagnostic[],
): Map<string, { lane: string; range: TextRange }> {
  const { path } = file;
  const lanes = new Map<string, { lane: string; range: TextRange }>();
  const root = parsedRoot(file, out, 'work_packages', 'object')?.node;
  if (root?.kind !== 'object') return lanes;
  for (const m of root.members) {
    if (!known.has(m.key)) {
      out.push(
        diag(
          'warning',
          'foreign-state-invalid',
          `${SNAPSHOT_FILE} names \`${m.key}\`, which is not a work package of these files: passed over.`,
          m.keyRange,
          null,
          path,
        ),
      );
      continue;
    }
    const lane = member(m.value, 'lane');
    if (lane?.kind !== 'string') {
      out.push(diag('warning', 'foreign-state-invalid', `\`${m.key}\` has no \`lane\` in ${SNAPSHOT_FILE}.`, m.keyRange, null, path));
      continue;
    }
    const value = kittyLane(lane.value, new Set(KITTY_LANES));
    if (value === undefined) {
      out.push(
        diag(
          'warning',
          'foreign-state-invalid',
          `\`${lane.value}\` is not a Spec Kitty lane (${KITTY_LANES.join(', ')}): \`${m.key}\` is read as not done.`,
          lane.range,
          null,
          path,
        ),
      );
      continue;
    }
    lanes.set(m.key, { lane: value, range: lane.range });
  }
  return lanes;
}

/** Where status.json and the log it is written from disagree: the log counts, as in Spec Kitty. */
function compareSnapshot(
  path: string,
  snapshot: Map<string, { lane: string; range: TextRange }>,
  log: Map<string, string>,
  out: ForeignDiagnostic[],
): void {
  for (const [wp, { lane, range }] of snapshot) {
    const logged = log.get(wp);
    if (logged === lane) continue;
    const says =
      logged === undefined ? `has no lane move of it: ${SNAPSHOT_FILE} is not read for it` : `says \`${logged}\`: read as \`${logged}\``;
    out.push(
      diag(
        'warning',
        'foreign-state-invalid',
        `${SNAPSHOT_FILE} says \`${wp}\` is \`${lane}\`, but ${EVENTS_FILE}, which Spec Kitty reads the lanes from, ${says}. \`spec-kitty agent status materialize\` writes ${SNAPSHOT_FILE} again.`,
        range,
        null,
        path,
      ),
    );
  }
}

/** The file's JSON and its `key` member of the kind wanted; a positioned error and undefined when it is not. */
function parsedRoot(
  file: SourceFile,
  out: ForeignDiagnostic[],
  key: string,
  kind: 'object' | 'array',
): { root: JsonNode; node: JsonNode } | undefined {
  const { path, text } = file;
  const name = baseOf(path);
  const parsed = parseJson(text);
  if ('error' in parsed) {
    out.push(
      diag(
        'error',
        'foreign-not-format',
        `${name} is not valid JSON (${parsed.error}): it is not read.`,
        charAt(parsed.at, { start: 0, end: text.length }),
        null,
        path,
      ),
    );
    return undefined;
  }
  const node = member(parsed.node, key);
  if (node?.kind !== kind) {
    const at = parsed.node.range.start;
    out.push(
      diag(
        'error',
        'foreign-not-format',
        `${name} has no \`${key}\` ${kind === 'object' ? 'object' : 'list'}: it is not Spec Kitty's ${name}, and it is not read.`,
        { start: at, end: Math.min(text.length, at + 1) },
        null,
        path,
      ),
    );
    return undefined;
  }
  return { root: parsed.node, node };
}

/** The order lanes.json runs work packages in, where it is more than their dependencies: implied dependencies. */
function laneOrder(
  file: SourceFile,
  known: ReadonlySet<string>,
  dependsOn: ReadonlyMap<string, readonly string[]>,
  state: KittyState,
): void {
  const { path } = file;
  const out = state.diagnostics;
  const invalid = (message: string, range: TextRange) => out.push(diag('warning', 'foreign-state-invalid', message, range, null, path));
  const read = parsedRoot(file, out, 'lanes', 'array');
  if (read?.node.kind !== 'array') return;
  const lanes = read.node;
  const report = member(read.root, 'collapse_report');

  // Work packages merged into one lane for a reason other than a dependency: one set each.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const rules = new Map<string, Set<string>>();
  const merges = member(report, 'events');
  for (const e of merges?.kind === 'array' ? merges.items : []) {
    const [a, b, rule] = (['wp_a', 'wp_b', 'rule'] as const).map((k) => {
      const v = member(e, k);
      return v?.kind === 'string' ? v.value : undefined;
    });
    if (!a || !b || !rule || rule === 'dependency' || !known.has(a) || !known.has(b)) continue;
    const [ra, rb] = [find(a), find(b)];
    const joined = new Set([...(rules.get(ra) ?? []), ...(rules.get(rb) ?? []), rule]);
    parent.set(ra, rb);
    rules.set(rb, joined);
  }

  // What each work package waits for: its dependencies, then the orders read here.
  const waits = new Map<string, string[]>([...known].map((wp) => [wp, [...(dependsOn.get(wp) ?? [])]]));
  const reaches = (from: string, to: string): boolean => {
    const stack = [from];
    const seen = new Set<string>();
    while (stack.length) {
      const x = stack.pop()!;
      if (x === to) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...(waits.get(x) ?? []));
    }
    return false;
  };
  const unordered: string[] = [];
  for (const lane of lanes.items) {
    const idNode = member(lane, 'lane_id');
    const ids = member(lane, 'wp_ids');
    if (idNode?.kind !== 'string' || ids?.kind !== 'array') {
      invalid('A lane without a `lane_id` and a `wp_ids` list: passed over.', lane.range);
      continue;
    }
    const members: { wp: string; range: TextRange }[] = [];
    for (const item of ids.items) {
      if (item.kind !== 'string') invalid('A `wp_ids` entry must be a work package id (`WP01`).', item.range);
      else if (!known.has(item.value))
        invalid(
          `${LANES_FILE} puts \`${item.value}\` in lane \`${idNode.value}\`, but it is not a work package of these files: passed over.`,
          item.range,
        );
      else members.push({ wp: item.value, range: item.range });
    }
    if (members.length < 2) continue;
    // Each set of lane-mates sharing files, in the lane's order: each waits for the one before it.
    const last = new Map<string, { wp: string; range: TextRange }>();
    let ordered = false;
    for (const m of members) {
      if (!parent.has(m.wp)) continue;
      const set = find(m.wp);
      const before = last.get(set);
      last.set(set, m);
      if (!before) continue;
      ordered = true;
      if (reaches(m.wp, before.wp)) continue; // its dependencies order them already
      if (reaches(before.wp, m.wp)) {
        invalid(
          `${LANES_FILE} runs \`${before.wp}\` before \`${m.wp}\`, which \`${before.wp}\` depends on: it is older than the dependencies (\`spec-kitty agent mission finalize-tasks\` computes it again), and this order is not read.`,
          m.range,
        );
        continue;
      }
      waits.get(m.wp)!.push(before.wp);
      const why = [...(rules.get(set) ?? [])].sort().join(', ');
      state.implied.push({
        wp: m.wp,
        after: before.wp,
        reason: `the order of Spec Kitty's lane \`${idNode.value}\` in ${LANES_FILE} (${why})`,
      });
    }
    if (!ordered) unordered.push(`\`${idNode.value}\` (${members.map((m) => m.wp).join(', ')})`);
  }
  if (unordered.length) {
    const why = report ? 'because of their dependencies only' : 'and gives no reason (no `collapse_report`)';
    state.notes.push(
      `${LANES_FILE} runs the work packages of lane ${unordered.join(', lane ')} one after another ${why}: read by their dependencies alone, what those leave parallel may run in parallel.`,
    );
  }
}
