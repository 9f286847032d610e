/**
 * A worktree's dependencies (ADR 0026): what it costs to give a tree the `node_modules` of the
 * person's checkout — laid as a copy-on-write overlay inside the walls, against a private copy
 * (`cp -a --reflink=auto`, copy-on-write only where the file system has it) — on this repository's
 * own `node_modules` (hundreds of packages). Time: the walls around `/bin/true` with the folder
 * laid against the same walls without it, interleaved, 15 pairs (p50, p95 of the difference);
 * the copy, 3 times. Disk: what each way adds per tree (`du` of the upper folder after an agent
 * read every file and changed one; of the copy).
 *
 * Run: npm run bench dependencies
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgs } from '../src/core/walls/walls';
import { bwrapUserArgs, overlayPrefix } from '../src/core/walls/dependencyFolders';
import { confinementAvailable } from '../src/engine/attempt/confinement';
import { overlayTools } from '../src/engine/attempt/wallsDeps';

const root = path.resolve(__dirname, '..');
const lower = path.join(root, 'node_modules');
const PAIRS = 15;

const here = confinementAvailable();
const tools = overlayTools();
if (!here.ok || !tools || !fs.existsSync(lower)) {
  console.log(`## Dependencies laid over a worktree\n\nnot measured: ${!here.ok ? here.why : !tools ? 'overlays cannot be mounted here' : 'no node_modules (npm install first)'}\n`);
  process.exit(0);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-deps-bench-'));
const tree = path.join(tmp, 'tree');
const target = path.join(tree, 'node_modules');
const upper = path.join(tmp, 'state', 'upper');
const work = path.join(tmp, 'state', 'work');
for (const d of [target, upper, work]) fs.mkdirSync(d, { recursive: true });

const kb = (p: string) => Number(spawnSync('du', ['-sk', p], { encoding: 'utf8' }).stdout.split('\t')[0]);
const files = Number(spawnSync('sh', ['-c', `find "${lower}" -type f | wc -l`], { encoding: 'utf8' }).stdout.trim());
const walls = (laid: boolean) => {
  const args = bwrapArgs({ worktree: tree, write: [], readBack: [tmp], hidden: [], network: null }, (p) => (fs.existsSync(p) ? 'dir' : null));
  const prefix = laid ? overlayPrefix(tools, [{ lower, upper, work, target }]) : [];
  return [...prefix, here.bwrap, ...(laid ? bwrapUserArgs(process.getuid!(), process.getgid!()) : []), ...args];
};
function time(argv: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.slice(-3).join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const check = ['--', '/bin/sh', '-c', `test -f "${target}/yaml/package.json"`];
time([...walls(true), ...check]);
const bare: number[] = [];
const laid: number[] = [];
const diff: number[] = [];
for (let i = 0; i < PAIRS; i++) {
  const a = time([...walls(false), '--', '/bin/true']);
  const b = time([...walls(true), ...check]);
  bare.push(a);
  laid.push(b);
  diff.push(b - a);
}
// An agent that reads every file and changes one: what the tree then holds of its own.
time([...walls(true), '--', '/bin/sh', '-c', `find "${target}" -type f -exec cat {} + > /dev/null && echo "// changed" >> "${target}/yaml/package.json"`]);
const upperKb = kb(upper);

const copies: number[] = [];
let copyKb = 0;
for (let i = 0; i < 3; i++) {
  const dest = path.join(tmp, `copy-${i}`);
  copies.push(time(['cp', '-a', '--reflink=auto', lower, dest]));
  copyKb = kb(dest);
  fs.rmSync(dest, { recursive: true, force: true });
}
const lowerKb = kb(lower);
fs.rmSync(tmp, { recursive: true, force: true });

const f = (n: number) => n.toFixed(0);
console.log(`## Dependencies laid over a worktree (ADR 0026)

The checkout's \`node_modules\`: ${(lowerKb / 1024).toFixed(0)} MiB in ${files} files.

| way | ready (ms, p50 / p95) | disk per tree |
|---|---|---|
| walls without the folder (\`/bin/true\`) | ${f(pct(bare, 50))} / ${f(pct(bare, 95))} | – |
| walls with the folder laid (overlay) | ${f(pct(laid, 50))} / ${f(pct(laid, 95))} (laying: +${f(pct(diff, 50))} / +${f(pct(diff, 95))}) | ${upperKb} KiB after one file changed (${((100 * upperKb) / lowerKb).toFixed(2)} %) |
| private copy (\`cp -a --reflink=auto\`) | ${f(pct(copies, 50))} (of 3) | ${(copyKb / 1024).toFixed(0)} MiB (${((100 * copyKb) / lowerKb).toFixed(0)} %) |
`);
