/**
 * Shared by the benches that run the engine on the real plans of test/fixtures/act-plans/
 * (engine.bench.ts's makespans, guard.bench.ts): a plan's packages and dependencies with a
 * scripted agent per package that works a fixed time, then writes and commits its own file,
 * the lower bound max(critical path, work / cap), and one run of the engine on a fresh
 * repository with its timings. Not a bench itself (no `.bench.ts`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzePlan } from '../src/core/plan/analyze';
import { attemptDir, attemptFiles } from '../src/core/run/runPaths';
import { schedPackagesFromAnalysis, simulate } from '../src/core/run/schedule';
import { RunEngine, type EngineOptions } from '../src/engine/run/engine';
import { planYaml, repoWithPlan, scriptedAgent, type TestPackage } from '../test/engine/engineFixtures';
import { buildRunner } from '../test/engine/helpers';

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
export const ms = (x: number) => `${Math.round(x)} ms`;
export const loadavg = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

/** The makespans' cap (the goals are at 3). */
export const CAP = Math.max(1, Number(process.env.BENCH_CAP ?? 3) || 3);

/**
 * One run of the engine on a fresh repository holding `packages`; its wall time (and when it ended), each package's times, the trace marks and the final state.
 * `options.agent`: another agent than the scripted one (test/fixtures/agents/stamped-agent.mjs: the same, its first act timed).
 */
export async function runPlan(feature: string, packages: TestPackage[], maxParallel: number, options: Pick<EngineOptions, 'verification' | 'integrationGuard'> & Partial<Pick<EngineOptions, 'agent'>> = {}) {
  const { repo, planFile } = repoWithPlan(feature, packages);
  const marks = new Map<string, number>();
  const trace = (step: string, id: string) => {
    if (!marks.has(`${id}:${step}`)) marks.set(`${id}:${step}`, Date.now());
  };
  const engine = await RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript: await buildRunner(), maxParallel, trace, ...options });
  const t0 = Date.now();
  const outcome = await engine.run();
  const ended = Date.now();
  const wall = ended - t0;
  if (outcome.outcome !== 'succeeded') {
    const failed = Object.values(outcome.state.packages).filter((p) => p.status !== 'succeeded').slice(0, 5);
    throw new Error(`${feature}: ${JSON.stringify(outcome.counts)}; ${failed.map((p) => `${p.packageId} ${p.status}: ${p.lastError ?? '?'}`).join('; ')}`);
  }
  const at = (id: string) => {
    const files = attemptFiles(attemptDir(repo, feature, outcome.runId, id, 1));
    const exit = JSON.parse(fs.readFileSync(files.exit, 'utf8')) as { endedAt: string };
    const meta = JSON.parse(fs.readFileSync(files.meta, 'utf8')) as { startedAt: string };
    // The stamped agent's first act is writing task.md beside its prompt: its mtime is when the agent runs.
    // (The scripted agent itself does not write it: NaN then, and the row is left out.)
    const agentAt = fs.statSync(path.join(path.dirname(files.prompt), 'task.md'), { throwIfNoEntry: false })?.mtimeMs ?? NaN;
    // The runner rewrites meta.json with the agent's pid right after spawning it: its mtime is when the agent started.
    const spawned = fs.statSync(files.meta).mtimeMs;
    return { start: Date.parse(meta.startedAt), spawned, agent: agentAt, exit: Date.parse(exit.endedAt), done: Date.parse(outcome.state.packages[id]!.endedAt!) };
  };
  const mark = (id: string, step: string) => marks.get(`${id}:${step}`);
  return { wall, started: t0, ended, at, mark, state: outcome.state };
}

export interface RealPlan {
  packages: TestPackage[];
  /** max(critical path, work / cap), s. */
  bound: number;
  critical: number;
  work: number;
  /** The engine's scheduler on a simulated clock, no engine time, s. */
  scheduled: number;
  /** The shortest makespan any schedule has at the cap (every schedule tried: `bestMakespan`), s; undefined for a plan too large to try. */
  optimal: number | undefined;
  /** The integration package's id, when `integration` was asked for. */
  integration?: string;
}

/** Task types of the plans' integration packages (what `core/run/integrationGuard.ts` reads). */
const INTEGRATION_TYPES = ['integrate', 'integration'];

/**
 * A real plan's packages and dependencies; each package's agent works `seconds`, writes one file
 * of its own and commits it (as the real CLIs do), and one verification command checks the file.
 * With `integration`, one package is the plan's integration package (`task_type: integrate`; the
 * plan's own, else one added that depends on every sink) whose only verification command is
 * `integration.command` — the integration guard's check.
 */
export function realPlan(name: string, seconds: number, integration?: { command: string }): RealPlan {
  const file = path.join(__dirname, '..', 'test', 'fixtures', 'act-plans', `${name}.work-packages.yaml`);
  const analysis = analyzePlan(fs.readFileSync(file, 'utf8'), { maxParallel: CAP });
  const ids = new Set(analysis.plan.packages.map((p) => p.id));
  const packages: TestPackage[] = analysis.plan.packages.map((p, i) => ({
    id: p.id,
    deps: p.dependsOn.map((d) => d.value).filter((d) => ids.has(d)),
    agent: [`sleep ${seconds * 1000}`, `write pkg-${i}/x.txt`, `commit ${p.id}`],
    write: [`pkg-${i}/**`],
    commands: [`test -f pkg-${i}/x.txt`],
  }));
  let integrationId: string | undefined;
  if (integration) {
    const own = analysis.plan.packages.find((p) => INTEGRATION_TYPES.includes((p.taskType ?? '').toLowerCase()));
    let pkg = own && packages.find((p) => p.id === own.id);
    if (!pkg) {
      const sinks = packages.filter((p) => !packages.some((q) => q.deps?.includes(p.id))).map((p) => p.id);
      const i = packages.length;
      pkg = { id: 'wp-integrate-all', deps: sinks, agent: [`sleep ${seconds * 1000}`, `write pkg-${i}/x.txt`, 'commit wp-integrate-all'], write: [`pkg-${i}/**`] };
      packages.push(pkg);
    }
    // Its own `test -f` would be a check too, red at the base (nobody's file yet): the one command only.
    pkg.taskType = 'integrate';
    pkg.commands = [integration.command];
    integrationId = pkg.id;
  }
  const deps = new Map(packages.map((p) => [p.id, p.deps ?? []] as const));
  const depth = new Map<string, number>();
  const of = (id: string): number => {
    if (!depth.has(id)) depth.set(id, 1 + Math.max(0, ...deps.get(id)!.map(of)));
    return depth.get(id)!;
  };
  const critical = Math.max(...packages.map((p) => of(p.id))) * seconds;
  const work = (packages.length * seconds) / CAP;
  // The engine's own scheduler on a simulated clock, with no engine time at all: what cap and
  // shape allow (max(critical path, work / cap) is not always reachable at a small cap).
  const sched = schedPackagesFromAnalysis(analyzePlan(planYaml('simulated', packages), { maxParallel: CAP }));
  const scheduled = simulate({ packages: sched, maxParallel: CAP, mode: 'eager', durations: () => seconds }).makespan;
  const optimal = bestSteps(packages, CAP);
  return { packages, bound: Math.max(critical, work), critical, work, scheduled, optimal: optimal === undefined ? undefined : optimal * seconds, ...(integrationId ? { integration: integrationId } : {}) };
}

/**
 * The fewest steps in which `cap` workers run `packages` (each one step long) in dependency order:
 * every schedule tried, breadth first over the sets of packages done (at each step any `cap` of the
 * ready ones — never fewer: with equal lengths a worker left idle gains nothing). What no engine
 * can beat at that cap, where max(critical path, work / cap) is only a bound. Undefined beyond 24
 * packages (too many sets to try).
 */
export function bestSteps(packages: readonly Pick<TestPackage, 'id' | 'deps'>[], cap: number): number | undefined {
  if (packages.length > 24) return undefined;
  const index = new Map(packages.map((p, i) => [p.id, i] as const));
  const needs = packages.map((p) => (p.deps ?? []).reduce((m, d) => m | (1 << index.get(d)!), 0));
  const all = (1 << packages.length) - 1;
  const choose = (ready: number[], k: number, from: number, acc: number, out: Set<number>): void => {
    if (k === 0) return void out.add(acc);
    for (let i = from; i <= ready.length - k; i++) choose(ready, k - 1, i + 1, acc | (1 << ready[i]!), out);
  };
  let frontier = new Set([0]);
  for (let steps = 0; ; steps++) {
    if (frontier.has(all)) return steps;
    const next = new Set<number>();
    for (const done of frontier) {
      const ready = packages.map((_, i) => i).filter((i) => !(done & (1 << i)) && (needs[i]! & done) === needs[i]);
      if (ready.length === 0) continue; // a cycle: never all done
      choose(ready, Math.min(cap, ready.length), 0, done, next);
    }
    if (next.size === 0) return undefined;
    frontier = next;
  }
}
