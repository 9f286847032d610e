/**
 * spec-kit `tasks.md` (github/spec-kit, templates/tasks-template.md): `- [ ] T001 [P] [US1] Text`
 * under `## Phase N: …` headings. `[P]`: may run in parallel with its neighbours (different files,
 * no dependencies); `[USn]`: the user story; `[P1]` (a digit after the P): a priority, not the
 * parallel mark. Phases run in order, except that the user-story phases all wait only for the phase
 * before the first of them (Foundational) and a later phase waits for all of them. Within a phase,
 * tasks run in order, a run of `[P]` tasks together. Those dependencies are implied; `(depends on
 * T012, T013)` in a task's text and `[Depends: T012]` are explicit, and `[Blocks: T030]` is one of
 * T030 on the task.
 *
 * Tasks written as headings (`### T005: Write unit tests [US1] [P1]`) carry fields under them:
 * `**Blockers**:` / `**Depends**:` (its dependencies, the whole of them: no order is implied for
 * it; `None` for none), `**Blocks**:`, `**Status**:` (done or not), `**Parallel**:` (yes or no),
 * `**Priority**:`; check-boxes under one are its steps. The same fields under a check-box task, and
 * `**Blockers**:` under a phase heading (every task of the phase's first step waits for them).
 *
 * A list with no task id at all (`- [ ] Do the thing`): each top-level check-box is a task, named
 * by its place (`T1`, `T2`, …).
 */
import type { TextRange } from '../plan/model';
import { diag, linesOf, rangeIn, type RawDependency, type RawRead, type RawTask } from './foreignModel';
import { pathsIn } from './pathGuesses';
import { chain, dropCyclicImplied, groupsOf, imply } from './sequence';

const TASK = /^(\s*)[-*] \[([ xX])\](\s*)(.*)$/;
const TASK_ID = String.raw`T\d+(?:[.-]\d+)*[a-z]?`;
/** A task id as written first on a task line or heading: `T001`, `T002a`, `T1.1`, `**T020**`, `[T009]`, `T001:`. */
const ID = new RegExp(String.raw`^(?:\*\*|\[)?(${TASK_ID})(?:\*\*|\])?(?![\w]|\.\d)[:.]?\s*`);
const IDS = new RegExp(String.raw`\b(${TASK_ID})(?:\s*(?:-|–|—|\.\.)\s*(${TASK_ID}))?`, 'g');
const DEPENDS = new RegExp(String.raw`\b(?:depends on|depend on|blocked by|requires|after)\s+((?:${TASK_ID})(?:\s*(?:,|and|&|\/)\s*${TASK_ID})*)`, 'gi');
/** `**Name**: value`, `**Name:** value`, `- **Name**: value`; and the dependency, status and parallel fields unbolded. */
const FIELD = /^\s*(?:[-*]\s+)?(?:\*\*([^*\n]+?):\*\*|\*\*([^*\n]+?)\*\*\s*:|(blockers?|blocked by|depends(?: on)?|dependencies|status|parallel)\s*:)\s*(.*?)\s*$/i;
const DEPENDENCY_FIELD = /^(?:blockers?|blocked[ -]by|depends(?:[ -]on)?|dependencies|dependency|prerequisites?|requires|waits? for|after)$/i;
const BLOCKS_FIELD = /^(?:blocks|unblocks)$/i;
const NO_PHASE = '(no phase)';
const NONE = /^(?:none|n\/a|na|-|–|—|no|nothing|\(none\))\.?$/i;

interface Phase {
  name: string;
  story: boolean;
  tasks: RawTask[];
  /** Tasks a `**Blockers**:` field under the phase heading names: what its first step waits for. */
  blockers: RawDependency[];
}

/** A `[Blocks: T030]` or `**Blocks**:`: T030 waits for the task. */
interface Blocks {
  task: RawTask;
  key: string;
  range: TextRange;
  reason: string;
}

export function looksLikeSpecKit(text: string): boolean {
  return /^\s*[-*] \[[ xX]\]\s+(?:\*\*|\[)?T\d{3,}/m.test(text) || new RegExp(String.raw`^#{2,6}\s+(?:\*\*|\[)?${TASK_ID}(?:\*\*|\])?(?:[\s:.—–-]|$)`, 'm').test(text);
}

export function readSpecKit(text: string): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const phases: Phase[] = [];
  const stated = new Set<RawTask>(); // tasks whose dependency field lists all they wait for
  const blocks: Blocks[] = [];
  const unnamed: RawTask[] = [];
  const lines = linesOf(text);
  const anyId = lines.some(({ text: line }) => {
    const box = TASK.exec(line);
    return box ? ID.test(box[4]) : /^#{2,6}\s/.test(line) && ID.test(line.replace(/^#+\s+/, ''));
  });
  let phase: Phase | undefined;
  let heading: { task: RawTask; level: number; steps: boolean[]; status?: boolean } | undefined;
  let last: RawTask | undefined; // the check-box task the lines right under it belong to
  let fence = false;
  const inPhase = (task: RawTask) => {
    if (!phase) {
      phase = { name: NO_PHASE, story: false, tasks: [], blockers: [] };
      phases.push(phase);
    }
    phase.tasks.push(task);
    if (phase.name === NO_PHASE) task.phase = undefined;
  };
  const endHeading = () => {
    if (heading && heading.status === undefined && heading.task.done !== true && heading.steps.length) heading.task.done = heading.steps.every(Boolean);
    heading = undefined;
  };
  for (const { text: line, start } of lines) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const title = /^#\s+(?:Tasks:\s*)?(.+)$/.exec(line);
    if (title && read.title === undefined) read.title = title[1].trim();
    const h = /^(#{1,6})\s+(.+?)\s*$/.exec(line);
    if (h) {
      const level = h[1].length;
      last = undefined;
      const bodyAt = line.indexOf(h[2], level);
      const id = level > 1 ? ID.exec(h[2]) : null;
      if (id) {
        endHeading();
        const task = taskOf(read, blocks, id, h[2], start, bodyAt, line, phase?.name, false);
        heading = { task, level, steps: [] };
        read.tasks.push(task);
        inPhase(task);
        continue;
      }
      if (heading && level <= heading.level) endHeading();
      if (heading) continue; // a heading inside a task's text
      const name = h[2];
      if (level === 2 || (level === 3 && /^phase\b/i.test(name))) {
        phase = /^phase\b/i.test(name) || /user story/i.test(name) ? { name, story: /user story|\bUS\d+\b/i.test(name), tasks: [], blockers: [] } : level === 2 ? undefined : phase;
        if (phase && !phases.includes(phase)) phases.push(phase);
      }
      if (level === 1) phase = undefined;
      continue;
    }
    const m = TASK.exec(line);
    if (m && heading && !ID.test(m[4])) {
      // A check-box under a task written as a heading: one of its steps.
      heading.steps.push(m[2] !== ' ');
      addDetail(heading.task, `[${m[2] === ' ' ? ' ' : 'x'}] ${m[4].trim()}`, line, start);
      continue;
    }
    if (m) {
      endHeading();
      const bodyAt = m[1].length + 5 + m[3].length;
      const body = m[4];
      const id = ID.exec(body);
      if (!id && m[1].length > 0 && last) {
        // A check-box right under a task: one of its steps.
        addDetail(last, `[${m[2] === ' ' ? ' ' : 'x'}] ${body.trim()}`, line, start);
        continue;
      }
      if (!id && (anyId || !body.trim())) {
        const what = body.trim() ? `\`${body.trim().slice(0, 40)}\` has no task id (T001, T002, …)` : 'An empty task';
        read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `${what}: it is left out. Give it an id.`, { start, end: start + line.length }));
        last = undefined;
        continue;
      }
      const box = start + m[1].length + 2;
      const task = id
        ? taskOf(read, blocks, id, body, start, bodyAt, line, phase?.name, m[2] !== ' ')
        : { key: '', keyRange: { start: box, end: box + 3 }, range: { start, end: start + line.length }, title: body.trim(), details: [], dependencies: [], declaredWrites: [], pathGuesses: pathsIn(body, start + bodyAt), phase: phase?.name, parallel: false, done: m[2] !== ' ' };
      if (!id) unnamed.push(task);
      read.tasks.push(task);
      inPhase(task);
      last = task;
      continue;
    }
    if (!line.trim()) continue; // a blank line: what is indented after it still belongs to the task above
    const holder = heading?.task ?? (last && /^(?:\s{2,}|\t)\S/.test(line) ? last : undefined);
    if (!holder) {
      last = undefined;
      const field = FIELD.exec(line);
      // A field under a phase heading, before its tasks: what the whole phase waits for.
      if (field && phase && phase.tasks.length === 0 && DEPENDENCY_FIELD.test(fieldName(field))) {
        const value = field[4];
        phase.blockers.push(...dependenciesIn(value, start + line.lastIndexOf(value), `"${fieldName(field)}: ${value}" of "${phase.name}"`));
      }
      continue;
    }
    const field = FIELD.exec(line);
    if (field && readField(read, blocks, stated, holder, fieldName(field), field[4], start + line.lastIndexOf(field[4]), heading?.task === holder ? heading : undefined)) {
      holder.range = { start: holder.range.start, end: start + line.length };
      continue;
    }
    addDetail(holder, line.trim().replace(/^[-*]\s+/, ''), line, start);
  }
  endHeading();

  // A list without ids: each task named by its place.
  if (unnamed.length) {
    const used = new Set(read.tasks.map((t) => t.key));
    let n = 0;
    for (const t of unnamed) {
      do t.key = `T${++n}`;
      while (used.has(t.key));
    }
    read.diagnostics.push(diag('info', 'foreign-id-from-position', `No task here has an id: this one is named \`${unnamed[0].key}\` by its place, and the others after it in order. Adding or moving a task renames those after it: give them ids (T001, T002, …) to keep their names.`, unnamed[0].keyRange));
    read.notes.push(`No task has an id (T001, …): the ${unnamed.length} check-boxes are named by their place (T1 to T${n}).`);
  }

  // Implied dependencies: within each phase by order; across phases as the template says.
  const used = phases.filter((p) => p.tasks.length > 0);
  for (const p of used) if (!p.story && p.tasks.every((t) => t.details[0]?.startsWith('User story'))) p.story = true;
  let before: RawTask[] = []; // what the next non-story phase waits for
  let base: RawTask[] = []; // what story phases wait for
  for (const p of used) {
    const groups = groupsOf(p.tasks);
    const waitFor = p.story ? base : before;
    if (groups.length) {
      for (const t of groups[0]) {
        for (const d of p.blockers) if (!t.dependencies.some((x) => x.key === d.key)) t.dependencies.push({ ...d });
        imply(t, waitFor, `the order of phases (${p.story ? 'a user story waits for the phases before the stories' : `"${p.name}" follows the phase before it`})`);
      }
    }
    const last = chain(groups, `the order of tasks in "${p.name}"`);
    if (p.story) {
      before = before === base ? [...last] : [...before, ...last];
    } else {
      before = last;
      base = last;
    }
  }
  // A task that lists what it waits for waits for nothing else.
  for (const t of stated) t.dependencies = t.dependencies.filter((d) => d.kind === 'explicit');
  const byKey = new Map(read.tasks.map((t) => [t.key, t]));
  for (const b of blocks) {
    const target = byKey.get(b.key);
    if (!target) {
      read.diagnostics.push(diag('error', 'foreign-dependency-unknown', `Task \`${b.task.key}\` blocks \`${b.key}\`, which is not a task of this file.`, b.range));
      continue;
    }
    if (target !== b.task && !target.dependencies.some((d) => d.key === b.task.key && d.kind === 'explicit')) {
      target.dependencies = target.dependencies.filter((d) => d.key !== b.task.key);
      target.dependencies.push({ key: b.task.key, range: b.range, kind: 'explicit', reason: b.reason });
    }
  }
  dropCyclicImplied(read.tasks);
  if (read.tasks.length === 0) read.notes.push('No task (`- [ ] T001 …`) was found.');
  return read;
}

/** A task from its id and what follows it (a check-box's text or a heading's). */
function taskOf(read: RawRead, blocks: Blocks[], id: RegExpExecArray, body: string, start: number, bodyAt: number, line: string, phase: string | undefined, done: boolean): RawTask {
  const keyAt = start + bodyAt + body.indexOf(id[1]);
  const keyRange = { start: keyAt, end: keyAt + id[1].length };
  let rest = body.slice(id[0].length);
  let restAt = start + bodyAt + id[0].length;
  const task: RawTask = { key: id[1], keyRange, range: { start, end: start + line.length }, title: '', details: [], dependencies: [], declaredWrites: [], pathGuesses: [], phase, parallel: false, done };
  const story: string[] = [];
  const tag = (t: string, at: number, leading: boolean): boolean => {
    const dep = /^(depends(?: on)?|blocked by|after|requires|blocks)\s*:?\s*(.+)$/i.exec(t);
    if (t === 'P') task.parallel = true;
    else if (/^US\d+$/i.test(t)) story.push(t.toUpperCase());
    else if (/^P\d$/.test(t)) task.priority = Math.min(10, 1 + 2 * Number(t.slice(1)));
    else if (dep && /^blocks$/i.test(dep[1])) {
      for (const d of dependenciesIn(dep[2], at + t.indexOf(dep[2]), `"[${t}]"`)) blocks.push({ task, key: d.key, range: d.range, reason: d.reason });
    } else if (dep) task.dependencies.push(...dependenciesIn(dep[2], at + t.indexOf(dep[2]), `"[${t}]"`));
    else if (leading && /^[\w-]+$/.test(t)) task.details.push(`[${t}]`);
    else return false;
    return true;
  };
  // Tags before the text (`[P] [US1]`), then a `:` or a dash, then tags again; tags at its end.
  for (let pass = 0; pass < 2; pass++) {
    for (let m = /^\[([^\]]+)\]\s*/.exec(rest); m && tag(m[1], restAt + 1, true); m = /^\[([^\]]+)\]\s*/.exec(rest)) {
      rest = rest.slice(m[0].length);
      restAt += m[0].length;
    }
    const sep = /^(?:[:—–]|-(?=\s))\s*/.exec(rest);
    if (!sep) break;
    rest = rest.slice(sep[0].length);
    restAt += sep[0].length;
  }
  for (let m = /\s*\[([^\]]+)\]\s*$/.exec(rest); m && m.index > 0 && tag(m[1], restAt + m.index + m[0].indexOf('[') + 1, false); m = /\s*\[([^\]]+)\]\s*$/.exec(rest)) rest = rest.slice(0, m.index);
  if (/\s*✅\s*$/.test(rest) || /^✅\s*/.test(rest)) {
    task.done = true;
    rest = rest.replace(/\s*✅\s*$/, '').replace(/^✅\s*/, '');
  }
  task.title = rest.trim();
  task.pathGuesses = pathsIn(rest, restAt);
  if (story.length) task.details.unshift(`User story ${story.join(', ')}.`);
  if (!task.title) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `Task \`${id[1]}\` has no text: what is it to do?`, keyRange));
  for (const dm of rest.matchAll(DEPENDS)) {
    const listAt = (dm.index ?? 0) + dm[0].length - dm[1].length;
    for (const ref of dm[1].matchAll(new RegExp(TASK_ID, 'g'))) {
      task.dependencies.push({ key: ref[0], range: rangeIn(restAt, rest, ref[0], listAt + (ref.index ?? 0)), kind: 'explicit', reason: `"${dm[0]}"` });
    }
  }
  return task;
}

function fieldName(field: RegExpExecArray): string {
  return (field[1] ?? field[2] ?? field[3]).trim();
}

/** A field under a task; false when it is none of those read (then it is a detail line). */
function readField(read: RawRead, blocks: Blocks[], stated: Set<RawTask>, task: RawTask, name: string, value: string, valueAt: number, heading?: { status?: boolean }): boolean {
  if (DEPENDENCY_FIELD.test(name)) {
    const deps = dependenciesIn(value, valueAt, `"${name}: ${value}"`);
    if (deps.length || NONE.test(value.trim()) || !value.trim()) {
      task.dependencies.push(...deps);
      stated.add(task);
    } else {
      read.diagnostics.push(
        diag('warning', 'foreign-task-incomplete', `\`${task.key}\` waits for "${value}", which names no task id: only the order of the list is read for it. Name the tasks it waits for (T001, T002, …).`, { start: valueAt, end: valueAt + value.length }),
      );
    }
    return true;
  }
  if (BLOCKS_FIELD.test(name)) {
    for (const d of dependenciesIn(value, valueAt, `"${name}: ${value}"`)) blocks.push({ task, key: d.key, range: d.range, reason: d.reason });
    return true;
  }
  if (/^status$/i.test(name)) {
    const done = /^(?:\[x\]|✅|✔)/i.test(value) || (/\b(?:done|complete|completed|finished|closed|merged|resolved)\b/i.test(value) && !/\b(?:not|in[ -]progress|incomplete|partial(?:ly)?|pending|blocked)\b/i.test(value));
    task.done = done;
    if (heading) heading.status = done;
    task.details.push(`Status: ${value}`);
    return true;
  }
  if (/^(?:parallel|parallelizable|parallelisable)$/i.test(name)) {
    task.parallel = /^(?:yes|y|true|✅|\[x\]|parallel)\b/i.test(value);
    task.details.push(`Parallel: ${value}`);
    return true;
  }
  if (/^priority$/i.test(name)) {
    const p = /\bP(\d)\b/.exec(value);
    const word = /\b(critical|highest|high|medium|low|lowest)\b/i.exec(value)?.[1].toLowerCase();
    task.priority = p ? Math.min(10, 1 + 2 * Number(p[1])) : word ? { critical: 1, highest: 1, high: 3, medium: 5, low: 7, lowest: 9 }[word] : task.priority;
    task.details.push(`Priority: ${value}`);
    return true;
  }
  return false;
}

/** The task ids a value names (`T001, T003`, `T001-T005`), each where it is written. */
function dependenciesIn(value: string, valueAt: number, reason: string): RawDependency[] {
  const out: RawDependency[] = [];
  for (const m of value.matchAll(IDS)) {
    const range = { start: valueAt + (m.index ?? 0), end: valueAt + (m.index ?? 0) + m[0].length };
    const from = /^T(\d+)$/.exec(m[1]);
    const to = m[2] ? /^T(\d+)$/.exec(m[2]) : null;
    if (from && to && Number(to[1]) > Number(from[1]) && Number(to[1]) - Number(from[1]) <= 500) {
      // A range: every task from the first to the last, written as the first is (T001-T005).
      for (let n = Number(from[1]); n <= Number(to[1]); n++) out.push({ key: `T${String(n).padStart(from[1].length, '0')}`, range, kind: 'explicit', reason });
      continue;
    }
    out.push({ key: m[1], range: { start: range.start, end: range.start + m[1].length }, kind: 'explicit', reason });
    if (m[2]) {
      const at = range.start + m[0].lastIndexOf(m[2]);
      out.push({ key: m[2], range: { start: at, end: at + m[2].length }, kind: 'explicit', reason });
    }
  }
  return out;
}

function addDetail(task: RawTask, detail: string, line: string, start: number): void {
  task.details.push(detail);
  task.pathGuesses.push(...pathsIn(line, start));
  task.range = { start: task.range.start, end: start + line.length };
}
