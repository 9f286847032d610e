/**
 * Spec Kitty work packages: `kitty-specs/<feature>/tasks/WP01-<slug>.md`, one work package a
 * file (older projects keep them in lane folders: `tasks/planned/`, `tasks/doing/`, `tasks/done/`).
 * The front matter: `work_package_id`, `title`, `dependencies` (work package ids: explicit),
 * `owned_files` (the files and globs it owns: its declared write scope), `phase`, `subtasks`
 * (the `T001` ids of tasks.md), `lane` in older files. The body is the work package's prompt.
 * A Markdown file with front matter in `tasks/` named otherwise (`01-setup.md`) is one too: its id
 * is its `work_package_id`, else the number its name starts with (`WP01`), else its place.
 *
 * The feature's `tasks.md` states dependencies too (specKittyTasks.ts). Every dependency either
 * states is read (the union): `finalize-tasks` copies tasks.md's into the front matter, but
 * features planned before it or edited after it state some only in tasks.md, and a dependency
 * left out costs a conflict where one too many costs only parallelism. Where tasks.md names one
 * the front matter's `dependencies` list does not (and that list is not empty), both places get a
 * warning. An empty or absent list is silent: tasks.md's are read, and a note says so.
 *
 * Newer projects keep the lanes beside `tasks/`, in the feature's state files (specKittyState.ts):
 * a work package those give a lane is done when it is `done` there, whatever its front matter
 * says (Spec Kitty no longer reads it); `lanes.json` adds the order of lane-mates that share files.
 */
import type { TextRange } from '../plan/model';
import { diag, type RawDependency, type RawRead, type RawTask, type SourceFile } from './foreignModel';
import { frontMatterOf, listOf, rangeOf, textOf } from './frontMatter';
import { pathsIn } from './pathGuesses';
import { isKittyTasksMd, readKittyTasksMd } from './specKittyTasks';
import { isSpecKittyStateFile, KITTY_LANES, kittyLane, readKittyState } from './specKittyState';

const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** A Spec Kitty work package by its name: `WP01.md`, `WP01-slug.md`. */
export function isSpecKittyFile(path: string): boolean {
  return /^WP\d+\b[^/]*\.md$/i.test(baseOf(path.replace(/\\/g, '/')));
}

/** A file of a feature read with its work packages: a state file (specKittyState.ts) or its `tasks.md`. */
export function isSpecKittyFeatureFile(path: string): boolean {
  return isSpecKittyStateFile(path) || isKittyTasksMd(path);
}

/**
 * A work package file of a folder read as Spec Kitty: a `WP*.md`, a Markdown file whose front
 * matter has `work_package_id`, or one with front matter in a `tasks/` folder (or a lane folder
 * under it) named otherwise (`tasks/01-setup.md`; not a README).
 */
export function isSpecKittyTaskFile(path: string, text: string): boolean {
  const p = path.replace(/\\/g, '/');
  if (isSpecKittyFile(p)) return true;
  if (!/\.md$/i.test(p)) return false;
  if (looksLikeSpecKitty(text)) return true;
  const parts = p.split('/');
  const parent = parts[parts.length - 2];
  const inTasks = parent === 'tasks' || (parent !== undefined && LANE_FOLDERS.has(parent) && parts[parts.length - 3] === 'tasks');
  return inTasks && !/^(readme|tasks)\.md$/i.test(parts[parts.length - 1]) && /^---[ \t]*\r?\n/.test(text);
}

const LANE_FOLDERS = new Set(['planned', 'doing', 'for_review', 'done']);

export function looksLikeSpecKitty(text: string): boolean {
  const fm = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---/.exec(text);
  return !!fm && /^work_package_id\s*:/m.test(fm[1]);
}

/** The folder of a feature a work package is in (the one above its `tasks/`); a state file's is its own. */
export function kittyFeatureFolder(path: string): string {
  const parts = path.split('/').slice(0, -1);
  if (isSpecKittyStateFile(path)) return parts.join('/');
  const at = parts.lastIndexOf('tasks');
  return (at >= 0 ? parts.slice(0, at) : parts).join('/');
}

/** Lanes of the front matter: the four of older versions and those of the state files. */
const FRONT_MATTER_LANES = new Set([...KITTY_LANES, 'doing']);

/** What a work package's front matter says of its dependencies: the ids its `dependencies` list names, and where that list is. */
interface Declared {
  ids: Set<string>;
  range?: TextRange;
}

/**
 * `files`: the work packages; `featureFiles`: the files of their features beside `tasks/` — the
 * state files and `tasks.md` (the others are passed over).
 */
export function readSpecKitty(files: readonly SourceFile[], featureFiles: readonly SourceFile[] = []): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const ownLane = new Map<RawTask, string>();
  const declared = new Map<RawTask, Declared>();
  const unnamed: RawTask[] = [];
  for (const { path, text } of files) {
    const base = baseOf(path);
    const fm = frontMatterOf(text);
    const top = { start: 0, end: Math.min(text.length, Math.max(0, text.indexOf('\n')) || text.length) };
    const fromName = /^(WP\d+)/i.exec(base)?.[1]?.toUpperCase();
    const task: RawTask = { key: fromName ?? base.replace(/\.md$/i, ''), keyRange: top, range: { start: 0, end: text.length }, title: '', details: [], dependencies: [], declaredWrites: [], pathGuesses: [], file: path };
    const bodyStart = fm?.bodyStart ?? 0;
    const body = text.slice(bodyStart);
    let named = fromName !== undefined;
    if (!fm) {
      read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `\`${base}\` has no front matter (\`---\` with work_package_id, dependencies, owned_files): read as a work package with no dependency and no files.`, top, null, path));
    } else {
      if (fm.error) read.diagnostics.push(diag('error', 'foreign-not-format', `The front matter of \`${base}\` is not valid YAML (${fm.error.message}): read as far as it goes.`, fm.error.range, null, path));
      const idNode = fm.values.get('work_package_id');
      const id = textOf(idNode, fm, text);
      const idRange = rangeOf(idNode, fm);
      if (id && idRange) {
        task.key = id;
        task.keyRange = idRange;
        named = true;
      }
      task.title = (textOf(fm.values.get('title'), fm, text) ?? '').trim();
      task.phase = textOf(fm.values.get('phase'), fm, text);
      if (fm.values.has('dependencies')) {
        const node = fm.values.get('dependencies');
        const deps = listOf(node, fm, text);
        for (const d of deps.items) task.dependencies.push({ key: d.value, range: d.range, kind: 'explicit', reason: '`dependencies`' });
        for (const bad of deps.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A \`dependencies\` entry of \`${task.key}\` must be a work package id (\`WP01\`).`, bad, null, path));
        declared.set(task, { ids: new Set(deps.items.map((d) => d.value)), range: rangeOf(node, fm) ?? fm.keys.get('dependencies') });
      }
      if (fm.values.has('owned_files')) {
        const owned = listOf(fm.values.get('owned_files'), fm, text);
        task.declaredWrites = owned.items;
        for (const bad of owned.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `An \`owned_files\` entry of \`${task.key}\` must be a path or a glob.`, bad, null, path));
      } else task.pathGuesses = pathsIn(body, bodyStart);
      const subtasks = listOf(fm.values.get('subtasks'), fm, text).items.map((s) => s.value);
      if (subtasks.length) task.details.push(`Subtasks: ${subtasks.join(', ')}.`);
      const laneNode = fm.values.get('lane');
      const lane = textOf(laneNode, fm, text);
      const folder = /\/tasks\/(planned|doing|for_review|done)\//.exec(path)?.[1];
      if (lane && !FRONT_MATTER_LANES.has(lane)) {
        read.diagnostics.push(diag('warning', 'foreign-state-invalid', `\`lane: ${lane}\` is not a Spec Kitty lane (${[...FRONT_MATTER_LANES].join(', ')}): \`${task.key}\` is read as not done.`, rangeOf(laneNode, fm) ?? top, null, path));
      }
      const own = (lane && FRONT_MATTER_LANES.has(lane) ? kittyLane(lane, FRONT_MATTER_LANES) : undefined) ?? folder;
      if (own) ownLane.set(task, own);
      task.done = own === 'done' || folder === 'done';
    }
    if (!named) unnamed.push(task);
    const heading = /^#\s+(?:Work Package Prompt:\s*)?(.+)$/m.exec(body);
    if (!task.title) task.title = heading?.[1].trim() ?? task.key;
    const prompt = body.trim();
    if (prompt) task.details.push(prompt);
    read.tasks.push(task);
  }
  nameUnnamed(read, unnamed);
  const fromTasksMd = applyTasksMd(read, featureFiles, declared);
  const silent = read.tasks.filter((t) => !declared.has(t) && !fromTasksMd.has(t)).length;
  if (silent > 0) read.notes.push(`${silent} of ${files.length} work packages have no \`dependencies\` in their front matter: read as depending on none.`);
  applyState(read, featureFiles, ownLane);
  return read;
}

/**
 * Ids for work packages whose front matter has no `work_package_id` and whose names no `WP01`:
 * the number the name starts with (`01-setup.md` → `WP01`), else the first `WPnn` not taken,
 * counting from the file's place among those read. Said in a note.
 */
function nameUnnamed(read: RawRead, unnamed: RawTask[]): void {
  if (unnamed.length === 0) return;
  const taken = new Set(read.tasks.filter((t) => !unnamed.includes(t)).map((t) => t.key));
  const byNumber: string[] = [];
  const byPlace: string[] = [];
  for (const task of unnamed) {
    const base = baseOf(task.file!);
    const number = /^0*(\d{1,3})(?!\d)/.exec(base)?.[1];
    let key = number !== undefined ? `WP${number.padStart(2, '0')}` : undefined;
    const fromNumber = key !== undefined && !taken.has(key);
    if (!fromNumber) {
      let n = read.tasks.indexOf(task) + 1;
      while (taken.has(`WP${String(n).padStart(2, '0')}`)) n++;
      key = `WP${String(n).padStart(2, '0')}`;
    }
    taken.add(key!);
    task.key = key!;
    (fromNumber ? byNumber : byPlace).push(`\`${base}\` → \`${key}\``);
  }
  const say = (list: string[], how: string) =>
    list.length && read.notes.push(`${list.join(', ')}: ${list.length === 1 ? 'its front matter has' : 'their front matter has'} no \`work_package_id\` and ${list.length === 1 ? 'its name' : 'their names'} no work package id; read by ${how}.`);
  say(byNumber, byNumber.length === 1 ? 'the number its name starts with' : 'the numbers their names start with');
  say(byPlace, byPlace.length === 1 ? 'its place among the files' : 'their places among the files');
}

/**
 * The dependencies each feature's tasks.md states (specKittyTasks.ts), added to its work packages'
 * (see the top of this file): first those of work packages whose front matter lists none, then
 * those a `dependencies` list leaves out — silently when the work package waits for it already
 * (through others), else with a warning in both places. One that would close a cycle through a
 * front matter's dependency is not read (the front matter counts), with a warning in both places.
 * Returns the work packages whose dependencies came from tasks.md alone.
 */
function applyTasksMd(read: RawRead, featureFiles: readonly SourceFile[], declared: Map<RawTask, Declared>): Set<RawTask> {
  const fromTasksMd = new Set<RawTask>();
  const tasksMd = featureFiles.filter((f) => isKittyTasksMd(f.path));
  if (tasksMd.length === 0) return fromTasksMd;
  const silentKeys: string[] = [];
  const warn = (message: string, range: TextRange, file: string | undefined) => read.diagnostics.push(diag('warning', 'foreign-dependencies-disagree', message, range, null, file));
  const code = (k: string) => `\`${k}\``;
  for (const [folder, tasks] of byFeature(read.tasks)) {
    const file = tasksMd.find((f) => kittyFeatureFolder(f.path) === folder);
    if (!file) continue;
    const byKey = new Map<string, RawTask>();
    for (const t of tasks) if (!byKey.has(t.key)) byKey.set(t.key, t);
    const isSilent = (t: RawTask) => (declared.get(t)?.ids.size ?? 0) === 0;
    const stated = readKittyTasksMd(file.text)
      .map((section) => ({ task: byKey.get(section.wp)!, deps: section.dependencies }))
      .filter(({ task, deps }) => task !== undefined && deps.length > 0);
    for (const { task, deps } of [...stated.filter((x) => isSilent(x.task)), ...stated.filter((x) => !isSilent(x.task))]) {
      const silent = isSilent(task);
      const added: { key: string; range: TextRange }[] = [];
      for (const d of deps) {
        if (task.dependencies.some((x) => x.key === d.key)) continue;
        const target = byKey.get(d.key);
        const loop = target ? pathTo(target, task, byKey) : null;
        const through = loop?.find((e) => e.dep.file === undefined); // a front matter's dependency on the way back
        if (loop && through) {
          const back = [d.key, ...loop.map((e) => e.dep.key)].map(code).join(' → ');
          warn(`tasks.md says ${code(task.key)} depends on ${code(d.key)}, which waits for ${code(task.key)} already (${back}): not read, as it would close a dependency cycle. Correct one of them.`, d.range, file.path);
          warn(`${code(through.from.key)} depends on ${code(through.dep.key)} here, but tasks.md says ${code(task.key)} depends on ${code(d.key)} (${back}): that is not read, as it would close a dependency cycle. Correct one of them.`, through.dep.range, through.from.file);
          continue;
        }
        const ordered = target !== undefined && !loop && pathTo(task, target, byKey) !== null;
        task.dependencies.push({ key: d.key, range: d.range, kind: 'explicit', reason: '`Depends on` in tasks.md', file: file.path });
        if (!silent && target && !ordered) added.push(d);
      }
      if (silent) {
        if (task.dependencies.length > 0) {
          fromTasksMd.add(task);
          silentKeys.push(code(task.key));
        }
        continue;
      }
      if (added.length === 0) continue;
      const all = task.dependencies.map((x) => code(x.key)).join(', ');
      for (const m of added) warn(`tasks.md says ${code(task.key)} depends on ${code(m.key)}, which the \`dependencies\` of its front matter do not name: read as depending on both (${all}). Add it there, or remove it here.`, m.range, file.path);
      const them = added.length === 1 ? 'it' : 'them';
      warn(`\`dependencies\` does not name ${added.map((m) => code(m.key)).join(', ')}, which tasks.md says ${code(task.key)} depends on: read as depending on both (${all}). Add ${them} here, or remove ${them} from tasks.md.`, declared.get(task)!.range ?? task.keyRange, task.file);
    }
  }
  if (silentKeys.length) read.notes.push(`${silentKeys.join(', ')} ${silentKeys.length === 1 ? 'has' : 'have'} no dependency in ${silentKeys.length === 1 ? 'its' : 'their'} front matter: ${silentKeys.length === 1 ? 'its dependencies are' : 'their dependencies are'} read from tasks.md.`);
  return fromTasksMd;
}

/** A dependency path from `from` to `to`, each step the work package and its dependency taken; null when there is none. */
function pathTo(from: RawTask, to: RawTask, byKey: ReadonlyMap<string, RawTask>): { from: RawTask; dep: RawDependency }[] | null {
  const before = new Map<RawTask, { from: RawTask; dep: RawDependency } | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const t = queue[i];
    if (t === to) {
      const path: { from: RawTask; dep: RawDependency }[] = [];
      for (let step = before.get(t); step; step = before.get(step.from)) path.unshift(step);
      return path;
    }
    for (const dep of t.dependencies) {
      const next = byKey.get(dep.key);
      if (!next || before.has(next)) continue;
      before.set(next, { from: t, dep });
      queue.push(next);
    }
  }
  return null;
}

/** The work packages of each feature folder, in order. */
function byFeature(tasks: readonly RawTask[]): Map<string, RawTask[]> {
  const features = new Map<string, RawTask[]>();
  for (const task of tasks) {
    const folder = kittyFeatureFolder(task.file!);
    const list = features.get(folder);
    if (list) list.push(task);
    else features.set(folder, [task]);
  }
  return features;
}

/** The lanes and lane order of each feature's state files, on its work packages. */
function applyState(read: RawRead, stateFiles: readonly SourceFile[], ownLane: Map<RawTask, string>): void {
  for (const [folder, tasks] of byFeature(read.tasks)) {
    const mine = stateFiles.filter((f) => isSpecKittyStateFile(f.path) && kittyFeatureFolder(f.path) === folder);
    if (mine.length === 0) continue;
    const byKey = new Map<string, RawTask>();
    for (const t of tasks) if (!byKey.has(t.key)) byKey.set(t.key, t);
    const dependsOn = new Map([...byKey].map(([key, t]) => [key, t.dependencies.map((d) => d.key)]));
    const state = readKittyState(mine, new Set(byKey.keys()), dependsOn);
    read.diagnostics.push(...state.diagnostics);
    read.notes.push(...state.notes);
    for (const { wp, after, reason } of state.implied) {
      const task = byKey.get(wp)!;
      task.dependencies.push({ key: after, range: task.keyRange, kind: 'implied', reason });
    }
    if (state.from === null) continue;
    const from = state.from.slice(state.from.lastIndexOf('/') + 1);
    const byOwnLane: string[] = [];
    const approved: string[] = [];
    const canceled: string[] = [];
    for (const [key, task] of byKey) {
      const lane = state.lanes.get(key);
      if (lane === undefined) {
        if (ownLane.has(task)) byOwnLane.push(key);
        continue;
      }
      task.done = lane === 'done';
      if (lane === 'approved') approved.push(key);
      if (lane === 'canceled') canceled.push(key);
    }
    const list = (keys: string[]) => keys.map((k) => `\`${k}\``).join(', ');
    if (byOwnLane.length) read.notes.push(`${list(byOwnLane)} ${byOwnLane.length === 1 ? 'has' : 'have'} no lane in ${from}: read by ${byOwnLane.length === 1 ? 'its' : 'their'} front matter \`lane\` or lane folder.`);
    if (approved.length) read.notes.push(`${list(approved)} ${approved.length === 1 ? 'is' : 'are'} \`approved\` in ${from} (reviewed, not merged yet): read as not done.`);
    if (canceled.length) read.notes.push(`${list(canceled)} ${canceled.length === 1 ? 'is' : 'are'} \`canceled\` in ${from}: Spec Kitty will not run ${canceled.length === 1 ? 'it' : 'them'}; read all the same (drop ${canceled.length === 1 ? 'it' : 'them'} from the converted plan).`);
  }
}
