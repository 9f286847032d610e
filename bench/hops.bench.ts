/**
 * Between packages: the engine's own time on the critical path, from a dependency's agent done to
 * its dependent's agent at work. The real engine (src/engine), the real runner bundle, inside the
 * walls (bubblewrap, the default), on a fresh repository per plan:
 *   - a chain of 6 packages, each depending on the one before;
 *   - a wide plan of 12 packages in 3 levels (3 → 5 → 4, two dependencies each) at cap 3 (BENCH_HOP_CAP).
 * Each package's agent (test/fixtures/agents/stamped-agent.mjs: the scripted agent, its first act
 * timed in its attempt folder) works a fixed time (BENCH_HOP_AGENT_SECONDS, default 2), then writes
 * its own file and commits it; one approved verification command per package checks the file.
 * For each hop on the run's critical path — walked back from the last package merged: the package
 * whose merge let it be scheduled, its dependency or (at the cap) the one that freed its slot — the
 * engine's time for that level is the dependent's agent's first instruction − the dependency's
 * agent's first instruction − the fixed time, cut into stages by the engine's trace marks
 * (EngineOptions.trace), the runner's exit record and meta.json, and the agent's time stamp.
 * Printed: each stage's median, worst and share; each hop; the makespan beside the best schedule
 * (critical path × the agent's time; at the cap, the fewest steps any schedule needs, every one
 * tried: `bestSteps`); the engine's time per level; the goal (≤ 0.3 s per level at the median),
 * for each plan and over both.
 * Run: `npm run bench hops` (about a minute). BENCH_HOP_ROUNDS (default 2): runs of each plan, interleaved.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { bestSteps, loadavg, ms, pct, runPlan } from './realPlans';
import { isolateGit, scriptedAgent, type TestPackage } from '../test/engine/engineFixtures';
import { REPO_ROOT, SCRIPTED_AGENT } from '../test/engine/helpers';

/** Each agent's fixed time, s (BENCH_HOP_AGENT_SECONDS, default 2). */
const SECONDS = Math.max(0.1, Number(process.env.BENCH_HOP_AGENT_SECONDS ?? 2) || 2);
/** The wide plan's cap (BENCH_HOP_CAP, default 3). */
const CAP = Math.max(1, Number(process.env.BENCH_HOP_CAP ?? 3) || 3);
/** Runs of each plan, each on a fresh repository (BENCH_HOP_ROUNDS, default 2); the stages pool their hops. */
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_HOP_ROUNDS ?? 2) || 2));
/** The goal: the engine's time per dependency level on the critical path, median, ms. */
const GOAL_MS = 300;

/** The scripted agent with its first act timed (its `task.md`, which `runPlan` reads). */
function stampedAgent() {
  const base = scriptedAgent();
  const stamped = path.join(REPO_ROOT, 'test', 'fixtures', 'agents', 'stamped-agent.mjs');
  return { ...base, argv: base.argv.map((a) => (a === SCRIPTED_AGENT ? stamped : a)), label: 'scripted test agent, its first act timed' };
}

function pkg(id: string, deps: string[]): TestPackage {
  return { id, deps, agent: [`sleep ${Math.round(SECONDS * 1000)}`, `write ${id}/x.txt`, `commit ${id}`], commands: [`test -f ${id}/x.txt`] };
}

function chainPlan(): TestPackage[] {
  return Array.from({ length: 6 }, (_, i) => pkg(`c${i}`, i ? [`c${i - 1}`] : []));
}

/** 3 → 5 → 4: each of the second level on two of the first, each of the third on two neighbours of the second. */
function widePlan(): TestPackage[] {
  const a = [0, 1, 2].map((i) => pkg(`a${i}`, []));
  const b = [0, 1, 2, 3, 4].map((i) => pkg(`b${i}`, [`a${i % 3}`, `a${(i + 1) % 3}`]));
  const c = [0, 1, 2, 3].map((i) => pkg(`c${i}`, [`b${i}`, `b${i + 1}`]));
  return [...a, ...b, ...c];
}

type Run = Awaited<ReturnType<typeof runPlan>>;
interface Hop {
  from: string;
  to: string;
  /** `dependency`: the dependent waited for it; `slot`: it waited for the cap, the slot this one freed. */
  edge: 'dependency' | 'slot';
  /** Each stage's time, ms, in STAGES' order; they add up to `level`. */
  stages: number[];
  /** The engine's time for this level: the dependent's first instruction − the dependency's − the fixed time, ms. */
  level: number;
  /**
   * Of it, the engine's own: the dependency's exit record → the dependent's agent spawned, and of
   * its start (spawned → first instruction) what is not Node's own start (measured outside the
   * walls: `nodeStart`) — the agent's write and commit and its Node's start are the agent's, ms.
   */
  own: number;
}

/** The stages of a hop from `q` (the dependency) to `p` (the dependent), in order; each ends where the next begins. */
const STAGES: [string, (r: Run, q: string, p: string) => number][] = [
  ["the dependency's agent after its fixed time (its write and commit, the runner's exit record)", (r, q) => r.at(q).exit - r.at(q).agent - SECONDS * 1000],
  ['exit seen (the exit record → read by the engine)', (r, q) => (r.mark(q, 'exit-seen') ?? NaN) - r.at(q).exit],
  ['commit (its tree on its branch, the leftovers committed, the checkout and git set-up checked)', (r, q) => (r.mark(q, 'committed') ?? NaN) - (r.mark(q, 'exit-seen') ?? NaN)],
  ['audit (the changes read)', (r, q) => (r.mark(q, 'audited') ?? NaN) - (r.mark(q, 'committed') ?? NaN)],
  ['verification (its command, in walls of its own)', (r, q) => (r.mark(q, 'verified') ?? NaN) - (r.mark(q, 'audited') ?? NaN)],
  ['merge (the queue, the merge, the integration branch moved)', (r, q) => (r.mark(q, 'merged') ?? NaN) - (r.mark(q, 'verified') ?? NaN)],
  ['locks released, the dependent scheduled', (r, q, p) => (r.mark(p, 'scheduled') ?? NaN) - (r.mark(q, 'merged') ?? NaN)],
  ["the dependent's tree ready (locks, worktree, prompt and spec, state saved)", (r, _q, p) => (r.mark(p, 'tree-ready') ?? NaN) - (r.mark(p, 'scheduled') ?? NaN)],
  ['its runner handed the attempt', (r, _q, p) => (r.mark(p, 'launched') ?? NaN) - (r.mark(p, 'tree-ready') ?? NaN)],
  ['its walls up, its agent spawned (meta.json rewritten with the pid)', (r, _q, p) => r.at(p).spawned - (r.mark(p, 'launched') ?? NaN)],
  ["its agent's first instruction (Node started inside the walls)", (r, _q, p) => r.at(p).agent - r.at(p).spawned],
];

/**
 * Node's own start here, ms: a `node` spawned outside the walls to its first instruction, the
 * median of 5 (measured before each run, under the load of the moment; what the agent's start
 * costs with no walls).
 */
let nodeStart = 0;
function measureNodeStart(): number {
  const xs = Array.from({ length: 5 }, () => {
    const t0 = Date.now();
    const out = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], { encoding: 'utf8' });
    return Number(out) - t0;
  });
  return pct(xs, 50);
}

/**
 * The run's critical path, as hops: from the last package merged back, each package to the one
 * whose merge let it be scheduled — its dependency merged last, unless another package merged
 * later still before it was scheduled (it waited for the cap: that one freed its slot).
 */
function criticalHops(r: Run, packages: readonly TestPackage[]): Hop[] {
  const merged = (id: string) => r.mark(id, 'merged') ?? NaN;
  let p = packages.reduce((best, x) => (merged(x.id) > merged(best.id) ? x : best));
  const hops: Hop[] = [];
  for (;;) {
    const scheduled = r.mark(p.id, 'scheduled') ?? NaN;
    const before = packages.filter((q) => q.id !== p.id && merged(q.id) <= scheduled);
    if (before.length === 0) break;
    const latest = before.reduce((best, q) => (merged(q.id) > merged(best.id) ? q : best));
    const deps = before.filter((q) => p.deps?.includes(q.id));
    const dep = deps.length ? deps.reduce((best, q) => (merged(q.id) > merged(best.id) ? q : best)) : undefined;
    // A dependency merged in the same batch as a later one (within 20 ms) is still what it waited for.
    const q = dep && merged(dep.id) >= merged(latest.id) - 20 ? dep : latest;
    const stages = STAGES.map(([, f]) => f(r, q.id, p.id));
    const level = r.at(p.id).agent - r.at(q.id).agent - SECONDS * 1000;
    hops.push({ from: q.id, to: p.id, edge: q === dep ? 'dependency' : 'slot', stages, level, own: level - stages[0]! - Math.min(nodeStart, stages[stages.length - 1]!) });
    p = q;
  }
  return hops.reverse();
}

interface Measured {
  name: string;
  round: number;
  packages: TestPackage[];
  cap: number;
  wall: number;
  hops: Hop[];
  /** Levels of the plan (its critical path at unit time) and the fewest steps any schedule needs at the cap. */
  levels: number;
  steps: number;
  /** max(critical path, work / cap), s. */
  bound: number;
  /** run() → the first agent's first instruction; the last agent's exit → run() returned, ms. */
  start: number;
  end: number;
  load: string;
}

async function measure(feature: string, name: string, round: number, packages: TestPackage[], cap: number): Promise<Measured> {
  nodeStart = measureNodeStart();
  const r = await runPlan(`${feature}-${round}`, packages, cap, { verification: 'approved', agent: stampedAgent() });
  const stamps = packages.map((p) => r.at(p.id).agent);
  if (stamps.some((t) => !Number.isFinite(t))) throw new Error(`${name}: an agent's first instruction was not timed (no task.md beside its prompt)`);
  const levels = bestSteps(packages, packages.length)!;
  const steps = bestSteps(packages, cap)!;
  return {
    name,
    round,
    packages,
    cap,
    wall: r.wall,
    hops: criticalHops(r, packages),
    levels,
    steps,
    bound: Math.max(levels, packages.length / cap) * SECONDS,
    start: Math.min(...stamps) - r.started,
    end: r.ended - Math.max(...packages.map((p) => r.at(p.id).exit)),
    load: loadavg(),
  };
}

/** The goal's line: the median (worst) of the engine's times per level of these hops against ≤ 0.3 s. */
function goalLine(what: string, levels: number[]): void {
  const median = levels.length ? pct(levels, 50) : NaN;
  console.log(`| ${what} | ${ms(median)} (${ms(Math.max(...levels))}) | ≤ ${GOAL_MS} ms | ${median <= GOAL_MS ? 'met' : '**not met**'} |`);
}

const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
const finite = (xs: number[]) => xs.filter((x) => Number.isFinite(x));

/** One plan's runs: each stage over all their critical hops, then each hop. */
function printStages(runs: Measured[]): void {
  const hops = runs.flatMap((m) => m.hops);
  const total = finite(hops.map((h) => h.level)).reduce((a, b) => a + b, 0);
  console.log(`\n${runs[0]!.name}: ${hops.length} hops on the critical paths of ${runs.length} run(s); each stage's time, ms (share: its sum over the hops / the engine's time over them):\n`);
  console.log('| stage | median | worst | share |');
  console.log('|---|---:|---:|---:|');
  STAGES.forEach(([label], i) => {
    const xs = finite(hops.map((h) => h.stages[i]!));
    if (xs.length === 0) return console.log(`| ${label} | – | – | – |`);
    const share = total > 0 ? `${Math.round((100 * xs.reduce((a, b) => a + b, 0)) / total)} %` : '–';
    console.log(`| ${label} | ${ms(pct(xs, 50))} | ${ms(Math.max(...xs))} | ${share} |`);
  });
  const levels = finite(hops.map((h) => h.level));
  if (levels.length) console.log(`| **the engine's time for the level** (first instruction → the next's, less ${SECONDS} s) | **${ms(pct(levels, 50))}** | **${ms(Math.max(...levels))}** | 100 % |`);
  const own = finite(hops.map((h) => h.own));
  if (own.length) console.log(`| **of which the engine's own** (less the agent's write and commit, and its Node's start: ${ms(nodeStart)} outside the walls) | **${ms(pct(own, 50))}** | **${ms(Math.max(...own))}** | ${total > 0 ? Math.round((100 * own.reduce((a, b) => a + b, 0)) / total) : '–'} % |`);
  console.log(`\n| run | hop | edge | engine's time for the level |`);
  console.log('|---:|---|---|---:|');
  for (const m of runs) for (const h of m.hops) console.log(`| ${m.round} | ${h.from} → ${h.to} | ${h.edge} | ${ms(h.level)} |`);
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  isolateGit();
  const plans: Measured[][] = [[], []];
  // Interleaved: a chain, a wide plan, a chain… (the machine's noise shared alike).
  for (let round = 1; round <= ROUNDS; round++) {
    plans[0]!.push(await measure('hops-chain', 'chain of 6', round, chainPlan(), CAP));
    plans[1]!.push(await measure('hops-wide', `wide, 3 → 5 → 4 at cap ${CAP}`, round, widePlan(), CAP));
  }
  const runs = plans.flat();

  console.log(`\n### Between packages: a dependency's agent done → its dependent's agent at work (inside the walls, ${SECONDS} s agents that commit, one verification command each)\n`);
  console.log(`load average before: ${loadBefore}`);
  for (const p of plans) printStages(p);

  console.log("\nMakespan beside the best schedule (every package one unit of the agent's time); the engine's time per level: (makespan − the agents' time along the run's critical path) / the packages on it:\n");
  console.log('| plan | run | packages | cap | levels | best schedule (steps at the cap × agent time) | max(critical path, work / cap) | makespan | / best | on the critical path | engine per level | of which start (run() → first instruction) + end (last exit → run() returned) | load after |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const m of runs) {
    const best = m.steps * SECONDS * 1000;
    const onPath = m.hops.length + 1;
    const perLevel = (m.wall - onPath * SECONDS * 1000) / onPath;
    console.log(
      `| ${m.name} | ${m.round} | ${m.packages.length} | ${m.cap} | ${m.levels} | ${s(best)} (${m.steps} steps) | ${m.bound.toFixed(1)} s | ${s(m.wall)} | ${(m.wall / best).toFixed(2)}× | ${onPath} | ${ms(perLevel)} | ${ms(m.start)} + ${ms(m.end)} | ${m.load} |`,
    );
  }

  console.log('\nGoal:\n');
  console.log('| goal | figure | target | |');
  console.log('|---|---|---|---|');
  for (const [key, what] of [
    ['level', "the engine's time per dependency level on the critical path (the agent's write, commit and start in it), median (worst)"],
    ['own', "the engine's own time per dependency level on the critical path (exit record → the dependent's agent at its first instruction, less Node's own start), median (worst)"],
  ] as const) {
    for (const p of plans) {
      const levels = finite(p.flatMap((m) => m.hops.map((h) => h[key])));
      goalLine(`${what}, ${p[0]!.name}, ${levels.length} hops`, levels);
    }
    goalLine(`${what}, both plans`, finite(runs.flatMap((m) => m.hops.map((h) => h[key]))));
  }
  console.log(`\nload average after: ${loadavg()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
