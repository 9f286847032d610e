/**
 * Plans of plans at scale (ADR 0035): 10 parents × 10 children (100 leaves) at cap 40, each agent
 * working 10 s, beside the same 100 leaves as one flat plan — both run by the real CLI
 * (`bin/waves.js run`, the built bundles) with the walls, alternately, N pairs (each pair in the
 * other order than the one before).
 *
 * The leaves: each parent's sub-plan has 4 packages with no dependency, 4 that each depend on one
 * of those, and 2 that each depend on two of the second four; in the flat plan the same 100
 * packages with the same dependencies and no parents. Every leaf sleeps the agent time, then
 * writes and commits its own file, and has one verification command (`test -f`); each parent has
 * one (`test -d` of its folder), run on its children's work together. Commands approved
 * beforehand with `waves approve --yes`.
 *
 * The bound: the cap-wave bound of the leaves, Σ over their waves of ⌈wave size / cap⌉ × agent
 * time (waves of 40, 40 and 20: 3 × 10 s) — the same for both plans; a parent does no agent work,
 * so what it adds (its level: its tree, its verification, its merge) is the engine's own time.
 * Reports the wall time and its ratio to the bound for each run, and the medians. Asserts no timing.
 *
 * Run: `npm run bench nested` (add `-- --pairs=3`, `--seconds=S`). Needs bubblewrap.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confinementAvailable } from '../src/engine/attempt/confinement';
import { planYaml, type TestPackage } from '../test/engine/engineFixtures';
import { gitEnv, makeRepo, REPO_ROOT, SCRIPTED_AGENT, tempDir } from '../test/engine/helpers';
import { loadavg } from './realPlans';

const CAP = 40;
const PARENTS = 10;
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const PAIRS = Math.max(1, Math.round(Number(flag('pairs') ?? 2)));
const SECONDS = Math.max(1, Number(flag('seconds') ?? 10));
const WAVES_BIN = path.join(REPO_ROOT, 'bin', 'waves.js');
const AGENT_ARGV = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}']);

/** One parent's ten children, their ids prefixed (`p03-c4`), their folders under the parent's. */
function children(parent: string, prefix: string): TestPackage[] {
  const id = (k: number) => `${prefix}c${k}`;
  const deps = (k: number) => (k < 4 ? [] : k < 8 ? [id(k - 4)] : [id(4 + (k - 8) * 2), id(5 + (k - 8) * 2)]);
  return Array.from({ length: 10 }, (_, k) => ({
    id: id(k),
    deps: deps(k),
    write: [`${parent}/c${k}/**`],
    agent: [`sleep ${Math.round(SECONDS * 1000)}`, `write ${parent}/c${k}/x.txt`, `commit ${id(k)}`],
    commands: [`test -f ${parent}/c${k}/x.txt`],
  }));
}

const parents = Array.from({ length: PARENTS }, (_, i) => `p${String(i).padStart(2, '0')}`);

function flatRepo(): string {
  return makeRepo({ 'README.md': '# bench\n', 'work-packages.yaml': planYaml('flat', parents.flatMap((p) => children(p, `${p}-`))) });
}

function nestedRepo(): string {
  const files: Record<string, string> = { 'README.md': '# bench\n' };
  files['work-packages.yaml'] = planYaml(
    'nested',
    parents.map((p) => ({ id: p, write: [`${p}/**`], subPlan: { file: `plans/${p}.yaml` }, commands: [`test -d ${p}`] })),
  );
  for (const p of parents) files[`plans/${p}.yaml`] = planYaml(`nested-${p}`, children(p, ''));
  return makeRepo(files);
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, log: string): Promise<number | null> {
  const fd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [WAVES_BIN, ...args], { cwd, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

type Kind = 'flat' | 'nested';

async function once(kind: Kind, home: string): Promise<{ kind: Kind; wall: number; load: string }> {
  const repo = kind === 'flat' ? flatRepo() : nestedRepo();
  const plan = path.join(repo, 'work-packages.yaml');
  const env = gitEnv(home);
  const log = path.join(path.dirname(repo), `${kind}.log`);
  try {
    if ((await run(['approve', '--yes', plan], repo, env, log)) !== 0) throw new Error(`waves approve failed:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    const t0 = Date.now();
    const code = await run(['run', '--max-parallel', String(CAP), '--agent-argv', AGENT_ARGV, plan], repo, env, log);
    const wall = (Date.now() - t0) / 1000;
    if (code !== 0) throw new Error(`waves run (${kind}) exited ${code}:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    return { kind, wall, load: loadavg() };
  } finally {
    fs.rmSync(path.dirname(repo), { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const here = confinementAvailable();
  if (!here.ok) {
    console.log(`## Plans of plans at scale\n\nnot measured: ${here.why}\n`);
    return;
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: npm run build first (npm run bench builds)');
  const started = Date.now();
  const home = tempDir('waves-nested-home-');
  const bound = (Math.ceil(40 / CAP) + Math.ceil(40 / CAP) + Math.ceil(20 / CAP)) * SECONDS;
  const loadBefore = loadavg();
  const results: { kind: Kind; wall: number; load: string }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    for (const kind of (i % 2 === 0 ? ['flat', 'nested'] : ['nested', 'flat']) as Kind[]) {
      const r = await once(kind, home);
      results.push(r);
      console.error(`nested: pair ${i + 1}/${PAIRS} ${kind}: ${r.wall.toFixed(1)} s`);
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
  const s = (v: number) => `${v.toFixed(1)} s`;
  const x = (v: number) => `${(v / bound).toFixed(2)}×`;
  console.log(`### Plans of plans at scale: ${PARENTS} parents × 10 children, cap ${CAP}, ${SECONDS} s agents, beside the same 100 leaves flat\n`);
  console.log(
    `Each sub-plan: 4 packages, 4 after one of them each, 2 after two of those each; every leaf sleeps ${SECONDS} s, writes and commits its own file, one verification command (\`test -f\`); each parent one (\`test -d\`) on its children's work. ` +
      `Run by \`waves run --max-parallel ${CAP}\` (the built CLI) with the walls, ${PAIRS} pair${PAIRS === 1 ? '' : 's'}, alternating which goes first. ${os.cpus().length} cores, node ${process.version}; load before ${loadBefore}.\n`,
  );
  console.log(`Bound: the leaves' cap-wave bound (waves of 40, 40, 20) = **${s(bound)}**, the same for both plans.\n`);
  console.log('| run | plan | wall | / cap-wave bound | load after |');
  console.log('|---:|---|---:|---:|---|');
  results.forEach((r, i) => console.log(`| ${i + 1} | ${r.kind} | ${s(r.wall)} | ${x(r.wall)} | ${r.load} |`));
  const of = (kind: Kind) => median(results.filter((r) => r.kind === kind).map((r) => r.wall));
  console.log(`\nMedians: flat ${s(of('flat'))} (${x(of('flat'))}), nested ${s(of('nested'))} (${x(of('nested'))}); nested / flat ${(of('nested') / of('flat')).toFixed(2)}×. The bench took ${s((Date.now() - started) / 1000)}.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
