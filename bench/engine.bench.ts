/**
 * The engine on a real repository with real processes (the scripted test agent):
 * - handoff: a package's exit (its runner's exit.json `endedAt`) → each ready dependent's
 *   runner started (its meta.json `startedAt`); this includes the dependency's commit,
 *   audit and merge, which a dependent must wait for (it starts from the merged result);
 * - per-package overhead for 100 independent packages: exit → succeeded (commit + audit +
 *   merge), and the whole run's wall time.
 * Run by `npm run bench` (prints markdown).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attemptDir, attemptFiles } from '../src/core/run/runPaths';
import { RunEngine } from '../src/engine/engine';
import { isolateGit, repoWithPlan, scriptedAgent, type TestPackage } from '../test/engine/engineFixtures';
import { buildRunner } from '../test/engine/helpers';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (x: number) => `${Math.round(x)} ms`;

async function runPlan(feature: string, packages: TestPackage[], maxParallel: number) {
  const { repo, planFile } = repoWithPlan(feature, packages);
  const marks = new Map<string, number>();
  const trace = (step: string, id: string) => {
    if (!marks.has(`${id}:${step}`)) marks.set(`${id}:${step}`, Date.now());
  };
  const engine = await RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript: await buildRunner(), maxParallel, trace });
  const t0 = Date.now();
  const outcome = await engine.run();
  const wall = Date.now() - t0;
  if (outcome.outcome !== 'succeeded') throw new Error(`${feature}: ${JSON.stringify(outcome.counts)}`);
  const at = (id: string) => {
    const files = attemptFiles(attemptDir(repo, feature, outcome.runId, id, 1));
    const exit = JSON.parse(fs.readFileSync(files.exit, 'utf8')) as { endedAt: string };
    const meta = JSON.parse(fs.readFileSync(files.meta, 'utf8')) as { startedAt: string };
    // The scripted agent's first act is writing task.md beside its prompt: its mtime is when the agent runs.
    const agentAt = fs.statSync(path.join(path.dirname(files.prompt), 'task.md')).mtimeMs;
    // The runner rewrites meta.json with the agent's pid right after spawning it: its mtime is when the agent started.
    const spawned = fs.statSync(files.meta).mtimeMs;
    return { start: Date.parse(meta.startedAt), spawned, agent: agentAt, exit: Date.parse(exit.endedAt), done: Date.parse(outcome.state.packages[id]!.endedAt!) };
  };
  const mark = (id: string, step: string) => marks.get(`${id}:${step}`);
  return { wall, at, mark };
}

/** The engine's trace marks (EngineOptions.trace) on the handoff path, in order. */
const PARENT_STEPS = ['exit-seen', 'committed', 'audited', 'verified', 'merge-start', 'merged', 'locks-released'];
const CHILD_STEPS = ['scheduled', 'locks-taken', 'spec-written', 'tree-ready', 'launched', 'started-saved'];

const loadavg = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const loadBefore = loadavg();
  isolateGit();
  // Handoff: fan-outs of 1 → 9 (cap 10) and a chain of 12.
  const fan: TestPackage[] = [{ id: 'root', agent: ['write root/x.txt'] }];
  for (let i = 0; i < 9; i++) fan.push({ id: `leaf-${i}`, deps: ['root'], agent: [`write leaf-${i}/x.txt`] });
  const chain: TestPackage[] = [];
  for (let i = 0; i < 12; i++) chain.push({ id: `c${i}`, deps: i ? [`c${i - 1}`] : [], agent: [`write c${i}/x.txt`] });
  const handoffs: number[] = [];
  const toAgent: number[] = [];
  const toSpawn: number[] = [];
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
    add(`agent running: its first file (dependent)`, run.at(id).agent);
    handoffs.push(run.at(id).start - t0);
    toSpawn.push(run.at(id).spawned - t0);
    toAgent.push(run.at(id).agent - t0);
  };
  const f = await runPlan('bench-fan', fan, 10);
  for (let i = 0; i < 9; i++) profile(f, 'root', `leaf-${i}`, 'fan');
  const c = await runPlan('bench-chain', chain, 10);
  for (let i = 1; i < 12; i++) profile(c, `c${i - 1}`, `c${i}`, 'chain');

  const row = (what: string, xs: number[]) => `| ${what} | ${xs.length} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} | ${ms(Math.max(...xs))} |`;
  console.log('\n### Engine on a real repository (scripted agent, real git)\n');
  console.log(`load average before: ${loadBefore}\n`);
  console.log('| measure | n | p50 | p95 | max |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row("handoff: exit → dependent's runner started (fan-out 1→9 and a chain of 12)", handoffs));
  console.log(row("handoff: exit → dependent's agent spawned by its runner (the goal's measure)", toSpawn));
  console.log(row("handoff: exit → dependent's agent running (its own Node start done: its first file)", toAgent));
  const printSteps = () => {
    console.log("\nThe handoff path, step by step: when each step ended, in ms after the dependency's exit.json `endedAt` (the same handoffs):\n");
    console.log('| step | chain p50 | chain p95 | fan-out p50 | fan-out p95 |');
    console.log('|---|---:|---:|---:|---:|');
    const cell = (xs: number[]) => (xs.length ? `${ms(pct(xs, 50))} | ${ms(pct(xs, 95))}` : '– | –');
    for (const [name, { chain: c, fan: f }] of steps) console.log(`| ${name} | ${cell(c)} | ${cell(f)} |`);
  };
  if (process.argv.includes('--handoff-only')) {
    printSteps();
    console.log(`\nload average after: ${loadavg()}`);
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
  console.log(row('100 packages, cap 10: the merge itself (pre-check + merge, queue wait excluded)', mergeOwn));
  printSteps();
  console.log(`\n100 packages, cap 10: wall ${ms(m.wall)}, ${(m.wall / 100).toFixed(0)} ms per package (worktree add + agent + commit + audit + merge, 10 at a time, merges one at a time).`);

  console.log(`\nload average after: ${loadavg()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
