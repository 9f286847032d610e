/**
 * Which files of a folder read as one plan are read — a GSD phase folder (or a folder of phase
 * folders), a Spec Kitty feature or its `tasks/` folder — the one rule `waves validate <folder>`
 * (src/cli/foreignPlans.ts, node's fs) and the editor (src/plan/folderPlans.ts, the workspace's
 * file system) list a folder by. Pure, and it imports nothing. Here rather than in
 * src/core/formats: the editor lists a folder at activation, which holds none of the readers
 * (ADR 0030, test/build/bundles.test.ts). Each caller lists the folders the rule asks for, then
 * asks again:
 *
 *     const listed = new Map();
 *     for (let step = folderPlanFiles(name, listed); 'list' in step; step = folderPlanFiles(name, listed))
 *       for (const rel of step.list) listed.set(rel, listingOf(rel));
 *
 * Paths are relative to the folder read, with `/` (`..` its parent: Spec Kitty's state files
 * beside `tasks/`).
 */

/** One entry of a folder's listing: a folder, or anything else (read as a file). */
export interface FolderEntry {
  readonly name: string;
  readonly dir: boolean;
}

/** The next step: the folders still to list, or the files to read, in order (at most `MAX_FOLDER_FILES`). */
export type FolderFilesStep = { readonly list: readonly string[] } | { readonly files: readonly string[] };

/** At most this many files of a folder are read. */
export const MAX_FOLDER_FILES = 5000;

/** Spec Kitty's lane folders under `tasks/`. */
export const LANE_FOLDERS: ReadonlySet<string> = new Set(['planned', 'doing', 'for_review', 'done']);
/** Spec Kitty's state files beside `tasks/` (formats/specKittyState.ts reads them). */
const KITTY_STATE_FILES = new Set(['status.events.jsonl', 'status.json', 'lanes.json']);
/** The feature's files beside `tasks/` read with it: the state files and `tasks.md` (its dependencies: formats/specKittyTasks.ts). */
const KITTY_FEATURE_FILES = new Set([...KITTY_STATE_FILES, 'tasks.md']);

/** A GSD plan file by its name (formats/gsd.ts `isGsdPlanFile`). */
const isGsdName = (name: string) => name.endsWith('-PLAN.md') || name === 'PLAN.md';
/** A Spec Kitty work package by its name (formats/specKitty.ts `isSpecKittyFile`). */
const isKittyName = (name: string) => /^WP\d+\b[^/]*\.md$/i.test(name);

const byName = (a: FolderEntry, b: FolderEntry) => a.name.localeCompare(b.name, 'en', { numeric: true });
const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
/** The folder a relative folder is in: `..` for the folder read itself. */
const parentOf = (dir: string) => (dir === '' ? '..' : dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '');

/**
 * The files of the folder `name` read as a plan, from the listings of it and its folders
 * (`listed`, by relative path; a folder not listed yet is asked for): its own files, and the
 * lane folders' (Spec Kitty) or — a folder of GSD phase folders — each phase folder's; a folder
 * with `tasks/` and no plan file of its own is its `tasks/`; a folder named `tasks` without GSD
 * plan files is Spec Kitty's, whatever its files are named (`01-setup.md`); for a `tasks/` folder
 * read as Spec Kitty, the state files and `tasks.md` of the feature above it. `hint`: the
 * folder's format when the caller knows it. Each folder in name order, numbers by value (`WP2`
 * before `WP10`).
 */
export function folderPlanFiles(name: string, listed: ReadonlyMap<string, readonly FolderEntry[]>, hint?: 'gsd' | 'spec-kitty'): FolderFilesStep {
  const missing = (dirs: readonly string[]) => dirs.filter((d) => !listed.has(d));
  const entries = (dir: string) => [...(listed.get(dir) ?? [])].sort(byName);
  const holds = (dir: string, test: (name: string) => boolean) => entries(dir).some((e) => !e.dir && test(e.name));
  let base = '';
  let baseName = name;
  for (;;) {
    if (missing([base]).length) return { list: [base] };
    if (hint === 'gsd' || holds(base, isGsdName) || holds(base, isKittyName) || !entries(base).some((e) => e.dir && e.name === 'tasks')) break;
    // A Spec Kitty feature: its tasks/ folder.
    base = join(base, 'tasks');
    baseName = 'tasks';
    hint = 'spec-kitty';
  }
  const own = entries(base);
  const kitty = hint === 'spec-kitty' || holds(base, isKittyName) || (hint === undefined && baseName === 'tasks' && !holds(base, isGsdName));
  // Spec Kitty's lane folders; or, for a folder of GSD phase folders, each phase.
  const folders = own.filter((e) => e.dir && (kitty ? LANE_FOLDERS.has(e.name) : hint === undefined && !holds(base, isGsdName))).map((e) => join(base, e.name));
  // Spec Kitty's lanes (status.events.jsonl, status.json, lanes.json) and tasks.md beside tasks/.
  const feature = kitty && baseName === 'tasks' ? parentOf(base) : null;
  const more = missing(feature === null ? folders : [...folders, feature]);
  if (more.length) return { list: more };
  const files = own.filter((e) => !e.dir).map((e) => join(base, e.name));
  for (const dir of folders) files.push(...entries(dir).filter((e) => !e.dir).map((e) => join(dir, e.name)));
  if (feature !== null) files.push(...entries(feature).filter((e) => !e.dir && KITTY_FEATURE_FILES.has(e.name)).map((e) => join(feature, e.name)));
  return { files: files.slice(0, MAX_FOLDER_FILES) };
}

/** Whether a file of such a folder is only named, its text not read: neither Markdown nor a Spec Kitty state file (a `SUMMARY.md` is read; an image is not). */
export function onlyNamed(file: string): boolean {
  return !/\.md$/i.test(file) && !KITTY_STATE_FILES.has(file.slice(file.replace(/\\/g, '/').lastIndexOf('/') + 1));
}
