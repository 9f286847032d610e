/**
 * The goals for plan analysis first, each with its figure, its goal and the load
 * average: `waves validate --json` of the generated 3,000-package plan with every field a real
 * plan has (median time and peak memory of a fresh process), growth to 30,000 packages, and —
 * when BENCH_REFERENCE_VALIDATOR names the reference Python validator (see performance.md) —
 * the ratio to it in the same run. BENCH_BASELINE_BIN=<another checkout>/bin/waves.js runs that
 * build interleaved with this one (before/after); `-- --without=heap-tuning` (or another start-up
 * mechanism, bench/variant.ts) a build of this checkout without it.
 *
 * Then `waves validate` end to end (a new Node process, bundle load, read, schema, checks, JSON
 * out) on generated plans of 100, 1,000 and 3,000 packages: three dependencies and one
 * write glob each ("compact"). Goal: 3,000 packages under one second. The "full" rows give
 * every package all the fields of a real plan (about 4× the YAML), to show how parse cost
 * grows with text size.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { analyzePlan } from '../src/core/plan/analyze';
import { jsYamlParse } from '../src/core/plan/reader/fastYaml';
import { scanPlan } from '../src/core/plan/reader/planScanner';
import { readPlan } from '../src/core/plan/reader/reader';
import { generatePlan } from './generate';
import { buildWithout, withoutArg } from './variant';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'waves.js');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-bench-'));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** How long `f` takes, in milliseconds, and what it returns. */
function timed<T>(f: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = f();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** A markdown section: heading, then a table. */
function printTable(heading: string, header: string, align: string, rows: string[]): void {
  console.log(`\n### ${heading}\n`);
  console.log(header);
  console.log(align);
  for (const r of rows) console.log(r);
}

interface Run {
  ms: number;
  rssMB: number;
}

/** One `waves validate --json` in a fresh process: its time and peak memory. */
function validateOnce(binPath: string, file: string): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(__dirname, 'rss.mjs'), binPath, 'validate', '--json', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`waves validate exited ${r.status}: ${r.stderr}`);
  const rss = /maxrss (\d+)\s*$/.exec(r.stderr);
  if (!rss) throw new Error(`no maxrss line in: ${r.stderr.slice(-500)}`);
  return { ms, rssMB: Number(rss[1]) / 1024 };
}

const load = () => os.loadavg()[0].toFixed(1);
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

{
  const goalRuns = Number(process.env.BENCH_GOAL_RUNS ?? 5);
  const baseline = process.env.BENCH_BASELINE_BIN;
  const without = withoutArg();
  const withoutDir = without ? buildWithout(without, { production: false }) : undefined;
  const file3k = path.join(dir, 'goal-3000-full.yaml');
  const file30k = path.join(dir, 'goal-30000-full.yaml');
  fs.writeFileSync(file3k, generatePlan(3000));
  fs.writeFileSync(file30k, generatePlan(30000));
  const builds: [string, string][] = [
    ['this build', bin],
    ...(withoutDir ? [[`without ${without}`, path.join(withoutDir, 'bin', 'waves.js')] as [string, string]] : []),
    ...(baseline ? [['baseline', baseline] as [string, string]] : []),
  ];
  const results = new Map<string, { k3: Run[]; k30: Run[] }>(builds.map(([name]) => [name, { k3: [], k30: [] }]));
  const loads: number[] = [];
  // What any Node start costs in this environment (NODE_EXTRA_CA_CERTS, say, is read at every
  // start): the floor under each figure, measured in the same rounds.
  const bareStarts: number[] = [];
  // Interleaved: each round runs every build once, so a change in load hits both alike.
  for (let i = 0; i < goalRuns; i++) {
    for (const [name, b] of builds) {
      results.get(name)!.k3.push(validateOnce(b, file3k));
      loads.push(os.loadavg()[0]);
    }
    bareStarts.push(timed(() => spawnSync(process.execPath, ['-e', '0'])).ms);
  }
  for (let i = 0; i < Math.max(1, Math.ceil(goalRuns / 2)); i++) {
    for (const [name, b] of builds) results.get(name)!.k30.push(validateOnce(b, file30k));
  }
  let reference: number | undefined;
  const ref = process.env.BENCH_REFERENCE_VALIDATOR;
  if (ref) {
    const t0 = process.hrtime.bigint();
    // Its own folder: it finds its schema from there (`openspec/schemas` above it).
    const r = spawnSync('python3', [ref, '--check-overlap', '--json', file3k], { cwd: path.dirname(ref), encoding: 'utf8', maxBuffer: 1 << 28 });
    reference = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`the reference validator exited ${r.status}: ${r.stderr.slice(-1000)}`);
  }
  const out: string[] = [];
  for (const [name] of builds) {
    const { k3, k30 } = results.get(name)!;
    const t3 = median(k3.map((r) => r.ms));
    const m3 = median(k3.map((r) => r.rssMB));
    const t30 = median(k30.map((r) => r.ms));
    const mark = (ok: boolean) => (ok ? 'met' : '**not met**');
    out.push(`| ${name} | 3,000 packages: time | ${fmtS(t3)} | ≤ 0.60 s | ${mark(t3 <= 600)} |`);
    out.push(`| ${name} | 3,000 packages: peak memory | ${m3.toFixed(0)} MB | ≤ 120 MB | ${mark(m3 <= 120)} |`);
    out.push(`| ${name} | 30,000 / 3,000 packages: time | ${(t30 / t3).toFixed(1)}× (${fmtS(t30)}) | ≤ 10× | ${mark(t30 / t3 <= 10)} |`);
    if (reference !== undefined) out.push(`| ${name} | reference validator / this | ${(reference / t3).toFixed(1)}× (${fmtS(reference)}) | ≥ 30× | ${mark(reference / t3 >= 30)} |`);
  }
  if (reference === undefined) out.push('| | reference validator | not run: set BENCH_REFERENCE_VALIDATOR | ≥ 30× | |');
  const certs = process.env.NODE_EXTRA_CA_CERTS ? ' (NODE_EXTRA_CA_CERTS is set: Node reads it at every start)' : '';
  out.push(`| | a bare Node start here, \`node -e 0\`${certs} | ${median(bareStarts).toFixed(0)} ms | | |`);
  const size = (fs.statSync(file3k).size / 1048576).toFixed(2);
  printTable(
    `Goals: waves validate --json, generated full plan (${size} MB at 3,000 packages), median of ${goalRuns} fresh processes${builds.length > 1 ? ', the builds interleaved' : ''}; load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (now ${load()})`,
    '| build | figure | measured | goal | |',
    '|---|---|---:|---:|---|',
    out,
  );
  if (withoutDir) fs.rmSync(withoutDir, { recursive: true, force: true });
}

const rows: string[] = [];
const cases = [
  ...[100, 1000, 3000].map((count) => ({ count, compact: true })),
  ...[1000, 3000].map((count) => ({ count, compact: false })),
];
for (const { count, compact } of cases) {
  const file = path.join(dir, `plan-${count}-${compact ? 'compact' : 'full'}.yaml`);
  fs.writeFileSync(file, generatePlan(count, { compact }));
  const times: number[] = [];
  let packages = 0;
  for (let i = 0; i < runs; i++) {
    const { ms, value: r } = timed(() =>
      spawnSync(process.execPath, [bin, 'validate', '--json', file], { encoding: 'utf8', maxBuffer: 1 << 28 }),
    );
    times.push(ms);
    if (r.status !== 0) throw new Error(`waves validate exited ${r.status}: ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    packages = JSON.parse(r.stdout).plans[0].packages.length;
  }
  if (packages !== count) throw new Error(`expected ${count} packages, got ${packages}`);
  const size = (fs.statSync(file).size / 1024).toFixed(0);
  rows.push(`| ${count} | ${compact ? 'compact' : 'full'} | ${size} KiB | ${median(times).toFixed(0)} ms | ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms |`);
}
fs.rmSync(dir, { recursive: true, force: true });
printTable(`waves validate, end to end (median of ${runs} runs)`, '| packages | fields | plan size | median | range |', '|---:|---|---:|---:|---:|', rows);

// Where the time goes, in one process: the parse alone by each YAML front end, the reader
// (for this size the direct read: the scanner straight into data, no parse and walk), the
// reader through the scanner's lean nodes and the walk, and the whole analysis, on the
// 3,000-package compact plan. "first" is a stage's first call (for the YAML parse, in a fresh process as the CLI runs it: code not yet optimised; the
// later stages reuse code the earlier ones warmed), "warm" the median of 5 later calls (as in
// the editor, re-analysing while the user types).
{
  const text = generatePlan(3000, { compact: true });
  const stages: [string, () => unknown][] = [
    ['YAML parse, `yaml` package (parseAllDocuments)', () => parseAllDocuments(text, { prettyErrors: false })],
    ['YAML parse, plan scanner into lean nodes (where the direct read gives up)', () => scanPlan(text)],
    ['YAML parse, js-yaml front end (events → lean nodes; where the scanner gives up)', () => jsYamlParse(text)],
    ['reader, direct read (the scanner into data, then the model)', () => readPlan(text)],
    ['reader, parse + walk (lean nodes, walked into data, then the model)', () => readPlan(text, { parser: 'fast' })],
    ['whole analysis (reader, schema, checks)', () => analyzePlan(text)],
  ];
  const out: string[] = [];
  for (const [name, f] of stages) {
    const first = timed(f).ms;
    const warm = median(Array.from({ length: 5 }, () => timed(f).ms));
    out.push(`| ${name} | ${first.toFixed(0)} ms | ${warm.toFixed(0)} ms |`);
  }
  printTable('In one process, 3,000 packages (compact)', '| stage | first | warm |', '|---|---:|---:|', out);
}

// A text built against the fast front ends: 2,000 collections nested one in another that all end
// on one line, then 20,000 comment lines. Each collection asks whether a comment line after it
// is indented into it; the lines are read once for all of them (they were read 2,000 times).
{
  const text = `${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} leaf\n${'# note\n'.repeat(20000)}z: 1\n`;
  const out: string[] = [];
  for (const [name, f] of [
    ['plan scanner', () => scanPlan(text)],
    ['js-yaml front end', () => jsYamlParse(text)],
  ] as const) {
    const warm = median(Array.from({ length: 3 }, () => timed(f).ms));
    out.push(`| ${name} | ${warm.toFixed(0)} ms |`);
  }
  printTable('Nested 2,000 deep, then 20,000 comment lines (median of 3)', '| front end | parse |', '|---|---:|', out);
}

// The editor re-analyses the unsaved text of a plan (debounced) as the user types: the warm
// cost of one analysis for plans of the sizes people write.
{
  const out: string[] = [];
  for (const count of [10, 100, 300]) {
    const text = generatePlan(count, { compact: false });
    for (let i = 0; i < 5; i++) analyzePlan(text);
    const times = Array.from({ length: 7 }, () => timed(() => analyzePlan(text)).ms);
    out.push(`| ${count} | ${(text.length / 1024).toFixed(0)} KiB | ${median(times).toFixed(1)} ms |`);
  }
  printTable('One analysis as the editor runs it (warm, full fields, median of 7)', '| packages | plan size | analysis |', '|---:|---:|---:|', out);
}
