/**
 * Plan analysis size: is analysis linear in the plan's size?
 *
 * 1. One analysis (`analyzePlan`: reader, schema, checks) of generated plans with every field
 *    a real plan has (`generatePlan(n, { every: true })`, about 1.8 KB a package: 3,000
 *    packages are 5.4 MB, 30,000 are 54 MB), each in a fresh Node process (a 30,000-package
 *    analysis left in the heap would slow the next), median of BENCH_SIZE_RUNS (default 3).
 *    The goal: 30,000 packages take at most 10× the time of 3,000.
 * 2. Plans that used to be quadratic (a big cycle, unknown ids everywhere, a `depends_on` of
 *    every package, an error in every package, a chain of packages all writing `src/**`),
 *    3,000 and 30,000 packages, same method.
 * 3. The editor: what a large plan costs the extension host's thread, analysed there and in the
 *    worker thread (src/plan/analysisPool.ts): the longest the host's event loop waited
 *    (perf_hooks' event-loop delay), and from the request to the analysis kept.
 * BENCH_SIZE_PART=analysis or host runs one part alone. Timing only: no figure is asserted here
 * (tests check the results, not the time).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { analyzePlan } from '../src/core/plan/analyze';
import { AnalysisPool } from '../src/plan/analysisPool';
import { generatePlan } from './generate';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_SIZE_RUNS ?? 3);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function printTable(heading: string, header: string, align: string, rows: string[]): void {
  console.log(`\n### ${heading}\n`);
  console.log(header);
  console.log(align);
  for (const r of rows) console.log(r);
}

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

/** Child mode: analyse one file, print `{ms, packages, diagnostics, heapMB}`. */
if (process.argv[2] === '--one') {
  const text = fs.readFileSync(process.argv[3], 'utf8');
  const t0 = process.hrtime.bigint();
  const analysis = analyzePlan(text);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const heapMB = process.memoryUsage().heapUsed / 1_048_576;
  console.log(JSON.stringify({ ms, packages: analysis.plan.packages.length, diagnostics: analysis.diagnostics.length, heapMB }));
  process.exit(0);
}

interface One {
  ms: number;
  packages: number;
  diagnostics: number;
  heapMB: number;
}

/** Median analysis time of a plan text, each run in a fresh process. */
function analyseFresh(dir: string, name: string, text: string): One & { size: number } {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  const results: One[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--one', file], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`analysis of ${name} failed (${r.status}): ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as One);
  }
  fs.rmSync(file);
  const ms = median(results.map((r) => r.ms));
  return { ...results[0], ms, heapMB: median(results.map((r) => r.heapMB)), size: Buffer.byteLength(text) };
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-size-bench-'));
const head = 'schema_version: 1\nfeature:\n  id: size-bench\npackages:\n';
const pathological: [string, (n: number) => string][] = [
  ['one cycle through every package', (n) => head + Array.from({ length: n }, (_, i) => `  - package_id: p${i}\n    depends_on: [p${(i + 1) % n}]\n`).join('')],
  ['every package names an unknown id', (n) => head + Array.from({ length: n }, (_, i) => `  - package_id: p${i}\n    depends_on: [q${i}]\n`).join('')],
  ['one package depends on every other', (n) => head + Array.from({ length: n }, (_, i) => `  - package_id: p${i}\n`).join('') + `  - package_id: last\n    depends_on: [${Array.from({ length: n }, (_, i) => `p${i}`).join(', ')}]\n`],
  ['a lock key without a namespace in every package', (n) => head + Array.from({ length: n }, (_, i) => `  - package_id: p${i}\n    locks:\n      keys: [key${i}]\n`).join('')],
  ['a chain of packages all writing src/**', (n) => head + Array.from({ length: n }, (_, i) => `  - package_id: p${i}\n    depends_on: [${i ? `p${i - 1}` : ''}]\n    scope:\n      write_allow: ["src/**"]\n`).join('')],
];

const part = process.env.BENCH_SIZE_PART ?? 'all'; // 'analysis' or 'host': one part alone
if (part !== 'host') try {
  console.log(`\nPlan analysis size: load average ${load()} (1 / 5 / 15 min), ${os.cpus().length} cores, node ${process.version}`);
  const rows: string[] = [];
  const every = [3000, 30000].map((n) => ({ n, ...analyseFresh(dir, `every-${n}`, generatePlan(n, { every: true })) }));
  for (const r of every) rows.push(`| ${r.n.toLocaleString('en')} | ${mb(r.size)} | ${r.ms.toFixed(0)} ms | ${r.heapMB.toFixed(0)} MB | ${r.diagnostics} |`);
  const ratio = every[1].ms / every[0].ms;
  printTable(
    `One analysis, every field, fresh process (median of ${runs}); 30,000 / 3,000 = ${ratio.toFixed(1)}× (goal ≤ 10×)`,
    '| packages | plan size | analysis | heap after | diagnostics |',
    '|---:|---:|---:|---:|---:|',
    rows,
  );

  const worst: string[] = [];
  for (const [name, make] of pathological) {
    const [small, large] = [3000, 30000].map((n) => analyseFresh(dir, `${name.replace(/\W+/g, '-')}-${n}`, make(n)));
    worst.push(`| ${name} | ${small.ms.toFixed(0)} ms | ${large.ms.toFixed(0)} ms | ${(large.ms / small.ms).toFixed(1)}× | ${large.diagnostics} |`);
  }
  printTable(
    `Plans that were quadratic, 3,000 and 30,000 packages (median of ${runs}, fresh process)`,
    '| plan | 3,000 | 30,000 | ratio | diagnostics at 30,000 |',
    '|---|---:|---:|---:|---:|',
    worst,
  );
  console.log(`\nload average after: ${load()}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

// 3. The editor's side: the host thread while a plan is analysed here or in the worker thread.
async function hostThread(): Promise<void> {
  const script = path.join(root, 'dist', 'planWorker.js');
  if (!fs.existsSync(script)) throw new Error('dist/planWorker.js is missing: npm run bench builds it');
  const pool = new AnalysisPool(script);
  const rows: string[] = [];
  try {
    await pool.analyze(generatePlan(10, { compact: false }), 10); // the worker started and warmed
    for (const n of [100, 400, 1500, 7500]) {
      const text = generatePlan(n, { compact: false });
      for (let i = 0; i < 3; i++) analyzePlan(text); // warm, as the host is after a few edits
      const here: number[] = [];
      const there: number[] = [];
      const blockedHere: number[] = [];
      const blockedThere: number[] = [];
      for (let i = 0; i < 5; i++) {
        const h = monitorEventLoopDelay({ resolution: 1 });
        h.enable();
        await new Promise((r) => setTimeout(r, 20)); // the histogram's first samples, before the work
        let t0 = performance.now();
        await new Promise<void>((resolve) => setImmediate(() => (analyzePlan(text, { maxParallel: 10 }), resolve())));
        here.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
        h.disable();
        blockedHere.push(h.max / 1e6);
        const w = monitorEventLoopDelay({ resolution: 1 });
        w.enable();
        await new Promise((r) => setTimeout(r, 20));
        t0 = performance.now();
        await pool.analyze(text, 10);
        there.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
        w.disable();
        blockedThere.push(w.max / 1e6);
      }
      rows.push(
        `| ${n.toLocaleString('en')} | ${mb(Buffer.byteLength(text))} | ${median(here).toFixed(0)} ms | ${median(blockedHere).toFixed(0)} ms | ${median(there).toFixed(0)} ms | ${median(blockedThere).toFixed(0)} ms |`,
      );
    }
  } finally {
    pool.dispose();
  }
  printTable(
    `The extension host's thread, warm, full fields (median of 5; load average ${load()})`,
    '| packages | plan size | on the host: analysis | longest host block | in the worker: request → kept | longest host block |',
    '|---:|---:|---:|---:|---:|---:|',
    rows,
  );
}

if (part !== 'analysis') void hostThread().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
