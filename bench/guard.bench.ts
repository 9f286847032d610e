/**
 * The integration guard's makespan cost (ADR 0025): a real plan of test/fixtures/act-plans/
 * (the engine bench's: its packages and dependencies, each package an agent that works a fixed
 * time, then writes and commits its own file, one verification command each; cap 3), its
 * integration package's one approved verification command a check that takes 1 s, run on fresh
 * repositories without the guard and with it (`integrationGuard: true`), alternately, a few times
 * each. Printed: each run's wall time and the medians, their ratio, the guard's checks and the time
 * spent checking (the run state's `integration.guard`), the lower bound max(critical path,
 * work / cap), and how long a dependent waited from its last dependency's merge to its agent's
 * spawn (what the guard's holding costs) and from the last merge to the run's end (the final
 * tip's check), with the load average.
 * Run by `npm run bench guard` (prints markdown). BENCH_GUARD_PLANS (comma-separated plan files of
 * act-plans/), BENCH_GUARD_REPS (default 3: runs per configuration), BENCH_GUARD_AGENT_SECONDS
 * (default 2), BENCH_GUARD_CHECK (the check, default a Node that waits 1 s), BENCH_CAP (default 3).
 */
import { guardTimeMs } from '../src/core/run/integrationGuard';
import type { GuardCheck } from '../src/core/run/runState';
import { isolateGit } from '../test/engine/engineFixtures';
import { CAP, loadavg, ms, pct, realPlan, runPlan, type RealPlan } from './realPlans';

const PLANS = ['2026-03-21-improve-worktree-management', '2026-03-21-add-dynamic-authorization'];
const REPS = Math.max(1, Number(process.env.BENCH_GUARD_REPS ?? 3) || 3);
const SECONDS = Math.max(0.1, Number(process.env.BENCH_GUARD_AGENT_SECONDS ?? 2) || 2);
/** Self-contained: it runs inside the verification command's walls. */
const CHECK = process.env.BENCH_GUARD_CHECK ?? 'node -e "setTimeout(()=>{},1000)"';

interface Run {
  guard: boolean;
  wall: number;
  load: string;
  checks: GuardCheck[];
  checking: number;
  /** Per dependent: its last dependency merged → its agent spawned, ms. */
  waits: number[];
  /** The last merge → the run's end, ms (with the guard: the check of the final tip). */
  tail: number;
}

async function once(name: string, plan: RealPlan, guard: boolean, rep: number): Promise<Run> {
  const feature = `guard-${guard ? 'on' : 'off'}-${rep}-${name.replace(/^\d{4}-\d\d-\d\d-/, '')}`.slice(0, 60);
  const r = await runPlan(feature, plan.packages, CAP, { verification: 'approved', ...(guard ? { integrationGuard: true } : {}) });
  const g = r.state.integration?.guard;
  if (guard && (!g || g.checks.length === 0)) throw new Error(`${feature}: the guard ran no check`);
  if (guard && g?.status !== 'green') throw new Error(`${feature}: the guard ended ${g?.status}`);
  const waits: number[] = [];
  for (const d of plan.packages) {
    if (!d.deps?.length) continue;
    const merged = Math.max(...d.deps.map((x) => r.mark(x, 'merged') ?? NaN));
    const w = r.at(d.id).spawned - merged;
    if (Number.isFinite(w)) waits.push(w);
  }
  const lastMerge = Math.max(...plan.packages.map((p) => r.mark(p.id, 'merged') ?? NaN));
  return { guard, wall: r.wall / 1000, load: loadavg(), checks: g?.checks ?? [], checking: guardTimeMs(g) / 1000, waits, tail: r.ended - lastMerge };
}

const median = (xs: number[]) => pct(xs, 50);
const s1 = (x: number) => `${x.toFixed(1)} s`;
const range = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0]!));

async function main(): Promise<void> {
  isolateGit();
  const names = process.env.BENCH_GUARD_PLANS ? process.env.BENCH_GUARD_PLANS.split(',').map((x) => x.trim().replace(/\.work-packages\.yaml$/, '')) : PLANS;
  const loadBefore = loadavg();
  console.log(
    `### Integration guard: makespan with and without it (real plans of act-plans, ${SECONDS} s agents that commit, one verification command each, the integration package's check \`${CHECK}\`, cap ${CAP}, ${REPS} runs each, alternately)\n`,
  );
  console.log(`load average before: ${loadBefore}\n`);
  const results: { name: string; plan: RealPlan; runs: Run[] }[] = [];
  for (const name of names) {
    const plan = realPlan(name, SECONDS, { command: CHECK });
    const runs: Run[] = [];
    for (let rep = 1; rep <= REPS; rep++) {
      // Alternate which goes first, so a change of load does not fall on one side only.
      const order = rep % 2 === 1 ? [false, true] : [true, false];
      for (const guard of order) runs.push(await once(name, plan, guard, rep));
    }
    results.push({ name, plan, runs });
  }

  console.log('| plan | packages | levels | lower bound | scheduled, no engine time | guard | makespans | median | median / lower bound | load after each |');
  console.log('|---|---:|---:|---:|---:|---|---|---:|---:|---|');
  for (const { name, plan, runs } of results) {
    for (const guard of [false, true]) {
      const rs = runs.filter((r) => r.guard === guard);
      const walls = rs.map((r) => r.wall);
      console.log(
        `| ${name} | ${plan.packages.length} | ${Math.round(plan.critical / SECONDS)} | ${s1(plan.bound)} | ${s1(plan.scheduled)} | ${guard ? 'on' : 'off'} | ${walls.map((w) => w.toFixed(1)).join(', ')} s | ${s1(median(walls))} | ${(median(walls) / plan.bound).toFixed(2)}× | ${rs.map((r) => r.load.split(' ')[0]).join(', ')} |`,
      );
    }
  }

  console.log('\nThe cost: the medians with the guard against without it, and the guard\'s own work (the run state\'s `integration.guard`; median (min–max) over the runs):\n');
  console.log('| plan | without | with | with / without | extra per level | checks (base + tip + bisect) | time checking | one check |');
  console.log('|---|---:|---:|---:|---:|---|---:|---:|');
  for (const { name, plan, runs } of results) {
    const off = median(runs.filter((r) => !r.guard).map((r) => r.wall));
    const onRuns = runs.filter((r) => r.guard);
    const on = median(onRuns.map((r) => r.wall));
    const levels = Math.round(plan.critical / SECONDS);
    const count = (r: Run, p: GuardCheck['purpose']) => r.checks.filter((c) => c.purpose === p).length;
    const checks = onRuns.map((r) => `${r.checks.length} (${count(r, 'base')} + ${count(r, 'tip')} + ${count(r, 'bisect')})`).join(', ');
    const each = onRuns.flatMap((r) => r.checks.map((c) => c.ms));
    console.log(
      `| ${name} | ${s1(off)} | ${s1(on)} | ${(on / off).toFixed(2)}× | ${ms(((on - off) * 1000) / levels)} | ${checks} | ${range(onRuns.map((r) => r.checking), s1)} | ${ms(median(each))} (p95 ${ms(pct(each, 95))}) |`,
    );
  }

  console.log("\nWhat the holding costs: a dependent's last dependency merged → its agent spawned, ms, p50 / p95 / max over the runs' dependents (at cap 3 some wait for a free slot either way):\n");
  console.log('| plan | dependents × runs | without | with | the last merge → the run\'s end (median ms), without / with |');
  console.log('|---|---:|---|---|---|');
  for (const { name, runs } of results) {
    const w = (guard: boolean) => runs.filter((r) => r.guard === guard).flatMap((r) => r.waits);
    const tail = (guard: boolean) => Math.round(median(runs.filter((r) => r.guard === guard).map((r) => r.tail)));
    const cell = (xs: number[]) => `${Math.round(pct(xs, 50))} / ${Math.round(pct(xs, 95))} / ${Math.round(Math.max(...xs))}`;
    console.log(`| ${name} | ${w(false).length} | ${cell(w(false))} | ${cell(w(true))} | ${tail(false)} / ${tail(true)} |`);
  }
  console.log(`\nload average before: ${loadBefore}; after: ${loadavg()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
