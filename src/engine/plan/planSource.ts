/**
 * A plan as a front end sees it before (and while) a run: its file, text, analysis, feature id,
 * the repository that holds its runs and its hash — each found ONE way, the engine's way:
 * the repository root is git's answer (`rev-parse --show-toplevel` in the plan's folder, real
 * path), as `RunEngine.prepare` finds it; the plan hash is the SHA-256 of the file's text as
 * the engine reads it (a byte-order mark included), as the run state's `planHash` holds it.
 * Reads only; never writes, never starts anything but git.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeNested, analyzePlan, type PlanAnalysis } from '../../core/plan/analyze';
import { inTextOrder, type Diagnostic } from '../../core/plan/model';
import { plannedReader, subPlanReader, type SubPlanRead } from '../../core/plan/nestedPlan';
import { isParent } from '../../core/plan/subPlans';
import { plannedSubPlanFile } from '../../core/run/runPaths';
import { unfoldNested } from '../../core/plan/unfold';
import { NotRegularFileError, readRegularFileSync } from '../../util/regularFile';
import { realOr, realpathOrWhy, workTreeOf } from '../../util/workTree';
import { gitOut } from '../git';
import { toPosix } from '../../util/posixPath';

export interface PlanSource {
  /** The plan file, absolute and real (symbolic links resolved), as approvals.json keys it. */
  file: string;
  /** The plan file's text (a byte-order mark removed). */
  text: string;
  analysis: PlanAnalysis;
  /** `feature.id`, null when the plan has none (a run is named after it). */
  featureId: string | null;
  /** The repository root (real path); null when the plan is in no git repository. */
  repo: string | null;
  /** SHA-256 (hex) of the plan's text as the engine reads it: the run state's `planHash`. */
  hash: string;
  /**
   * A plan of plans (ADR 0035): `text`, `analysis` and `hash` are then the one plan its run
   * drives (core/plan/unfold.ts), with each parent's `joins` (its children's ids in the run) and
   * the sub-plan files read; or why it cannot run (`refusals`: its sub-plans' errors, positioned
   * in their files, or what unfolding refused), `text` and `analysis` then the file's own.
   */
  nested?: { joins: Record<string, string[]>; caps: Record<string, number>; origin: Record<string, { file: string; packageId: string }>; files: string[]; planners: Record<string, string> } | { refusals: string[] };
}

/** The plan file cannot be read: `why` in a person's words (`no such file`, `is a directory`, …). */
export class PlanReadError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`cannot read ${file}: ${why}`);
    this.name = 'PlanReadError';
  }
}

/** SHA-256 (hex) of a plan's text — the hash the engine writes to the run state (`planHash`). */
export function planHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The root of the git repository holding `folder` (a folder, or a file's folder when `folder`
 * is a file), as a real path; null outside a repository (or without git). The one way both
 * front ends and the engine find it.
 */
export async function repositoryRoot(folder: string): Promise<string | null> {
  return findRepositoryRoot(folder).catch(() => null);
}

/** `repositoryRoot`, throwing git's own error outside a repository (the engine reports it). */
export async function findRepositoryRoot(folder: string): Promise<string> {
  let dir = path.resolve(folder);
  if (fs.statSync(dir, { throwIfNoEntry: false })?.isFile()) dir = path.dirname(dir);
  return fs.realpathSync(await gitOut(dir, ['rev-parse', '--show-toplevel']));
}

/**
 * The root a PREVIEW uses for a run's paths (`waves prompt`, which needs no git): the
 * repository root when git knows one, else the nearest folder at or above `folder` holding a
 * `.git`, else `folder` itself. Runs use `repositoryRoot` only.
 */
export async function previewRoot(folder: string): Promise<string> {
  const start = path.resolve(folder);
  const repo = await repositoryRoot(start);
  return repo ?? workTreeOf(start)?.root ?? start;
}

/**
 * Reads the plan file as text; throws `PlanReadError`. A FIFO, a device or a socket is refused
 * without waiting on it, and so is a link whose real path leaves `repo` (its repository).
 */
function readText(file: string, repo: string | null): string {
  try {
    return readRegularFileSync(file, repo ? { within: repo } : {}).toString('utf8');
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new PlanReadError(file, err.why);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : code ?? String(err);
    throw new PlanReadError(file, why);
  }
}

/**
 * A plan's errors, one positioned line each (`<shown>:<line>:<column> error <code> <message>`),
 * as `waves validate` and the Problems panel name them: the start's refusal and
 * `RunEngine.prepare` say them alike; `more`: its problems found beyond its analysis (a
 * sub-plan's nesting), among them in text order. Empty for a valid plan.
 */
export function planErrorLines(analysis: PlanAnalysis, shown: string, more: readonly Diagnostic[] = []): string[] {
  return (more.length ? [...analysis.diagnostics, ...more].sort(inTextOrder) : analysis.diagnostics)
    .filter((d) => d.severity === 'error')
    .map((d) => {
      const at = analysis.lines.position(d.range.start);
      return `${shown}:${at.line + 1}:${at.column + 1} error ${d.code} ${d.message}`;
    });
}

/**
 * Loads a plan: finds its repository, reads and analyses it and hashes it. Throws
 * `PlanReadError` when the file cannot be read (or is not a regular file of its repository); a plan with errors, without a feature id or
 * outside a repository still loads (status and report of a plan being edited work) — the
 * caller decides what it needs.
 */
export async function loadPlan(file: string, options: { maxParallel?: number; planned?: Readonly<Record<string, string>> } = {}): Promise<PlanSource> {
  const repo = await repositoryRoot(path.dirname(path.resolve(file)));
  const raw = readText(path.resolve(file), repo);
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const analyzeOptions = options.maxParallel !== undefined ? { maxParallel: options.maxParallel } : {};
  const analysis = analyzePlan(text, analyzeOptions);
  let real = path.resolve(file);
  try {
    real = fs.realpathSync(real);
  } catch {
    // read a moment ago: keep the resolved path
  }
  const source: PlanSource = { file: real, text, analysis, featureId: analysis.plan.feature?.id ?? null, repo, hash: planHash(raw) };
  return analysis.valid && analysis.plan.packages.some(isParent) ? unfolded(source, repo ?? path.dirname(real), analyzeOptions, options.planned ?? {}) : source;
}

/**
 * A valid plan with parents (ADR 0035) as its run drives it: its sub-plans read from disk (each
 * relative to the plan naming it, inside the repository), checked, and unfolded into one plan.
 */
function unfolded(source: PlanSource, repo: string, options: { maxParallel?: number }, given: Readonly<Record<string, string>>): PlanSource {
  const files: string[] = [];
  const shown = (abs: string) => toPosix(path.relative(repo, abs)) || abs;
  const readSub = (real: string): { text: string } | { error: string } => {
    files.push(real);
    try {
      const raw = readText(real, repo);
      return { text: raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw };
    } catch (err) {
      return { error: err instanceof PlanReadError ? `cannot read the sub-plan ${shown(real)}: ${err.why}` : String(err) };
    }
  };
  const read = subPlanReader(realOr(repo), { realpath: realpathOrWhy, read: readSub, shown });
  // A `{by: agent}` parent's sub-plan: the one its planner wrote, once kept (or `given`: being checked before it is).
  const feature = source.featureId;
  const keptAt = (parentRunId: string) => plannedSubPlanFile(realOr(repo), feature!, parentRunId);
  const kept = plannedReader(feature ? keptAt : undefined, { realpath: realpathOrWhy, read: readSub, shown });
  const planned = (parentRunId: string): SubPlanRead | null =>
    Object.hasOwn(given, parentRunId) ? { key: keptAt(parentRunId), file: shown(keptAt(parentRunId)), text: given[parentRunId]! } : (kept?.(parentRunId) ?? null);
  const plans = analyzeNested({ key: source.file, file: shown(source.file), text: source.text, analysis: source.analysis }, read, { ...options, ...(feature ? { planned } : {}) });
  const errors = plans.flatMap((p) => planErrorLines(p.analysis, p.file, p.nesting));
  if (errors.length) return { ...source, nested: { refusals: errors } };
  const one = unfoldNested(plans);
  if ('refusals' in one) return { ...source, nested: one };
  const analysis = analyzePlan(one.text, options);
  if (!analysis.valid) return { ...source, nested: { refusals: planErrorLines(analysis, `${shown(source.file)} with its sub-plans`) } };
  return { ...source, text: one.text, analysis, hash: planHash(one.text), nested: { joins: one.joins, caps: one.caps, origin: one.origin, files, planners: one.planners } };
}

