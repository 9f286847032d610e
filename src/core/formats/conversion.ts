/**
 * One conversion of a task list into a plan, as `waves convert` and the editor's `Waves: Convert
 * to work-packages.yaml` both make it: the plan's text (`convertToWorkPackages`), naming its
 * source when the source is inside the plan's folder, and what it asks the person to review.
 * Also the names a converted plan may take when `work-packages.yaml` is there already. Pure:
 * paths are strings with `/` (or `\`) separators; reading and writing files is the caller's.
 */
import type { ForeignPlanResult } from './assemble';
import { convertToWorkPackages } from './convert';

export interface Conversion {
  /** The plan's text. */
  yaml: string;
  /** Dependencies only implied by order or phase, marked `# implied` in the plan. */
  implied: number;
  /** Packages whose write scope is a guess from the paths their text names, marked `# guess`. */
  guessed: number;
}

export interface ConversionTarget {
  /** The plan file to write (absolute, or relative to the same folder as `source`). */
  planFile: string;
  /** The task list read (a file, or the folder of a format kept one task a file). */
  source: string;
  /** The Taskmaster tag read, if one was chosen. */
  tag?: string;
}

/** The plan of `result`, to be written at `target.planFile`. */
export function convertPlan(result: ForeignPlanResult, target: ConversionTarget): Conversion {
  const name = baseName(target.source) + (result.files && result.files.length > 1 ? ` (${result.files.length} files)` : '');
  const yaml = convertToWorkPackages(result, name, sourceRef(target.planFile, target.source, target.tag));
  const implied = result.packages.reduce((n, p) => n + p.dependencies.filter((d) => d.kind === 'implied').length, 0);
  const guessed = result.packages.filter((p) => p.declaredWrites.length === 0 && p.writeGuesses.length > 0).length;
  return { yaml, implied, guessed };
}

/**
 * The source as the plan names it (`converted_from`): its path from the plan's folder, with `/`,
 * and the tag read; undefined when it is not inside that folder (then the plan names no source).
 */
export function sourceRef(planFile: string, source: string, tag: string | undefined): { path: string; tag?: string } | undefined {
  const from = segments(planFile).slice(0, -1);
  const to = segments(source);
  if (to.length <= from.length || from.some((s, i) => !sameSegment(s, to[i]))) return undefined;
  return { path: to.slice(from.length).join('/'), ...(tag !== undefined ? { tag } : {}) };
}

/**
 * The names a converted plan may take in its folder, in the order to try: `work-packages.yaml`,
 * then `<feature>.work-packages.yaml`, `<feature>-2.work-packages.yaml`, … (each a name the
 * editor and the CLI find as a plan).
 */
export function* planNames(featureId: string | undefined): Generator<string> {
  yield 'work-packages.yaml';
  const base = (featureId ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'converted';
  yield `${base}.work-packages.yaml`;
  for (let n = 2; ; n++) yield `${base}-${n}.work-packages.yaml`;
}

/** The first of `planNames` for which `taken` says no (at most 1,000 tried; then undefined). */
export function freePlanName(featureId: string | undefined, taken: (name: string) => boolean): string | undefined {
  let tried = 0;
  for (const name of planNames(featureId)) {
    if (!taken(name)) return name;
    if (++tried >= 1000) return undefined;
  }
  return undefined;
}

/** The path's parts, `.` and empty ones dropped, `..` applied. */
function segments(p: string): string[] {
  const out: string[] = [];
  for (const part of p.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** Windows drive letters compare without their case (`C:` and `c:`); the rest as written. */
function sameSegment(a: string, b: string): boolean {
  return a === b || (/^[a-z]:$/i.test(a) && a.toLowerCase() === b.toLowerCase());
}

function baseName(p: string): string {
  const parts = segments(p);
  return parts[parts.length - 1] ?? p;
}
