/**
 * Bring your own plan: the task lists people already have, read as plans. One entry point:
 * `readForeignPlan(fileName, text)` finds the format (`detectFormat`) and reads it into the plan
 * model (`Plan`, every range into the source text), with positioned diagnostics of what a safe
 * parallel run still needs and of bad input. It never throws. Reading the file is the caller's.
 *
 * Formats: spec-kit `tasks.md`, Kiro / cc-sdd `tasks.md`, Taskmaster `tasks.json`, beads
 * `issues.jsonl`, OpenSpec `tasks.md`; and two that keep one task a file, read a folder at a time
 * by `readForeignFolder(files)`: GSD `PLAN.md` (a phase folder) and Spec Kitty `WP*.md` (a
 * feature's `tasks/` folder). Listing and reading the files is the caller's.
 */
import { assemble, packageIdOf, type ForeignPlanResult } from './assemble';
import { looksLikeBeads, readBeads } from './beads';
import { diag, type ForeignFormat, type RawRead, type SourceFile } from './foreignModel';
import { isGsdPlanFile, looksLikeGsd, readGsd } from './gsd';
import { looksLikeKiro, readKiro } from './kiro';
import { looksLikeOpenSpec, readOpenSpec } from './openSpec';
import { looksLikeSpecKit, readSpecKit } from './specKit';
import { isSpecKittyFeatureFile, isSpecKittyFile, isSpecKittyTaskFile, looksLikeSpecKitty, readSpecKitty } from './specKitty';
import { looksLikeTaskmaster, readTaskmaster, type TaskmasterOptions } from './taskmaster';

export type { ForeignDiagnostic, ForeignFormat, SourceFile } from './foreignModel';
export type { ForeignDependency, ForeignPackage, ForeignPlanResult } from './assemble';

export const FOREIGN_FORMATS: readonly ForeignFormat[] = ['spec-kit', 'kiro', 'taskmaster', 'beads', 'openspec', 'gsd', 'spec-kitty'];

/** The formats that keep one task a file, read a folder at a time (`readForeignFolder`). */
export const FOLDER_FORMATS: readonly ForeignFormat[] = ['gsd', 'spec-kitty'];

const NAMES: Record<ForeignFormat, string> = {
  'spec-kit': 'spec-kit tasks.md',
  kiro: 'Kiro / cc-sdd tasks.md',
  taskmaster: 'Taskmaster tasks.json',
  beads: 'beads issues.jsonl',
  openspec: 'OpenSpec tasks.md',
  gsd: 'GSD PLAN.md',
  'spec-kitty': 'Spec Kitty work packages',
};

export function formatName(format: ForeignFormat): string {
  return NAMES[format];
}

/** The format a file is in, from its path and its text; null when it is none of them. */
export function detectFormat(fileName: string, text: string): ForeignFormat | null {
  const path = fileName.replace(/\\/g, '/');
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const folderFormat = folderFormatOf(fileName, text);
  if (folderFormat) return folderFormat;
  if (base.endsWith('.jsonl') || path.includes('.beads/')) return looksLikeBeads(text) || base.endsWith('.jsonl') ? 'beads' : null;
  if (base.endsWith('.json') || path.includes('.taskmaster/')) return looksLikeTaskmaster(text) || /tasks\.json$/.test(base) ? 'taskmaster' : null;
  if (path.includes('.kiro/')) return 'kiro';
  // A change's tasks written as spec-kit's (`### T1.1 — …`) are read as spec-kit's.
  if (path.includes('openspec/')) return looksLikeSpecKit(text) && !looksLikeOpenSpec(text) ? 'spec-kit' : 'openspec';
  if (looksLikeSpecKit(text)) return 'spec-kit';
  if (looksLikeOpenSpec(text)) return 'openspec';
  if (looksLikeKiro(text)) return 'kiro';
  if (looksLikeTaskmaster(text)) return 'taskmaster';
  if (looksLikeBeads(text)) return 'beads';
  // A `tasks.md` of check-boxes without ids: a task list all the same (spec-kit's, each task named by its place).
  if (/^(?:tasks|.+\.tasks)\.md$/.test(base) && /^\s*[-*] \[[ xX]\]\s*\S/m.test(text)) return 'spec-kit';
  return null;
}

export interface ReadForeignOptions extends TaskmasterOptions {
  /** Read as this format, whatever the name and text look like. */
  format?: ForeignFormat;
}

const PREFIX: Record<ForeignFormat, string> = { 'spec-kit': 'task', kiro: 'task', taskmaster: 'task', beads: 'issue', openspec: 'section', gsd: 'plan', 'spec-kitty': 'wp' };

/** GSD or Spec Kitty, from a file's name and front matter; null when it is neither. */
export function folderFormatOf(fileName: string, text: string): 'gsd' | 'spec-kitty' | null {
  const path = fileName.replace(/\\/g, '/');
  if (looksLikeSpecKitty(text) || (isSpecKittyFile(path) && /(^|\/)tasks\//.test(path) && /^---/.test(text))) return 'spec-kitty';
  if (looksLikeGsd(text) || (isGsdPlanFile(path) && /^---/.test(text))) return 'gsd';
  return null;
}

/** Whether a file belongs in a folder read as `format` (by its name; a file of another name whose front matter is the format's counts too). */
export function isFolderFormatFile(format: ForeignFormat, fileName: string, text?: string): boolean {
  const path = fileName.replace(/\\/g, '/');
  if (format === 'gsd') return isGsdPlanFile(path) || (text !== undefined && /\.md$/i.test(path) && !/SUMMARY\.md$/.test(path) && looksLikeGsd(text));
  if (format === 'spec-kitty') return isSpecKittyFile(path) || (text !== undefined && isSpecKittyTaskFile(path, text));
  return false;
}

export interface ReadFolderOptions {
  /** Read as this format; default: the one most of the files are in. */
  format?: 'gsd' | 'spec-kitty';
  /** The folder read, as the caller names it (default: the folder the files have in common). */
  folder?: string;
}

/**
 * A plan kept one task a file (GSD `PLAN.md`s of a phase folder, or of several; Spec Kitty
 * `WP*.md` of a feature's `tasks/` folder) read as one plan. `files`: the folder's files, listed
 * and read by the caller — for Spec Kitty with the feature's state files above `tasks/`
 * (`status.events.jsonl`, `status.json`, `lanes.json`: the lanes); files of no such format (a
 * README, a SUMMARY.md) are passed over.
 * Every package and diagnostic says the file its ranges are into (`file`). Never throws.
 */
export function readForeignFolder(files: readonly SourceFile[], options: ReadFolderOptions = {}): ForeignPlanResult {
  const all = files.map((f) => ({ path: f.path.replace(/\\/g, '/'), text: typeof f.text === 'string' ? (f.text.charCodeAt(0) === 0xfeff ? f.text.slice(1) : f.text) : '' }));
  const folder = options.folder ?? commonFolder(all.map((f) => f.path));
  let format = options.format;
  if (format === undefined) {
    const gsd = all.filter((f) => isFolderFormatFile('gsd', f.path, f.text)).length;
    const kitty = all.filter((f) => isFolderFormatFile('spec-kitty', f.path, f.text)).length;
    format = gsd + kitty === 0 ? undefined : kitty > gsd ? 'spec-kitty' : 'gsd';
  }
  const chosen = format ? all.filter((f) => isFolderFormatFile(format, f.path, f.text)).sort((a, b) => naturalOrder(a.path, b.path)) : [];
  if (!format || chosen.length === 0) {
    const read: RawRead = { tasks: [], notes: [], diagnostics: [diag('error', 'foreign-not-format', `No plan found in ${folder || 'these files'}: no GSD \`*-PLAN.md\` and no Spec Kitty \`WP*.md\`.`, { start: 0, end: 0 })] };
    return { ...assemble('gsd', folder || '.', '', read, 'plan'), format: null, files: [] };
  }
  let read: RawRead;
  try {
    read = format === 'gsd' ? readGsd(chosen, all.map((f) => f.path)) : readSpecKitty(chosen, all.filter((f) => isSpecKittyFeatureFile(f.path)));
  } catch (err) {
    read = { tasks: [], notes: [], diagnostics: [diag('error', 'internal-error', `Internal error reading ${NAMES[format]} (please report it): ${err instanceof Error ? err.message : String(err)}`, { start: 0, end: 0 }, null, chosen[0].path)] };
  }
  const result = assemble(format, folder || '.', '', read, PREFIX[format], undefined, featureOf(format, chosen.map((f) => f.path)));
  return { ...result, files: chosen.map((f) => f.path) };
}

function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let parts = paths[0].split('/').slice(0, -1);
  for (const p of paths.slice(1)) {
    const other = p.split('/').slice(0, -1);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  return parts.join('/');
}

/** By name (`WP2` before `WP10`, a lane folder's WP04 after WP03), then by path. */
function naturalOrder(a: string, b: string): number {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return base(a).localeCompare(base(b), 'en', { numeric: true }) || a.localeCompare(b, 'en', { numeric: true });
}

/** The feature id: the phase folder (GSD, one phase) or the feature folder above `tasks/` (Spec Kitty). */
function featureOf(format: ForeignFormat, paths: readonly string[]): string | undefined {
  const folders = [...new Set(paths.map((p) => p.split('/').slice(0, -1)))].map((parts) => parts.filter(Boolean));
  let name: string | undefined;
  if (format === 'spec-kitty') {
    const parts = folders[0] ?? [];
    const at = parts.lastIndexOf('tasks');
    name = at > 0 ? parts[at - 1] : parts[parts.length - 1];
  } else {
    const names = new Set(folders.map((parts) => parts.join('/')));
    const parts = names.size === 1 ? folders[0] : commonFolder(paths).split('/').filter(Boolean);
    name = parts[parts.length - 1];
    if (name && /^(phases|\.planning)$/.test(name)) name = parts.length > 1 && name === 'phases' ? `${parts[parts.length - 2].replace(/^\./, '')}-phases` : 'planning';
  }
  if (!name) return undefined;
  return packageIdOf(name, 'feature') || undefined;
}

export function readForeignPlan(fileName: string, text: string, options: ReadForeignOptions = {}): ForeignPlanResult {
  const source = typeof text === 'string' ? (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) : '';
  const format = options.format ?? detectFormat(fileName, source);
  if (format === null) {
    const read: RawRead = { tasks: [], notes: [], diagnostics: [] };
    read.diagnostics.push(
      diag('error', 'foreign-not-format', `Not a task list this reads: none of ${FOREIGN_FORMATS.map((f) => NAMES[f]).join(', ')}.`, { start: 0, end: Math.min(source.length, Math.max(0, source.indexOf('\n')) || source.length) }),
    );
    return { ...assemble('spec-kit', fileName, source, read, 'task'), format: null };
  }
  if (format === 'gsd' || format === 'spec-kitty') {
    const result = readForeignFolder([{ path: fileName, text: source }], { format });
    return { ...result, fileName };
  }
  let read: RawRead;
  try {
    read = readTasks(format, source, options);
  } catch (err) {
    read = { tasks: [], notes: [], diagnostics: [diag('error', 'internal-error', `Internal error reading ${NAMES[format]} (please report it): ${err instanceof Error ? err.message : String(err)}`, { start: 0, end: 0 })] };
  }
  if (read.tasks.length === 0 && !read.diagnostics.some((d) => d.severity === 'error')) {
    read.diagnostics.push(diag('error', 'foreign-not-format', `No task found: this does not look like a ${NAMES[format]}.`, { start: 0, end: Math.min(source.length, source.indexOf('\n') < 0 ? source.length : source.indexOf('\n')) }));
  }
  return assemble(format, fileName, source, read, PREFIX[format], read.title);
}

/** The tasks of a one-file format as the source writes them (ranges into `text`, which has no byte-order mark); throws for a folder format. */
export function readTasks(format: ForeignFormat, text: string, options: TaskmasterOptions = {}): RawRead {
  switch (format) {
    case 'spec-kit':
      return readSpecKit(text);
    case 'kiro':
      return readKiro(text);
    case 'openspec':
      return readOpenSpec(text);
    case 'taskmaster':
      return readTaskmaster(text, options);
    case 'beads':
      return readBeads(text);
    case 'gsd':
    case 'spec-kitty':
      throw new Error(`${NAMES[format]} is read by readForeignFolder`);
  }
}
