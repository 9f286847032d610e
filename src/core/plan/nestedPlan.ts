/**
 * A plan read with its sub-plans (ADR 0035): each analysed as a plan of its own, held inside its
 * parent's scope and locks exactly (a witness when not), within the depth and size limits, without
 * cycles. Pure: the files are read by the caller's `read`.
 */
import path from 'node:path';
import { overlap, uncoveredWitness } from './glob';
import type { DependencyGraph } from './graph';
import { inTextOrder, type Diagnostic, type Plan, type PlanPackage, type TextRange } from './model';
import { readPlan } from './reader/reader';
import { childRunId, subPlanOf } from './subPlans';

/** How many levels of sub-plans may lie below the top plan. */
export const MAX_SUB_PLAN_DEPTH = 3;
/** How many packages a plan with its sub-plans may hold in all (parents and leaves). */
export const MAX_NESTED_PACKAGES = 1000;

/** A sub-plan file as the caller read it: its text, its identity (a real path: cycles), how it is shown. */
export interface SubPlanFile {
  key: string;
  file: string;
  text: string;
}
export type SubPlanRead = SubPlanFile | { error: string; code: 'sub-plan-missing' | 'sub-plan-outside' };

/** What the nesting reads of a plan's analysis (analyze.ts's `PlanAnalysis` is one). */
export interface Analysed {
  text: string;
  plan: Plan;
  diagnostics: Diagnostic[];
  graph: DependencyGraph;
  valid: boolean;
}

/** One plan of a nested plan: the top plan, or a parent's sub-plan. */
export interface NestedPlan<A extends Analysed = Analysed> {
  /** As shown (the caller's `file`). */
  file: string;
  key: string;
  analysis: A;
  /** The parent whose sub-plan this is (its plan's index in the list, its package id), or null: the top plan. */
  parent: { plan: number; packageId: string } | null;
  /** 0: the top plan; 1: a sub-plan of one of its packages; … */
  depth: number;
  /** This file's problems beyond its own analysis's (the nesting's), in text order. */
  nesting: Diagnostic[];
  /** Whether this file has an error, its own or the nesting's. */
  valid: boolean;
}

export interface NestingLimits {
  maxDepth?: number;
  maxPackages?: number;
  /**
   * The sub-plan a `{by: agent}` parent's planner wrote and the engine kept (ADR 0035, "Planned
   * at run time"), by the parent's id in the run; null: not planned yet. Absent: none is read.
   */
  planned?: (parentRunId: string) => SubPlanRead | null;
}

/**
 * The plan and every sub-plan below it, in a walk depth first in the plans' order, the top plan
 * first (its `analysis` used when given). `read(from, path)` reads the sub-plan `path` written in
 * the plan whose key is `from`. A sub-plan that cannot be read, lies outside the repository, is
 * on its own chain (a cycle), is deeper than the limit or would take the plan past its package
 * limit is an error at its parent's `inputs.waves.plan`, and is not read. A `{by: agent}` parent's
 * sub-plan is the one its planner wrote in a run (`options.planned`), held to the same checks; not
 * planned yet, there is nothing to read (its depth is checked: a planner must have a level left).
 */
export function nestedWith<A extends Analysed>(analyze: (text: string) => A, top: SubPlanFile & { analysis?: A }, read: (from: string, path: string) => SubPlanRead, options: NestingLimits = {}): NestedPlan<A>[] {
  const maxDepth = options.maxDepth ?? MAX_SUB_PLAN_DEPTH;
  const maxPackages = options.maxPackages ?? MAX_NESTED_PACKAGES;
  const plans: NestedPlan<A>[] = [];
  let total = 0;
  const add = (f: SubPlanFile & { analysis?: A }, parent: NestedPlan['parent'], depth: number): NestedPlan<A> => {
    const analysis = f.analysis ?? analyze(f.text);
    total += analysis.plan.packages.length;
    const node: NestedPlan<A> = { file: f.file, key: f.key, analysis, parent, depth, nesting: [], valid: analysis.valid };
    plans.push(node);
    return node;
  };
  /** Each plan's packages' prefix in the run (`api__users` for the plan of `users` in `api`'s). */
  const prefixes = new Map<NestedPlan<A>, string>();
  const visit = (node: NestedPlan<A>, chain: readonly string[]): void => {
    const parents = node.analysis.plan.packages.filter((p) => p.id && subPlanOf(p) !== null);
    if (parents.length === 0) return;
    // Where each parent's `inputs.waves.plan` is written: the reader's sites, read once for this file.
    const reader = readPlan(node.analysis.text);
    const prefix = prefixes.get(node) ?? '';
    for (const pkg of parents) {
      const where = reader.locate(['packages', pkg.index, 'inputs', 'waves', 'plan']);
      const refuse = (code: string, message: string) => say(node, { severity: 'error', code, message, range: where, packageId: pkg.id });
      try {
        readSub(node, pkg, prefix ? childRunId(prefix, pkg.id) : pkg.id, chain, refuse);
      } catch (err) {
        // A fault of this code, never of the plan: said where the sub-plan is named, and the other parents are read.
        refuse('internal-error', `Internal error reading this sub-plan (please report it): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  /** One parent's sub-plan (its file, or what its planner wrote) read, held to the limits and inside its parent, and walked. */
  const readSub = (node: NestedPlan<A>, pkg: PlanPackage, runId: string, chain: readonly string[], refuse: (code: string, message: string) => void): void => {
    const source = subPlanOf(pkg)!.source;
    const rel = source.kind === 'file' ? source.path : null;
    if (node.depth + 1 > maxDepth) {
      refuse(
        'sub-plan-depth',
        rel !== null
          ? `\`${rel}\` would be a sub-plan ${node.depth + 1} levels below the top plan: at most ${maxDepth} (plan this package's work here, or in fewer levels)`
          : `its agent would plan a sub-plan ${node.depth + 1} levels below the top plan: at most ${maxDepth} (plan this package's work here, or in fewer levels)`,
      );
      return;
    }
    const got = rel !== null ? read(node.key, rel) : (options.planned?.(runId) ?? null);
    if (got === null) return;
    if ('error' in got) {
      refuse(got.code, got.error);
      return;
    }
    const loop = chain.indexOf(got.key);
    if (loop >= 0) {
      const names = [...chain.slice(loop).map((k) => plans.find((p) => p.key === k)?.file ?? k), got.file];
      refuse('sub-plan-cycle', `\`${rel ?? got.file}\` is a plan this one lies inside: ${names.join(' → ')}`);
      return;
    }
    const analysis = analyze(got.text);
    const size = analysis.plan.packages.length;
    if (total + size > maxPackages) {
      refuse('sub-plan-size', `\`${rel ?? got.file}\` holds ${size} packages: with the ${total} read before it the plan would hold ${total + size}, more than ${maxPackages}`);
      return;
    }
    const child = add({ ...got, analysis }, { plan: plans.indexOf(node), packageId: pkg.id }, node.depth + 1);
    prefixes.set(child, runId);
    contain(child, pkg, node.file);
    visit(child, [...chain, got.key]);
  };
  const root = add(top, null, 0);
  visit(root, [top.key]);
  for (const p of plans) p.nesting.sort(inTextOrder);
  return plans;
}

function say(node: NestedPlan<Analysed>, d: Diagnostic): void {
  node.nesting.push(d);
  if (d.severity === 'error') node.valid = false;
}

/**
 * A sub-plan held inside its parent: each child's write globs inside the parent's write scope and
 * clear of its deny list, its lock files inside the parent's lock files, its lock keys the
 * parent's. Said in the sub-plan's file, at the child's value, with a path that shows it.
 */
function contain(child: NestedPlan<Analysed>, parent: PlanPackage, parentFile: string): void {
  const writes = parent.scope.writeAllow.map((g) => g.value);
  const deny = parent.scope.deny.map((g) => g.value);
  const lockFiles = parent.locks.files.map((g) => g.value);
  const lockKeys = new Set(parent.locks.keys.map((k) => k.value));
  const of = `\`${parent.id}\` in ${parentFile}`;
  const shown = (globs: readonly string[]) => (globs.length ? globs.map((g) => `\`${g}\``).join(', ') : 'nothing');
  for (const pkg of child.analysis.plan.packages) {
    const at = (code: string, range: TextRange, message: string) => say(child, { severity: 'error', code, message, range, packageId: pkg.id || null });
    for (const g of pkg.scope.writeAllow) {
      const witness = uncoveredWitness(g.value, writes);
      if (witness !== null) {
        at('sub-plan-scope', g.range, `\`${g.value}\` is not inside ${shown(writes)} (the write scope of ${of}): \`${witness}\``);
        continue;
      }
      for (const d of deny) {
        const both = overlap(g.value, d);
        if (both !== null) at('sub-plan-scope', g.range, `\`${g.value}\` meets \`${d}\`, which ${of} denies: \`${both}\``);
      }
    }
    for (const f of pkg.locks.files) {
      const witness = uncoveredWitness(f.value, lockFiles);
      if (witness !== null) at('sub-plan-lock', f.range, `the lock on \`${f.value}\` is not inside ${shown(lockFiles)} (the lock files of ${of}): \`${witness}\``);
    }
    for (const k of pkg.locks.keys)
      if (!lockKeys.has(k.value)) at('sub-plan-lock', k.range, `the lock key \`${k.value}\` is not one of ${of}'s (${lockKeys.size ? [...lockKeys].map((x) => `\`${x}\``).join(', ') : 'none'})`);
  }
}


/** The file system as the sub-plans' reader needs it (the CLI's `fs`, the editor's open documents and `fs`). */
export interface SubPlanDisk {
  /** A file's real path (links followed), or null when it cannot be found: `why` says. */
  realpath(file: string): { real: string } | { why: string };
  /** A file's text, or why it cannot be read. */
  read(real: string): { text: string } | { error: string };
  /** How a path is shown in messages and as a report's file. */
  shown(file: string): string;
}

/**
 * The reader `nestedWith` takes, on a disk: a sub-plan's path resolved against the folder of the
 * plan that names it (its real path, the key), refused when it leads outside `root` (the
 * repository's real path: a link out of it too).
 */
export function subPlanReader(root: string, disk: SubPlanDisk): (from: string, rel: string) => SubPlanRead {
  return (from, rel) => {
    const abs = path.resolve(path.dirname(from), rel);
    const found = disk.realpath(abs);
    if ('why' in found) return { code: 'sub-plan-missing', error: `cannot read the sub-plan ${disk.shown(abs)}: ${found.why}` };
    const { real } = found;
    if (real !== root && !real.startsWith(root + path.sep))
      return { code: 'sub-plan-outside', error: `the sub-plan \`${rel}\` is ${real}, outside the plan's repository (${root}): a sub-plan is a file of the repository its plan runs in` };
    const got = disk.read(real);
    if ('error' in got) return { code: 'sub-plan-missing', error: got.error };
    return { key: real, file: disk.shown(abs), text: got.text };
  };
}

/**
 * The `planned` reader `nestedWith` takes, on a disk: the sub-plan a `{by: agent}` parent's
 * planner wrote, kept where `fileOf` names it (core/run/runPaths.ts `plannedSubPlanFile`); null
 * when there is none. Undefined without `fileOf` (a plan without a feature id keeps none).
 */
export function plannedReader(fileOf: ((parentRunId: string) => string) | undefined, disk: SubPlanDisk): ((parentRunId: string) => SubPlanRead | null) | undefined {
  if (!fileOf) return undefined;
  return (parentRunId) => {
    let file: string;
    try {
      file = fileOf(parentRunId);
    } catch {
      // an id no file can be named by: nothing was kept for it
      return null;
    }
    const found = disk.realpath(file);
    if ('why' in found) return null;
    const got = disk.read(found.real);
    if ('error' in got) return { code: 'sub-plan-missing', error: got.error };
    return { key: found.real, file: disk.shown(file), text: got.text };
  };
}
