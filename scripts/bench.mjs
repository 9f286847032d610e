#!/usr/bin/env node
// `npm run bench`: builds, then runs every bench/*.bench.ts (or those named) and prints
// their markdown tables; also writes them to bench/results/latest.md. Arguments that start with
// `--` (`npm run bench engine -- --makespan-only`) are passed on to each bench run; `activation`
// and `validate` take `--without=<mechanism>` (a build without a start-up mechanism beside this
// one: bench/variant.ts, ADR 0029).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const files = fs
  .readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
const sections = [`Benchmarks, ${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`];
let failed = false;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', f), ...flags], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout + '\n');
  sections.push(r.stdout);
  if (r.status !== 0) {
    failed = true;
    console.error(`bench ${f} failed (exit ${r.status})`);
  }
}
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results', 'latest.md'), sections.join('\n'));
process.exit(failed ? 1 : 0);
