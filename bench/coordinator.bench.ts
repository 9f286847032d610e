/**
 * The shared coordinator (ADR 0012) on a real PostgreSQL (a throwaway cluster on 127.0.0.1):
 * the latency of one all-or-nothing acquire + release (one transaction each, under the
 * repository's advisory lock) with 1, 4 and 16 drivers contending for one repository's table,
 * with N live locks of other runs in it; and the registry read the editor does every 3 s.
 *
 * Run: npm run bench coordinator
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { acquireLocks, releaseLocks } from '../src/core/run/lockTable';
import { PgCoordinator } from '../src/engine/coordinator/pgCoordinator';
import { startCluster } from '../test/coordinator/postgres';

const ROUNDS = 200;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
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
  } finally {
    cluster.remove();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
