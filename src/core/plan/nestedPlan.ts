/**
 * A plan read with its sub-plans (ADR 0035): each analysed as a plan of its own, held inside its
 * parent's scope and locks exactly (a witness when not), within the depth and size limits, without
 * cycles. Pure: the files are read by the caller's `read`.
 */
import { analyzePlan, type AnalyzeOptions, type PlanAnalysis } from './analyze';
import { overlap, uncoveredWitness } from './glob';
import type { Diagnostic, PlanPackage, TextRange } from './model';
import { readPlan } from './reader/reader';
import { subPlanOf } from './subPlans';

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

/** One plan of a nested plan: the top plan, or a parent's sub-plan. */
export interface NestedPlan {
  /** As shown (the caller's `file`). */
  file: string;
  key: string;
  analysis: PlanAnalysis;
  /** The parent whose sub-plan this is (its plan's index in the list, its package id), or null: the top plan. */
  parent: { plan: number; packageId: string } | null;
  /** 0: the top plan; 1: a sub-plan of one of its packages; … */
  depth: number;
  /** This file's problems beyond its own analysis's (the nesting's), in text order. */
  nesting: Diagnostic[];
  /** Whether this file has an error, its own or the nesting's. */
  valid: boolean;
}

export interface NestedOptions extends AnalyzeOptions {
  maxDepth?: number;
  maxPackages?: number;
}

/**
 * The plan and every sub-plan below it, in a walk depth first in the plans' order, the top plan
 * first (its `analysis` used when given). `read(from, path)` reads the sub-plan `path` written in
 * the plan whose key is `from`. A sub-plan that cannot be read, lies outside the repository, is
 * on its own chain (a cycle), is deeper than the limit or would take the plan past its package
 * limit is an error at its parent's `inputs.waves.plan`, and is not read; `{by: agent}` has
 * nothing to read before a run.
 */
export function analyzeNested(top: SubPlanFile & { analysis?: PlanAnalysis }, read: (from: string, path: string) => SubPlanRead, options: NestedOptions = {}): NestedPlan[] {
  const maxDepth = options.maxDepth ?? MAX_SUB_PLAN_DEPTH;
  const maxPackages = options.maxPackages ?? MAX_NESTED_PACKAGES;
  const plans: NestedPlan[] = [];
  let total = 0;
  const add = (f: SubPlanFile & { analysis?: PlanAnalysis }, parent: NestedPlan['parent'], depth: number): NestedPlan => {
    const analysis = f.analysis ?? analyzePlan(f.text, options);
    total += analysis.plan.packages.length;
    const node: NestedPlan = { file: f.file, key: f.key, analysis, parent, depth, nesting: [], valid: analysis.valid };
    plans.push(node);
    return node;
  };
  const visit = (node: NestedPlan, chain: readonly string[]): void => {
    const parents = node.analysis.plan.packages.filter((p) => p.id && subPlanOf(p)?.source.kind === 'file');
    if (parents.length === 0) return;
    // Where each parent's `inputs.waves.plan` is written: the reader's sites, read once for this file.
    const reader = readPlan(node.analysis.text);
    for (const pkg of parents) {
      const sub = subPlanOf(pkg)!;
      const where = reader.locate(['packages', pkg.index, 'inputs', 'waves', 'plan']);
      const refuse = (code: string, message: string) => say(node, { severity: 'error', code, message, range: where, packageId: pkg.id });
      const rel = (sub.source as { path: string }).path;
      if (node.depth + 1 > maxDepth) {
        refuse('sub-plan-depth', `\`${rel}\` would be a sub-plan ${node.depth + 1} levels below the top plan: at most ${maxDepth} (plan this package's work here, or in fewer levels)`);
        continue;
      }
      const got = read(node.key, rel);
      if ('error' in got) {
        refuse(got.code, got.error);
        continue;
      }
      const loop = chain.indexOf(got.key);
      if (loop >= 0) {
        const names = [...plans.filter((p) => chain.slice(loop).includes(p.key)).map((p) => p.file), got.file];
        refuse('sub-plan-cycle', `\`${rel}\` is a plan this one lies inside: ${names.join(' → ')}`);
        continue;
      }
      const analysis = analyzePlan(got.text, options);
      const size = analysis.plan.packages.length;
      if (total + size > maxPackages) {
        refuse('sub-plan-size', `\`${rel}\` holds ${size} packages: with the ${total} read before it the plan would hold ${total + size}, more than ${maxPackages}`);
        continue;
      }
      const child = add({ ...got, analysis }, { plan: plans.indexOf(node), packageId: pkg.id }, node.depth + 1);
      contain(child, pkg, node.file);
      visit(child, [...chain, got.key]);
    }
  };
  const root = add(top, null, 0);
  visit(root, [top.key]);
  for (const p of plans) p.nesting.sort((a, b) => a.range.start - b.range.start || a.code.localeCompare(b.code));
  return plans;
}

function say(node: NestedPlan, d: Diagnostic): void {
  node.nesting.push(d);
  if (d.severity === 'error') node.valid = false;
}

/**
 * A sub-plan held inside its parent: each child's write globs inside the parent's write scope and
 * clear of its deny list, its lock files inside the parent's lock files, its lock keys the
 * parent's. Said in the sub-plan's file, at the child's value, with a path that shows it.
 */
function contain(child: NestedPlan, parent: PlanPackage, parentFile: string): void {
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

