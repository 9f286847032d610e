/**
 * Kiro and cc-sdd `tasks.md` (.kiro/specs/<feature>/tasks.md): numbered check-box tasks,
 * `- [ ] 1. Major task` and `- [ ] 1.1 Sub-task` (indented under it, or not), or `## 1. Section`
 * headings over `1.1` tasks; detail bullets under a task; `_Requirements: 1.1, 2.3_`,
 * `_Depends: 1.2_` (explicit dependencies) and `_Boundary: Component_` (cc-sdd). A task may end in
 * ` (P)` (cc-sdd): it may run in parallel with its neighbours.
 *
 * Packages: without any `(P)`, Kiro runs the tasks one by one: sub-tasks go into their major
 * task's package, and each major task waits for the one before it (implied by order). With `(P)`
 * marks (cc-sdd's parallel mode) each sub-task is a package; within a major task they run in
 * order, a run of `(P)` tasks together, and a major task waits for the one before it (implied).
 */
import { diag, linesOf, type RawRead, type RawTask } from './foreignModel';
import { pathsIn } from './pathGuesses';
import { chain, groupsOf, imply } from './sequence';

const TASK = /^(\s*)[-*] \[([ xX-])\]\*?(\s*)(.*)$/;
const NUMBER = /^(\d+(?:\.\d+)*)\.?(?=\s|$)\s*/;
const SECTION = /^#{2,3}\s+(\d+)\.\s+(.+?)\s*$/;
const META = /^\s*[-*]?\s*_(Requirements|Depends|Boundary|Leverage)\s*:\s*(.*?)_?\s*$/i;

export function looksLikeKiro(text: string): boolean {
  return /^\s*[-*] \[[ xX-]\]\*? \d+(\.\d+)*\.?\s/m.test(text) && !/^\s*[-*] \[[ xX]\] T\d{3}\b/m.test(text);
}

export function readKiro(text: string, flavour: 'kiro' | 'openspec' = 'kiro'): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  let fence = false;
  let current: RawTask | undefined;
  let currentIndent = 0;
  for (const { text: line, start } of linesOf(text)) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const title = /^#\s+(.+)$/.exec(line);
    if (title && read.title === undefined) read.title = title[1].trim();
    const section = SECTION.exec(line);
    if (section) {
      const at = line.indexOf(section[1]);
      current = {
        key: section[1],
        keyRange: { start: start + at, end: start + at + section[1].length },
        range: { start, end: start + line.length },
        title: section[2],
        details: [],
        dependencies: [],
        declaredWrites: [],
        pathGuesses: pathsIn(section[2], start + line.indexOf(section[2])),
      };
      read.tasks.push(current);
      currentIndent = -1;
      continue;
    }
    if (/^#/.test(line)) {
      current = undefined;
      continue;
    }
    const m = TASK.exec(line);
    if (m) {
      const bodyAt = line.length - m[4].length;
      const body = m[4];
      const n = NUMBER.exec(body);
      if (!n) {
        const what = body.trim() ? `\`${body.trim().slice(0, 40)}\` has no task number (1., 1.1, …)` : 'An empty task';
        read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `${what}: it is left out. Number it.`, { start, end: start + line.length }));
        current = undefined;
        continue;
      }
      let rest = body.slice(n[0].length);
      const parallel = /\(P\)\s*$/.test(rest) || /^\(P\)\s*/.test(rest);
      rest = rest.replace(/\s*\(P\)\s*$/, '').replace(/^\(P\)\s*/, '');
      const key = n[1];
      const keyRange = { start: start + bodyAt, end: start + bodyAt + key.length };
      if (!rest.trim()) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `Task \`${key}\` has no text: what is it to do?`, keyRange));
      const dot = key.lastIndexOf('.');
      current = {
        key,
        keyRange,
        range: { start, end: start + line.length },
        title: rest.trim(),
        details: [],
        parent: dot > 0 ? key.slice(0, dot) : undefined,
        dependencies: [],
        declaredWrites: [],
        pathGuesses: pathsIn(body, start + bodyAt),
        parallel,
        done: m[2] !== ' ',
      };
      read.tasks.push(current);
      currentIndent = m[1].length;
      continue;
    }
    if (!current || !line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    if (indent <= currentIndent) continue;
    current.range = { start: current.range.start, end: start + line.length };
    const meta = META.exec(line);
    if (meta && /^depends$/i.test(meta[1])) {
      const listAt = line.indexOf(meta[2]);
      for (const ref of meta[2].matchAll(/\d+(?:\.\d+)*/g)) {
        const at = start + listAt + (ref.index ?? 0);
        current.dependencies.push({ key: ref[0], range: { start: at, end: at + ref[0].length }, kind: 'explicit', reason: '_Depends:_' });
      }
      continue;
    }
    if (meta) {
      current.details.push(`${meta[1]}: ${meta[2]}`);
      if (/^boundary$/i.test(meta[1])) current.pathGuesses.push(...pathsIn(meta[2], start + line.indexOf(meta[2])));
      continue;
    }
    current.details.push(line.trim().replace(/^[-*]\s+/, ''));
    current.pathGuesses.push(...pathsIn(line, start));
  }

  // Sub-task numbers name their parent; a parent that is not written is no parent.
  const keys = new Set(read.tasks.map((t) => t.key));
  for (const t of read.tasks) {
    while (t.parent !== undefined && !keys.has(t.parent)) {
      const dot = t.parent.lastIndexOf('.');
      t.parent = dot > 0 ? t.parent.slice(0, dot) : undefined;
    }
  }
  const parallelMode = read.tasks.some((t) => t.parallel);
  const majors = read.tasks.filter((t) => t.parent === undefined);
  const childrenOf = (t: RawTask) => read.tasks.filter((c) => c.parent === t.key);
  if (!parallelMode) {
    // Sub-tasks fold into their major task (assemble.ts); majors one after the other.
    chain(majors.map((t) => [t]), flavour === 'kiro' ? 'the order of the tasks (Kiro runs them one by one)' : 'the order of the sections');
  } else {
    // Each leaf is a package: a major with sub-tasks only groups them.
    read.notes.push('Tasks are marked (P): each sub-task is a package of its own, and a major task only groups its sub-tasks.');
    let before: RawTask[] = [];
    for (const major of majors) {
      const leaves = childrenOf(major);
      const units = leaves.length ? leaves : [major];
      for (const leaf of leaves) leaf.parent = undefined;
      if (leaves.length) {
        // The major's own line carries no work of its own: its details go to its first sub-task.
        read.tasks.splice(read.tasks.indexOf(major), 1);
        for (const c of read.tasks) for (const d of c.dependencies) if (d.key === major.key) d.key = leaves[leaves.length - 1].key;
        for (const leaf of leaves) leaf.phase = `${major.key}. ${major.title}`;
      }
      const groups = groupsOf(units);
      if (groups.length) for (const t of groups[0]) imply(t, before, `the order of the major tasks (${major.key} follows the one before it)`);
      before = chain(groups, `the order of the tasks in ${major.key}`);
    }
  }
  if (read.tasks.length === 0) read.notes.push('No numbered task (`- [ ] 1. …`) was found.');
  return read;
}
