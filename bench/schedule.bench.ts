/**
 * The scheduler on generated plans of 200 and 1,000 packages (three dependencies each, one
 * lock file and one lock key of their own): simulated agents run random durations (seeded,
 * 20–100 % of each package's `timeout_minutes`), eager and barrier side by side, at a cap of
 * 10. Each makespan is compared with the lower bound max(critical path, total work / cap)
 * that no schedule can beat; the goal is eager within 1.05× of it. The priorities are
 * the engine's (critical lengths by `timeout_minutes`, not by the random actual durations);
 * the last column ranks by the actual durations instead, to show what better estimates buy.
 * "schedule(), first call" is one decision on the fresh run (every package pending: the most
 * events and candidates), median of 21; the engine makes one after every state change. The
 * simulations themselves take longer: each event copies the run state's package map (the
 * reducer is immutable), which a real run pays once per event.
 */
import { analyzePlan } from '../src/core/plan/analyze';
import { emptyLockTable } from '../src/core/run/lockTable';
import { createRunState } from '../src/core/run/runStateInit';
import { schedPackagesFromAnalysis, schedule, simulate, type SchedPackage } from '../src/core/run/schedule';
import { generatePlan } from './generate';

const cap = Number(process.env.BENCH_CAP ?? 10);
const seeds = [1, 2, 3];

function durationsFor(packages: readonly SchedPackage[], timeouts: ReadonlyMap<string, number>, seed: number) {
  let state = seed * 2654435761 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  return Object.fromEntries(packages.map((p) => [p.id, Math.round(timeouts.get(p.id)! * (0.2 + 0.8 * random()))]));
}

/** Longest chain of actual durations. */
function criticalPath(packages: readonly SchedPackage[], durations: Readonly<Record<string, number>>): number {
  const finish = new Map<string, number>();
  // Generated plans list dependencies before dependents.
  for (const p of packages) finish.set(p.id, durations[p.id]! + Math.max(0, ...p.dependsOn.map((d) => finish.get(d)!)));
  return Math.max(...finish.values());
}

const rows: string[] = [];
const callRows: string[] = [];
for (const count of [200, 1000]) {
  const analysis = analyzePlan(generatePlan(count));
  if (!analysis.valid) throw new Error(`generated plan of ${count} is not valid`);
  const packages = schedPackagesFromAnalysis(analysis);
  const timeouts = new Map(analysis.plan.packages.map((p) => [p.id, p.timeoutMinutes ?? 60]));
  const fresh = createRunState({
    featureId: 'bench',
    planFile: 'p.yaml',
    runId: 'r',
    packageIds: packages.map((p) => p.id),
    now: new Date(),
  });
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = process.hrtime.bigint();
    schedule({ packages, state: fresh, locks: emptyLockTable(), featureId: 'bench', maxParallel: cap, mode: 'eager', now: new Date() });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  callRows.push(`| ${count} | ${times[10]!.toFixed(2)} ms | ${times[0]!.toFixed(2)}–${times[20]!.toFixed(2)} ms |`);
  for (const seed of seeds) {
    const durations = durationsFor(packages, timeouts, seed);
    const work = Object.values(durations).reduce((a, b) => a + b, 0);
    const bound = Math.max(criticalPath(packages, durations), work / cap);
    const cells: string[] = [];
    for (const mode of ['eager', 'barrier'] as const) {
      const r = simulate({ packages, maxParallel: cap, mode, durations });
      if (Object.values(r.statuses).some((s) => s !== 'succeeded')) throw new Error(`${mode}: not every package succeeded`);
      cells.push(`${r.makespan} min`, `${(r.makespan / bound).toFixed(3)}×`);
    }
    // The same eager run ranked by the actual durations: what better estimates would buy.
    const oracle = schedPackagesFromAnalysis(analysis, { weight: (id) => durations[id]! });
    const best = simulate({ packages: oracle, maxParallel: cap, mode: 'eager', durations });
    cells.push(`${(best.makespan / bound).toFixed(3)}×`);
    rows.push(`| ${count} | ${seed} | ${criticalPath(packages, durations)} min | ${Math.round(work / cap)} min | ${cells.join(' | ')} |`);
  }
}

console.log(`\n### Scheduler makespan, simulated agents (cap ${cap})\n`);
console.log(
  '| packages | seed | critical path | work / cap | eager | eager / bound | barrier | barrier / bound | eager, ranked by actual durations / bound |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log(`\n### schedule(), first call on a fresh run (median of 21)\n`);
console.log('| packages | median | range |');
console.log('|---:|---:|---:|');
for (const r of callRows) console.log(r);
