/**
 * The engine on a real repository with real processes (the scripted test agent):
 * - handoff: a package's exit (its runner's exit.json `endedAt`) → each ready dependent's
 *   runner started (its meta.json `startedAt`); this includes the dependency's commit,
 *   audit and merge, which a dependent must wait for (it starts from the merged result);
 * - per-package overhead for 100 independent packages: exit → succeeded (commit + audit +
 *   merge), and the whole run's wall time.
 * - the engine's goals, each printed with its figure, its goal and the load average: (a) handoff
 *   (exit → dependent's agent spawned) p50/p95 for the chain and for the fan-out to 9 at cap 10,
 *   (b) a package's exit → merged p50 alone (the chain: no other merge in the queue), (c) the
 *   makespan of real plans (test/fixtures/act-plans/: their packages and dependencies, each
 *   package an agent that works a fixed time, then writes and commits its own file as the real
 *   CLIs do, and a verification command per package) against max(critical path, work / cap),
 *   at cap 3 (BENCH_CAP), and where a level's time goes: for each dependent, from the
 *   exit of the dependency it waited for last, when that one was seen, committed, audited,
 *   verified, merged, and when the dependent's agent was spawned.
 * Run by `npm run bench` (prints markdown). Flags: `--handoff-only` (no 100-package run, no
 * makespan), `--no-makespan`, `--makespan-only`; BENCH_HANDOFF_WORK_MS (default 1000: how long
 * each agent of the handoff runs works), BENCH_AGENT_SECONDS (default `2,20`: the makespan agents'
 * fixed times) and BENCH_PLANS / BENCH_PLANS_LONG (comma-separated plan files of act-plans/ for
 * the short and the 20 s agents; defaults below).
 */
import { CAP, loadavg, ms, pct, realPlan, runPlan } from './realPlans';
import { isolateGit, type TestPackage } from '../test/engine/engineFixtures';

/** How long each agent of the handoff runs works before it writes its file (BENCH_HANDOFF_WORK_MS, default 1000). */
const HANDOFF_WORK_MS = Math.max(0, Number(process.env.BENCH_HANDOFF_WORK_MS ?? 1000) || 0);

/** The engine's trace marks (EngineOptions.trace) on the handoff path, in order. */
const PARENT_STEPS = ['exit-seen', 'committed', 'audited', 'verified', 'merge-start', 'merged', 'locks-released'];
const CHILD_STEPS = ['scheduled', 'locks-taken', 'spec-written', 'tree-ready', 'launched', 'started-saved'];

/** The real plans of test/fixtures/act-plans/ timed by default: short agents, and (fewer) 20 s agents. */
const PLANS = [
  '2026-03-21-add-dynamic-authorization',
  '2026-04-04-gen-eval-testing',
  '2026-05-04-add-prototyping-stage',
  '2026-03-26-multi-vendor-review-orchestration',
  '2026-04-01-live-service-testing',
  '2026-03-21-improve-worktree-management',
];
const PLANS_LONG = ['2026-03-21-add-dynamic-authorization', '2026-03-21-improve-worktree-management'];
/** The dependent's own steps of a handoff (its trace marks), after the dependency's exit. */
const DEPENDENT_STEPS = [
  ["dependent's locks taken", 'locks-taken'],
  ["dependent's worktree ready", 'tree-ready'],
  ["dependent's runner handed the attempt", 'launched'],
] as const;
/** Where a level's time goes: the steps of a handoff, each in ms after the dependency's exit. */
const LEVEL_STEPS = [
  ['exit seen', 'exit-seen'],
  ['committed', 'committed'],
  ['audited', 'audited'],
  ['verified', 'verified'],
  ['merge started (its turn in the queue)', 'merge-start'],
  ['merged', 'merged'],
] as const;

interface Makespan {
  plan: string;
  n: number;
  levels: number;
  wall: number;
  bound: number;
  /** The scheduler's makespan on a simulated clock, no engine time. */
  scheduled: number;
  /** The best any schedule can do at the cap (`bestSteps`), when the plan is small enough to try every one. */
  optimal: number | undefined;
  load: string;
  /** The run's edges: run() → the first agent spawned, and the last agent's exit → run() returned (the last merge, the run's end), ms. */
  edges: { start: number; end: number };
  /** Per dependent: each step after the exit of the dependency it waited for last (the one merged last). */
  handoffs: Record<string, number>[];
}

async function makespans(seconds: number, names: readonly string[]): Promise<Makespan[]> {
  const out = [];
  for (const name of names) {
    const plan = realPlan(name, seconds);
    const feature = `ms-${seconds}-${name.replace(/^\d{4}-\d\d-\d\d-/, '')}`.slice(0, 60);
    const r = await runPlan(feature, plan.packages, CAP, { verification: 'approved' });
    const handoffs: Record<string, number>[] = [];
    for (const d of plan.packages) {
      if (!d.deps?.length) continue;
      // The dependency it waited for: the one merged last.
      const dep = [...d.deps].sort((a, b) => (r.mark(a, 'merged') ?? 0) - (r.mark(b, 'merged') ?? 0)).at(-1)!;
      const t0 = r.at(dep).exit;
      const h: Record<string, number> = {};
      for (const [label, step] of LEVEL_STEPS) {
        const t = r.mark(dep, step);
        if (t !== undefined) h[label] = t - t0;
      }
      for (const [label, step] of DEPENDENT_STEPS) {
        const t = r.mark(d.id, step);
        if (t !== undefined) h[label] = t - t0;
      }
      h["dependent's agent spawned"] = r.at(d.id).spawned - t0;
      // The agent's own run beyond its fixed time: its start (Node, inside its walls), its write and commit, the runner's exit.
      h['agent beyond its fixed time (its own spawn → exit − the fixed time)'] = r.at(d.id).exit - r.at(d.id).spawned - seconds * 1000;
      handoffs.push(h);
    }
    const levels = Math.round(plan.critical / seconds);
    const edges = { start: Math.min(...plan.packages.map((p) => r.at(p.id).spawned)) - r.started, end: r.ended - Math.max(...plan.packages.map((p) => r.at(p.id).exit)) };
    out.push({ plan: name, n: plan.packages.length, levels, wall: r.wall / 1000, bound: plan.bound, scheduled: plan.scheduled, optimal: plan.optimal, load: loadavg(), edges, handoffs });
  }
  return out;
}

/** The handoff steps of the makespan runs: p50 / p95 of each, and the engine's time per level. */
function printLevels(seconds: number, rows: Makespan[]): void {
  const all = rows.flatMap((r) => r.handoffs);
  if (all.length === 0) return;
  console.log(`\nWhere a level's time goes, ${seconds} s agents (${all.length} dependents of ${rows.length} plans): each step in ms after the exit (exit.json \`endedAt\`) of the dependency the dependent waited for last:\n`);
  console.log('| step | p50 | p95 |');
  console.log('|---|---:|---:|');
  for (const label of [...LEVEL_STEPS.map(([l]) => l), ...DEPENDENT_STEPS.map(([l]) => l), "dependent's agent spawned", 'agent beyond its fixed time (its own spawn → exit − the fixed time)']) {
    const xs = all.map((h) => h[label]).filter((x): x is number => x !== undefined && Number.isFinite(x));
    if (xs.length) console.log(`| ${label} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} |`);
  }
  console.log(
    '\nThe gap, in two parts: what the cap and the plan\'s shape cost (the scheduler on a simulated clock, no engine time, against the lower bound) and what the engine costs (the real makespan against that schedule), per level of the plan:\n',
  );
  console.log('| plan | levels | steps of the schedule | lower bound | best any schedule can do (all tried) | scheduled, no engine time | makespan | cap and shape | engine | of which the start (run() → first agent spawned) and the end (last exit → run() returned) | engine per step between |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const s = (x: number) => `${x.toFixed(1)} s`;
  for (const r of rows) {
    const steps = Math.round(r.scheduled / seconds);
    console.log(
      `| ${r.plan} | ${r.levels} | ${steps} | ${s(r.bound)} | ${r.optimal === undefined ? '–' : s(r.optimal)} | ${s(r.scheduled)} | ${s(r.wall)} | ${s(r.scheduled - r.bound)} | ${s(r.wall - r.scheduled)} | ${ms(r.edges.start)} + ${ms(r.edges.end)} | ${ms(((r.wall - r.scheduled) * 1000 - r.edges.start - r.edges.end) / steps)} |`,
    );
  }
}

/** One line per goal: the figure, the goal, met or not, and the load average (1, 5, 15 min) when it was measured. */
const goals: string[] = [];
const goal = (what: string, figure: string, target: string, met: boolean, load: string) =>
  goals.push(`| ${what} | ${figure} | ${target} | ${met ? 'met' : '**not met**'} | ${load} |`);

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const flag = (f: string) => process.argv.includes(f);
  isolateGit();
  if (!flag('--makespan-only')) await handoffs(loadBefore);
  if (!flag('--handoff-only') && !flag('--no-makespan')) {
    const seconds = (process.env.BENCH_AGENT_SECONDS ?? '2,20').split(',').map(Number).filter((x) => x > 0);
    const list = (v: string | undefined, d: readonly string[]) => (v ? v.split(',').map((x) => x.trim().replace(/\.work-packages\.yaml$/, '')) : d);
    console.log(
      `\n### Makespan of real plans (act-plans: their packages and dependencies; each agent works a fixed time, then writes and commits its file; one verification command per package; cap ${CAP})`,
    );
    for (const s of seconds) {
      const names = s >= 10 ? list(process.env.BENCH_PLANS_LONG, PLANS_LONG) : list(process.env.BENCH_PLANS, PLANS);
      const rows = await makespans(s, names);
      console.log('\n| agent time | plan | packages | makespan | lower bound max(critical path, work / cap) | ratio | load after |');
      console.log('|---:|---|---:|---:|---:|---:|---|');
      for (const r of rows) console.log(`| ${s} s | ${r.plan} | ${r.n} | ${r.wall.toFixed(1)} s | ${r.bound.toFixed(1)} s | ${(r.wall / r.bound).toFixed(2)}× | ${r.load} |`);
      printLevels(s, rows);
      const ratios = rows.map((r) => r.wall / r.bound);
      const target = s >= 10 ? 1.05 : 1.2;
      const worst = Math.max(...ratios);
      const loads = rows.map((r) => r.load.split(' ')[0]).join(', ');
      goal(`(c) makespan / lower bound, ${s} s agents that commit, a verification step each, cap ${CAP}, ${rows.length} real plans (worst; median)`, `${worst.toFixed(2)}× ; ${pct(ratios, 50).toFixed(2)}×`, `≤ ${target}×`, worst <= target, loads);
      // The bound is not always reachable at the cap: the same makespans against the best any schedule can do there (every schedule tried).
      const unreachable = rows.filter((r) => r.optimal !== undefined && r.optimal / r.bound > target).map((r) => `${r.plan.replace(/^\d{4}-\d\d-\d\d-/, '')} ${(r.optimal! / r.bound).toFixed(2)}×`);
      const best = rows.filter((r) => r.optimal !== undefined).map((r) => r.wall / r.optimal!);
      if (best.length)
        goal(
          `(c′) the same makespans / the best any schedule can do at cap ${CAP}${unreachable.length ? ` (the bound itself is out of every schedule's reach for ${unreachable.join(', ')})` : ''} (worst; median)`,
          `${Math.max(...best).toFixed(2)}× ; ${pct(best, 50).toFixed(2)}×`,
          `≤ ${target}×`,
          Math.max(...best) <= target,
          loads,
        );
    }
  }
  console.log('\n### The run engine\'s goals\n');
  console.log('| goal | figure | target | | load average (1, 5, 15 min) |');
  console.log('|---|---|---|---|---|');
  for (const g of goals) console.log(g);
  console.log(`\nload average before: ${loadBefore}; after: ${loadavg()}`);
}

async function handoffs(loadBefore: string): Promise<void> {
  // Handoff: fan-outs of 1 → 9 (cap 10) and a chain of 12; each agent works a fixed time (the goal's "scripted agent working a fixed time").
  const work = `sleep ${HANDOFF_WORK_MS}`;
  const fan: TestPackage[] = [{ id: 'root', agent: [work, 'write root/x.txt'] }];
  for (let i = 0; i < 9; i++) fan.push({ id: `leaf-${i}`, deps: ['root'], agent: [work, `write leaf-${i}/x.txt`] });
  const chain: TestPackage[] = [];
  for (let i = 0; i < 12; i++) chain.push({ id: `c${i}`, deps: i ? [`c${i - 1}`] : [], agent: [work, `write c${i}/x.txt`] });
  const started: number[] = [];
  const toAgent: number[] = [];
  const toSpawn: number[] = [];
  const spawnOf = { fan: [] as number[], chain: [] as number[] };
  // The profile: each step's time after the dependency's exit (exit.json's endedAt).
  const steps = new Map<string, { fan: number[]; chain: number[] }>();
  const profile = (run: Awaited<ReturnType<typeof runPlan>>, dep: string, id: string, kind: 'fan' | 'chain') => {
    const t0 = run.at(dep).exit;
    const add = (name: string, t: number | undefined) => {
      if (t === undefined) return;
      if (!steps.has(name)) steps.set(name, { fan: [], chain: [] });
      steps.get(name)![kind].push(t - t0);
    };
    for (const step of PARENT_STEPS) add(`${step} (dependency)`, run.mark(dep, step));
    for (const step of CHILD_STEPS) add(`${step} (dependent)`, run.mark(id, step));
    add(`runner started: meta.json (dependent)`, run.at(id).start);
    add(`agent spawned: meta.json with its pid (dependent)`, run.at(id).spawned);
    if (Number.isFinite(run.at(id).agent)) add(`agent running: its first file (dependent)`, run.at(id).agent);
    started.push(run.at(id).start - t0);
    toSpawn.push(run.at(id).spawned - t0);
    spawnOf[kind].push(run.at(id).spawned - t0);
    if (Number.isFinite(run.at(id).agent)) toAgent.push(run.at(id).agent - t0);
  };
  const f = await runPlan('bench-fan', fan, 10);
  for (let i = 0; i < 9; i++) profile(f, 'root', `leaf-${i}`, 'fan');
  const loadFan = loadavg();
  const c = await runPlan('bench-chain', chain, 10);
  for (let i = 1; i < 12; i++) profile(c, `c${i - 1}`, `c${i}`, 'chain');
  const loadChain = loadavg();
  // (b) exit → merged, a package alone: each link of the chain merges with nothing else in the queue.
  const merged = chain.map((p) => (c.mark(p.id, 'merged') ?? NaN) - c.at(p.id).exit).filter((x) => Number.isFinite(x));
  const p = (xs: number[], q: number) => Math.round(pct(xs, q));
  goal('(a) handoff, chain of 12: exit → dependent\'s agent spawned, p50 / p95', `${p(spawnOf.chain, 50)} / ${p(spawnOf.chain, 95)} ms`, '≤ 150 / ≤ 300 ms', pct(spawnOf.chain, 50) <= 150 && pct(spawnOf.chain, 95) <= 300, loadChain);
  goal('(a) handoff, fan-out 1 → 9 at cap 10: exit → dependents\' agents spawned, p50 / p95', `${p(spawnOf.fan, 50)} / ${p(spawnOf.fan, 95)} ms`, '≤ 150 / ≤ 800 ms', pct(spawnOf.fan, 50) <= 150 && pct(spawnOf.fan, 95) <= 800, loadFan);
  goal('(b) a package\'s exit → merged, alone (chain of 12), p50 (p95)', `${p(merged, 50)} ms (${p(merged, 95)})`, '≤ 150 ms', pct(merged, 50) <= 150, loadChain);

  const row = (what: string, xs: number[]) => `| ${what} | ${xs.length} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} | ${ms(Math.max(...xs))} |`;
  console.log('\n### Engine on a real repository (scripted agent, real git)\n');
  console.log(`load average before: ${loadBefore}\n`);
  console.log(`In the handoff runs each agent works ${HANDOFF_WORK_MS} ms (BENCH_HANDOFF_WORK_MS) before it writes its file.\n`);
  console.log('| measure | n | p50 | p95 | max |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row("handoff: exit → dependent's runner started (fan-out 1→9 and a chain of 12)", started));
  console.log(row("handoff: exit → dependent's agent spawned by its runner (the goal's measure)", toSpawn));
  if (toAgent.length) console.log(row("handoff: exit → dependent's agent running (its own Node start done: its first file)", toAgent));
  const printSteps = () => {
    console.log("\nThe handoff path, step by step: when each step ended, in ms after the dependency's exit.json `endedAt` (the same handoffs):\n");
    console.log('| step | chain p50 | chain p95 | fan-out p50 | fan-out p95 |');
    console.log('|---|---:|---:|---:|---:|');
    const cell = (xs: number[]) => (xs.length ? `${ms(pct(xs, 50))} | ${ms(pct(xs, 95))}` : '– | –');
    for (const [name, { chain: c, fan: f }] of steps) console.log(`| ${name} | ${cell(c)} | ${cell(f)} |`);
  };
  if (process.argv.includes('--handoff-only')) {
    printSteps();
    return;
  }
  // Per-package overhead: 100 independent packages, cap 10.
  const many: TestPackage[] = [];
  for (let i = 0; i < 100; i++) {
    const id = `p${String(i).padStart(3, '0')}`;
    many.push({ id, agent: [`write ${id}/x.txt`] });
  }
  const m = await runPlan('bench-many', many, 10);
  const post = many.map((p) => m.at(p.id).done - m.at(p.id).exit);
  const agent = many.map((p) => m.at(p.id).exit - m.at(p.id).start);
  // Each step's own time (the trace marks), without the wait for the one-at-a-time merge queue.
  const span = (from: (id: string) => number | undefined, to: (id: string) => number | undefined) =>
    many.map((p) => (to(p.id) ?? NaN) - (from(p.id) ?? NaN)).filter((x) => Number.isFinite(x));
  const treeAdd = span((id) => m.mark(id, 'locks-taken'), (id) => m.mark(id, 'tree-ready'));
  const commitAudit = span((id) => m.at(id).exit, (id) => m.mark(id, 'audited'));
  const mergeOwn = span((id) => m.mark(id, 'merge-start'), (id) => m.mark(id, 'merged'));

  console.log(row('100 packages, cap 10: exit → succeeded (commit + audit + merge)', post));
  console.log(row("100 packages, cap 10: the agent's own run (runner start → exit)", agent));
  console.log(row('100 packages, cap 10: worktree add (+ prompt, spec, state saved; at once)', treeAdd));
  console.log(row('100 packages, cap 10: exit → committed and audited', commitAudit));
  console.log(row("100 packages, cap 10: the merge itself (its batch's start → merged: the batch's pre-checks, merges and one fast-forward; the wait for the batch before excluded)", mergeOwn));
  printSteps();
  console.log(`\n100 packages, cap 10: wall ${ms(m.wall)}, ${(m.wall / 100).toFixed(0)} ms per package (worktree add + agent + commit + audit + merge, 10 at a time, merges one batch at a time); load after ${loadavg()}.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
