/**
 * spec-kit `tasks.md` (github/spec-kit, templates/tasks-template.md): `- [ ] T001 [P] [US1] Text`
 * under `## Phase N: …` headings. `[P]`: may run in parallel with its neighbours (different files,
 * no dependencies); `[USn]`: the user story. Phases run in order, except that the user-story phases
 * all wait only for the phase before the first of them (Foundational) and a later phase waits for
 * all of them. Within a phase, tasks run in order, a run of `[P]` tasks together. Those dependencies
 * are implied; `(depends on T012, T013)` in a task's text is explicit.
 */
import { diag, linesOf, rangeIn, type RawRead, type RawTask } from './foreignModel';
import { pathsIn } from './pathGuesses';
import { chain, groupsOf, imply } from './sequence';

const TASK = /^(\s*)[-*] \[([ xX])\](\s*)(.*)$/;
const ID = /^(T\d+)\b\s*/;
const DEPENDS = /\b(?:depends on|depend on|blocked by|requires|after)\s+((?:T\d+)(?:\s*(?:,|and|&|\/)\s*T\d+)*)/gi;

interface Phase {
  name: string;
  story: boolean;
  tasks: RawTask[];
}

export function looksLikeSpecKit(text: string): boolean {
  return /^\s*[-*] \[[ xX]\] T\d{3,}\b/m.test(text);
}

export function readSpecKit(text: string): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const phases: Phase[] = [];
  let phase: Phase | undefined;
  let fence = false;
  const lines = linesOf(text);
  for (const { text: line, start } of lines) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const title = /^#\s+(?:Tasks:\s*)?(.+)$/.exec(line);
    if (title && read.title === undefined) read.title = title[1].trim();
    const heading = /^#{2}\s+(.+?)\s*$/.exec(line);
    if (heading) {
      const name = heading[1];
      phase = /^phase\b/i.test(name) || /user story/i.test(name) ? { name, story: /user story|\bUS\d+\b/i.test(name), tasks: [] } : undefined;
      if (phase) phases.push(phase);
      continue;
    }
    const m = TASK.exec(line);
    if (!m) {
      // A detail line under a task: its text names paths too.
      const last = read.tasks[read.tasks.length - 1];
      if (last && /^\s{2,}\S/.test(line) && start === last.range.end + 1) {
        last.details.push(line.trim());
        last.pathGuesses.push(...pathsIn(line, start));
        last.range = { start: last.range.start, end: start + line.length };
      }
      continue;
    }
    const bodyAt = m[1].length + 5 + m[3].length;
    const body = m[4];
    const id = ID.exec(body);
    if (!id) {
      const what = body.trim() ? `\`${body.trim().slice(0, 40)}\` has no task id (T001, T002, …)` : 'An empty task';
      read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `${what}: it is left out. Give it an id.`, { start, end: start + line.length }));
      continue;
    }
    const keyRange = { start: start + bodyAt, end: start + bodyAt + id[1].length };
    let rest = body.slice(id[0].length);
    let restAt = start + bodyAt + id[0].length;
    let parallel = false;
    let story: string | undefined;
    for (let tag = /^\[([^\]]+)\]\s*/.exec(rest); tag; tag = /^\[([^\]]+)\]\s*/.exec(rest)) {
      if (tag[1] === 'P') parallel = true;
      else if (/^US\d+$/i.test(tag[1])) story = tag[1].toUpperCase();
      else break;
      rest = rest.slice(tag[0].length);
      restAt += tag[0].length;
    }
    if (!rest.trim()) {
      read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `Task \`${id[1]}\` has no text: what is it to do?`, keyRange));
    }
    const task: RawTask = {
      key: id[1],
      keyRange,
      range: { start, end: start + line.length },
      title: rest.trim(),
      details: story ? [`User story ${story}.`] : [],
      dependencies: [],
      declaredWrites: [],
      pathGuesses: pathsIn(rest, restAt),
      phase: phase?.name,
      parallel,
      done: m[2] !== ' ',
    };
    for (const dm of rest.matchAll(DEPENDS)) {
      const listAt = (dm.index ?? 0) + dm[0].length - dm[1].length;
      for (const ref of dm[1].matchAll(/T\d+/g)) {
        task.dependencies.push({ key: ref[0], range: rangeIn(restAt, rest, ref[0], listAt + (ref.index ?? 0)), kind: 'explicit', reason: `"${dm[0]}"` });
      }
    }
    read.tasks.push(task);
    if (!phase) {
      phase = { name: '(no phase)', story: false, tasks: [] };
      phases.push(phase);
    }
    phase.tasks.push(task);
  }

  // Implied dependencies: within each phase by order; across phases as the template says.
  const used = phases.filter((p) => p.tasks.length > 0);
  for (const p of used) if (!p.story && p.tasks.every((t) => t.details[0]?.startsWith('User story'))) p.story = true;
  let before: RawTask[] = []; // what the next non-story phase waits for
  let base: RawTask[] = []; // what story phases wait for
  for (const p of used) {
    const groups = groupsOf(p.tasks);
    const waitFor = p.story ? base : before;
    if (groups.length) for (const t of groups[0]) imply(t, waitFor, `the order of phases (${p.story ? 'a user story waits for the phases before the stories' : `"${p.name}" follows the phase before it`})`);
    const last = chain(groups, `the order of tasks in "${p.name}"`);
    if (p.story) {
      before = before === base ? [...last] : [...before, ...last];
    } else {
      before = last;
      base = last;
    }
  }
  if (read.tasks.length === 0) read.notes.push('No task (`- [ ] T001 …`) was found.');
  return read;
}
