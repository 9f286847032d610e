/**
 * Plans of plans (ADR 0035): a package whose work is a plan — a parent — read from its
 * `inputs.waves.plan` (a sub-plan file, or `{by: agent}`: its agent plans at run time) and
 * `inputs.waves.max_parallel`; what is malformed there, positioned. A plan read with its sub-plans
 * is `nestedPlan.ts`'s. Pure.
 */
import type { Diagnostic, PlanPackage } from './model';
import type { DataPath } from './reader/planSites';
import type { ReadResult } from './reader/reader';

export type SubPlanSource = { kind: 'file'; path: string } | { kind: 'agent' };

export interface SubPlan {
  source: SubPlanSource;
  /** The children's own lower cap (`inputs.waves.max_parallel`), or null: the run's. */
  maxParallel: number | null;
}

export interface SubPlanProblem {
  message: string;
  /** Where, inside the package (`['inputs', 'waves', 'plan']`). */
  path: (string | number)[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function wavesOf(pkg: PlanPackage): Record<string, unknown> | null {
  const waves = isRecord(pkg.inputs) ? pkg.inputs.waves : undefined;
  return isRecord(waves) ? waves : null;
}

/** A sub-plan's path as a plan may write it: relative, `/`-separated, no `..` above its start, a YAML file. */
function pathProblem(p: string): string | null {
  if (p.trim() === '') return 'an empty path';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\')) return `\`${p}\`: the path must be relative to this plan's file, with \`/\` between folders`;
  if (!/\.ya?ml$/i.test(p)) return `\`${p}\`: a sub-plan is a plan file (\`.yaml\` or \`.yml\`)`;
  return null;
}

/** A package's sub-plan, or null: none (or one written wrongly, which `subPlanProblems` says). */
export function subPlanOf(pkg: PlanPackage): SubPlan | null {
  const waves = wavesOf(pkg);
  const plan = waves?.plan;
  let source: SubPlanSource | null = null;
  if (typeof plan === 'string' && pathProblem(plan) === null) source = { kind: 'file', path: plan.trim() };
  else if (isRecord(plan) && plan.by === 'agent' && Object.keys(plan).length === 1) source = { kind: 'agent' };
  if (!source) return null;
  return { source, maxParallel: isCount(waves?.max_parallel) ? waves.max_parallel : null };
}

/** Whether a package is a parent (its work is a plan), however its sub-plan is written. */
export function isParent(pkg: PlanPackage): boolean {
  return wavesOf(pkg)?.plan !== undefined;
}

/** What is malformed in a package's `inputs.waves.plan` and `max_parallel`, each with its path inside the package. */
export function subPlanProblems(pkg: PlanPackage): SubPlanProblem[] {
  const waves = wavesOf(pkg);
  if (!waves) return [];
  const out: SubPlanProblem[] = [];
  const at = (key: string) => ['inputs', 'waves', key];
  const plan = waves.plan;
  if (plan === undefined) {
    if (waves.max_parallel !== undefined) out.push({ message: '`inputs.waves.max_parallel` is the cap of a sub-plan\'s packages: this package has no `inputs.waves.plan`', path: at('max_parallel') });
    return out;
  }
  if (typeof plan === 'string') {
    const why = pathProblem(plan);
    if (why) out.push({ message: `\`inputs.waves.plan\` names a sub-plan file: ${why}`, path: at('plan') });
  } else if (!isRecord(plan) || plan.by !== 'agent' || Object.keys(plan).length !== 1) {
    out.push({ message: '`inputs.waves.plan` must be a sub-plan file (a path relative to this plan, e.g. `plans/api.yaml`) or `{by: agent}` (its agent plans it at run time)', path: at('plan') });
  }
  if (waves.max_parallel !== undefined && !isCount(waves.max_parallel))
    out.push({ message: '`inputs.waves.max_parallel` must be a whole number of 1 or more (the most of its sub-plan\'s packages at once)', path: at('max_parallel') });
  if (waves.candidates !== undefined || waves.candidate_agents !== undefined)
    out.push({ message: 'a package whose work is a sub-plan has no candidates of its own: give its sub-plan\'s packages candidates instead', path: at(waves.candidates !== undefined ? 'candidates' : 'candidate_agents') });
  if (pkg.worktree?.mode === 'shared')
    out.push({ message: 'a package whose work is a sub-plan needs a worktree of its own (its sub-plan\'s packages merge into its branch): remove `worktree.mode: shared`', path: at('plan') });
  return out;
}

/** The plan's `inputs.waves.plan` values as errors, at their values (analyze.ts, after the schema). */
export function subPlanDiagnostics(read: ReadResult): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const pkg of read.plan.packages) {
    if (pkg.inputs === undefined) continue;
    for (const p of subPlanProblems(pkg)) {
      const path: DataPath = ['packages', pkg.index, ...p.path];
      out.push({ severity: 'error', code: 'sub-plan-value', message: p.message, range: read.locate(path), packageId: pkg.id || null });
    }
  }
  return out;
}

/** A sub-plan's package's id in its run (ADR 0035, unfold.ts): `<its parent's id in the run>__<its own id>`. */
export function childRunId(parentRunId: string, id: string): string {
  return `${parentRunId}__${id}`;
}

/**
 * The id, inside its parent, of a `{by: agent}` parent's planner (its first child in the run,
 * `<parent>___plan`): a package id cannot start with `_`, so no package of a sub-plan takes it.
 */
export const PLANNER_ID = '_plan';

/** The run id of the planner of the `{by: agent}` parent `parentRunId`. */
export function plannerRunId(parentRunId: string): string {
  return childRunId(parentRunId, PLANNER_ID);
}

/** What a planner is told of the sub-plan it writes (`inputs.waves.planner`, unfold.ts writes it; the prompt and the engine read it). */
export interface PlannerContext {
  /** Its parent's id in the run. */
  parent: string;
  /** How many levels of sub-plans may still lie below the sub-plan it writes (0: its packages plan nothing). */
  levelsLeft: number;
  /** How many packages its sub-plan may hold at most (the run's limit less what the plan holds). */
  maxPackages: number;
}

/** A package's planner context, or null: not a planner. */
export function plannerOf(inputs: unknown): PlannerContext | null {
  const waves = isRecord(inputs) ? inputs.waves : undefined;
  const c = isRecord(waves) ? waves.planner : undefined;
  if (!isRecord(c) || typeof c.parent !== 'string' || !isCount(c.maxPackages) || typeof c.levelsLeft !== 'number') return null;
  return { parent: c.parent, levelsLeft: c.levelsLeft, maxPackages: c.maxPackages };
}

/**
 * What a sub-plan's package is told of its sub-plan (`inputs.waves.sub_plan`, read by the prompt):
 * the file, its feature, its parent's id in the run, and its contract files with its ancestors'
 * (the run's plan keeps the top plan's own).
 */
export interface SubPlanContext {
  file: string;
  feature: string | null;
  title: string | null;
  parent: string;
  contracts: string[];
}

/** A package's sub-plan as the run's plan tells it (unfold.ts writes it), or null: a package of the top plan. */
export function subPlanContextOf(inputs: unknown): SubPlanContext | null {
  const waves = isRecord(inputs) ? inputs.waves : undefined;
  const c = isRecord(waves) ? waves.sub_plan : undefined;
  if (!isRecord(c) || typeof c.file !== 'string' || typeof c.parent !== 'string') return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { file: c.file, parent: c.parent, feature: text(c.feature), title: text(c.title), contracts: Array.isArray(c.contracts) ? c.contracts.filter((x): x is string => typeof x === 'string') : [] };
}
