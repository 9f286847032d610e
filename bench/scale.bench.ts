/**
 * Confinement's cost at scale: one plan of 100 packages at cap 40, each agent working 10 s, run
 * by the real CLI (`bin/waves.js run`, the built bundles, the options a person's run has) with
 * the walls (the default) and without (`--unconfined`), alternately — N pairs, each pair in the
 * other order than the one before (confined first, then unconfined first, …).
 *
 * The plan (`scalePlan`): five waves of 10, 40, 30, 15 and 5 packages; a package of wave k
 * depends on two of wave k−1 (three in the last wave), so the waves are the plan's levels and the
 * widest one fills the cap. Each package's agent (the scripted test agent) sleeps the agent time,
 * then writes its own file and commits it, as the real CLIs do; each package has one
 * verification command (`test -f` of that file), approved beforehand with `waves approve --yes`.
 *
 * The bound: the cap-wave bound, Σ over the plan's waves (the engine's own, `graph.waves`) of
 * ⌈wave size / cap⌉ × agent time. Printed beside it, from the same plan: max(critical path,
 * work / cap) and the engine's scheduler on a simulated clock with no engine time (`simulate`).
 *
 * Per run: the wall time (the CLI's start → its exit), its ratio to the bound; the driver (the
 * `waves run` process: the engine) — its CPU, user + sys (`process.cpuUsage()` at its exit, read
 * by a preloaded hook) and its peak RSS (`process.resourceUsage().maxRSS`); the CPU of every
 * process of the run (the driver, the git helper and its git calls, the runners, bubblewrap, the
 * relays, the agents, the verification commands), reaped by a child subreaper (`REAPER`, a few
 * lines of python3; the column is left empty without it); and the machine's busy CPU over the run
 * (/proc/stat: the kernel's work for the run, and whatever else runs on the machine); and each
 * level's phases from the run state's `phases` (ready → agent running, the agent beyond its time,
 * verifying → merging, merging → merged: median and worst). Then the medians over the pairs, side
 * by side, and with / without. It reports; it asserts no timing.
 *
 * Run: `npm run bench scale` (add `-- --pairs=3`). Flags (also `--flag N` when run directly with
 * `node --import tsx bench/scale.bench.ts`): `--pairs=N` (default 2; BENCH_SCALE_PAIRS), `--seconds=S`
 * (the agent time, default 10; BENCH_SCALE_SECONDS), `--no-verify` (no verification commands),
 * `--cpu-prof` (a V8 CPU profile of each run's driver, written to a folder the bench names),
 * `--only=confined` or `--only=unconfined` (one side only, for profiling), `--agent=shell` (each agent
 * bench/shell-agent.sh, POSIX sh and git, instead of the scripted test agent's Node: what is left
 * beyond the bound is then the engine's and the walls' own).
 * Needs bubblewrap for the confined runs (`WAVES_BWRAP` names another one than PATH's).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzePlan } from '../src/core/plan/analyze';
import { schedPackagesFromAnalysis, simulate } from '../src/core/run/schedule';
import { confinementAvailable } from '../src/engine/attempt/confinement';
import { planYaml, repoWithPlan, type TestPackage } from '../test/engine/engineFixtures';
import { gitEnv, REPO_ROOT, SCRIPTED_AGENT, tempDir } from '../test/engine/helpers';
import { loadavg } from './realPlans';
import { flag, num } from './benchArgs';
import { REAPER, reaperWorks } from './reaper';

const CAP = 40;
/** The plan's waves: how many packages each holds (100 in all). */
const WAVES = [10, 40, 30, 15, 5];

const PAIRS = Math.round(num(flag('pairs') ?? process.env.BENCH_SCALE_PAIRS, 2));
const SECONDS = num(flag('seconds') ?? process.env.BENCH_SCALE_SECONDS, 10);
const VERIFY = flag('no-verify') === undefined;
const PROFILE = flag('cpu-prof') !== undefined;
const ONLY = flag('only');

const WAVES_BIN = path.join(REPO_ROOT, 'bin', 'waves.js');
/** `--agent=shell`: bench/shell-agent.sh, an agent whose own start costs almost nothing (the engine's and the walls' time alone beyond the bound). */
const SHELL_AGENT = flag('agent') === 'shell';
const AGENT_ARGV = JSON.stringify(
  SHELL_AGENT
    ? ['/bin/sh', path.join(REPO_ROOT, 'bench', 'shell-agent.sh'), String(SECONDS), '${packageId}', '${resultFile}']
    : [process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}'],
);

/** The plan: `WAVES` levels, each package of a level depending on two (the last level: three) of the level before. */
function scalePlan(seconds: number): TestPackage[] {
  const ids = WAVES.map((n, w) => Array.from({ length: n }, (_, i) => `w${w + 1}-p${String(i).padStart(2, '0')}`));
  return ids.flatMap((level, w) =>
    level.map((id, i) => {
      const before = ids[w - 1] ?? [];
      const picks = w === 0 ? [] : w === WAVES.length - 1 ? [i, i + 1, i * 3 + 2] : [i, i * 7 + 3];
      const deps = [...new Set(picks.map((k) => before[k % before.length]!))];
      return {
        id,
        deps,
        agent: [`sleep ${Math.round(seconds * 1000)}`, `write ${id}/x.txt`, `commit ${id}`],
        ...(VERIFY ? { commands: [`test -f ${id}/x.txt`] } : {}),
      };
    }),
  );
}

/** The plan's bounds (s), from its analysis at the cap: the cap-wave bound, max(critical path, work / cap), the scheduler with no engine time. */
function bounds(packages: TestPackage[], seconds: number) {
  const analysis = analyzePlan(planYaml('scale', packages), { maxParallel: CAP });
  const waves = analysis.graph.waves.map((w) => w.length);
  const capWave = waves.reduce((s, n) => s + Math.ceil(n / CAP), 0) * seconds;
  const critical = waves.length * seconds;
  const work = (packages.length * seconds) / CAP;
  const scheduled = simulate({
    packages: schedPackagesFromAnalysis(analysis),
    maxParallel: CAP,
    mode: 'eager',
    durations: () => seconds,
  }).makespan;
  return { waves, capWave, critical, work, scheduled };
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

/** The machine's busy CPU time so far (s): every core's user, nice, system, irq and softirq time from /proc/stat (not idle, iowait or steal). */
function machineBusy(): number {
  const [user, nice, system, , , irq, softirq] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq!) / CLK_TCK;
}


/** Runs `argv` (its output appended to `log`); resolves with its exit code. */
function run(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<number | null> {
  const fd = fs.openSync(opts.log, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

type Mode = 'confined' | 'unconfined';
interface Result {
  mode: Mode;
  wall: number;
  /** The driver's (waves run's) CPU, user + sys, s; its peak RSS, MiB. */
  driverCpu: number;
  driverRss: number;
  /** Every process of the run, the driver included, s (NaN without the reaper). */
  treeCpu: number;
  /** Every core's busy time over the run, s (whatever else runs on the machine too). */
  machineCpu: number;
  load: string;
  /** Each level's phases, from the run state (`levelPhases`). */
  levels: LevelPhases[];
}

/** One level of a run: its packages' phases (from the run state's `phases`), each a median and the worst, s. */
interface LevelPhases {
  size: number;
  /** ready → its agent running (the tree, the runner, the walls). */
  start: [number, number];
  /** The agent's time beyond `SECONDS` (its start, its commit, its exit seen). */
  agent: [number, number];
  /** verifying → merging (the verification steps in the walls, the audit). */
  verify: [number, number];
  /** merging → succeeded (its merge's wait and its merge). */
  merge: [number, number];
}

/** The run state's phases of every package, per level of `WAVES` (packages named `w<level>-p<i>`). */
function levelPhases(stateFile: string): LevelPhases[] {
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { packages: Record<string, { phases?: { at: string; phase: string }[] }> };
  const at = (phases: { at: string; phase: string }[], phase: string) => Date.parse(phases.find((p) => p.phase === phase)?.at ?? '') / 1000;
  const stat = (xs: number[]): [number, number] => {
    const ok = xs.filter(Number.isFinite);
    return ok.length ? [median(ok), Math.max(...ok)] : [NaN, NaN];
  };
  return WAVES.map((_, w) => {
    const rows = Object.entries(state.packages)
      .filter(([id]) => id.startsWith(`w${w + 1}-`))
      .map(([, r]) => r.phases ?? []);
    return {
      size: rows.length,
      start: stat(rows.map((p) => at(p, 'running') - at(p, 'ready'))),
      agent: stat(rows.map((p) => at(p, 'verifying') - at(p, 'running') - SECONDS)),
      verify: stat(rows.map((p) => at(p, 'merging') - at(p, 'verifying'))),
      merge: stat(rows.map((p) => at(p, 'succeeded') - at(p, 'merging'))),
    };
  });
}

async function once(mode: Mode, n: number, home: string, hook: string, reaper: boolean, profiles: string | null): Promise<Result> {
  const packages = scalePlan(SECONDS);
  const env = gitEnv(home);
  const { repo, planFile } = repoWithPlan(`scale-${mode}-${n}`, packages);
  const dir = path.dirname(repo);
  const log = path.join(dir, 'waves.log');
  const driverOut = path.join(dir, 'driver.json');
  const reaperOut = path.join(dir, 'reaper.json');
  try {
    if (VERIFY && (await run([process.execPath, WAVES_BIN, 'approve', '--yes', planFile], { cwd: repo, env, log })) !== 0)
      throw new Error(`waves approve failed:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    const waves = [
      process.execPath,
      '--require',
      hook,
      ...(profiles ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`, `--cpu-prof-name=${mode}-${n}.cpuprofile`] : []),
      WAVES_BIN,
      'run',
      '--max-parallel',
      String(CAP),
      '--agent-argv',
      AGENT_ARGV,
      ...(mode === 'unconfined' ? ['--unconfined'] : []),
      planFile,
    ];
    const busy0 = machineBusy();
    const t0 = Date.now();
    let code = await run(reaper ? ['python3', '-c', REAPER, reaperOut, ...waves] : waves, {
      cwd: repo,
      env: { ...env, WAVES_BENCH_DRIVER_OUT: driverOut },
      log,
    });
    let wall = (Date.now() - t0) / 1000;
    let treeCpu = NaN;
    if (reaper) {
      const r = JSON.parse(fs.readFileSync(reaperOut, 'utf8')) as { code: number | null; wall: number; cpu: number };
      ({ code, wall, cpu: treeCpu } = r);
    }
    const machineCpu = machineBusy() - busy0;
    if (code !== 0) throw new Error(`waves run (${mode}) exited ${code}:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    const d = JSON.parse(fs.readFileSync(driverOut, 'utf8')) as { user: number; system: number; maxRSS: number };
    const levels = levelPhases(path.join(repo, '.waves', 'runs', `scale-${mode}-${n}.json`));
    return { mode, wall, driverCpu: (d.user + d.system) / 1e6, driverRss: d.maxRSS / 1024, treeCpu, machineCpu, load: loadavg(), levels };
  } finally {
    // BENCH_KEEP=1: the run's repository stays, to be read (its run state, each attempt's files).
    if (process.env.BENCH_KEEP === '1') console.error(`scale: kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const started = Date.now();
  const here = confinementAvailable();
  if (!here.ok) {
    console.log(`## Confinement at scale\n\nnot measured: ${here.why}\n`);
    return;
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js')))
    throw new Error('dist/cli.js is missing: npm run build first (npm run bench builds)');
  const home = tempDir('waves-scale-home-');
  const hook = path.join(home, 'driver-hook.cjs');
  // The driver's own figures at its exit, written where the bench reads them (WAVES_BENCH_DRIVER_OUT).
  fs.writeFileSync(
    hook,
    "'use strict';\nconst fs = require('node:fs');\nconst out = process.env.WAVES_BENCH_DRIVER_OUT;\n" +
      "if (out) process.on('exit', () => { const c = process.cpuUsage(); fs.writeFileSync(out, JSON.stringify({ user: c.user, system: c.system, maxRSS: process.resourceUsage().maxRSS })); });\n",
  );
  const profiles = PROFILE ? tempDir('waves-scale-cpuprof-') : null;
  const reaper = reaperWorks();
  const plan = scalePlan(SECONDS);
  const b = bounds(plan, SECONDS);
  const loadBefore = loadavg();
  const results: Result[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const order: Mode[] = i % 2 === 0 ? ['confined', 'unconfined'] : ['unconfined', 'confined'];
    for (const mode of order.filter((m) => !ONLY || m === ONLY)) {
      const r = await once(mode, i, home, hook, reaper, profiles);
      results.push(r);
      console.error(
        `scale: pair ${i + 1}/${PAIRS} ${mode}: ${r.wall.toFixed(1)} s, driver CPU ${r.driverCpu.toFixed(1)} s, peak ${r.driverRss.toFixed(0)} MiB`,
      );
    }
  }
  fs.rmSync(home, { recursive: true, force: true });

  const s = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} s` : '–');
  const x = (a: number, c: number) => (Number.isFinite(a / c) ? `${(a / c).toFixed(2)}×` : '–');
  console.log(`### Confinement at scale: ${plan.length} packages, cap ${CAP}, ${SECONDS} s agents, with the walls and without\n`);
  console.log(
    `The plan: waves of ${b.waves.join(', ')} packages; each package of a wave depends on two of the wave before (three in the last); each agent sleeps ${SECONDS} s, then writes and commits its own file${VERIFY ? '; one verification command (`test -f`) per package, approved' : ''}. ` +
      `Run by \`waves run --max-parallel ${CAP}\` (the built CLI), with the walls (default) and \`--unconfined\`, ${PAIRS} pair${PAIRS === 1 ? '' : 's'}, alternating which goes first. ` +
      `${SHELL_AGENT ? 'The agents: bench/shell-agent.sh (sh and git, no Node start). ' : ''}${os.cpus().length} cores, node ${process.version}; load before ${loadBefore}.` +
      (reaper ? '' : " (No python3 with prctl here: the run's processes' CPU is not measured.)") +
      '\n',
  );
  console.log(
    `Bound: the cap-wave bound Σ ⌈wave / cap⌉ × ${SECONDS} s = **${s(b.capWave)}**; max(critical path ${s(b.critical)}, work / cap ${s(b.work)}) = ${s(Math.max(b.critical, b.work))}; the scheduler with no engine time ${s(b.scheduled)}.\n`,
  );
  console.log(
    "| run | walls | wall | / cap-wave bound | driver CPU (user+sys) | driver peak RSS | all the run's processes, CPU | machine busy CPU | load after |",
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---|');
  results.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${r.mode === 'confined' ? 'yes' : 'no'} | ${s(r.wall)} | ${x(r.wall, b.capWave)} | ${s(r.driverCpu)} | ${r.driverRss.toFixed(0)} MiB | ${s(r.treeCpu)} | ${s(r.machineCpu)} | ${r.load} |`,
    ),
  );
  const of = (mode: Mode, f: (r: Result) => number) => median(results.filter((r) => r.mode === mode).map(f));
  const rows: [string, (r: Result) => number, (v: number) => string][] = [
    ['wall', (r) => r.wall, s],
    ['wall / cap-wave bound', (r) => r.wall / b.capWave, (v) => x(v, 1)],
    ['driver CPU (user+sys)', (r) => r.driverCpu, s],
    ['driver peak RSS', (r) => r.driverRss, (v) => (Number.isFinite(v) ? `${v.toFixed(0)} MiB` : '–')],
    ["all the run's processes, CPU", (r) => r.treeCpu, s],
  ];
  console.log(`\nMedians over ${PAIRS} pair${PAIRS === 1 ? '' : 's'}:\n`);
  console.log('| figure | with the walls | without | with / without |');
  console.log('|---|---:|---:|---:|');
  for (const [label, f, fmt] of rows) {
    const c = of('confined', f);
    const u = of('unconfined', f);
    console.log(`| ${label} | ${fmt(c)} | ${fmt(u)} | ${x(c, u)} |`);
  }
  console.log(`\nEach level's phases, from the run state: median (worst), s.\n`);
  console.log('| run | walls | level | packages | ready → agent running | agent beyond its time | verifying → merging | merging → merged |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  const mw = ([m, w]: [number, number]) => (Number.isFinite(m) ? `${m.toFixed(2)} (${w.toFixed(2)})` : '–');
  results.forEach((r, i) =>
    r.levels.forEach((l, k) =>
      console.log(`| ${i + 1} | ${r.mode === 'confined' ? 'yes' : 'no'} | ${k + 1} | ${l.size} | ${mw(l.start)} | ${mw(l.agent)} | ${mw(l.verify)} | ${mw(l.merge)} |`),
    ),
  );
  console.log(
    `\nThe bench took ${s((Date.now() - started) / 1000)}; load after ${loadavg()}.${profiles ? ` CPU profiles of the drivers: ${profiles}` : ''}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
