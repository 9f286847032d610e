/**
 * One contender of the lock race test (a real process): `rounds` times, takes its globs in the
 * coordinator (all or nothing, retrying while another holds an overlapping one), then enters a
 * mutex file with O_EXCL — finding it there means two processes held overlapping locks at once,
 * written to `<mutex>.violations` — leaves it and releases.
 *   node --import tsx lock-hammer.ts '<json: {url, repoKey, featureId, holder, files, rounds, mutex}>'
 * Prints `{"acquired": N, "waited": M}`.
 */
import fs from 'node:fs';
import { acquireLocks, releaseLocks } from '../../src/core/run/lockTable';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2]!) as { url: string; repoKey: string; featureId: string; holder: string; files: string[]; rounds: number; mutex: string };
  const coordinator = await PgCoordinator.open(c.url, c.repoKey);
  let acquired = 0;
  let waited = 0;
  try {
    for (let round = 0; round < c.rounds; round++) {
      for (;;) {
        let ok = false;
        await coordinator.updateLocks((table) => {
          const r = acquireLocks(table, { featureId: c.featureId, runId: 'race', holder: c.holder, files: c.files, keys: [] }, new Date());
          ok = r.ok;
          return r.ok ? r.table : table;
        });
        if (ok) break;
        waited++;
        await new Promise((r) => setTimeout(r, Math.random() * 3));
      }
      acquired++;
      try {
        fs.closeSync(fs.openSync(c.mutex, 'wx'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        fs.appendFileSync(`${c.mutex}.violations`, `${c.featureId}/${c.holder} round ${round} found it held\n`);
      }
      await new Promise((r) => setImmediate(r));
      fs.rmSync(c.mutex, { force: true });
      await coordinator.updateLocks((table) => releaseLocks(table, { featureId: c.featureId, holder: c.holder }));
    }
  } finally {
    await coordinator.close();
  }
  process.stdout.write(JSON.stringify({ acquired, waited }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
