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
import type { Diagnostic } from '../plan/model';
import type { ForeignPackage, ForeignPlanResult } from './assemble';
import { convertToWorkPackages } from './convert';
import { formatName, readForeignPlan, type ForeignDiagnostic, type ForeignFormat } from './foreignPlan';

/** What the editor shows of a task list beyond its plan: the format, the reader's notes, each package's scope guesses and implied dependencies. Plain data. */
export interface ForeignView {
  format: ForeignFormat;
  /** The format for a person (`spec-kit tasks.md`). */
  formatName: string;
  notes: string[];
  /** Per package, in the order of `plan.packages`. */
  packages: ForeignPackage[];
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
  diagnostics.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end || a.code.localeCompare(b.code));
  const analysis = fromPortable(source, { plan: result.plan, diagnostics, conflicts: converted.conflicts, valid: !diagnostics.some((d) => d.severity === 'error') });
  return { ...analysis, foreign: foreignView(result) };
}

function foreignView(result: ForeignPlanResult): ForeignView {
  return { format: result.format!, formatName: formatName(result.format!), notes: result.notes, packages: result.packages };
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
  const out: ForeignDiagnostic[] = [];
  for (const d of converted.diagnostics) {
    if (d.severity === 'info' || /cycle|write-allow-empty|no-write-scope/.test(d.code) || d.packageId === null) continue;
    const where = at.get(d.packageId);
    if (!where) continue;
    const finding: ForeignDiagnostic = { severity: d.severity, code: d.code, message: d.message, range: { ...where.range }, packageId: d.packageId };
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

// The conversion the CLI makes, for the editor (which loads this module, not the readers, on first use).
export { convertPlan, freePlanName, type Conversion } from './conversion';
export { formatName } from './foreignPlan';
export { sourceFilesOf } from './sourceLink';

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
