/**
 * Pull workers against SSH hosts (ADR 0037 beside ADR 0027): one plan of N packages (100 by
 * default), the same agents, the same cap of 30, run two ways by the built CLI (`bin/waves.js`):
 * - workers: a real PostgreSQL on 127.0.0.1 (test/coordinator/postgres.ts), a shared bare remote,
 *   three `waves worker --slots 10` processes, each in its own clone of it, and the driver
 *   `waves run --coordinator URL --workers REMOTE --max-parallel 30` in its own repository (the
 *   plan committed there and pushed to the remote);
 * - hosts: three real sshd "hosts" on 127.0.0.1 (test/hosts/sshd.ts), `max_parallel: 10` each, and
 *   the driver `waves run --hosts FILE --max-parallel 30`.
 * Both sides' agents run inside the walls (the default), on this machine: the figures are the
 * engine's, PostgreSQL's, git's and OpenSSH's own cost, not a network's.
 *
 * The plan (the shape of bench/scale.bench.ts, scaled to N): five levels holding 10 %, 40 %, 30 %,
 * 15 % and 5 % of the packages; a package of level k depends on two of level k−1 (three in the
 * last). Each agent (the scripted test agent) sleeps the agent time, then writes its own file and
 * commits it. No verification commands: what is compared is where the agents run.
 *
 * Per run: the wall time (the driver's start → its exit; the workers are started and idle before
 * it) and its ratio to the cap-wave bound (Σ over the plan's levels of ⌈level / cap⌉ × agent time,
 * as scale.bench.ts); the driver's CPU, user + sys — the `waves run` process alone
 * (`process.cpuUsage()` at its exit, from a preloaded hook) and with every process it started
 * (git, ssh, its audits and merges; reaped by a child subreaper, a few lines of python3 — on the
 * hosts side the runners and agents are sshd's, on the workers side the workers', so neither is
 * counted there); the workers' processes' CPU (each worker, its git, runners, walls and agents,
 * each worker reaped the same way), and the machine's busy CPU over the run (/proc/stat: sshd's
 * side, PostgreSQL and whatever else runs here). Then the two side by side. It reports; it asserts
 * no timing. A run that does not succeed is listed under the tables with why (its folder, with the
 * driver's and workers' logs, kept and named on stderr), the others go on, and the bench exits 1.
 *
 * Run: `npm run bench workers` (builds first). Flags (`npm run bench workers -- --packages=20`) or
 * environment: `--packages=N` (WAVES_BENCH_PACKAGES, default 100), `--seconds=S`
 * (WAVES_BENCH_AGENT_SECONDS, default 3), `--pairs=N` (default 1; each pair in the other order than
 * the one before), `--only=workers` or `--only=hosts`, `--idle=S` (the workers' `--idle`, default
 * 5, their documented default). Needs bubblewrap, python3 (for the children's CPU), PostgreSQL and
 * OpenSSH (scripts/postgres-tools.sh and scripts/ssh-tools.sh install them when missing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzePlan } from '../src/core/plan/analyze';
import { confinementAvailable } from '../src/engine/attempt/confinement';
import { startCluster, type Cluster } from '../test/coordinator/postgres';
import { planYaml, repoWithPlan, type TestPackage } from '../test/engine/engineFixtures';
import { git, gitEnv, REPO_ROOT, SCRIPTED_AGENT, tempDir, waitFor } from '../test/engine/helpers';
import { SshClient, startHost, type TestHost } from '../test/hosts/sshd';
import { loadavg } from './realPlans';
import { flag, num } from './benchArgs';
import { REAPER, reaperWorks } from './reaper';

const HOSTS = 3;
const PER_HOST = 10;
const CAP = HOSTS * PER_HOST;
/** The plan's levels: each one's share of the packages. */
const SHARES = [0.1, 0.4, 0.3, 0.15, 0.05];

const PACKAGES = Math.max(SHARES.length, Math.round(num(flag('packages') ?? process.env.WAVES_BENCH_PACKAGES, 100)));
const SECONDS = num(flag('seconds') ?? process.env.WAVES_BENCH_AGENT_SECONDS, 3);
const PAIRS = Math.round(num(flag('pairs'), 1));
const ONLY = flag('only');
/**
 * The workers' `--lease` and `--idle`, given in full: without them `waves worker` (at 5ce5014) takes
 * its defaults, 120 and 5, as milliseconds, not seconds — a lease of 120 ms lapses under a package
 * at work (another slot claims it again, three times, then it is a dead letter), and each idle slot
 * asks every 5 ms.
 */
const IDLE = String(num(flag('idle'), 5));

const WAVES_BIN = path.join(REPO_ROOT, 'bin', 'waves.js');
const AGENT_ARGV = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}']);
const FEATURE = 'bench-workers';

/** Each level's size: the shares of `n`, each at least 1, summing to `n`. */
function levels(n: number): number[] {
  const sizes = SHARES.map((s) => Math.max(1, Math.round(s * n)));
  sizes[1]! += n - sizes.reduce((a, b) => a + b, 0); // the widest level takes the rounding
  return sizes;
}

/** The plan: its levels, each package depending on two (the last level: three) of the level before. */
function benchPlan(n: number, seconds: number): TestPackage[] {
  const ids = levels(n).map((size, w) => Array.from({ length: size }, (_, i) => `w${w + 1}-p${String(i).padStart(2, '0')}`));
  return ids.flatMap((level, w) =>
    level.map((id, i) => {
      const before = ids[w - 1] ?? [];
      const picks = w === 0 ? [] : w === SHARES.length - 1 ? [i, i + 1, i * 3 + 2] : [i, i * 7 + 3];
      return {
        id,
        deps: [...new Set(picks.map((k) => before[k % before.length]!))],
        agent: [`sleep ${Math.round(seconds * 1000)}`, `write ${id}/x.txt ${id}`, `commit ${id}`],
      };
    }),
  );
}

/** The cap-wave bound (s) and the plan's levels as the engine reads them (`graph.waves`). */
function bound(packages: TestPackage[], seconds: number): { waves: number[]; capWave: number } {
  const analysis = analyzePlan(planYaml(FEATURE, packages), { maxParallel: CAP });
  const waves = analysis.graph.waves.map((w) => w.length);
  return { waves, capWave: waves.reduce((s, n) => s + Math.ceil(n / CAP), 0) * seconds };
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

/** The machine's busy CPU time so far (s): user, nice, system, irq and softirq of every core (/proc/stat). */
function machineBusy(): number {
  const [user, nice, system, , , irq, softirq] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq!) / CLK_TCK;
}


/** The driver's (or a worker's) own figures at its exit, written where WAVES_BENCH_DRIVER_OUT says. */
const HOOK =
  "'use strict';\nconst fs = require('node:fs');\nconst out = process.env.WAVES_BENCH_DRIVER_OUT;\n" +
  "if (out) process.on('exit', () => { const c = process.cpuUsage(); fs.writeFileSync(out, JSON.stringify({ user: c.user, system: c.system, maxRSS: process.resourceUsage().maxRSS })); });\n";

interface Proc {
  child: ChildProcess;
  log: string;
  said: () => string;
  exited: Promise<number | null>;
}

/** Starts `argv` under the reaper (when there is one) with the hook, its output kept and appended to `log`. */
function start(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; log: string; own: string; reaped: string | null; hook: string }): Proc {
  const node = [process.execPath, '--require', o.hook, WAVES_BIN, ...args];
  const argv = o.reaped ? ['python3', '-c', REAPER, o.reaped, ...node] : node;
  // A process group of its own: a bench that fails ends it and everything in it (the reaper's child with it).
  const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: { ...o.env, WAVES_BENCH_DRIVER_OUT: o.own }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let said = '';
  const keep = (d: Buffer) => {
    said += d.toString();
    fs.appendFileSync(o.log, d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  return { child, log: o.log, said: () => said, exited };
}

/** Ends `p`'s process group at once, if it still runs. */
function end(p: Proc): void {
  if (p.child.exitCode !== null || p.child.signalCode !== null || !p.child.pid) return;
  try {
    process.kill(-p.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

interface Figures {
  code: number | null;
  /** s */
  wall: number;
  /** The process alone, user + sys (s); its peak RSS (MiB). */
  own: number;
  rss: number;
  /** The process and every process it started (s; NaN without the reaper). */
  tree: number;
}

function figures(p: { own: string; reaped: string | null }, code: number | null, wall: number): Figures {
  const d = JSON.parse(fs.readFileSync(p.own, 'utf8')) as { user: number; system: number; maxRSS: number };
  const r = p.reaped ? (JSON.parse(fs.readFileSync(p.reaped, 'utf8')) as { code: number | null; wall: number; cpu: number }) : null;
  return { code: r ? r.code : code, wall: r ? r.wall : wall, own: (d.user + d.system) / 1e6, rss: d.maxRSS / 1024, tree: r ? r.cpu : NaN };
}

type Side = 'workers' | 'hosts';
interface Result {
  side: Side;
  driver: Figures;
  /** The workers' processes, all together (s): each worker alone, and with what it started. */
  workersOwn: number;
  workersTree: number;
  machine: number;
  /** Packages done by each worker or host. */
  spread: string;
  /** A package's runner start → succeeded here (run state), p50 / p95 (s). */
  span: [number, number];
  load: string;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};

/** The run's state: each package's status, host, start and end. */
function runState(repo: string): Record<string, { status: string; host?: string | null; startedAt?: string; endedAt?: string }> {
  const file = path.join(repo, '.waves', 'runs', `${FEATURE}.json`);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { packages: Record<string, { status: string; host?: string | null; startedAt?: string; endedAt?: string }> }).packages;
}

function spans(state: ReturnType<typeof runState>): [number, number] {
  const xs = Object.values(state)
    .filter((p) => p.startedAt && p.endedAt)
    .map((p) => (Date.parse(p.endedAt!) - Date.parse(p.startedAt!)) / 1000);
  return [pct(xs, 50), pct(xs, 95)];
}

async function onWorkers(cluster: Cluster, home: string, hook: string, reaper: boolean): Promise<Result> {
  const env = gitEnv(home);
  const packages = benchPlan(PACKAGES, SECONDS);
  const { repo } = repoWithPlan(FEATURE, packages);
  const dir = path.dirname(repo);
  const remote = path.join(dir, 'shared.git');
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(repo, 'push', '-q', remote, 'main');
  const workers: { proc: Proc; own: string; reaped: string | null }[] = [];
  let ok = false;
  let driver: Proc | null = null;
  try {
    for (let i = 1; i <= HOSTS; i++) {
      const clone = path.join(dir, `worker-${i}`);
      git(dir, 'clone', '-q', remote, clone);
      const own = path.join(dir, `worker-${i}.json`);
      const reaped = reaper ? path.join(dir, `worker-${i}-reaped.json`) : null;
      const args = ['worker', '--coordinator', cluster.url, '--remote', remote, '--name', `w${i}`, '--agent-argv', AGENT_ARGV, '--slots', String(PER_HOST), '--lease', '120', '--idle', IDLE];
      workers.push({ proc: start(args, { cwd: clone, env, log: path.join(dir, `worker-${i}.log`), own, reaped, hook }), own, reaped });
    }
    // Each worker registered and looking at the (empty) queue before the driver starts.
    for (const [i, w] of workers.entries())
      await waitFor(() => w.proc.said().includes(`w${i + 1}: nothing to claim`) || w.proc.child.exitCode !== null, `worker w${i + 1} to be working`, 60_000);
    for (const w of workers) if (w.proc.child.exitCode !== null) throw new Error(`a worker stopped at its start:\n${w.proc.said()}`);
    const own = path.join(dir, 'driver.json');
    const reaped = reaper ? path.join(dir, 'driver-reaped.json') : null;
    const busy0 = machineBusy();
    const t0 = Date.now();
    driver = start(['run', '--coordinator', cluster.url, '--workers', remote, '--max-parallel', String(CAP), '--agent-argv', AGENT_ARGV, 'work-packages.yaml'], {
      cwd: repo,
      env,
      log: path.join(dir, 'driver.log'),
      own,
      reaped,
      hook,
    });
    const code = await driver.exited;
    const wall = (Date.now() - t0) / 1000;
    const machine = machineBusy() - busy0;
    const d = figures({ own, reaped }, code, wall);
    if (d.code !== 0) throw new Error(`waves run --workers exited ${d.code}:\n${driver.said().slice(-3000)}\n${workers.map((w) => w.proc.said().slice(-1500)).join('\n')}`);
    const state = runState(repo);
    const done = workers.map((w, i) => (w.proc.said().match(new RegExp(`^w${i + 1}: \\S+ done \\(claim`, 'gm')) ?? []).length);
    for (const w of workers) w.proc.child.kill('SIGINT');
    const ends = await Promise.all(workers.map((w) => w.proc.exited));
    const wf = workers.map((w, i) => figures(w, ends[i]!, 0));
    ok = true;
    return {
      side: 'workers',
      driver: d,
      workersOwn: wf.reduce((s, f) => s + f.own, 0),
      workersTree: wf.reduce((s, f) => s + f.tree, 0),
      machine,
      spread: done.join(' / '),
      span: spans(state),
      load: loadavg(),
    };
  } finally {
    for (const w of workers) end(w.proc);
    if (driver) end(driver);
    if (ok) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`workers: kept ${dir} (the driver's and the workers' logs) for a look`);
  }
}

async function onHosts(client: SshClient, hosts: TestHost[], home: string, hook: string, reaper: boolean): Promise<Result> {
  const env = gitEnv(home);
  const packages = benchPlan(PACKAGES, SECONDS);
  const { repo } = repoWithPlan(FEATURE, packages);
  const dir = path.dirname(repo);
  const file = path.join(dir, 'hosts.yaml');
  fs.writeFileSync(
    file,
    'hosts:\n' + hosts.map((h) => `  - name: ${h.name}\n    ssh: ${h.name}\n    ssh_config: ${client.config}\n    folder: ${h.folder}\n    max_parallel: ${PER_HOST}\n`).join(''),
  );
  let ok = false;
  let driver: Proc | null = null;
  try {
    const own = path.join(dir, 'driver.json');
    const reaped = reaper ? path.join(dir, 'driver-reaped.json') : null;
    const busy0 = machineBusy();
    const t0 = Date.now();
    driver = start(['run', '--hosts', file, '--max-parallel', String(CAP), '--agent-argv', AGENT_ARGV, 'work-packages.yaml'], { cwd: repo, env, log: path.join(dir, 'driver.log'), own, reaped, hook });
    const code = await driver.exited;
    const wall = (Date.now() - t0) / 1000;
    const machine = machineBusy() - busy0;
    const d = figures({ own, reaped }, code, wall);
    if (d.code !== 0) throw new Error(`waves run --hosts exited ${d.code}:\n${driver.said().slice(-3000)}`);
    const state = runState(repo);
    const spread = hosts.map((h) => Object.values(state).filter((p) => p.host === h.name).length).join(' / ');
    ok = true;
    return { side: 'hosts', driver: d, workersOwn: NaN, workersTree: NaN, machine, spread, span: spans(state), load: loadavg() };
  } finally {
    if (driver) end(driver);
    if (ok) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`workers: kept ${dir} (the driver's log) for a look`);
  }
}

/** A failed run in a line: its first line and the lines of its logs that say what went wrong. */
function whyFailed(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n');
  const telling = lines.filter((l) => /( failed: | gave \S+ back: |^GitError|^fatal: |^error: |^\S*Error: )/.test(l));
  return [lines[0], ...new Set(telling.map((l) => l.trim()))].slice(0, 6).map((l) => `\`${l!.replace(/`/g, "'")}\``).join('; ');
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
    console.log(`## Pull workers against SSH hosts\n\nnot measured: ${here.why}\n`);
    return;
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: npm run build first (npm run bench builds)');
  const home = tempDir('waves-workers-home-');
  const hook = path.join(home, 'driver-hook.cjs');
  fs.writeFileSync(hook, HOOK);
  const reaper = reaperWorks();
  const plan = benchPlan(PACKAGES, SECONDS);
  const b = bound(plan, SECONDS);
  const loadBefore = loadavg();
  const sides: Side[] = (['workers', 'hosts'] as const).filter((s) => !ONLY || s === ONLY);
  let cluster: Cluster | null = null;
  const client = sides.includes('hosts') ? new SshClient() : null;
  const hosts: TestHost[] = [];
  const results: Result[] = [];
  const failures: { pair: number; side: Side; why: string }[] = [];
  try {
    if (sides.includes('workers')) cluster = await startCluster(REPO_ROOT);
    if (client) for (let i = 1; i <= HOSTS; i++) hosts.push(await startHost(client, `wbh${i}`, PER_HOST));
    for (let i = 0; i < PAIRS; i++) {
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        let r: Result;
        try {
          r = side === 'workers' ? await onWorkers(cluster!, home, hook, reaper) : await onHosts(client!, hosts, home, hook, reaper);
        } catch (err) {
          // A run that did not succeed is reported (why, in a few lines), and the other runs go on.
          console.error(err);
          failures.push({ pair: i + 1, side, why: whyFailed(err) });
          continue;
        }
        results.push(r);
        console.error(`workers: pair ${i + 1}/${PAIRS} ${side}: ${r.driver.wall.toFixed(1)} s, driver CPU ${r.driver.own.toFixed(1)} s (with its children ${r.driver.tree.toFixed(1)} s)`);
      }
    }
  } finally {
    for (const h of hosts) h.remove();
    client?.remove();
    cluster?.remove();
    fs.rmSync(home, { recursive: true, force: true });
  }

  const s = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} s` : '–');
  const x = (a: number, c: number) => (Number.isFinite(a / c) ? `${(a / c).toFixed(2)}×` : '–');
  console.log(`### Pull workers against SSH hosts: ${PACKAGES} packages, ${HOSTS} × ${PER_HOST}, ${SECONDS} s agents\n`);
  console.log(
    `The plan: levels of ${b.waves.join(', ')} packages; each package depends on two of the level before (three in the last); each agent (the scripted one, in the walls) sleeps ${SECONDS} s, then writes and commits its own file. ` +
      `Workers: a PostgreSQL on 127.0.0.1, a bare remote, ${HOSTS} \`waves worker --slots ${PER_HOST}\` each in its own clone, \`waves run --coordinator … --workers REMOTE --max-parallel ${CAP}\`. ` +
      `Hosts: ${HOSTS} sshd on 127.0.0.1, \`max_parallel: ${PER_HOST}\` each, \`waves run --hosts FILE --max-parallel ${CAP}\`. ` +
      `${os.cpus().length} cores, node ${process.version}; load before ${loadBefore}.` +
      (reaper ? '' : " (No python3 with prctl here: children's CPU is not measured.)") +
      '\n',
  );
  console.log(`Bound: the cap-wave bound Σ ⌈level / ${CAP}⌉ × ${SECONDS} s = **${s(b.capWave)}**.\n`);
  console.log('| run | on | wall | / bound | driver CPU (the process) | driver + its children, CPU | driver peak RSS | workers’ processes, CPU (alone; with theirs) | machine busy CPU | packages per worker / host | package start → merged p50 / p95 | load after |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|');
  results.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${r.side} | ${s(r.driver.wall)} | ${x(r.driver.wall, b.capWave)} | ${s(r.driver.own)} | ${s(r.driver.tree)} | ${r.driver.rss.toFixed(0)} MiB | ${r.side === 'workers' ? `${s(r.workersOwn)}; ${s(r.workersTree)}` : '–'} | ${s(r.machine)} | ${r.spread} | ${s(r.span[0])} / ${s(r.span[1])} | ${r.load} |`,
    ),
  );
  if (sides.length === 2) {
    const of = (side: Side, f: (r: Result) => number) => median(results.filter((r) => r.side === side).map(f));
    const rows: [string, (r: Result) => number][] = [
      ['wall', (r) => r.driver.wall],
      ['wall / cap-wave bound', (r) => r.driver.wall / b.capWave],
      ['driver CPU, the `waves run` process (user + sys)', (r) => r.driver.own],
      ['driver CPU, with every process it started', (r) => r.driver.tree],
      ['machine busy CPU over the run', (r) => r.machine],
    ];
    console.log(`\n${PAIRS > 1 ? `Medians over ${PAIRS} pairs` : 'Side by side'}:\n`);
    console.log('| figure | workers | hosts | workers / hosts |');
    console.log('|---|---:|---:|---:|');
    for (const [label, f] of rows) {
      const w = of('workers', f);
      const h = of('hosts', f);
      const fmt = label.includes('bound') ? (v: number) => x(v, 1) : s;
      console.log(`| ${label} | ${fmt(w)} | ${fmt(h)} | ${x(w, h)} |`);
    }
  }
  if (failures.length) {
    console.log(`\nRuns that did not succeed (not in the figures above):\n`);
    for (const f of failures) console.log(`- pair ${f.pair}, ${f.side}: ${f.why}`);
    process.exitCode = 1;
  }
  console.log(`\nThe bench took ${s((Date.now() - started) / 1000)}; load after ${loadavg()}.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
