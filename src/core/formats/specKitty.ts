/**
 * Spec Kitty work packages: `kitty-specs/<feature>/tasks/WP01-<slug>.md`, one work package a
 * file (older projects keep them in lane folders: `tasks/planned/`, `tasks/doing/`, `tasks/done/`).
 * The front matter: `work_package_id`, `title`, `dependencies` (work package ids: explicit),
 * `owned_files` (the files and globs it owns: its declared write scope), `phase`, `subtasks`
 * (the `T001` ids of tasks.md), `lane` in older files. The body is the work package's prompt.
 *
 * Newer projects keep the lanes beside `tasks/`, in the feature's state files (specKittyState.ts):
 * a work package those give a lane is done when it is `done` there, whatever its front matter
 * says (Spec Kitty no longer reads it); `lanes.json` adds the order of lane-mates that share files.
 */
import { diag, type RawRead, type RawTask, type SourceFile } from './foreignModel';
import { frontMatterOf, listOf, rangeOf, textOf } from './frontMatter';
import { pathsIn } from './pathGuesses';
import { isSpecKittyStateFile, KITTY_LANES, kittyLane, readKittyState } from './specKittyState';

const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** A Spec Kitty work package by its name: `WP01.md`, `WP01-slug.md`. */
export function isSpecKittyFile(path: string): boolean {
  return /^WP\d+\b[^/]*\.md$/i.test(baseOf(path.replace(/\\/g, '/')));
}

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

/** `files`: the work packages; `stateFiles`: the state files of their features (the others are passed over). */
export function readSpecKitty(files: readonly SourceFile[], stateFiles: readonly SourceFile[] = []): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  let noDependencies = 0;
  const ownLane = new Map<RawTask, string>();
  for (const { path, text } of files) {
    const base = baseOf(path);
    const fm = frontMatterOf(text);
    const top = { start: 0, end: Math.min(text.length, Math.max(0, text.indexOf('\n')) || text.length) };
    const fromName = /^(WP\d+)/i.exec(base)?.[1]?.toUpperCase() ?? base.replace(/\.md$/i, '');
    const task: RawTask = { key: fromName, keyRange: top, range: { start: 0, end: text.length }, title: '', details: [], dependencies: [], declaredWrites: [], pathGuesses: [], file: path };
    const bodyStart = fm?.bodyStart ?? 0;
    const body = text.slice(bodyStart);
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
      }
      task.title = (textOf(fm.values.get('title'), fm, text) ?? '').trim();
      task.phase = textOf(fm.values.get('phase'), fm, text);
      if (fm.values.has('dependencies')) {
        const deps = listOf(fm.values.get('dependencies'), fm, text);
        for (const d of deps.items) task.dependencies.push({ key: d.value, range: d.range, kind: 'explicit', reason: '`dependencies`' });
        for (const bad of deps.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A \`dependencies\` entry of \`${task.key}\` must be a work package id (\`WP01\`).`, bad, null, path));
      } else noDependencies++;
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
    const heading = /^#\s+(?:Work Package Prompt:\s*)?(.+)$/m.exec(body);
    if (!task.title) task.title = heading?.[1].trim() ?? task.key;
    const prompt = body.trim();
    if (prompt) task.details.push(prompt);
    read.tasks.push(task);
  }
  if (noDependencies > 0) read.notes.push(`${noDependencies} of ${files.length} work packages have no \`dependencies\` in their front matter: read as depending on none.`);
  applyState(read, stateFiles, ownLane);
  return read;
}

/** The lanes and lane order of each feature's state files, on its work packages. */
function applyState(read: RawRead, stateFiles: readonly SourceFile[], ownLane: Map<RawTask, string>): void {
  const features = new Map<string, RawTask[]>();
  for (const task of read.tasks) {
    const folder = kittyFeatureFolder(task.file!);
    features.set(folder, [...(features.get(folder) ?? []), task]);
  }
  for (const [folder, tasks] of features) {
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
