/**
 * What the walls cost an agent (ADR 0019): the runner started on an attempt whose agent is
 * `/bin/true`, with and without walls, interleaved, 20 pairs — the wall time from the runner's
 * start to its exit (bubblewrap, the relay's Node start, the proxy's socket), p50 and p95 of each
 * and of their difference; and the peak memory of the runner (which holds the proxy) with and
 * without walls, from getrusage (bench/rss.mjs). The relay inside the walls is a process of its
 * own: its memory is the second figure.
 *
 * Run: npm run bench walls
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confinementAvailable } from '../src/engine/attempt/confinement';

const root = path.resolve(__dirname, '..');
const runner = path.join(root, 'dist', 'runner.js');
const rss = path.join(root, 'bench', 'rss.mjs');
const PAIRS = 20;

const here = confinementAvailable();
if (!here.ok) {
  console.log(`## Walls\n\nnot measured: ${here.why}\n`);
  process.exit(0);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-walls-bench-'));
const tree = path.join(tmp, 'tree');
fs.mkdirSync(tree);

/** One runner on a fresh attempt: its wall time (ms) and peak RSS (KiB). */
function once(walled: boolean, n: number, argv: string[]): { ms: number; kib: number } {
  const dir = path.join(tmp, `a-${walled ? 'w' : 'o'}-${n}`);
  fs.mkdirSync(dir);
  const token = `tok-${walled ? 'w' : 'o'}-${n}`;
  const spec = { version: 1, argv, cwd: tree, env: {}, interactive: false, stdinFile: null, timeoutMs: 60_000, graceMs: 1000, startToken: token, verdict: 'none', ...(walled ? { walls: { bwrap: here.ok ? here.bwrap : '' } } : {}) };
  fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [rss, runner, dir, token], { encoding: 'utf8', env: { ...process.env, WAVES_SANDBOX_READ: tmp } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const exit = JSON.parse(fs.readFileSync(path.join(dir, 'exit.json'), 'utf8')) as { code: number | null; reason: string };
  if (exit.code !== 0) throw new Error(`the agent did not exit 0 (${walled ? 'walls' : 'none'}): ${exit.reason}\n${r.stderr}`);
  const kib = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ms, kib };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const trueArgv = ['/bin/true'];
const without: number[] = [];
const within: number[] = [];
const diff: number[] = [];
const rssWithout: number[] = [];
const rssWithin: number[] = [];
once(true, -1, trueArgv); // warm-up (page cache, bubblewrap)
once(false, -1, trueArgv);
for (let i = 0; i < PAIRS; i++) {
  const a = once(false, i, trueArgv);
  const b = once(true, i, trueArgv);
  without.push(a.ms);
  within.push(b.ms);
  diff.push(b.ms - a.ms);
  rssWithout.push(a.kib);
  rssWithin.push(b.kib);
}
// The relay's own memory: the agent inside the walls reads it from /proc (its parent is the relay).
// (written into its attempt folder, which the walls let it write)
const hwm = path.join(tmp, 'a-w-1000', 'relay-hwm.txt');
once(true, 1000, ['/bin/sh', '-c', 'grep VmHWM /proc/$PPID/status > "$0"', hwm]);
const relayKib = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(hwm, 'utf8'))?.[1] ?? NaN);

const f = (x: number) => x.toFixed(0);
console.log(`## Walls: what confinement adds to one agent's start

${PAIRS} interleaved pairs, the agent \`/bin/true\`, the runner (dist/runner.js) from its start to its exit.

| figure | without walls | inside walls | added |
|---|---|---|---|
| runner start → exit, p50 | ${f(pct(without, 50))} ms | ${f(pct(within, 50))} ms | ${f(pct(diff, 50))} ms |
| runner start → exit, p95 | ${f(pct(without, 95))} ms | ${f(pct(within, 95))} ms | ${f(pct(diff, 95))} ms |
| runner peak memory (holds the proxy), p50 | ${f(pct(rssWithout, 50) / 1024)} MiB | ${f(pct(rssWithin, 50) / 1024)} MiB | ${f((pct(rssWithin, 50) - pct(rssWithout, 50)) / 1024)} MiB |
| the relay inside the walls (a process of its own), peak | — | ${f(relayKib / 1024)} MiB | ${f(relayKib / 1024)} MiB |
`);
fs.rmSync(tmp, { recursive: true, force: true });
