/**
 * A real project's plan, confined against unconfined: the big-node fixture
 * (test/fixtures/projects/big-node: an express service with its own twelve modules, 212 packages
 * in its lockfile) and its plan of 12 packages, one per module, at most 4 at once, run by the
 * real engine with a scripted agent that does what coding agents do
 * (test/fixtures/agents/toolchain-agent.mjs): `npm ci`, edit its module, run its tests with
 * `node --test`, add a dev dependency (`npm install -D`), commit — against verdaccio on
 * 127.0.0.1 serving the packages offline (test/registry.ts). The person's checkout has its
 * dependencies installed (its own `npm ci`, the person's npm cache warm), as a person's has.
 * Three runs, each on a fresh copy of the repository:
 *   1. unconfined (the person's `--unconfined`): the agents use the person's npm cache;
 *   2. confined, the registry allowed (`registries`), the agents' shared cache empty (a first run);
 *   3. confined again, the shared cache as run 2 left it (every later run).
 * Printed: each run's wall time and its ratio to the unconfined one; per package the set-up
 * (the tree made → the agent's first command), `npm ci`, the tree made → its dependencies
 * installed, the tests, the `npm install -D`, and the disk its tree, its git folder (where the
 * dependency folders laid over it keep their changes, ADR 0026) and its attempt folder hold when
 * its agent exits (`du -sk` each, outside the walls). Goals: confined ≤ 1.15× the
 * unconfined run; a worktree ready with its dependencies p50 ≤ 2 s; extra disk per worktree ≤ 10%
 * of the dependencies' size.
 * Run: `npm run bench realProject` (or node --import tsx bench/realProject.bench.ts).
 * Environment: BENCH_RUNS (comma-separated among unconfined,confined,confined-warm; default all
 * three), BENCH_INSTALL (the agents' install command, default `npm ci`), BENCH_VERIFY=0 (no
 * verification commands; default: the plan's, approved), BENCH_SETUP (a set-up command, words
 * split on spaces, e.g. `npm ci`; default none), BENCH_CHECKOUT=0 (the person's checkout without
 * its dependencies installed: nothing to lay from it; their size is measured in a scratch folder),
 * BENCH_LAYERED=1 (the confined runs' trees layered over one shared checkout, ADR 0032).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { customProfile } from '../src/core/agents/agentProfiles';
import { attemptDir, worktreePath } from '../src/core/run/runPaths';
import { RunEngine, type EngineOptions } from '../src/engine/run/engine';
import { isolateGit } from '../test/engine/engineFixtures';
import { buildRunner, makeRepo, REPO_ROOT, tempDir } from '../test/engine/helpers';
import { PROJECTS, registryTools, startRegistry, type Registry } from '../test/registry';
import { loadavg, ms, pct } from './realPlans';

const CAP = 4;
const FEATURE = 'shelf-small-features';
const AGENT = path.join(REPO_ROOT, 'test', 'fixtures', 'agents', 'toolchain-agent.mjs');
const INSTALL = process.env.BENCH_INSTALL ?? 'npm ci';
const SETUP = process.env.BENCH_SETUP ? process.env.BENCH_SETUP.split(' ').filter(Boolean) : null;
const DEV_DEP = 'tiny-invariant@1.3.3';

/** What the scripted agent does in its tree (`{module}`: its package's module). */
const STEPS = [
  `run ${INSTALL}`,
  "append src/{module}/index.js \\nmodule.exports.benchTouched = () => '{module}';\\n",
  "append test/{module}/bench.test.js 'use strict';\\nconst test = require('node:test');\\nconst assert = require('node:assert/strict');\\nconst m = require('../../src/{module}');\\ntest('the bench touched {module}', () => assert.equal(m.benchTouched(), '{module}'));\\n",
  'run node --test test/{module}/',
  `run npm install -D ${DEV_DEP}`,
  // package.json and the lockfile are no package's (the plan's scopes): the dependency added while working is not kept.
  'run git checkout -- package.json package-lock.json',
  'commit {module}: a small feature',
];

type Mode = 'unconfined' | 'confined' | 'confined-warm';

interface PackageTimes {
  id: string;
  /** The tree made (trace `tree-ready`) → the agent's first command. */
  setup: number;
  /** `npm ci` (the install step) alone. */
  install: number;
  /** The tree made → its dependencies installed. */
  ready: number;
  tests: number;
  addDev: number;
  /** KiB on disk at the agent's exit: its tree (node_modules included), its attempt folder. */
  treeKiB: number;
  /** Its git folder (`.git/worktrees/<id>`: its index, and the upper layers of the dependency folders laid over it, ADR 0026). */
  gitKiB: number;
  attemptKiB: number;
}

interface RunResult {
  mode: Mode;
  wall: number;
  packages: PackageTimes[];
  load: string;
  baseNodeModulesKiB: number;
  cacheKiB: number | null;
}

/** Every file of a fixture project (relative path → text), without what installs make. */
function projectFiles(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  const root = path.join(PROJECTS, name);
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

const duKiB = (p: string): number => {
  if (!fs.existsSync(p)) return NaN;
  try {
    return Number(execFileSync('du', ['-sk', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0]);
  } catch (e) {
    // a file vanishing under du (npm's temporary files): what it counted still stands
    const out = String((e as { stdout?: string }).stdout ?? '');
    return out ? Number(out.split('\t')[0]) : NaN;
  }
};

/** A worktree's own git folder, as its `.git` file names it. */
function gitDirOf(tree: string): string {
  try {
    const m = /^gitdir: (.+)$/m.exec(fs.readFileSync(path.join(tree, '.git'), 'utf8'));
    return m ? path.resolve(tree, m[1]!.trim()) : '';
  } catch {
    return '';
  }
}

/** The agent's log read into each command's time (`=> exit N in T ms`) and its first command's clock. */
function agentTimes(log: string): { first: number; took: (prefix: string) => number } {
  const first = Number(/^first-command-at (\d+)$/m.exec(log)?.[1] ?? NaN);
  const cmds = [...log.matchAll(/^\$ (.*)\n[\s\S]*?^=> exit (\d+) in (\d+) ms$/gm)].map((m) => ({ cmd: m[1]!, exit: Number(m[2]), ms: Number(m[3]) }));
  return { first, took: (prefix) => cmds.find((c) => c.cmd.startsWith(prefix))?.ms ?? NaN };
}

/** The person: a home whose `.npmrc` names the registry, with a token for it. HOME is this home for the engine and the agents. */
function person(registry: Registry): string {
  const home = tempDir('waves-bench-person-');
  const token = `npm_${crypto.randomBytes(18).toString('hex')}`;
  fs.writeFileSync(path.join(home, '.npmrc'), [`registry=${registry.url}`, `//127.0.0.1:${registry.port}/:_authToken=${token}`, 'fund=false', 'audit=false', 'update-notifier=false', ''].join('\n'));
  process.env.HOME = home;
  return home;
}

async function runOnce(mode: Mode, cacheDir: string, runnerScript: string): Promise<RunResult> {
  const repo = makeRepo(projectFiles('big-node'));
  // The person's checkout has its dependencies (their own npm, their cache): untimed. BENCH_CHECKOUT=0: it has none; their size from a scratch install.
  const installed = process.env.BENCH_CHECKOUT === '0' ? tempDir('waves-bench-deps-size-') : repo;
  if (installed !== repo) for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(repo, f), path.join(installed, f));
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: installed, stdio: ['ignore', 'ignore', 'inherit'] });
  const baseNodeModulesKiB = duKiB(path.join(installed, 'node_modules'));
  const planFile = path.join(repo, 'work-packages.yaml');
  const agent = customProfile([process.execPath, AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}', '--steps-json', JSON.stringify(STEPS)], { label: 'toolchain agent (bench)' });
  const marks = new Map<string, number>();
  const disk = new Map<string, { tree: number; git: number; attempt: number }>();
  const running: { engine?: RunEngine } = {};
  const trace = (step: string, id: string) => {
    if (!marks.has(`${id}:${step}`)) marks.set(`${id}:${step}`, Date.now());
    // The tree as its agent left it, before the engine commits, merges and removes it.
    const state = running.engine?.store?.state;
    if (step === 'exit-seen' && !disk.has(id) && state) {
      const tree = worktreePath(repo, FEATURE, id);
      disk.set(id, { tree: duKiB(tree), git: duKiB(gitDirOf(tree)), attempt: duKiB(attemptDir(repo, FEATURE, state.runId, id, 1)) });
    }
  };
  const confinement: EngineOptions['confinement'] = mode === 'unconfined' ? { unconfined: true } : { options: { registries: true, cacheDir } };
  const engine = await RunEngine.prepare({
    planFile,
    agent,
    runnerScript,
    maxParallel: CAP,
    trace,
    confinement,
    ...(SETUP ? { setupHook: SETUP } : {}),
    ...(process.env.BENCH_LAYERED === '1' && mode !== 'unconfined' ? { layered: true } : {}),
    ...(process.env.BENCH_VERIFY === '0' ? {} : { verification: 'approved' as const }),
  });
  running.engine = engine;
  const t0 = Date.now();
  let outcome;
  try {
    outcome = await engine.run();
  } finally {
    engine.dispose();
  }
  const wall = Date.now() - t0;
  const ids = Object.keys(outcome.state.packages).sort();
  const logOf = (id: string) => {
    try {
      return fs.readFileSync(path.join(attemptDir(repo, FEATURE, outcome.runId, id, 1), 'agent.log'), 'utf8');
    } catch {
      return '';
    }
  };
  if (outcome.outcome !== 'succeeded') {
    const bad = ids.filter((id) => outcome.state.packages[id]!.status !== 'succeeded');
    throw new Error(`${mode}: ${JSON.stringify(outcome.counts)}; ${bad.map((id) => `${id}: ${outcome.state.packages[id]!.lastError ?? '?'}\n${logOf(id).slice(-1200)}`).join('\n')}`);
  }
  const packages = ids.map((id): PackageTimes => {
    const t = agentTimes(logOf(id));
    const tree = marks.get(`${id}:tree-ready`) ?? NaN;
    const install = t.took(INSTALL);
    return {
      id,
      setup: t.first - tree,
      install,
      ready: t.first + install - tree,
      tests: t.took('node --test'),
      addDev: t.took('npm install -D'),
      treeKiB: disk.get(id)?.tree ?? NaN,
      gitKiB: disk.get(id)?.git ?? NaN,
      attemptKiB: disk.get(id)?.attempt ?? NaN,
    };
  });
  return { mode, wall, packages, load: loadavg(), baseNodeModulesKiB, cacheKiB: mode === 'unconfined' ? null : duKiB(cacheDir) };
}

const s = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} s` : '–');
const mib = (kib: number) => (!Number.isFinite(kib) ? '–' : kib < 1024 ? `${kib} KiB` : `${(kib / 1024).toFixed(1)} MiB`);
const p50 = (xs: number[]) => {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? pct(ok, 50) : NaN;
};

async function main(): Promise<void> {
  const loadBefore = loadavg();
  registryTools(); // before isolateGit: the tools folder is under the home this process started with
  isolateGit();
  const runnerScript = await buildRunner();
  const registry = await startRegistry();
  const modes = (process.env.BENCH_RUNS ?? 'unconfined,confined,confined-warm').split(',').map((m) => m.trim()) as Mode[];
  const cacheDir = path.join(tempDir('waves-bench-agents-cache-'), 'agents');
  const results: RunResult[] = [];
  try {
    person(registry);
    for (const mode of modes) {
      if (mode === 'confined') fs.rmSync(cacheDir, { recursive: true, force: true });
      results.push(await runOnce(mode, cacheDir, runnerScript));
    }
  } finally {
    await registry.stop();
  }

  console.log(`\n### A real project's plan, confined against unconfined: big-node, 12 packages, cap ${CAP}, verdaccio offline on 127.0.0.1\n`);
  const setup = `${SETUP ? ` Set-up command: \`${SETUP.join(' ')}\`.` : ''}${process.env.BENCH_CHECKOUT === '0' ? " The person's checkout has no node_modules." : ''}${process.env.BENCH_LAYERED === '1' ? ' Confined trees layered (ADR 0032).' : ''}`;
  console.log(`Each agent: \`${INSTALL}\`, edits its module, \`node --test test/<module>/\`, \`npm install -D ${DEV_DEP}\`, commits.${setup} ${os.cpus().length} cores; load before ${loadBefore}.\n`);
  const base = results.find((r) => r.mode === 'unconfined');
  console.log('| run | wall | / unconfined | set-up p50 (tree made → first command) | install p50 | tree made → dependencies in p50 | tree on disk at exit p50 | its git folder p50 | attempt folder p50 | agents\' shared cache after | load after |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const col = (f: (p: PackageTimes) => number) => r.packages.map(f);
    console.log(
      `| ${r.mode} | ${s(r.wall)} | ${base ? `${(r.wall / base.wall).toFixed(2)}×` : '–'} | ${ms(p50(col((p) => p.setup)))} | ${s(p50(col((p) => p.install)))} | ${s(p50(col((p) => p.ready)))} | ${mib(p50(col((p) => p.treeKiB)))} | ${mib(p50(col((p) => p.gitKiB)))} | ${mib(p50(col((p) => p.attemptKiB)))} | ${r.cacheKiB === null ? '– (the person\'s ~/.npm)' : mib(r.cacheKiB)} | ${r.load} |`,
    );
  }
  for (const r of results) {
    console.log(`\n${r.mode}, per package (the base checkout's node_modules: ${mib(r.baseNodeModulesKiB)}):\n`);
    console.log('| package | set-up | install | tree made → dependencies in | tests | npm install -D | tree on disk at exit | its git folder | attempt folder |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of r.packages) console.log(`| ${p.id} | ${ms(p.setup)} | ${s(p.install)} | ${s(p.ready)} | ${s(p.tests)} | ${s(p.addDev)} | ${mib(p.treeKiB)} | ${mib(p.gitKiB)} | ${mib(p.attemptKiB)} |`);
  }
  console.log('\nGoals:\n');
  console.log('| goal | figure | target | |');
  console.log('|---|---|---|---|');
  for (const r of results.filter((x) => x.mode !== 'unconfined')) {
    if (base) console.log(`| ${r.mode} run / unconfined run | ${(r.wall / base.wall).toFixed(2)}× | ≤ 1.15× | ${r.wall / base.wall <= 1.15 ? 'met' : '**not met**'} |`);
    const ready = p50(r.packages.map((p) => p.ready));
    console.log(`| ${r.mode}: a worktree ready with its dependencies, p50 | ${s(ready)} | ≤ 2 s | ${ready <= 2000 ? 'met' : '**not met**'} |`);
    const extra = p50(r.packages.map((p) => p.treeKiB + p.gitKiB + p.attemptKiB)) / r.baseNodeModulesKiB;
    console.log(`| ${r.mode}: disk per worktree (tree + its git folder + attempt folder) / the dependencies' size, p50 | ${(extra * 100).toFixed(0)}% | ≤ 10% | ${extra <= 0.1 ? 'met' : '**not met**'} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
