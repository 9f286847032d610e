/**
 * Task lists of other tools on the command line, read-only: `waves validate` and `waves graph`
 * given a spec-kit / Kiro / OpenSpec `tasks.md`, a Taskmaster `tasks.json`, a beads
 * `issues.jsonl`, a GSD `PLAN.md` or phase folder, or a Spec Kitty `WP*.md`, `tasks/` folder or
 * feature (its `tasks.md` or a state file: the feature) read it through src/core/formats and
 * report it as a plan: the reader's diagnostics positioned in the source (file:line:col), then the
 * waves of the plan `waves convert` would write. Also what `waves convert` reads a folder with.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzePlan, type PlanAnalysis } from '../core/plan/analyze';
import { toDot, toMermaid, toReport, type PlanReport, type ReportDiagnostic } from '../core/plan/planReport';
import { LineIndex } from '../core/plan/text';
import { convertToWorkPackages } from '../core/formats/convert';
import { convertedFindings } from '../core/formats/foreignAnalysis';
import {
  detectFormat,
  folderFormatOf,
  readForeignFolder,
  readForeignPlan,
  type ForeignDiagnostic,
  type ForeignFormat,
  type ForeignPlanResult,
} from '../core/formats/foreignPlan';
import { isSpecKittyFeatureFile } from '../core/formats/specKitty';
import { isSpecKittyStateFile } from '../core/formats/specKittyState';
import { LANE_FOLDERS, folderPlanFiles, onlyNamed, type FolderEntry } from '../core/plan/folderListing';
import { humanReport, readPlanFile, type Io } from './io';

export interface ForeignRead {
  result: ForeignPlanResult;
  /** Every file read, by the path diagnostics name it with. */
  texts: Map<string, string>;
  /** The files read as the task list (a folder's others — a README, a plan written from it — are passed over). */
  sources: string[];
  /** The file a diagnostic without its own `file` is in. */
  file: string;
}

/** Whether `file` (its text read) is a task list of another tool rather than a plan: never a .yaml/.yml file. */
export function isForeignFile(file: string, text: string): boolean {
  if (/\.ya?ml$/i.test(file)) return false;
  return detectFormat(file, text) !== null || isKittyFileOfFeature(file);
}

/** A Spec Kitty feature's own file beside its `tasks/`: a state file (status.events.jsonl, status.json, lanes.json) or `tasks.md`. */
function isKittyFileOfFeature(file: string): boolean {
  return isSpecKittyFeatureFile(file) && isFolder(path.join(path.dirname(file), 'tasks'));
}

/** Whether `target` is a folder (a GSD phase folder, a Spec Kitty feature or `tasks/` folder). */
export function isFolder(target: string): boolean {
  try {
    return fs.statSync(target).isDirectory();
  } catch {
    // not there or unreadable: not a folder to read
    return false;
  }
}

/**
 * Reads a task list: a folder (GSD, Spec Kitty), a file of a folder format (then with its
 * siblings), or a file of the other formats. `known`: the file's text when read already.
 */
export function readForeign(io: Io, target: string, options: { format?: ForeignFormat; tag?: string; known?: string } = {}): ForeignRead | { error: string } {
  if (isFolder(target)) return readFolderOf(io, target, undefined, options.format);
  // A Spec Kitty state file (status.events.jsonl, status.json, lanes.json): the feature it is of.
  if (options.format === undefined && isSpecKittyStateFile(target) && isKittyFileOfFeature(target)) return readFolderOf(io, path.dirname(target), undefined, 'spec-kitty');
  let text = options.known;
  if (text === undefined) {
    const read = readPlanFile(io, target);
    if ('error' in read) return read;
    text = read.text;
  }
  // A Spec Kitty feature's tasks.md: the feature it is of, as the editor reads it (its work
  // packages with it); read alone when its `tasks/` holds no work package.
  if (options.format === undefined && isKittyFileOfFeature(target)) {
    const feature = readFolderOf(io, path.dirname(target), undefined, 'spec-kitty', { path: target, text });
    if ('error' in feature || feature.result.format !== null) return feature;
  }
  const format = options.format ?? detectFormat(target, text);
  if (format === 'gsd' || format === 'spec-kitty' || (options.format === undefined && folderFormatOf(target, text))) {
    const folderFormat = (format === 'gsd' || format === 'spec-kitty' ? format : folderFormatOf(target, text))!;
    const dir = path.dirname(target);
    // A Spec Kitty work package in a lane folder (tasks/doing/WP01.md): the whole tasks/ folder.
    const root = folderFormat === 'spec-kitty' && LANE_FOLDERS.has(path.basename(dir)) ? path.dirname(dir) : dir;
    return readFolderOf(io, root, folderFormat, folderFormat, { path: target, text });
  }
  const result = readForeignPlan(target, text, { format: format ?? undefined, tag: options.tag });
  return { result, texts: new Map([[target, text]]), sources: [target], file: target };
}

function readFolderOf(io: Io, dir: string, hint: 'gsd' | 'spec-kitty' | undefined, format: ForeignFormat | undefined, known?: { path: string; text: string }): ForeignRead | { error: string } {
  let paths: string[];
  try {
    // `.` or `..`: its files by the folder's own name (a Spec Kitty `tasks/` is known by it).
    paths = folderFiles(path.basename(dir) === path.basename(path.resolve(dir)) ? dir : path.resolve(dir), hint);
  } catch (err) {
    return { error: `cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const files: { path: string; text: string }[] = [];
  for (const p of paths) {
    if (known && path.resolve(p) === path.resolve(known.path)) {
      files.push({ path: known.path, text: known.text });
      continue;
    }
    if (onlyNamed(p)) {
      files.push({ path: p, text: '' }); // named only: a SUMMARY.md says a GSD plan is done
      continue;
    }
    const read = readPlanFile(io, p);
    if ('error' in read) return read;
    files.push({ path: p, text: read.text });
  }
  const folderFormat = format === 'gsd' || format === 'spec-kitty' ? format : undefined;
  const result = readForeignFolder(files, { format: folderFormat, folder: dir });
  const kittyFiles = result.format === 'spec-kitty' ? files.filter((f) => isSpecKittyFeatureFile(f.path)).map((f) => f.path.replace(/\\/g, '/')) : [];
  return { result, texts: new Map(files.map((f) => [f.path.replace(/\\/g, '/'), f.text])), sources: [...(result.files ?? []), ...kittyFiles], file: dir };
}

/** The files of a folder read as a plan (`folderPlanFiles`), listed with node's fs; throws when a folder cannot be listed. */
function folderFiles(dir: string, hint: 'gsd' | 'spec-kitty' | undefined): string[] {
  const listed = new Map<string, FolderEntry[]>();
  for (;;) {
    const step = folderPlanFiles(path.basename(dir), listed, hint);
    if ('files' in step) return step.files.map((f) => path.join(dir, f));
    for (const rel of step.list) listed.set(rel, fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() })));
  }
}

/** The reader's diagnostics as `file:line:col severity code message`, one a line, each in its own file. */
export function positionedDiagnostics(read: ForeignRead): string {
  return reportDiagnostics(read)
    .map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}\n`)
    .join('');
}

function reportDiagnostics(read: ForeignRead, list: readonly ForeignDiagnostic[] = read.result.diagnostics): (ReportDiagnostic & { file: string })[] {
  const indexes = new Map<string, LineIndex>();
  const lines = (file: string) => {
    let index = indexes.get(file);
    if (!index) indexes.set(file, (index = new LineIndex(read.texts.get(file) ?? '')));
    return index;
  };
  return list.map((d: ForeignDiagnostic) => {
    const file = d.file ?? read.file;
    const s = lines(file).position(d.range.start);
    const e = lines(file).position(Math.max(d.range.end, d.range.start));
    return { file, severity: d.severity, code: d.code, message: d.message, line: s.line + 1, column: s.column + 1, endLine: e.line + 1, endColumn: e.column + 1, packageId: d.packageId };
  });
}

/**
 * The plan read, as `waves validate` reports a plan: the reader's diagnostics in the source, the
 * waves and critical path of the plan `waves convert` would write, and that plan's own errors
 * and warnings (write scopes that overlap, …) on the package's id in the source.
 */
export function foreignReport(read: ForeignRead, file: string): { report: PlanReport & { format: string | null }; analysis: PlanAnalysis } {
  const analysis = analyzePlan(convertToWorkPackages(read.result, path.basename(file)));
  const base = toReport(file, analysis);
  const { plan } = read.result;
  // With the converted plan's own findings the reader does not make (a cycle, no write scope: it did).
  const own = reportDiagnostics(read, [...read.result.diagnostics, ...convertedFindings(read.result, analysis)]);
  const order = new Map([...read.texts.keys()].map((f, i) => [f, i]));
  const diagnostics = own.sort((x, y) => (order.get(x.file) ?? -1) - (order.get(y.file) ?? -1) || x.line - y.line || x.column - y.column);
  const valid = !diagnostics.some((d) => d.severity === 'error') && read.result.format !== null && plan.packages.length > 0;
  const single = read.texts.size === 1 && read.result.files === undefined;
  return {
    report: { ...base, file, format: read.result.format, valid, diagnostics: diagnostics.map((d) => (single ? { ...d, file: undefined } : d)) as ReportDiagnostic[] },
    analysis,
  };
}

/** The human report of a foreign plan: its diagnostics (each in its file), then the summary. */
export function foreignHumanReport(report: PlanReport): string {
  const lines = report.diagnostics.map((d) => `${(d as ReportDiagnostic & { file?: string }).file ?? report.file}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}\n`).join('');
  const summary = humanReport({ ...report, diagnostics: [] });
  // humanReport counts errors and warnings of the diagnostics it is given: count them here.
  const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = report.diagnostics.filter((d) => d.severity === 'warning').length;
  return lines + summary.replace(/0 errors, 0 warnings/, `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
}

/** `waves validate` of a task list of another tool: the report, written unless --json. */
export function validateForeign(io: Io, read: ForeignRead, file: string, json: boolean): PlanReport {
  const { report } = foreignReport(read, file);
  if (!json) {
    io.out(foreignHumanReport(report));
    for (const note of read.result.notes) io.err(`waves: ${file}: ${note}\n`);
  }
  return report;
}

/** `waves graph` of a task list of another tool: the graph of the plan it reads as. */
export function graphForeign(io: Io, read: ForeignRead, file: string, format: 'mermaid' | 'dot'): number {
  const { report, analysis } = foreignReport(read, file);
  if (analysis.plan.packages.length > 0) io.out(format === 'dot' ? toDot(analysis) : toMermaid(analysis));
  if (report.valid) return 0;
  io.err(foreignHumanReport(report));
  return 1;
}
