/**
 * Where the packages of a plan of plans run (ADR 0035): each package's name in the run
 * (`api__users`), each parent's children there, and the leaves — the packages that do an agent's
 * work, as opposed to a parent's join. The editor's views draw from it (the DAG panel's groups,
 * the status bar's count of leaves) without the run's plan text that `unfold.ts` makes. Pure.
 */
import type { Analysed, NestedPlan } from './nestedPlan';
import { childRunId, plannerRunId, subPlanOf } from './subPlans';

export interface NestTree {
  /** Each parent's id in the run → the index of its sub-plan in the list. */
  subPlan: Record<string, number>;
  /** Each parent's id in the run → its children's ids in the run (a child that is a parent is its own join). */
  joins: Record<string, string[]>;
  /** Each package's id in the run → the index of the plan it is written in, and its id there. */
  origin: Record<string, { plan: number; packageId: string }>;
}

/** The tree of `plans` (`nestedWith`'s list, the top plan first), named as `unfoldNested` names the run's packages. */
export function nestTree(plans: readonly NestedPlan<Analysed>[]): NestTree {
  const tree: NestTree = { subPlan: {}, joins: {}, origin: {} };
  const walk = (k: number, prefix: string): string[] => {
    const made: string[] = [];
    for (const p of plans[k]!.analysis.plan.packages) {
      const id = p.id ? (prefix ? childRunId(prefix, p.id) : p.id) : '';
      if (!id || id in tree.origin) continue;
      tree.origin[id] = { plan: k, packageId: p.id };
      made.push(id);
      const sub = plans.findIndex((q) => q.parent?.plan === k && q.parent.packageId === p.id);
      const source = subPlanOf(p)?.source.kind;
      // A `{by: agent}` parent: its planner first, then what it planned once kept (as unfold.ts runs them).
      const planner = source === 'agent' ? plannerRunId(id) : null;
      if (planner) tree.origin[planner] = { plan: k, packageId: p.id };
      if (sub < 0 || !source) {
        if (planner) tree.joins[id] = [planner];
        continue;
      }
      tree.subPlan[id] = sub;
      tree.joins[id] = [...(planner ? [planner] : []), ...walk(sub, id)];
    }
    return made;
  };
  if (plans.length) walk(0, '');
  return tree;
}

/** The leaves below a parent (its children that are no parents, theirs, …), in the plans' order. */
export function leavesBelow(tree: { joins: Readonly<Record<string, readonly string[]>> }, id: string): string[] {
  return (tree.joins[id] ?? []).flatMap((child) => (child in tree.joins ? leavesBelow(tree, child) : [child]));
}

/** The top plan's waves with each parent replaced by the leaves below it: what a run does, counted in agents' work. */
export function leafWaves(tree: NestTree, waves: readonly (readonly string[])[]): string[][] {
  return waves.map((wave) => wave.flatMap((id) => (id in tree.joins ? leavesBelow(tree, id) : [id])));
}

/** A sub-plan as a view shows it: its index in the list, its parent's id in the run ('' for the top plan), and the way down to it. */
export interface NestScope {
  plan: number;
  prefix: string;
  /** The parents opened from the top plan down, each with its title (its id in its own plan). */
  path: { id: string; title: string }[];
}

/** The sub-plan reached by opening the parents `path` (their ids in their own plans) from the top plan; undefined when one is no parent with a sub-plan read. */
export function scopeOf(plans: readonly NestedPlan<Analysed>[], tree: NestTree, path: readonly string[]): NestScope | undefined {
  let scope: NestScope = { plan: 0, prefix: '', path: [] };
  for (const step of path) {
    const id = scope.prefix ? childRunId(scope.prefix, step) : step;
    const sub = tree.subPlan[id];
    if (sub === undefined) return undefined;
    const title = plans[scope.plan]!.analysis.plan.packages.find((p) => p.id === step)?.title ?? '';
    scope = { plan: sub, prefix: id, path: [...scope.path, { id: step, title }] };
  }
  return plans.length ? scope : undefined;
}

/**
 * A parent's record (or live status) as a person reads its time: started when the first package
 * below it started, since its own attempt only joins their work (it would say `0s`).
 */
export function fromFirstStart<R extends { startedAt: string | null }>(record: R, records: Readonly<Record<string, { startedAt: string | null } | undefined>>, leaves: readonly string[]): R {
  let first = record.startedAt;
  for (const leaf of leaves) {
    const at = records[leaf]?.startedAt;
    if (at && (!first || Date.parse(at) < Date.parse(first))) first = at;
  }
  return first === record.startedAt ? record : { ...record, startedAt: first };
}
