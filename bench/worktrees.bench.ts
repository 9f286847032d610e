/**
 * A large repository's worktrees at a run's start: a generated repository of 20,000 small files in
 * 400 folders (made once per bench run, committed and packed), and the time to make 1 tree and 40
 * trees at once through the engine's own `createWorktree`, as a run's start asks for them (its
 * checkouts one per core at once: repoTurns.ts), and 40 with no limit, each tree's time to
 * ready; then the same layered (`layered: true`, ADR 0032: one shared checkout of the base, each
 * tree its own changes over it), where overlays can be mounted. The trees and their branches are
 * removed (and the disk synced) between measurements; layered, through the engine's own removal,
 * which takes the shared checkout with the last tree. The goal: 40 trees ≤ 3× one.
 *
 * Run: npm run bench worktrees [-- --rounds=3 --dir=/some/folder --layered-only] (default: the OS
 * temp folder; the filesystem matters: file creation is most of a checkout; `--layered-only`: of
 * the checked-out trees only one, the measure the layered ones are compared with).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorktree, removeWorktreeIfSafe } from '../src/engine/git/worktrees';
import { overlayTools } from '../src/engine/attempt/wallsDeps';
import { setCheckoutsAtOnce } from '../src/engine/git/repoTurns';
import { gitHelperPid } from '../src/engine/git/gitProcess';
import { isolateGit } from '../test/engine/engineFixtures';

const flag = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROUNDS = Math.max(1, Number(flag('rounds') ?? 3) || 3);
const FOLDERS = 400;
const PER_FOLDER = 50;
const MANY = 40;
const LAYERED_ONLY = process.argv.includes('--layered-only');

isolateGit();
const top = fs.realpathSync(fs.mkdtempSync(path.join(flag('dir') ?? os.tmpdir(), 'waves-worktrees-bench-')));
const repo = path.join(top, 'repo');
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'gc.auto=0', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The repository: FOLDERS × PER_FOLDER small source files, one commit, packed as a cloned repository is. */
function makeRepo(): void {
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  for (let d = 0; d < FOLDERS; d++) {
    const dir = path.join(repo, 'src', `area${Math.floor(d / 20)}`, `mod${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_FOLDER; f++) fs.writeFileSync(path.join(dir, `file${f}.ts`), `export const value${d}_${f} = ${d * PER_FOLDER + f};\n// a line of its own\n`.repeat(1 + (f % 5)));
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'a large repository');
  git(repo, 'repack', '-a', '-d', '-q');
  git(repo, 'prune');
}

/**
 * The CPU time (user + system, s) of the git processes the engine's git helper ran and waited for
 * (its children's, from /proc); null where there is no /proc or no helper.
 */
function gitCpu(): number | null {
  const pid = gitHelperPid();
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return pid === null ? null : (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime in clock ticks (100/s)
  } catch {
    return null;
  }
}

let serial = 0;
/** Makes `count` trees at once through createWorktree (`layered`: ADR 0032): the wall time (ms), each tree's time to ready (ms, sorted) and git's CPU time (s). The trees and branches are removed after. */
async function makeTrees(count: number, layered = false): Promise<{ ms: number; ready: number[]; cpu: number | null }> {
  const names = Array.from({ length: count }, () => `t${serial++}`);
  const tree = (n: string) => path.join(top, 'trees', n);
  execFileSync('sync');
  const cpu0 = gitCpu();
  const t0 = performance.now();
  try {
    const ready = await Promise.all(names.map((n) => createWorktree({ repo, path: tree(n), branch: `waves/bench/${n}`, base: 'main', reason: 'waves bench', layered }).then(() => performance.now() - t0)));
    const ms = performance.now() - t0;
    const cpu1 = gitCpu();
    return { ms, ready: ready.sort((a, b) => a - b), cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
  } finally {
    // Layered: the engine's removal (its records, and the shared checkout with the last tree).
    if (layered) for (const n of names) await removeWorktreeIfSafe({ repo, worktree: tree(n), branch: `waves/bench/${n}`, mergedInto: 'main' }).catch(() => undefined);
    // The bench's own repository: what is left of its trees' folders, private folders and branches simply deleted.
    fs.rmSync(path.join(top, 'trees'), { recursive: true, force: true });
    fs.rmSync(path.join(repo, '.git', 'worktrees'), { recursive: true, force: true });
    const left = git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/waves/bench/').split('\n').filter(Boolean);
    if (left.length) git(repo, 'branch', '-q', '-D', ...left);
    execFileSync('sync');
  }
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const range = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;

async function main(): Promise<void> {
  const t0 = performance.now();
  makeRepo();
  const made = performance.now() - t0;
  const fsType = execFileSync('df', ['-PT', top], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/)[1] ?? '?';
  await makeTrees(1); // warm-up: the pack in the page cache, the git helper started
  const one: number[] = [];
  const many: number[] = [];
  const cpuOne: number[] = [];
  const cpuMany: number[] = [];
  const loads: number[] = [];
  // Each tree's time to ready, 40 asked at once: in turns of one per core (as the engine makes them), and all at once.
  const firstTurns: number[] = [];
  const midTurns: number[] = [];
  const firstAll: number[] = [];
  const midAll: number[] = [];
  const lastAll: number[] = [];
  const limit = setCheckoutsAtOnce(Infinity);
  setCheckoutsAtOnce(limit);
  for (let r = 0; r < ROUNDS; r++) {
    const a = await makeTrees(1);
    one.push(a.ms);
    if (a.cpu !== null) cpuOne.push(a.cpu);
    if (LAYERED_ONLY) continue;
    const b = await makeTrees(MANY);
    many.push(b.ms);
    firstTurns.push(b.ready[0]!);
    midTurns.push(p50(b.ready));
    if (b.cpu !== null) cpuMany.push(b.cpu);
    setCheckoutsAtOnce(Infinity);
    const c = await makeTrees(MANY);
    setCheckoutsAtOnce(limit);
    firstAll.push(c.ready[0]!);
    midAll.push(p50(c.ready));
    lastAll.push(c.ms);
    loads.push(os.loadavg()[0]!);
  }
  // Layered (ADR 0032): one tree (the shared checkout made for it), then 40 at once (one shared checkout for them all).
  const layeredOne: number[] = [];
  const layeredMany: number[] = [];
  const layeredFirst: number[] = [];
  const layeredMid: number[] = [];
  const canLay = overlayTools() !== null;
  if (canLay) {
    await makeTrees(1, true); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      layeredOne.push((await makeTrees(1, true)).ms);
      const m = await makeTrees(MANY, true);
      layeredMany.push(m.ms);
      layeredFirst.push(m.ready[0]!);
      layeredMid.push(p50(m.ready));
    }
  }
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const cpu = (xs: number[]) => (xs.length ? `${p50(xs).toFixed(1)} s` : '—');
  if (LAYERED_ONLY) console.log(`## Worktrees of a large repository: layered\n\nA repository of ${FOLDERS * PER_FOLDER} files, on ${fsType}; ${cores} cores; ${ROUNDS} rounds, p50 (range). 1 tree checked out: ${Math.round(p50(one))} ms (${range(one)}).\n`);
  else console.log(`## Worktrees of a large repository at a run's start

A repository of ${FOLDERS * PER_FOLDER} files in ${FOLDERS} folders (made and packed in ${(made / 1000).toFixed(1)} s), on ${fsType} (${top}); ${cores} cores, load ${loads.map((l) => l.toFixed(1)).join(' / ')}; ${ROUNDS} rounds, p50 (range). Through \`createWorktree\`, all asked at once.

| figure | wall | git's CPU (user + system) |
|---|---:|---:|
| 1 tree | ${Math.round(p50(one))} ms (${range(one)}) | ${cpu(cpuOne)} |
| ${MANY} trees at once | ${Math.round(p50(many))} ms (${range(many)}) | ${cpu(cpuMany)} |
| ${MANY} trees ÷ 1 tree (goal ≤ 3×) | ${(p50(many) / p50(one)).toFixed(1)}× | |

Each tree's time to ready, ${MANY} asked at once, p50 of the rounds (range):

| checkouts at once | first tree | median tree | last tree |
|---|---:|---:|---:|
| ${limit} (one per core, the engine's) | ${Math.round(p50(firstTurns))} ms (${range(firstTurns)}) | ${Math.round(p50(midTurns))} ms (${range(midTurns)}) | ${Math.round(p50(many))} ms (${range(many)}) |
| all ${MANY} | ${Math.round(p50(firstAll))} ms (${range(firstAll)}) | ${Math.round(p50(midAll))} ms (${range(midAll)}) | ${Math.round(p50(lastAll))} ms (${range(lastAll)}) |
`);
  if (!canLay) console.log('Layered worktrees: overlays cannot be mounted here (not measured).\n');
  else
    console.log(`Layered worktrees (\`layered: true\`; each measurement makes its shared checkout, and removes it with the last tree):

| figure | wall | first tree | median tree |
|---|---:|---:|---:|
| 1 tree | ${Math.round(p50(layeredOne))} ms (${range(layeredOne)}) | | |
| ${MANY} trees at once | ${Math.round(p50(layeredMany))} ms (${range(layeredMany)}) | ${Math.round(p50(layeredFirst))} ms (${range(layeredFirst)}) | ${Math.round(p50(layeredMid))} ms (${range(layeredMid)}) |
| ${MANY} layered ÷ 1 tree as checked out (goal ≤ 3×) | ${(p50(layeredMany) / p50(one)).toFixed(1)}× | | |
| ${MANY} layered ÷ 1 layered | ${(p50(layeredMany) / p50(layeredOne)).toFixed(1)}× | | |
`);
  fs.rmSync(top, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  fs.rmSync(top, { recursive: true, force: true });
  process.exit(1);
});
