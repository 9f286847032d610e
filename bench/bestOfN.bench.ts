/**
 * Best of n against retries (ADR 0031): a chain of three packages whose middle one — on the
 * critical path — fails half of its attempts (the scripted agent's `fail-sometimes 0.5`, each
 * attempt working a fixed time and reporting a spend), run on fresh repositories with that package
 * retried one attempt after another (`retry_budget` 10) and with `candidates: 3` first-green (the
 * same budget, in sets), alternately. Printed: each configuration's makespan (median, mean, worst)
 * and mean spend, the flaky package's attempts (sets) and agents run, with the load average.
 * Run by `npm run bench bestOfN` (prints markdown). BENCH_BEST_ROUNDS (default 8 per
 * configuration), BENCH_BEST_SECONDS (default 2: each agent's work), BENCH_BEST_FAIL (default 0.5).
 */
import { isolateGit, type TestPackage } from '../test/engine/engineFixtures';
import { loadavg, pct, runPlan } from './realPlans';

const ROUNDS = Math.max(1, Number(process.env.BENCH_BEST_ROUNDS ?? 8) || 8);
const MS = Math.round(1000 * Math.max(0.1, Number(process.env.BENCH_BEST_SECONDS ?? 2) || 2));
const FAIL = Math.min(0.95, Math.max(0, Number(process.env.BENCH_BEST_FAIL ?? 0.5)));
/** What each attempt reports spending (Claude-style): $0.10, 1,000 tokens in, 100 out. */
const SPEND = 'spend 0.10 1000 100';

function plan(candidates: number): TestPackage[] {
  const work = (id: string, flaky: boolean) => [`sleep ${MS}`, SPEND, ...(flaky ? [`fail-sometimes ${FAIL}`] : []), `write ${id}/x.txt`];
  return [
    { id: 'a', agent: work('a', false) },
    { id: 'b', deps: ['a'], agent: work('b', true), retryBudget: 10, ...(candidates > 1 ? { candidates: { count: candidates } } : {}) },
    { id: 'c', deps: ['b'], agent: work('c', false) },
  ];
}

interface Result {
  wall: number;
  cost: number;
  /** The flaky package's attempts: one per retry, or per set. */
  attempts: number;
  /** Agents it ran: its attempts, or its candidates over every set. */
  agents: number;
}

async function once(candidates: number, round: number): Promise<Result> {
  const r = await runPlan(`best-${candidates}-${round}`, plan(candidates), 3);
  const b = r.state.packages.b!;
  const cost = Object.values(r.state.packages).reduce((sum, p) => sum + (p.spend?.costUsd ?? 0), 0);
  // Every set's candidates (the records keep the last set; earlier sets all failed, each ran them all).
  const agents = b.candidates ? (b.attempts - 1) * candidates + b.candidates.filter((c) => c.status !== 'queued').length : b.attempts;
  return { wall: r.wall / 1000, cost, attempts: b.attempts, agents };
}

const median = (xs: number[]) => pct(xs, 50);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  isolateGit();
  const results = new Map<number, Result[]>([
    [1, []],
    [3, []],
  ]);
  const loads: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const n of i % 2 === 0 ? [1, 3] : [3, 1]) results.get(n)!.push(await once(n, i));
    loads.push(loadavg());
  }
  const out = [
    '## Best of n against retries',
    '',
    `A chain a → b → c at cap 3; b fails ${Math.round(FAIL * 100)} % of its attempts; each agent works ${MS / 1000} s and reports $0.10. ${ROUNDS} rounds each, alternately; load ${loads[0]} … ${loads.at(-1)}.`,
    '',
    "| b runs as | makespan p50 | mean | worst | spend, mean | b's attempts, mean (max) | agents run, mean |",
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [n, rs] of results) {
    const walls = rs.map((r) => r.wall);
    out.push(
      `| ${n === 1 ? 'one attempt, retried' : `${n} candidates, first-green`} | ${median(walls).toFixed(1)} s | ${mean(walls).toFixed(1)} s | ${Math.max(...walls).toFixed(1)} s | $${mean(rs.map((r) => r.cost)).toFixed(2)} | ${mean(rs.map((r) => r.attempts)).toFixed(1)} (${Math.max(...rs.map((r) => r.attempts))}) | ${mean(rs.map((r) => r.agents)).toFixed(1)} |`,
    );
  }
  const ratio = (f: (xs: number[]) => number) => f(results.get(3)!.map((r) => r.wall)) / f(results.get(1)!.map((r) => r.wall));
  const spent = mean(results.get(3)!.map((r) => r.cost)) / mean(results.get(1)!.map((r) => r.cost));
  out.push('', `3 candidates / retried: makespan **${ratio(mean).toFixed(2)}×** mean, ${ratio((xs) => Math.max(...xs)).toFixed(2)}× worst; spend ${spent.toFixed(2)}×.`);
  console.log(out.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
