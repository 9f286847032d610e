/**
 * A plan of plans made into the one plan a run drives (ADR 0035, "Running"): every package of
 * every sub-plan becomes a package of the run, named under its parent (`api__users`), and each
 * parent becomes its sub-plan's join — it keeps its own id, scope, locks and verification, waits
 * for all its children, and does no work of its own: its verification runs on its children's
 * combined result and its audit is theirs against its scope (judge.ts). A child that depends on
 * nothing in its sub-plan waits for what its parent waits for, so the parent's dependencies
 * land before any of its children starts, and the parent's dependents wait for its join, so for
 * all its children. Pure: the plans are `nestedWith`'s, already read and checked.
 */
import { stringify } from 'yaml';
import { DEFAULT_LOCK_TTL_MINUTES, DEFAULT_PRIORITY, DEFAULT_RETRY_BUDGET, DEFAULT_TIMEOUT_MINUTES } from './defaults';
import { MAX_NESTED_PACKAGES, MAX_SUB_PLAN_DEPTH, type NestedPlan, type Analysed, type NestingLimits } from './nestedPlan';
import { readPlan } from './reader/reader';
import { childRunId, plannerRunId, subPlanOf, type PlannerContext, type SubPlanContext } from './subPlans';

const MAX_ID = 64;

export interface Unfolded {
  /** The run's plan: the top plan's feature, contracts and defaults, every package of every level. */
  text: string;
  /** Each parent's id in the run → its children's ids in the run (direct children: a child that is a parent is its own join). */
  joins: Record<string, string[]>;
  /** Each package's id in the run → where it is written (its file as shown, its id there). */
  origin: Record<string, { file: string; packageId: string }>;
  /** A parent's `inputs.waves.max_parallel`, by its id in the run: at most that many of the packages below it at once. */
  caps: Record<string, number>;
  /** Each `{by: agent}` parent's planner (its first child), by its id in the run → its parent's id in the run. */
  planners: Record<string, string>;
}

type Data = Record<string, unknown>;
const isMap = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What a sub-plan's `defaults` set, written into each of its packages that does not set its own
 * (the run's plan has the top plan's `defaults` only); where the top plan sets a default the
 * sub-plan does not, the format's own default is written, so that the top plan's does not apply
 * to the sub-plan's packages.
 */
const DEFAULTED: readonly { key: string; at: readonly string[]; fallback: unknown }[] = [
  { key: 'priority', at: ['priority'], fallback: DEFAULT_PRIORITY },
  { key: 'timeout_minutes', at: ['timeout_minutes'], fallback: DEFAULT_TIMEOUT_MINUTES },
  { key: 'retry_budget', at: ['retry_budget'], fallback: DEFAULT_RETRY_BUDGET },
  { key: 'min_trust_level', at: ['min_trust_level'], fallback: 2 },
  { key: 'lock_ttl_minutes', at: ['locks', 'ttl_minutes'], fallback: DEFAULT_LOCK_TTL_MINUTES },
  { key: 'verification_tier_required', at: ['verification', 'tier_required'], fallback: 'A' },
];

function withDefaults(pkg: Data, own: Data, top: Data): void {
  for (const { key, at, fallback } of DEFAULTED) {
    const value = key in own ? own[key] : key in top ? fallback : undefined;
    if (value === undefined) continue;
    let holder = pkg;
    for (const part of at.slice(0, -1)) {
      if (!isMap(holder[part])) holder[part] = {};
      holder = holder[part] as Data;
    }
    const last = at[at.length - 1]!;
    if (!(last in holder)) holder[last] = value;
  }
}

function contextOf(plan: NestedPlan<Analysed>, parent: string, above: SubPlanContext | null): SubPlanContext {
  const own = plan.analysis.plan.contractFiles.map((c) => c.value);
  return {
    file: plan.file,
    feature: plan.analysis.plan.feature?.id ?? null,
    title: plan.analysis.plan.feature?.title ?? null,
    parent,
    contracts: [...new Set([...(above?.contracts ?? []), ...own])],
  };
}

function withContext(pkg: Data, context: SubPlanContext): void {
  if (!isMap(pkg.inputs)) pkg.inputs = {};
  const inputs = pkg.inputs as Data;
  if (!isMap(inputs.waves)) inputs.waves = {};
  (inputs.waves as Data).sub_plan = { ...context };
}

/** A parent's package as its join: no `inputs.waves.plan` (nor `max_parallel`), its children among what it waits for. */
function asJoin(pkg: Data, children: readonly string[]): void {
  const inputs = pkg.inputs;
  if (isMap(inputs) && isMap(inputs.waves)) {
    delete inputs.waves.plan;
    delete inputs.waves.max_parallel;
    if (Object.keys(inputs.waves).length === 0) delete inputs.waves;
    if (Object.keys(inputs).length === 0) delete pkg.inputs;
  }
  const deps = Array.isArray(pkg.depends_on) ? (pkg.depends_on as unknown[]) : [];
  pkg.depends_on = [...deps, ...children.filter((c) => !deps.includes(c))];
}

/**
 * A `{by: agent}` parent's planner (ADR 0035, "Planned at run time"): the parent's agent, scope,
 * description and time, what the parent waits for, no locks or verification of its own (it writes
 * only its sub-plan, outside its tree: the engine checks that), and what it may plan.
 */
function asPlanner(item: Data, id: string, waitsFor: readonly string[], context: PlannerContext): Data {
  const pkg = structuredClone(item);
  pkg.package_id = id;
  pkg.title = `Plan the work of ${context.parent}`;
  pkg.depends_on = [...waitsFor];
  delete pkg.locks;
  delete pkg.verification;
  delete pkg.outputs;
  const inputs = isMap(pkg.inputs) ? pkg.inputs : (pkg.inputs = {});
  const waves = isMap(inputs.waves) ? inputs.waves : (inputs.waves = {});
  delete waves.plan;
  delete waves.max_parallel;
  waves.planner = { ...context };
  return pkg;
}

/**
 * The one plan of `plans` (`nestedWith`'s list, the top plan first, every file valid); or the
 * reasons it cannot be made, one line each (an id too long, or one the run's names would take).
 * A `{by: agent}` parent's first child is its planner; what it planned (its sub-plan in `plans`,
 * once kept) follows it.
 */
export function unfoldNested(plans: readonly NestedPlan<Analysed>[], limits: Pick<NestingLimits, 'maxDepth' | 'maxPackages'> = {}): Unfolded | { refusals: string[] } {
  const refusals: string[] = [];
  const datas = plans.map((p) => readPlan(p.analysis.text).data);
  const top = datas[0];
  if (!isMap(top) || !Array.isArray(top.packages)) return { refusals: [`${plans[0]?.file ?? 'the plan'}: no packages to run`] };
  const topDefaults = isMap(top.defaults) ? top.defaults : {};
  const joins: Record<string, string[]> = {};
  const caps: Record<string, number> = {};
  const planners: Record<string, string> = {};
  const held = plans.reduce((n, p) => n + p.analysis.plan.packages.length, 0);
  const origin: Record<string, { file: string; packageId: string }> = {};
  const out: Data[] = [];
  const taken = new Set<string>(plans[0]!.analysis.plan.packages.map((p) => p.id));

  /** The packages of plan `k`, named with `prefix`; `entry`: what its packages without a dependency inside it wait for; `context`: its packages' sub-plan, told in their prompts. Returns the ids made. */
  const emit = (k: number, prefix: string, entry: readonly string[], defaults: Data | null, context: SubPlanContext | null = null): string[] => {
    const plan = plans[k]!;
    const data = datas[k];
    const items = isMap(data) && Array.isArray(data.packages) ? data.packages : [];
    const ids = new Map<string, string>();
    for (const p of plan.analysis.plan.packages) {
      if (!p.id) continue;
      const id = prefix ? childRunId(prefix, p.id) : p.id;
      if (prefix && id.length > MAX_ID) refusals.push(`${plan.file}: \`${p.id}\` would run as \`${id}\`, longer than ${MAX_ID} characters: shorten its id or its parent's`);
      else if (prefix && taken.has(id)) refusals.push(`${plan.file}: \`${p.id}\` would run as \`${id}\`, a package of the plan already named so: rename one`);
      taken.add(id);
      ids.set(p.id, id);
    }
    const made: string[] = [];
    for (const p of plan.analysis.plan.packages) {
      const item = items[p.index];
      if (!p.id || !isMap(item)) continue;
      const id = ids.get(p.id)!;
      const pkg = structuredClone(item);
      pkg.package_id = id;
      const inner = p.dependsOn.map((d) => ids.get(d.value)).filter((d): d is string => d !== undefined);
      pkg.depends_on = prefix && inner.length === 0 ? [...entry] : inner;
      if (defaults) withDefaults(pkg, defaults, topDefaults);
      if (context) withContext(pkg, context);
      origin[id] = { file: plan.file, packageId: p.id };
      out.push(pkg);
      made.push(id);
      // A parent: its sub-plan's packages start once what it waits for has landed; it joins them.
      const sub = plans.findIndex((q) => q.parent?.plan === k && q.parent.packageId === p.id);
      const nesting = subPlanOf(p);
      const byAgent = nesting?.source.kind === 'agent';
      if (nesting && (sub >= 0 || byAgent)) {
        if (nesting.maxParallel !== null) caps[id] = nesting.maxParallel;
        let waitsFor = Array.isArray(pkg.depends_on) ? (pkg.depends_on as string[]) : [];
        const first: string[] = [];
        if (byAgent) {
          // Its planner first: what it planned starts once the planner landed.
          const planner = plannerRunId(id);
          if (planner.length > MAX_ID) refusals.push(`${plan.file}: \`${p.id}\`'s planner would run as \`${planner}\`, longer than ${MAX_ID} characters: shorten its id or its parent's`);
          else if (taken.has(planner)) refusals.push(`${plan.file}: \`${p.id}\`'s planner would run as \`${planner}\`, a package of the plan already named so: rename one`);
          taken.add(planner);
          const levelsLeft = (limits.maxDepth ?? MAX_SUB_PLAN_DEPTH) - (plan.depth + 1);
          out.push(asPlanner(item, planner, waitsFor, { parent: id, levelsLeft, maxPackages: Math.max(0, (limits.maxPackages ?? MAX_NESTED_PACKAGES) - held) }));
          origin[planner] = { file: plan.file, packageId: p.id };
          planners[planner] = id;
          first.push(planner);
          waitsFor = [planner];
        }
        const subDefaults = sub >= 0 ? datas[sub] : null;
        const children = sub >= 0 ? emit(sub, id, waitsFor, isMap(subDefaults) && isMap(subDefaults.defaults) ? subDefaults.defaults : {}, contextOf(plans[sub]!, id, context)) : [];
        joins[id] = [...first, ...children];
        asJoin(pkg, joins[id]);
      }
    }
    return made;
  };
  emit(0, '', [], null);
  if (refusals.length) return { refusals };
  const run: Data = { ...top, packages: out };
  return { text: stringify(run, { lineWidth: 0 }), joins, origin, caps, planners };
}

/** The parents above `id` in the run's nesting (`joins`), nearest first; none at the top. */
export function above(joins: Readonly<Record<string, readonly string[]>>, id: string): string[] {
  const out: string[] = [];
  for (let at = id; ; ) {
    const parent = Object.keys(joins).find((p) => joins[p]!.includes(at) && !out.includes(p));
    if (!parent) return out;
    out.push(parent);
    at = parent;
  }
}

/** Every package below a parent in the run (its children, theirs, …). */
export function below(joins: Readonly<Record<string, readonly string[]>>, id: string): string[] {
  const out: string[] = [];
  for (const child of joins[id] ?? []) out.push(child, ...below(joins, child));
  return out;
}

/** The packages below each parent, worked out once per run's joins (the scheduler asks on every pass). */
const members = new WeakMap<object, Map<string, Set<string>>>();
function membersOf(joins: Readonly<Record<string, readonly string[]>>, id: string): Set<string> {
  let byParent = members.get(joins);
  if (!byParent) members.set(joins, (byParent = new Map()));
  let set = byParent.get(id);
  if (!set) byParent.set(id, (set = new Set(below(joins, id))));
  return set;
}

/**
 * Of `starting` (in order), those that may start now under the parents' caps: no parent with a
 * cap has more of the packages below it at work (`active`) than its cap. The run's own cap is the
 * scheduler's.
 */
export function withinParentCaps(joins: Readonly<Record<string, readonly string[]>>, caps: Readonly<Record<string, number>>, active: ReadonlySet<string>, starting: readonly string[]): string[] {
  const groups = Object.entries(caps).map(([id, cap]) => {
    const members = membersOf(joins, id);
    let busy = 0;
    for (const m of active) if (members.has(m)) busy++;
    return { cap, members, busy };
  });
  if (groups.length === 0) return [...starting];
  return starting.filter((id) => {
    const mine = groups.filter((g) => g.members.has(id));
    if (mine.some((g) => g.busy >= g.cap)) return false;
    for (const g of mine) g.busy++;
    return true;
  });
}
