/**
 * A plan with its sub-plans (ADR 0035) for `waves validate` and `waves graph`: each sub-plan
 * file read from disk (relative to the plan that names it, inside the plan's repository: a link
 * that leads out of it is refused), analysed and checked by `core/plan/nestedPlan.ts`, and a
 * report per file. Loaded only for a plan with a parent.
 */
import path from 'node:path';
import { analyzeNested, type AnalyzeOptions, type PlanAnalysis } from '../core/plan/analyze';
import { plannedReader, subPlanReader, type NestedPlan } from '../core/plan/nestedPlan';
import { plannedSubPlanFile } from '../core/run/runPaths';
import { inTextOrder } from '../core/plan/model';
import { toReport, type PlanReport } from '../core/plan/planReport';
import { planRootsOf, realpathOrWhy } from '../util/workTree';
import { readPlanFile, type Io } from './io';

/** A sub-plan's report: which parent's work it is. */
export type NestedReport = PlanReport & { subPlanOf?: { file: string; packageId: string } };

/** `file` (as the person gave it) and every sub-plan below it; the repository is the one holding `file` (its folder without one). */
export function nestedPlansOf(io: Io, file: string, analysis: PlanAnalysis, options: AnalyzeOptions = {}): NestedPlan<PlanAnalysis>[] {
  const { top, root } = planRootsOf(file);
  const shown = (abs: string) => path.relative(process.cwd(), abs) || abs;
  const disk = { realpath: realpathOrWhy, read: (real: string) => readPlanFile(io, real), shown };
  // A `{by: agent}` parent's sub-plan, once its planner's was kept in a run.
  const feature = analysis.plan.feature?.id;
  const planned = plannedReader(feature ? (id) => plannedSubPlanFile(root, feature, id) : undefined, disk);
  return analyzeNested({ key: top, file, text: analysis.text, analysis }, subPlanReader(root, disk), { ...options, ...(planned ? { planned } : {}) });
}

/** Each plan's report, its nesting's problems among its own, in text order; a sub-plan's names its parent. */
export function nestedReports(plans: readonly NestedPlan<PlanAnalysis>[]): NestedReport[] {
  return plans.map((p) => {
    const diagnostics = [...p.analysis.diagnostics, ...p.nesting].sort(inTextOrder);
    const report: NestedReport = { ...toReport(p.file, { ...p.analysis, diagnostics }), valid: p.valid };
    if (p.parent) report.subPlanOf = { file: plans[p.parent.plan]!.file, packageId: p.parent.packageId };
    return report;
  });
}
