/**
 * Kiro and cc-sdd `tasks.md` (.kiro/specs/<feature>/tasks.md): numbered check-box tasks,
 * `- [ ] 1. Major task` and `- [ ] 1.1 Sub-task` (indented under it, or not), or `## 1. Section`
 * headings over `1.1` tasks; detail bullets under a task; `_Requirements: 1.1, 2.3_`,
 * `_Depends: 1.2_` (explicit dependencies) and `_Boundary: Component_` (cc-sdd). A task may end in
 * ` (P)` (cc-sdd): it may run in parallel with its neighbours. An optional task is marked `*`
 * after its box or its number (`- [ ]* 2.1`, `- [ ] 7.9*`; saved by some editors as `- [ ]\* 2.1`).
 *
 * A numbered heading (`## 1. Section`, `### 1.1 Task`) over numbered tasks (tasks or headings)
 * only groups them; over check-boxes without numbers (`- [ ] Do the thing`) it is a task, and
 * those are its steps. A check-box without a number is named by its place: `1.2` is the second
 * one under `1.` (a heading or a task), `3` the third one under none.
 *
 * Packages: without any `(P)`, Kiro runs the tasks one by one: sub-tasks (and steps) go into
 * their major task's package, and each major task waits for the one before it (implied by order).
 * With `(P)` marks (cc-sdd's parallel mode) each sub-task is a package; within a major task or a
 * section they run in order, a run of `(P)` tasks together, and each waits for the one before it
 * (implied).
 *
 * OpenSpec (`readKiro(text, 'openspec')`): each numbered section is a package, whatever is under it.
 */
import { diag, linesOf, type RawRead, type RawTask } from './foreignModel';
import { pathsIn } from './pathGuesses';
import { chain, dropCyclicImplied, groupsOf, imply } from './sequence';

const TASK = /^(\s*)[-*] \[([ xX-])\](\\?\*)?(\s*)(.*)$/;
const NUMBER = /^(\d+(?:\.\d+)*)\.?(\\?\*)?(?=\s|$)\s*/;
/** A numbered heading: `## 1. Section`, `## 1) Section`, `### 1.1 Task`. */
const HEADING = /^(#{2,6})\s+(\d+(?:\.\d+)+|\d+(?=[.)]))[.)]?\s+(.+?)\s*$/;
const META = /^\s*[-*]?\s*_(Requirements|Depends|Boundary|Leverage)\s*:\s*(.*?)_?\s*$/i;

export function looksLikeKiro(text: string): boolean {
  if (/^\s*[-*] \[[ xX]\]\s+(?:\*\*|\[)?T\d{3,}/m.test(text)) return false;
  return /^\s*[-*] \[[ xX-]\](?:\\?\*)?\s*\d+(\.\d+)*\.?(?:\\?\*)?\s/m.test(text) || (/^#{2,6}\s+(?:\d+(?:\.\d+)+|\d+[.)])\s+\S/m.test(text) && /^\s*[-*] \[[ xX-]\]/m.test(text));
}

interface Heading {
  task: RawTask;
  level: number;
  /** A numbered task (a check-box or a heading) is under it: it only groups them (Kiro). */
  groups: boolean;
}

/** A check-box without a number: named by its place once every written number is known. */
interface Unnumbered {
  task: RawTask;
  /** What it is under: a heading or a task (named before it), or nothing. */
  owner: RawTask | undefined;
}

export function readKiro(text: string, flavour: 'kiro' | 'openspec' = 'kiro'): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const headings = new Map<RawTask, Heading>();
  const headingOf = new Map<RawTask, Heading>(); // the numbered heading a task is under
  const unnumbered: Unnumbered[] = [];
  let open: Heading[] = []; // numbered headings open here, outermost first
  let boxes: { task: RawTask; indent: number }[] = []; // check-box tasks open here
  let phase: string | undefined;
  let fence = false;
  let current: RawTask | undefined;
  let currentIndent = 0;
  for (const { text: line, start } of linesOf(text)) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const title = /^#\s+(.+)$/.exec(line);
    if (title && read.title === undefined) read.title = title[1].trim();
    const level = /^(#{1,6})\s/.exec(line)?.[1].length;
    if (level !== undefined) {
      open = open.filter((h) => h.level < level);
      boxes = [];
      const heading = HEADING.exec(line);
      if (!heading) {
        if (level <= 2) phase = /^#+\s+(phase\b.*?)\s*$/i.exec(line)?.[1];
        current = undefined;
        continue;
      }
      const key = heading[2];
      const at = line.indexOf(key, heading[1].length);
      const rest = heading[3];
      const parallel = /\(P\)\s*$/.test(rest);
      const name = rest.replace(/\s*\(P\)\s*$/, '');
      const dot = key.lastIndexOf('.');
      current = {
        key,
        keyRange: { start: start + at, end: start + at + key.length },
        range: { start, end: start + line.length },
        title: name,
        details: [],
        parent: dot > 0 ? key.slice(0, dot) : undefined,
        dependencies: [],
        declaredWrites: [],
        pathGuesses: pathsIn(name, start + line.indexOf(name, at + key.length)),
        phase,
        parallel,
      };
      const outer = open[open.length - 1];
      if (outer) {
        outer.groups = true;
        headingOf.set(current, outer);
      }
      const h: Heading = { task: current, level, groups: false };
      headings.set(current, h);
      open.push(h);
      read.tasks.push(current);
      currentIndent = -1;
      continue;
    }
    const m = TASK.exec(line);
    if (m) {
      const indent = m[1].length;
      const bodyAt = line.length - m[5].length;
      const body = m[5];
      boxes = boxes.filter((b) => b.indent < indent);
      const n = NUMBER.exec(body);
      const rest = (n ? body.slice(n[0].length) : body).replace(/^\\?\*\s*/, '');
      if (!n && !rest.trim()) {
        read.diagnostics.push(diag('warning', 'foreign-task-incomplete', 'An empty task: it is left out. Write what it is to do.', { start, end: start + line.length }));
        current = undefined;
        continue;
      }
      const parallel = /\(P\)\s*$/.test(rest) || /^\(P\)\s*/.test(rest);
      const name = rest.replace(/\s*\(P\)\s*$/, '').replace(/^\(P\)\s*/, '').trim();
      const inHeading = open[open.length - 1];
      const box = start + line.indexOf('[');
      current = {
        key: n ? n[1] : '',
        keyRange: n ? { start: start + bodyAt, end: start + bodyAt + n[1].length } : { start: box, end: box + 3 },
        range: { start, end: start + line.length },
        title: name,
        details: m[3] || n?.[2] ? ['Optional (marked `*` in the source): it may be skipped.'] : [],
        dependencies: [],
        declaredWrites: [],
        pathGuesses: pathsIn(body, start + bodyAt),
        phase,
        parallel,
        done: m[2] === 'x' || m[2] === 'X' || m[2] === '-',
      };
      if (n) {
        const dot = n[1].lastIndexOf('.');
        current.parent = dot > 0 ? n[1].slice(0, dot) : undefined;
        if (!name) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `Task \`${n[1]}\` has no text: what is it to do?`, current.keyRange));
        if (inHeading) inHeading.groups = true;
      } else {
        unnumbered.push({ task: current, owner: boxes[boxes.length - 1]?.task ?? inHeading?.task });
      }
      if (inHeading) headingOf.set(current, inHeading);
      boxes.push({ task: current, indent });
      read.tasks.push(current);
      currentIndent = indent;
      continue;
    }
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    // A line under a task's box belongs to it; one back at the margin, to the heading it is under.
    const holder = current && indent > currentIndent ? current : open[open.length - 1]?.task;
    if (!holder) continue;
    holder.range = { start: holder.range.start, end: start + line.length };
    const meta = META.exec(line);
    if (meta && /^depends$/i.test(meta[1])) {
      const listAt = line.indexOf(meta[2]);
      for (const ref of meta[2].matchAll(/\d+(?:\.\d+)*/g)) {
        const at = start + listAt + (ref.index ?? 0);
        holder.dependencies.push({ key: ref[0], range: { start: at, end: at + ref[0].length }, kind: 'explicit', reason: '_Depends:_' });
      }
      continue;
    }
    if (meta) {
      holder.details.push(`${meta[1]}: ${meta[2]}`);
      if (/^boundary$/i.test(meta[1])) holder.pathGuesses.push(...pathsIn(meta[2], start + line.indexOf(meta[2])));
      continue;
    }
    holder.details.push(line.trim().replace(/^[-*]\s+/, ''));
    holder.pathGuesses.push(...pathsIn(line, start));
  }

  // A numbered heading over numbered tasks only groups them (Kiro; an OpenSpec section is a package).
  const grouping = (t: RawTask | undefined) => flavour === 'kiro' && t !== undefined && headings.get(t)?.groups === true;
  const used = new Set(read.tasks.map((t) => t.key).filter(Boolean));
  const counters = new Map<string, number>();
  for (const u of unnumbered) {
    const under = u.owner?.key ?? '';
    let n = counters.get(under) ?? 0;
    let key: string;
    do key = under ? `${under}.${++n}` : String(++n);
    while (used.has(key));
    counters.set(under, n);
    used.add(key);
    u.task.key = key;
    u.task.parent = u.owner && !grouping(u.owner) ? u.owner.key : undefined;
  }
  if (unnumbered.length) {
    const first = unnumbered[0].task;
    const dot = first.key.lastIndexOf('.');
    const place = dot > 0 ? `task ${first.key.slice(dot + 1)} under \`${first.key.slice(0, dot)}\`` : `task ${first.key}`;
    read.diagnostics.push(diag('info', 'foreign-id-from-position', `This task has no number: it is named \`${first.key}\` by its place (${place}), as are the other tasks without one. Adding or moving a task renames those after it: number them to keep their names.`, first.keyRange));
    read.notes.push(`${unnumbered.length} ${unnumbered.length === 1 ? 'task has' : 'tasks have'} no number: each is named by its place (\`1.2\`: the second one under \`1.\`).`);
  }
  const groupingKeys = new Set<string>();
  for (const [task, h] of headings) {
    if (!grouping(task)) continue;
    read.tasks.splice(read.tasks.indexOf(task), 1);
    groupingKeys.add(task.key);
    for (const [t, outer] of headingOf) if (outer === h) t.phase = `${task.key}. ${task.title}`;
  }

  // Sub-task numbers name their parent; a parent that is not written is no parent.
  const byKey = new Map(read.tasks.map((t) => [t.key, t]));
  for (const t of read.tasks) {
    while (t.parent !== undefined && !byKey.has(t.parent)) {
      const dot = t.parent.lastIndexOf('.');
      t.parent = dot > 0 ? t.parent.slice(0, dot) : undefined;
    }
  }
  // The sections a task is in (grouping headings, innermost first).
  const sectionsOf = (t: RawTask): string[] => {
    const out: string[] = [];
    for (let h = headingOf.get(t); h; h = headingOf.get(h.task)) if (groupingKeys.has(h.task.key)) out.push(h.task.key);
    return out;
  };
  // A dependency on a grouping heading is one on every task in it.
  if (groupingKeys.size) {
    const inSection = new Map<string, RawTask[]>();
    for (const t of read.tasks) {
      if (t.parent !== undefined) continue;
      for (const key of sectionsOf(t)) {
        const list = inSection.get(key) ?? [];
        list.push(t);
        inSection.set(key, list);
      }
    }
    for (const t of read.tasks) {
      t.dependencies = t.dependencies.flatMap((d) => (byKey.has(d.key) || !inSection.has(d.key) ? [d] : inSection.get(d.key)!.filter((s) => s !== t).map((s) => ({ ...d, key: s.key }))));
    }
  }
  // A heading that is a task is done when its steps are.
  const stepsDone = new Map<RawTask, boolean>();
  for (const s of read.tasks) {
    const seen = new Set<string>();
    for (let p = s.parent; p !== undefined && !seen.has(p); p = byKey.get(p)?.parent) {
      seen.add(p);
      const h = byKey.get(p);
      if (h && headings.has(h)) stepsDone.set(h, (stepsDone.get(h) ?? true) && s.done === true);
    }
  }
  for (const [h, done] of stepsDone) h.done = done;

  const parallelMode = read.tasks.some((t) => t.parallel);
  const majors = read.tasks.filter((t) => t.parent === undefined);
  const childrenOf = (t: RawTask) => read.tasks.filter((c) => c.parent === t.key);
  if (!parallelMode) {
    // Sub-tasks fold into their major task (assemble.ts); majors one after the other.
    chain(majors.map((t) => [t]), flavour === 'kiro' ? 'the order of the tasks (Kiro runs them one by one)' : 'the order of the sections');
  } else {
    // Each leaf is a package: a major with sub-tasks, or a section, only groups them.
    read.notes.push('Tasks are marked (P): each sub-task is a package of its own, and a major task only groups its sub-tasks.');
    const blocks: { name: string; units: RawTask[] }[] = [];
    for (const major of majors) {
      const leaves = childrenOf(major);
      const section = sectionsOf(major)[0];
      if (leaves.length) {
        // The major's own line carries no work of its own.
        for (const leaf of leaves) leaf.parent = undefined;
        read.tasks.splice(read.tasks.indexOf(major), 1);
        for (const c of read.tasks) for (const d of c.dependencies) if (d.key === major.key) d.key = leaves[leaves.length - 1].key;
        for (const leaf of leaves) leaf.phase = `${major.key}. ${major.title}`;
        blocks.push({ name: major.key, units: leaves });
      } else if (section !== undefined && blocks[blocks.length - 1]?.name === `section ${section}`) {
        blocks[blocks.length - 1].units.push(major);
      } else {
        blocks.push({ name: section !== undefined ? `section ${section}` : major.key, units: [major] });
      }
    }
    let before: RawTask[] = [];
    for (const block of blocks) {
      const groups = groupsOf(block.units);
      if (groups.length) for (const t of groups[0]) imply(t, before, `the order of the major tasks (${block.name} follows the one before it)`);
      before = chain(groups, `the order of the tasks in ${block.name}`);
    }
  }
  const final = new Map(read.tasks.map((t) => [t.key, t]));
  const unitOf = (t: RawTask) => {
    const seen = new Set<string>();
    let u = t;
    for (let p = final.get(u.parent ?? ''); p && !seen.has(p.key); p = final.get(u.parent ?? '')) {
      seen.add(p.key);
      u = p;
    }
    return u.key;
  };
  dropCyclicImplied(read.tasks, unitOf);
  if (read.tasks.length === 0) read.notes.push('No numbered task (`- [ ] 1. …`) was found.');
  return read;
}
