/**
 * The plan engine's one entry point: text in, model + diagnostics + graph out.
 * Never throws: whatever the text, the result is a (possibly empty) plan and diagnostics.
 */
import { candidateSetDiagnostics } from './candidateSet';
import { semanticChecks, type CheckOptions, type Conflict } from './checks';
import { buildGraph, type DependencyGraph } from './graph';
import { inTextOrder, type Diagnostic, type Plan } from './model';
import { readPlan } from './reader/reader';
import { schemaDiagnostics } from './schema';
import { requiresDiagnostics } from './placement';
import { subPlanDiagnostics } from './subPlans';
import { nestedWith, type NestedPlan, type NestingLimits, type SubPlanFile, type SubPlanRead } from './nestedPlan';
import { LineIndex } from './text';

export interface PlanAnalysis {
  text: string;
  plan: Plan;
  /** Every diagnostic, in text order. */
  diagnostics: Diagnostic[];
  graph: DependencyGraph;
  /** Pairs of packages that may run in parallel but share write scope or a lock. */
  conflicts: Conflict[];
  lines: LineIndex;
  /** True when no diagnostic is an error. */
  valid: boolean;
}

export type AnalyzeOptions = CheckOptions;

export function analyzePlan(text: string, options: AnalyzeOptions = {}): PlanAnalysis {
  const lines = new LineIndex(text);
  const { plan, diagnostics } = readAndValidate(text, options);
  const graph = graphOf(plan);
  let conflicts: Conflict[] = [];
  guard(diagnostics, 'semantic checks', () => {
    const result = semanticChecks(text, plan, graph, lines, options);
    conflicts = result.conflicts;
    return result.diagnostics;
  });
  dropSupersededPatterns(diagnostics);
  diagnostics.sort(inTextOrder);
  return {
    text,
    plan,
    diagnostics,
    graph,
    conflicts,
    lines,
    valid: !diagnostics.some((d) => d.severity === 'error'),
  };
}

/** A sub-plan reader on a disk (nestedPlan.ts), here for the editor's plan-analysis bundle. */
export { plannedReader, subPlanReader } from './nestedPlan';

/**
 * The plan and every sub-plan below it, each analysed as `analyzePlan` does and checked inside
 * its parent (nestedPlan.ts); the top plan's `analysis` is used when given. `known` holds
 * analyses of earlier readings by text (with these options): reused, and it is left holding
 * this reading's alone.
 */
export function analyzeNested(
  top: SubPlanFile & { analysis?: PlanAnalysis },
  read: (from: string, path: string) => SubPlanRead,
  options: AnalyzeOptions & NestingLimits = {},
  known?: Map<string, PlanAnalysis>,
): NestedPlan<PlanAnalysis>[] {
  if (!known) return nestedWith((text) => analyzePlan(text, options), top, read, options);
  const used = new Map<string, PlanAnalysis>();
  const plans = nestedWith((text) => {
    const analysis = used.get(text) ?? known.get(text) ?? analyzePlan(text, options);
    used.set(text, analysis);
    return analysis;
  }, top, read, options);
  known.clear();
  for (const [text, analysis] of used) known.set(text, analysis);
  return plans;
}

/**
 * The plan read and held to the schema. The reader's canonical data and sites (as large as the
 * plan's model) are needed only here: in a function of its own they are garbage before the
 * checks run.
 */
function readAndValidate(text: string, options: AnalyzeOptions): { plan: Plan; diagnostics: Diagnostic[] } {
  const read = readPlan(text);
  const diagnostics = [...read.diagnostics];
  guard(diagnostics, 'schema validation', () => schemaDiagnostics(read));
  // `inputs` is free-form to the schema; its `waves` (best of n, sub-plans) is the engine's, checked here where values can be located.
  guard(diagnostics, 'candidate sets', () => candidateSetDiagnostics(read, options));
  // Its `plan` and `max_parallel` (plans of plans) likewise.
  guard(diagnostics, 'sub-plans', () => subPlanDiagnostics(read));
  // Its `requires` (the labels of a pull worker that may take it) likewise.
  guard(diagnostics, 'worker labels', () => requiresDiagnostics(read));
  return { plan: read.plan, diagnostics };
}

/** Runs one stage into `diagnostics`; a stage that throws is one internal-error diagnostic. */
function guard(diagnostics: Diagnostic[], stage: string, run: () => Diagnostic[]): void {
  try {
    for (const d of run()) diagnostics.push(d); // not push(...): a stage may report 100,000 and more
  } catch (err) {
    diagnostics.push({
      severity: 'error',
      code: 'internal-error',
      message: `Internal error in the ${stage} (please report it): ${err instanceof Error ? err.message : String(err)}`,
      range: { start: 0, end: 0 },
      packageId: null,
    });
  }
}

/**
 * A semantic check that says precisely what is wrong with a value (`lock-key-namespace`,
 * `glob-absolute`, …) supersedes the schema's generic `schema-pattern` on the same value.
 */
function dropSupersededPatterns(diagnostics: Diagnostic[]): void {
  const key = (d: Diagnostic) => `${d.range.start}:${d.range.end}`;
  const semanticAt = new Set(diagnostics.filter((d) => !d.code.startsWith('schema-') && d.severity === 'error').map(key));
  if (semanticAt.size === 0) return;
  // Kept ones moved down in one pass: a splice each would move the rest each time.
  let kept = 0;
  for (const d of diagnostics) if (!(d.code === 'schema-pattern' && semanticAt.has(key(d)))) diagnostics[kept++] = d;
  diagnostics.length = kept;
}

/** The dependency graph of a plan's packages (ids, `depends_on`, `timeout_minutes` as weights). */
function graphOf(plan: Plan): DependencyGraph {
  return buildGraph(plan.packages.map((p) => ({ id: p.id, dependsOn: p.dependsOn.map((d) => d.value), weight: p.timeoutMinutes })));
}

/**
 * The part of an analysis another thread can hand back (structured-clone safe: plain data,
 * no graph with its closures, no line index). `fromPortable` rebuilds the rest from it and the
 * text: the editor analyses large plans in a worker thread (src/plan/analysisWorker.ts).
 */
export interface PortableAnalysis {
  plan: Plan;
  diagnostics: Diagnostic[];
  conflicts: Conflict[];
  valid: boolean;
}

export function toPortable(analysis: PlanAnalysis): PortableAnalysis {
  return { plan: analysis.plan, diagnostics: analysis.diagnostics, conflicts: analysis.conflicts, valid: analysis.valid };
}

/** The whole analysis again from its portable part and the text it was made from. */
export function fromPortable(text: string, portable: PortableAnalysis): PlanAnalysis {
  return { text, ...portable, graph: graphOf(portable.plan), lines: new LineIndex(text) };
}

/**
 * The analysis of a plan too large to analyse here: no packages, one error at 1:1 saying so
 * (`plan-too-large`). The editor caps what it analyses (`waves.plan.maxSizeMB`); the CLI has no cap.
 */
export function oversizedAnalysis(text: string, sizeBytes: number, limitBytes: number, setting: string): PlanAnalysis {
  const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;
  const empty = analyzePlan('');
  const diagnostics: Diagnostic[] = [
    {
      severity: 'error',
      code: 'plan-too-large',
      message: `This plan is ${mb(sizeBytes)}, over the ${mb(limitBytes)} analysed in the editor (setting ${setting}): it is not analysed here. \`waves validate\` checks it in full.`,
      range: { start: 0, end: Math.min(text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'), 200) },
      packageId: null,
    },
  ];
  return { ...empty, text, diagnostics, lines: new LineIndex(text), valid: false };
}
