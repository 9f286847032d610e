/**
 * The shared coordinator (ADR 0012) on a real PostgreSQL (a throwaway cluster on 127.0.0.1):
 * the latency of one all-or-nothing acquire + release (one transaction each, under the
 * repository's advisory lock) with 1, 4 and 16 drivers contending for one repository's table,
 * with N live locks of other runs in it; the registry read the editor does every 3 s; and what a
 * `waves run` costs while a package of it waits 10 s for its locks on a coordinator that is away
 * (pg_ctl stop): the driver's CPU and the lines it prints.
 *
 * Run: npm run bench coordinator
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { acquireLocks, releaseLocks } from '../src/core/run/lockTable';
import { PgCoordinator } from '../src/engine/coordinator/pgCoordinator';
import { startCluster, type Cluster } from '../test/coordinator/postgres';
import { repoWithPlan } from '../test/engine/engineFixtures';
import { gitEnv, REPO_ROOT, SCRIPTED_AGENT, spawnProcess, tempDir, waitFor } from '../test/engine/helpers';

const ROUNDS = 200;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** The CPU time (ms) a process has used so far, from /proc. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** `waves run --coordinator` whose package waits 10 s for its locks while the coordinator is away: the driver's CPU and lines. */
async function waitingOnAbsentCoordinator(cluster: Cluster): Promise<string> {
  // Agents run inside walls with a private /tmp: the gate lives where they may read it.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-bench-'));
  fs.chmodSync(tmp, 0o755);
  process.env.TMPDIR = tmp;
  process.env.WAVES_SANDBOX_READ = tmp;
  const gate = path.join(tempDir('waves-gate-'), 'go');
  const { repo } = repoWithPlan('bench-away', [
    { id: 'p1', lockFiles: ['src/x/**'], agent: [`wait-for ${gate}`, 'write p1/out.txt', 'commit'] },
    { id: 'p2', deps: ['p1'], lockFiles: ['src/x/**'], agent: ['write p2/out.txt', 'commit'] },
  ]);
  const agent = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}']);
  const run = spawnProcess([process.execPath, path.join(REPO_ROOT, 'bin', 'waves.js'), 'run', '--agent-argv', agent, '--coordinator', cluster.url, 'work-packages.yaml'], {
    cwd: repo,
    env: gitEnv(tempDir('waves-home-')),
  });
  try {
    await waitFor(() => /p1 running/.test(run.stdout()), 'p1 running', 60_000);
    cluster.stop();
    fs.writeFileSync(gate, 'go');
    await waitFor(() => /p2 waits for its locks/.test(run.stdout()), 'p2 waiting', 60_000);
    const lines0 = run.stdout().split('\n').length;
    const cpu0 = cpuMs(run.child.pid!);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const cpu = cpuMs(run.child.pid!) - cpu0;
    const wall = performance.now() - t0;
    const lines = run.stdout().split('\n').length - lines0;
    cluster.start();
    const exit = await run.exited;
    if (exit.code !== 0) throw new Error(`the run did not succeed once the coordinator was back:\n${run.stdout()}${run.stderr()}`);
    return `A package waiting ${(wall / 1000).toFixed(0)} s for its locks on a coordinator that is away: the driver used ${((cpu / wall) * 100).toFixed(1)} % of a core and printed ${lines} line${lines === 1 ? '' : 's'}.`;
  } finally {
    run.child.kill();
    await run.exited;
  }
}

async function main(): Promise<void> {
  const cluster = await startCluster(path.resolve(__dirname, '..'));
  const rows: string[] = [];
  try {
    for (const held of [0, 200]) {
      for (const drivers of [1, 4, 16]) {
        const key = `git:bench-${held}-${drivers}`;
        const setup = await PgCoordinator.open(cluster.url, key);
        // Other runs' live locks in the table, disjoint from what the drivers ask for.
        await setup.updateLocks((t) => {
          let table = t;
          for (let i = 0; i < held; i++) {
            const r = acquireLocks(table, { featureId: `other-${i}`, holder: 'wp', runId: 'r', files: [`held/${i}/**`], keys: [] }, new Date());
            if (r.ok) table = r.table;
          }
          return table;
        });
        await setup.close();
        const coordinators = await Promise.all(Array.from({ length: drivers }, () => PgCoordinator.open(cluster.url, key)));
        const times: number[] = [];
        const started = performance.now();
        await Promise.all(
          coordinators.map(async (c, d) => {
            for (let i = 0; i < ROUNDS / drivers; i++) {
              const t0 = performance.now();
              for (;;) {
                let ok = false;
                await c.updateLocks((t) => {
                  const r = acquireLocks(t, { featureId: `f${d}`, holder: 'wp', runId: 'r', files: ['src/shared/**'], keys: [] }, new Date());
                  ok = r.ok;
                  return r.ok ? r.table : t;
                });
                if (ok) break;
              }
              times.push(performance.now() - t0);
              await c.updateLocks((t) => releaseLocks(t, { featureId: `f${d}`, holder: 'wp' }));
            }
          }),
        );
        const wall = (performance.now() - started) / 1000;
        rows.push(`| ${drivers} | ${held} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${(times.length / wall).toFixed(0)} |`);
        await Promise.all(coordinators.map((c) => c.close()));
      }
    }
    const reader = await PgCoordinator.open(cluster.url, 'git:bench-200-16');
    const reads: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await Promise.all([reader.listRuns(), reader.locks()]);
      reads.push(performance.now() - t0);
    }
    await reader.close();
    console.log('## Shared coordinator (PostgreSQL on 127.0.0.1)\n');
    console.log('Acquire = wait for the lock (overlapping for every driver) + one transaction; then a release.\n');
    console.log('| drivers contending | other live locks | acquire p50 ms | acquire p95 ms | acquires/s |');
    console.log('|---|---|---|---|---|');
    for (const row of rows) console.log(row);
    console.log(`\nRegistry + lock rows read (the editor, every 3 s), 200 locks: p50 ${percentile(reads, 50).toFixed(1)} ms, p95 ${percentile(reads, 95).toFixed(1)} ms.`);
    console.log(`\n${await waitingOnAbsentCoordinator(cluster)}`);
  } finally {
    cluster.remove();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
