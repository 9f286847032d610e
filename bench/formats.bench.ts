/**
 * Reading task lists of other tools (src/core/formats): a generated Taskmaster `tasks.json` of
 * 2,000 tasks (each with two sub-tasks, up to three dependencies and paths in its text) and a
 * generated spec-kit `tasks.md` of 1,000 tasks (ten phases, runs of `[P]` tasks, explicit
 * "depends on" in some). Median of BENCH_RUNS (default 5) runs each:
 *  - read: `readForeignPlan` in this process (text in, plan model and diagnostics out);
 *  - + convert + check: that, then the `work-packages.yaml` written and read back by analyzePlan;
 *  - `waves validate`: the built bin in a fresh process (read, convert, check, report), its
 *    time and peak memory (`npm run build` first; `npm run bench formats` builds).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertToWorkPackages } from '../src/core/formats/convert';
import { readForeignPlan } from '../src/core/formats/foreignPlan';
import { analyzePlan } from '../src/core/plan/analyze';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'waves.js');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-bench-formats-'));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed<T>(f: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = f();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/**
 * A deterministic pseudo-random source: an LCG mod 2^31 in exact 32-bit arithmetic (`Math.imul`;
 * `s * 1103515245` in doubles passes 2^53 and loses the low bits, which made `rand(4)` almost
 * always 0: the generated tasks had 8 dependencies in all, not up to three each), its high bits
 * scaled to [0, n) (an LCG's low bits have short periods).
 */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return Math.floor((s / 2147483648) * n);
  };
}

function taskmaster(count: number): string {
  const rand = random(11);
  const tasks = Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    const on = [...new Set(Array.from({ length: rand(4) }, () => 1 + rand(Math.max(1, i))).filter((d) => d < id))];
    return {
      id,
      title: `Implement module ${id} in src/modules/m${id}.ts`,
      description: `Add the handler for feature ${id}; wire it in src/app/routes${rand(40)}.ts and test it.`,
      details: `Write src/modules/m${id}.ts and tests/m${id}.test.ts. Keep the public API of src/modules/index.ts.`,
      testStrategy: `Unit tests in tests/m${id}.test.ts`,
      priority: ['high', 'medium', 'low'][rand(3)],
      status: rand(5) === 0 ? 'done' : 'pending',
      dependencies: on,
      subtasks: [
        { id: 1, title: `Types for module ${id}`, description: 'Declare the types.', dependencies: [], status: 'pending' },
        { id: 2, title: `Handler for module ${id}`, description: 'Write the handler.', dependencies: [1], status: 'pending' },
      ],
    };
  });
  return JSON.stringify({ master: { tasks, metadata: { created: '2026-01-01T00:00:00.000Z', description: 'Generated for the bench' } } }, null, 2);
}

function specKit(count: number): string {
  const rand = random(23);
  const lines = ['# Tasks: Generated feature', '', '**Input**: Design documents from `/specs/001-generated/`', ''];
  const phases = 10;
  let id = 0;
  for (let p = 1; p <= phases; p++) {
    const story = p > 2 && p < phases;
    lines.push(`## Phase ${p}: ${story ? `User Story ${p - 2} - Feature ${p} (Priority: P${p - 2})` : p === 1 ? 'Setup' : 'Polish'}`, '');
    for (let k = 0; k < count / phases; k++) {
      id++;
      const tid = `T${String(id).padStart(3, '0')}`;
      const par = rand(3) !== 0 ? ' [P]' : '';
      const us = story ? ` [US${p - 2}]` : '';
      const dep = id > 5 && rand(6) === 0 ? ` (depends on T${String(id - 1 - rand(4)).padStart(3, '0')})` : '';
      lines.push(`- [${rand(6) === 0 ? 'x' : ' '}] ${tid}${par}${us} Create the model for item ${id} in src/models/item_${id}.py${dep}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

interface Row {
  name: string;
  tasks: number;
  sizeMB: number;
  readMs: number;
  readHeapMB: number;
  convertMs: number;
  validateMs: number;
  validateRssMB: number;
}

function measure(name: string, fileName: string, text: string, tasks: number): Row {
  const file = path.join(dir, fileName);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  const read: number[] = [];
  const heap: number[] = [];
  const convert: number[] = [];
  for (let i = 0; i < runs; i++) {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const r = timed(() => readForeignPlan(fileName, text));
    heap.push((process.memoryUsage().heapUsed - before) / 1024 / 1024);
    read.push(r.ms);
    if (r.value.plan.packages.length < tasks / 4) throw new Error(`${name}: only ${r.value.plan.packages.length} packages read`);
    convert.push(timed(() => analyzePlan(convertToWorkPackages(readForeignPlan(fileName, text)))).ms);
  }
  const validate: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [path.join(__dirname, 'rss.mjs'), bin, 'validate', '--json', '--no-coupling', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    validate.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0 && r.status !== 1) throw new Error(`waves validate exited ${r.status}: ${r.stderr}`);
    const m = /maxrss (\d+)\s*$/.exec(r.stderr);
    if (!m) throw new Error(`no maxrss line in: ${r.stderr.slice(-500)}`);
    rss.push(Number(m[1]) / 1024);
  }
  return {
    name,
    tasks,
    sizeMB: Buffer.byteLength(text) / 1024 / 1024,
    readMs: median(read),
    readHeapMB: median(heap),
    convertMs: median(convert),
    validateMs: median(validate),
    validateRssMB: median(rss),
  };
}

const rows = [
  measure('Taskmaster tasks.json', '.taskmaster/tasks/tasks.json', taskmaster(2000), 2000),
  measure('spec-kit tasks.md', 'specs/001-generated/tasks.md', specKit(1000), 1000),
];
console.log(`\n### Reading task lists of other tools (median of ${runs} runs, load ${os.loadavg()[0].toFixed(1)})\n`);
console.log('| source | tasks | size | read (in process) | heap after read | read + convert + check | `waves validate` (fresh process) | its peak RSS |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.tasks.toLocaleString('en')} | ${r.sizeMB.toFixed(2)} MB | ${r.readMs.toFixed(0)} ms | ${r.readHeapMB.toFixed(1)} MB | ${r.convertMs.toFixed(0)} ms | ${r.validateMs.toFixed(0)} ms | ${r.validateRssMB.toFixed(0)} MB |`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
