/**
 * A task list of another tool as the editor shows a plan: a `PlanAnalysis` of the source text
 * itself (every range into it), so the Waves view, the DAG panel, hover, CodeLens and the
 * Problems panel read it as they read a `work-packages.yaml`. Its diagnostics are the reader's
 * (what a safe parallel run still needs, bad input) and the exact checker's findings on the plan
 * `waves convert` would write, each put on the id of the task it concerns. Pure; never throws.
 * The editor's one door to src/core/formats: a bundle of its own, loaded (`await import()`) when
 * the workspace first has a file that may be a task list (scripts/on-demand.mjs).
 */
import { analyzePlan, fromPortable, toPortable, type PlanAnalysis, type PortableAnalysis } from '../plan/analyze';
import { inTextOrder, type Diagnostic, type PlanPackage, type TextRange } from '../plan/model';
import { LineIndex } from '../plan/text';
import type { ForeignPackage, ForeignPlanResult } from './assemble';
import { convertToWorkPackages } from './convert';
import { FOLDER_FORMATS, detectFormat, formatName, readForeignFolder, readForeignPlan, readTasks, type ForeignDiagnostic, type ForeignFormat, type SourceFile } from './foreignPlan';

/** What the editor shows of a task list beyond its plan: the format, the reader's notes, each package's scope guesses and implied dependencies. Plain data. */
export interface ForeignView {
  format: ForeignFormat;
  /** The format for a person (`spec-kit tasks.md`). */
  formatName: string;
  notes: string[];
  /** Per package, in the order of `plan.packages`. */
  packages: ForeignPackage[];
  /**
   * A folder read as one plan (GSD phase folder, Spec Kitty feature): the files its packages and
   * diagnostics are in (`packages[i].file`, each diagnostic's `file`), as the caller named them.
   */
  files?: string[];
}

export interface ForeignAnalysis extends PlanAnalysis {
  foreign: ForeignView;
}

export interface ForeignAnalysisOptions {
  maxParallel?: number;
}

/**
 * The analysis of a one-file task list (spec-kit, Kiro / cc-sdd, OpenSpec `tasks.md`, Taskmaster
 * `tasks.json`, beads `issues.jsonl`); null when the text is none of them, or is a file of a
 * format kept one task a file (GSD, Spec Kitty: a folder is read, not a file).
 */
export function analyzeForeign(fileName: string, text: string, options: ForeignAnalysisOptions = {}): ForeignAnalysis | null {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const result = readForeignPlan(fileName, source);
  if (result.format === null || result.files !== undefined) return null;
  const converted = analyzePlan(convertToWorkPackages(result, baseName(fileName)), options);
  const diagnostics: Diagnostic[] = [...result.diagnostics, ...convertedFindings(result, converted)];
  diagnostics.sort(inTextOrder);
  const analysis = fromPortable(source, { plan: result.plan, diagnostics, conflicts: converted.conflicts, valid: !diagnostics.some((d) => d.severity === 'error') });
  return { ...analysis, foreign: foreignView(result) };
}

function foreignView(result: ForeignPlanResult): ForeignView {
  return { format: result.format!, formatName: formatName(result.format!), notes: result.notes, packages: result.packages, ...(result.files ? { files: result.files } : {}) };
}

/**
 * The analysis of a folder kept one task a file — a GSD phase folder (`*-PLAN.md`) or a Spec
 * Kitty feature (`tasks/WP*.md` and its state files) — as one plan: `files` listed and read by
 * the caller (as `waves validate <folder>` reads them), `folder` its path. The analysis has no
 * text of its own (`text` is empty); each diagnostic names its file (`file`: the reader's, and
 * the exact checker's on the package's id), and `foreign.files` the files read. Null when no
 * file of the folder is GSD or Spec Kitty. Pure; never throws.
 */
export function analyzeForeignFolder(folder: string, files: readonly SourceFile[], options: ForeignAnalysisOptions = {}): ForeignAnalysis | null {
  const result = readFolderForConversion(folder, files);
  if (!result) return null;
  const converted = analyzePlan(convertToWorkPackages(result, baseName(folder)), options);
  const first = result.files![0];
  const diagnostics = [...result.diagnostics, ...convertedFindings(result, converted)].map((d): ForeignDiagnostic => ({ ...d, file: d.file ?? first }));
  const order = new Map(result.files!.map((f, i) => [f, i]));
  diagnostics.sort((a, b) => (order.get(a.file!) ?? -1) - (order.get(b.file!) ?? -1) || inTextOrder(a, b));
  const analysis = fromPortable('', { plan: result.plan, diagnostics, conflicts: converted.conflicts, valid: !diagnostics.some((d) => d.severity === 'error') });
  return { ...analysis, foreign: foreignView(result) };
}

/** A folder read for a conversion (as `waves convert <folder>` reads it); null when no file of it is GSD or Spec Kitty. */
export function readFolderForConversion(folder: string, files: readonly SourceFile[]): ForeignPlanResult | null {
  const result = readForeignFolder(files, { folder });
  return result.format === null || !result.files || result.files.length === 0 ? null : result;
}

/** Where a package of another file of the folder is, in a file's own view: nowhere in it. */
const NOWHERE: TextRange = { start: -1, end: -1 };

/** Whether a range is in no text of this view (a package of another file of a folder). */
export function isNowhere(range: TextRange): boolean {
  return range.start < 0;
}

/**
 * One file of a folder's analysis as the editor shows that file (hover, CodeLens, go to
 * definition): its own text and line index, the diagnostics in it, and every package of the
 * folder (the graph is the folder's) — those of other files with their ranges `NOWHERE`, so
 * nothing in this text is taken for them.
 */
export function folderFileAnalysis(folderAnalysis: ForeignAnalysis, file: string, text: string): ForeignAnalysis {
  const inFile = (i: number) => folderAnalysis.foreign.packages[i]?.file === file;
  const packages = folderAnalysis.plan.packages.map((p, i): PlanPackage => (inFile(i) ? p : elsewhere(p)));
  const diagnostics = folderAnalysis.diagnostics.filter((d) => (d as ForeignDiagnostic).file === file);
  return { ...folderAnalysis, text, lines: new LineIndex(text), plan: { ...folderAnalysis.plan, packages }, diagnostics };
}

function elsewhere(p: PlanPackage): PlanPackage {
  const keyRanges = Object.fromEntries(Object.keys(p.keyRanges).map((k) => [k, NOWHERE]));
  return { ...p, range: NOWHERE, idRange: NOWHERE, keyRanges, dependsOn: p.dependsOn.map((d) => ({ ...d, range: NOWHERE })) };
}

/**
 * The exact checker's findings on the converted plan (`converted`: `analyzePlan` of
 * `convertToWorkPackages(result)`) that the reader does not make itself — write scopes two
 * parallel packages share, a wave wider than the run's cap, … — each on the id of its package in
 * the source (and in its file, read from several). Not a cycle, not a missing write scope (the
 * reader says those in its own words); no quick fix (its edits are of the converted text).
 */
export function convertedFindings(result: ForeignPlanResult, converted: PlanAnalysis): ForeignDiagnostic[] {
  const at = new Map(result.plan.packages.map((p, i) => [p.id, { range: p.idRange, file: result.packages[i].file }]));
  // The checker names packages by the plan's ids (`t013`); in the task list they are its tasks' own (`T013`).
  const sourceId = new Map(result.packages.map((p) => [p.id, p.sourceIds[0] ?? p.id]));
  const inSourceWords = (message: string) => message.replace(/`([^`]+)`/g, (whole, id: string) => (sourceId.has(id) ? `\`${sourceId.get(id)}\`` : whole));
  const out: ForeignDiagnostic[] = [];
  for (const d of converted.diagnostics) {
    if (d.severity === 'info' || /cycle|write-allow-empty|no-write-scope/.test(d.code) || d.packageId === null) continue;
    const where = at.get(d.packageId);
    if (!where) continue;
    const finding: ForeignDiagnostic = { severity: d.severity, code: d.code, message: inSourceWords(d.message), range: { ...where.range }, packageId: d.packageId };
    if (where.file !== undefined) finding.file = where.file;
    out.push(finding);
  }
  return out;
}

/**
 * A one-file task list read for a conversion (`Waves: Convert to work-packages.yaml`, then
 * `convertPlan`); null when it is none, or is kept one task a file (a folder is converted, by
 * `waves convert <folder>`).
 */
export function readForConversion(fileName: string, text: string): ForeignPlanResult | null {
  const result = readForeignPlan(fileName, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  return result.format === null || result.files !== undefined ? null : result;
}

/**
 * Where task `key` (of Taskmaster tag `tag`) is in a one-file task list's `text` (a BOM counted),
 * as offsets; null when the text is no such list, a folder's file, or has no such task.
 */
export function taskRangeIn(fileName: string, text: string, key: string, tag?: string): TextRange | null {
  const shift = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = text.slice(shift);
  const format = detectFormat(fileName, body);
  if (!format || FOLDER_FORMATS.includes(format)) return null;
  try {
    const found = readTasks(format, body, tag !== undefined ? { tag } : {}).tasks.find((t) => t.key === key)?.keyRange;
    return found ? { start: found.start + shift, end: found.end + shift } : null;
  } catch {
    // a list the reader refuses has no place to point at: the caller keeps its range
    return null;
  }
}

// The conversion the CLI makes, for the editor (which loads this module, not the readers, on first use).
export { convertPlan, freePlanName, type Conversion } from './conversion';
export { formatName } from './foreignPlan';
export { folderSourceText, sourceFilesOf } from './sourceLink';

/** The portable part of a foreign analysis (another thread hands it back: plain data). */
export type PortableForeignAnalysis = PortableAnalysis & { foreign: ForeignView };

export function toPortableForeign(analysis: ForeignAnalysis): PortableForeignAnalysis {
  return { ...toPortable(analysis), foreign: analysis.foreign };
}

export function fromPortableForeign(text: string, portable: PortableForeignAnalysis): ForeignAnalysis {
  return { ...fromPortable(text, portable), foreign: portable.foreign };
}

function baseName(fileName: string): string {
  const path = fileName.replace(/\\/g, '/');
  return path.slice(path.lastIndexOf('/') + 1);
}
