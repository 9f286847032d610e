#!/usr/bin/env node
/**
 * Runs killed at random and resumed: a real repository of some thousands of files, a plan of 8
 * packages in four levels (the scripted test agent writes 20 files each, a verification command
 * each), `waves run` inside the walls, its whole process group killed at a random moment up to
 * `--kills` times (the engine and its git; the agents' runners live on), then resumed until it
 * ends. A trial passes when the run ends with every package merged, every package's files on the
 * integration branch and no package's tree left. Not a test (the moments are random): a tool that finds what a crash
 * leaves behind; each hole it found has a test of its own (test/engine/git/halfMade.test.ts,
 * stoppedLanding.test.ts, staleLocks.test.ts).
 *
 * Run: npm run build && npm run chaos [-- --trials=10 --kills=12 --files=4000 --seed=1 --guard]
 * (`--guard`: with the integration guard and an integration package; `--setup`: a set-up command
 * and a copy list in each new tree, at most 3 packages at once; `--layered`: the trees layered over
 * one shared checkout, ADR 0032.)
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const flag = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const TRIALS = flag('trials', 10);
const KILLS = flag('kills', 12);
const FILES = flag('files', 4000);
/** `--guard`: the integration guard on, with an integration package whose check runs on every new tip. */
const GUARD = process.argv.includes('--guard');
/** `--setup`: a set-up command in each new tree (writes 300 ignored files, as an install does), `--copy` of an ignored file, at most 3 at once. */
const SETUP = process.argv.includes('--setup');
/** `--layered`: `--layered-worktrees` (each tree a layer over one shared checkout of its base). */
const LAYERED = process.argv.includes('--layered');
const SETUP_SCRIPT = "const fs=require('fs');fs.mkdirSync('deps',{recursive:true});for(let i=0;i<300;i++)fs.writeFileSync('deps/d'+i+'.js','module.exports='+i);fs.writeFileSync('deps/done','')";
let seed = flag('seed', Date.now() % 100000);
/** A small seeded generator, so that a failing trial's moments can be tried again. */
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const bin = path.join(root, 'bin', 'waves.js');
const agent = JSON.stringify([process.execPath, path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}']);
const LEVELS = { a: [], b: [], c: [], d: ['a', 'b'], e: ['a', 'b'], f: ['c', 'd'], g: ['e'], h: ['f', 'g'] };

function plan() {
  const lines = ['schema_version: 1', 'feature:', '  id: chaos', '  title: Chaos', 'defaults:', '  retry_budget: 1', 'packages:'];
  for (const [id, deps] of Object.entries(LEVELS)) {
    lines.push(`  - package_id: ${id}`, `    title: Package ${id}`, `    depends_on: [${deps.join(', ')}]`, '    description: |');
    lines.push(`      test-agent: sleep ${100 + Math.floor(random() * 700)}`);
    for (let i = 1; i <= 20; i++) lines.push(`      test-agent: write ${id}/f${i}.txt content-${id}-${i}`);
    lines.push('      test-agent: commit', '    scope:', `      write_allow: ["${id}/**"]`);
    lines.push('    verification:', '      steps:', '        - name: ls', '          kind: command', `          command: "ls ${id}"`);
  }
  if (GUARD) {
    lines.push('  - package_id: int', '    title: Integration', '    task_type: integrate', `    depends_on: [${Object.keys(LEVELS).join(', ')}]`, '    description: |');
    lines.push('      test-agent: write tests/ok.txt ok', '      test-agent: commit', '    scope:', '      write_allow: ["tests/**"]');
    lines.push('    verification:', '      steps:', '        - name: readme', '          kind: command', '          command: "ls README.md"');
  }
  return lines.join('\n') + '\n';
}

function trial(n) {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), `waves-chaos-${n}-`));
  const repo = path.join(top, 'repo');
  const home = path.join(top, 'home');
  fs.mkdirSync(home);
  fs.mkdirSync(repo);
  const env = { ...process.env, HOME: home, WAVES_CONFIG_DIR: path.join(home, 'config'), GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const git = (...args) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), plan());
  fs.writeFileSync(path.join(repo, 'README.md'), '# chaos\n');
  if (SETUP) {
    fs.writeFileSync(path.join(repo, '.gitignore'), 'deps/\n.env\n');
    fs.writeFileSync(path.join(repo, '.env'), 'TOKEN=local\n');
  }
  for (let i = 0; i < FILES; i++) {
    fs.mkdirSync(path.join(repo, 'src', `m${i % 10}`), { recursive: true });
    fs.writeFileSync(path.join(repo, 'src', `m${i % 10}`, `f${i}.txt`), `x ${i}\n`);
  }
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  execFileSync(process.execPath, [bin, 'approve', '--yes', 'work-packages.yaml'], { cwd: repo, env, stdio: 'ignore' });
  return { top, repo, env, git };
}

async function run(t, resume, killAfterMs) {
  const child = spawn(process.execPath, [bin, 'run', '--agent-argv', agent, ...(resume ? ['--resume'] : []), ...(GUARD ? ['--integration-guard'] : []), ...(SETUP ? ['--setup-command', JSON.stringify([process.execPath, '-e', SETUP_SCRIPT]), '--copy', '.env', '--max-parallel', '3'] : []), ...(LAYERED ? ['--layered-worktrees'] : []), 'work-packages.yaml'], { cwd: t.repo, env: t.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const ended = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const timer =
    killAfterMs === null
      ? null
      : setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // Ended already.
          }
        }, killAfterMs);
  const code = await ended;
  if (timer) clearTimeout(timer);
  return { code, out };
}

let passed = 0;
for (let n = 1; n <= TRIALS; n++) {
  const startSeed = seed;
  const t = trial(n);
  let kills = 0;
  let last = { code: null, out: '' };
  for (let round = 0; round < KILLS + 3; round++) {
    const kill = round < KILLS ? 200 + Math.floor(random() * 1300) : null;
    last = await run(t, round > 0, kill);
    // Killed: resumed next round. Ended by itself (every package merged, or not): that is the trial's end.
    if (last.code === null) kills++;
    else break;
  }
  const missing = Object.keys(LEVELS).filter((id) => {
    try {
      t.git('cat-file', '-e', `waves/chaos/_integration:${id}/f20.txt`);
      return false;
    } catch {
      return true;
    }
  });
  // Every package's tree removed at the end: only the checkout and the integration tree stay.
  const left = t.git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ') && !l.endsWith('/_integration') && l !== `worktree ${t.repo}`);
  // Layered: a layered tree's record and its shared checkout go with it (none left once every tree is).
  const layers = path.join(t.repo, '.git', 'waves-layers');
  const layersLeft = LAYERED ? ['trees', 'bases'].flatMap((d) => (fs.existsSync(path.join(layers, d)) ? fs.readdirSync(path.join(layers, d)).filter((n) => !n.startsWith('.')) : [])) : [];
  const logs = LAYERED ? fs.readdirSync(path.join(t.repo, '.waves', 'runs'), { recursive: true }).filter((f) => String(f).endsWith('agent.log')) : [];
  const laidOnes = logs.filter((f) => /^waves: the worktree: layered over /m.test(fs.readFileSync(path.join(t.repo, '.waves', 'runs', String(f)), 'utf8'))).length;
  if (LAYERED && laidOnes === 0) layersLeft.push('(no agent ran in a layered tree)');
  const ok = last.code === 0 && missing.length === 0 && left.length === 0 && layersLeft.length === 0;
  if (ok) passed++;
  console.log(`trial ${n} (seed ${startSeed}): ${ok ? 'ended with every package merged' : 'FAILED'} after ${kills} kill(s)${ok ? '' : `; missing: ${missing.join(', ') || 'none'}; trees left: ${left.length}${LAYERED ? `; layers left: ${layersLeft.join(', ') || 'none'}` : ''}; kept in ${t.top}\n${last.out.split('\n').filter((l) => /failed|problem|violation/.test(l)).slice(0, 5).join('\n')}`}`);
  if (ok) fs.rmSync(t.top, { recursive: true, force: true });
}
console.log(`${passed} passed, ${TRIALS - passed} failed`);
process.exit(passed === TRIALS ? 0 : 1);
