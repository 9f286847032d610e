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
import { attemptDir, attemptFiles } from '../src/core/runPaths';
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
  const engine = await RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript: await buildRunner(), maxParallel });
  const t0 = Date.now();
  const outcome = await engine.run();
  const wall = Date.now() - t0;
  if (outcome.outcome !== 'succeeded') throw new Error(`${feature}: ${JSON.stringify(outcome.counts)}`);
  const at = (id: string) => {
    const files = attemptFiles(attemptDir(repo, feature, outcome.runId, id, 1));
    const exit = JSON.parse(fs.readFileSync(files.exit, 'utf8')) as { endedAt: string };
    const meta = JSON.parse(fs.readFileSync(files.meta, 'utf8')) as { startedAt: string };
    return { start: Date.parse(meta.startedAt), exit: Date.parse(exit.endedAt), done: Date.parse(outcome.state.packages[id]!.endedAt!) };
  };
  return { wall, at };
}

async function main(): Promise<void> {
  isolateGit();
  // Handoff: fan-outs of 1 → 9 (cap 10) and a chain of 12.
  const fan: TestPackage[] = [{ id: 'root', agent: ['write root/x.txt'] }];
  for (let i = 0; i < 9; i++) fan.push({ id: `leaf-${i}`, deps: ['root'], agent: [`write leaf-${i}/x.txt`] });
  const chain: TestPackage[] = [];
  for (let i = 0; i < 12; i++) chain.push({ id: `c${i}`, deps: i ? [`c${i - 1}`] : [], agent: [`write c${i}/x.txt`] });
  const handoffs: number[] = [];
  const f = await runPlan('bench-fan', fan, 10);
  for (let i = 0; i < 9; i++) handoffs.push(f.at(`leaf-${i}`).start - f.at('root').exit);
  const c = await runPlan('bench-chain', chain, 10);
  for (let i = 1; i < 12; i++) handoffs.push(c.at(`c${i}`).start - c.at(`c${i - 1}`).exit);

  // Per-package overhead: 100 independent packages, cap 10.
  const many: TestPackage[] = [];
  for (let i = 0; i < 100; i++) {
    const id = `p${String(i).padStart(3, '0')}`;
    many.push({ id, agent: [`write ${id}/x.txt`] });
  }
  const m = await runPlan('bench-many', many, 10);
  const post = many.map((p) => m.at(p.id).done - m.at(p.id).exit);
  const agent = many.map((p) => m.at(p.id).exit - m.at(p.id).start);

  console.log('\n### Engine on a real repository (scripted agent, real git)\n');
  console.log('| measure | n | p50 | p95 | max |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| handoff: exit → dependent's runner started (fan-out 1→9 and a chain of 12) | ${handoffs.length} | ${ms(pct(handoffs, 50))} | ${ms(pct(handoffs, 95))} | ${ms(Math.max(...handoffs))} |`);
  console.log(`| 100 packages, cap 10: exit → succeeded (commit + audit + merge) | 100 | ${ms(pct(post, 50))} | ${ms(pct(post, 95))} | ${ms(Math.max(...post))} |`);
  console.log(`| 100 packages, cap 10: the agent's own run (runner start → exit) | 100 | ${ms(pct(agent, 50))} | ${ms(pct(agent, 95))} | ${ms(Math.max(...agent))} |`);
  console.log(`\n100 packages, cap 10: wall ${ms(m.wall)}, ${(m.wall / 100).toFixed(0)} ms per package (worktree add + agent + commit + audit + merge, 10 at a time, merges one at a time).`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
