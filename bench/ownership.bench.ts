/**
 * Ownership: owner look-ups per second on a 1,000-package plan, the time to
 * answer one Explorer decoration request on a 100,000-file workspace (p95), and the time to
 * re-index after a plan edit. Goals: ≥ 1,000,000 look-ups/s, p95 ≤ 1 ms, re-index ≤ 50 ms.
 *
 * Run: npm run bench ownership
 */
import { performance } from 'node:perf_hooks';
import { analyzePlan } from '../src/core/plan/analyze';
import { OwnerIndex } from '../src/core/ownership/ownership';
import { LockIndex, pathFacts, pathState, type FileLock } from '../src/core/ownership/ownershipState';
import type { PackageStatus } from '../src/core/run/runState';
import { generatePlan } from './generate';

const PACKAGES = 1000;
const FILES = 100_000;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(values: Float64Array, p: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** 100,000 workspace paths: 90% under packages' folders (at several depths), the rest owned by nobody. */
function workspacePaths(): string[] {
  const paths: string[] = [];
  for (let i = 0; paths.length < FILES; i++) {
    const mod = i % PACKAGES;
    if (i % 10 === 9) paths.push(i % 20 === 9 ? `docs/guide/page${i}.md` : `test/unit/mod${mod}/case${i}.test.ts`);
    else if (i % 3 === 0) paths.push(`src/mod${mod}/file${i}.ts`);
    else paths.push(`src/mod${mod}/deep/er/component${i}/index${i}.tsx`);
  }
  return paths;
}

function main(): void {
  const text = generatePlan(PACKAGES, { compact: false });
  const analysis = analyzePlan(text);
  const paths = workspacePaths();

  // Re-index after an edit: the registry has the new analysis; build the index from it.
  const edited = analyzePlan(text.replace('src/mod500/**', 'src/mod500/**", "src/shared/**'));
  const reindex: number[] = [];
  new OwnerIndex(analysis); // first build compiles every glob once
  for (let r = 0; r < 15; r++) {
    const t = performance.now();
    new OwnerIndex(r % 2 ? analysis : edited);
    reindex.push(performance.now() - t);
  }
  const cold: number[] = [];
  for (let r = 0; r < 5; r++) {
    // globs never seen before (a renamed folder in every package): nothing is cached
    const fresh = analyzePlan(text.replaceAll('src/mod', `src/r${r}mod`));
    const t = performance.now();
    new OwnerIndex(fresh);
    cold.push(performance.now() - t);
  }

  // Owner look-ups per second.
  const index = new OwnerIndex(analysis);
  let owned = 0;
  for (const p of paths) if (index.lookup(p).owners.length > 0) owned++; // warm-up
  const rates: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    for (const p of paths) index.lookup(p);
    rates.push(paths.length / ((performance.now() - t) / 1000));
  }

  // One decoration request: look-up, run statuses, covering locks, state and tooltip.
  const statuses = new Map<string, PackageStatus>();
  for (let i = 0; i < 10; i++) statuses.set(`wp-${i * 97}`, 'running');
  const expires = new Date(Date.now() + 3_600_000).toISOString();
  const locks: FileLock[] = Array.from({ length: 50 }, (_, i) => ({
    key: `src/mod${i * 19}/index.ts`,
    kind: 'file',
    featureId: 'generated-1000',
    runId: 'r1',
    holder: `wp-${i * 19}`,
    acquiredAt: new Date().toISOString(),
    expiresAt: expires,
  }));
  const lockIndex = new LockIndex(locks, new Date());
  const formatTime = (iso: string) => iso.slice(11, 16);
  const answer = (p: string) =>
    pathState(pathFacts(index, index.lookup(p), (id) => statuses.get(id), lockIndex.covering(p)), { featureId: 'generated-1000', formatTime });
  for (let i = 0; i < 20_000; i++) answer(paths[i]); // warm-up
  const each = new Float64Array(paths.length);
  let decorated = 0;
  for (let i = 0; i < paths.length; i++) {
    const t = performance.now();
    if (answer(paths[i])) decorated++;
    each[i] = performance.now() - t;
  }

  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  console.log(`### Ownership: ${PACKAGES} packages (bench/generate.ts, full), ${FILES.toLocaleString('en')} paths\n`);
  console.log(`${index.sizes.write} write globs, ${index.sizes.read} read globs; ${owned.toLocaleString('en')} of the paths have an owner.\n`);
  console.log('| measure | result | goal |');
  console.log('|---|---:|---:|');
  console.log(`| owner look-up, median of 7 rounds over ${FILES.toLocaleString('en')} paths | ${Math.round(median(rates)).toLocaleString('en')} paths/s (range ${Math.round(Math.min(...rates)).toLocaleString('en')}–${Math.round(Math.max(...rates)).toLocaleString('en')}) | ≥ 1,000,000 paths/s |`);
  console.log(`| decoration answer (look-up + statuses + ${locks.length} locks + state and tooltip), p50 / p95 / p99 / max | ${fmt(percentile(each, 50) * 1000, 2)} / ${fmt(percentile(each, 95) * 1000, 2)} / ${fmt(percentile(each, 99) * 1000, 2)} / ${fmt(percentile(each, 100) * 1000, 0)} µs (${decorated.toLocaleString('en')} paths decorated) | p95 ≤ 1 ms |`);
  console.log(`| re-index after a plan edit (globs seen before), median of 15 | ${fmt(median(reindex))} ms (range ${fmt(Math.min(...reindex))}–${fmt(Math.max(...reindex))}) | ≤ 50 ms |`);
  console.log(`| re-index with every glob new (nothing cached), median of 5 | ${fmt(median(cold))} ms (range ${fmt(Math.min(...cold))}–${fmt(Math.max(...cold))}) | |`);
}

main();
