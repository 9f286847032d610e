/**
 * Best of n (ADR 0031) on the command line, before anything starts: `waves run` refuses a set it
 * cannot run — a run-wide count above 8 or the cap, an agent it does not know, a pick it cannot
 * make — with the reason, exit 2 and no run state; `waves validate` says a malformed
 * `inputs.waves` value at its line; `waves pick` sends the person's pick to the run. The built
 * bin as a real process on a real repository.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRunner, gitEnv, waitFor } from '../engine/helpers';
import { engineFor, isolateGit, repoWithPlan, runToEnd } from '../engine/engineFixtures';
import { readRun } from '../../src/engine/run';
import { awaitingPick } from '../../src/core/run/candidates';
import type { RunState } from '../../src/core/run/runState';
import { integrationBranch } from '../../src/core/run/runPaths';
import { shellQuote } from '../../src/core/util/shellQuote';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-best-of-n-cli-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
const env: NodeJS.ProcessEnv = { ...gitEnv(home) };
delete env.WAVES_CANDIDATES;

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A repository holding one plan with one package whose `inputs:` are these lines (none: no inputs), committed. */
function repo(inputs: string[] = []): string {
  const folder = path.join(tmp, `case${++n}`);
  fs.mkdirSync(folder);
  const lines = ['schema_version: 1', 'feature:', '  id: best-of-n', 'packages:', '  - package_id: wp-one', '    title: One', '    scope:', '      write_allow: ["one/**"]'];
  if (inputs.length) lines.push('    inputs:', ...inputs);
  fs.writeFileSync(path.join(folder, 'work-packages.yaml'), lines.join('\n') + '\n');
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'plan']]) execFileSync('git', args, { cwd: folder, env });
  return path.join(folder, 'work-packages.yaml');
}

function waves(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp, env: { ...env, ...extraEnv }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Nothing was started: no run state, no worktree folder beside the repository. */
function nothingStarted(plan: string): void {
  const folder = path.dirname(plan);
  const runs = path.join(folder, '.waves', 'runs');
  assert.ok(!fs.existsSync(runs) || fs.readdirSync(runs).every((f) => f.endsWith('.lease')), 'no run state written');
  assert.ok(!fs.existsSync(`${folder}.worktrees`), 'no worktree made');
}

describe('waves run refuses a set of candidates it cannot start, nothing started', () => {
  it('--candidates 9: above 8', () => {
    const plan = repo();
    const r = waves(['run', '--agent-argv', AGENT, '--candidates', '9', plan]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^waves: .*work-packages\.yaml asks for candidates this run cannot start:\n {2}the run-wide count of candidates is 9: it must be a whole number from 1 to 8\n {2}nothing was started\n$/);
    nothingStarted(plan);
  });

  it('WAVES_CANDIDATES=9 as --candidates 9; a flag wins over it; a bad value is a usage error', () => {
    const plan = repo();
    assert.match(waves(['run', '--agent-argv', AGENT, plan], { WAVES_CANDIDATES: '9' }).err, /the run-wide count of candidates is 9/);
    const r = waves(['run', '--agent-argv', AGENT, '--candidates', '3', '--max-parallel', '2', plan], { WAVES_CANDIDATES: '9' });
    assert.equal(r.code, 2);
    assert.match(r.err, /package wp-one: 3 candidates, above the run's cap of 2 at once/);
    const bad = waves(['run', '--agent-argv', AGENT, plan], { WAVES_CANDIDATES: 'two' });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /WAVES_CANDIDATES must be a whole number ≥ 1, not "two"/);
    assert.match(waves(['run', '--agent-argv', AGENT, '--candidates', '0', plan]).err, /--candidates must be a whole number ≥ 1, not "0"/);
    nothingStarted(plan);
  });

  it('candidate_agents naming no agent: an error of the plan, at the item — a list of one as a list of two', () => {
    for (const [list, column] of [['[nope]', 28], ['[codex, nope]', 35]] as const) {
      const plan = repo(['      waves:', '        candidates: 2', `        candidate_agents: ${list}`]);
      const said = `work-packages.yaml:12:${column} error candidate-agent-unknown candidate agent \`nope\` is no agent Wave Orchestrator knows: a candidate runs a headless preset or custom, your own agent (claude-code, codex, gemini, aider, copilot, custom)`;
      const v = waves(['validate', plan]);
      assert.equal(v.code, 1, v.out + v.err);
      assert.ok(v.out.includes(said), v.out);
      const r = waves(['run', '--agent-argv', AGENT, plan]);
      assert.equal(r.code, 2, r.err);
      assert.ok(r.err.includes(said), r.err);
      nothingStarted(plan);
    }
    // One alone, with no count of its own: the same (a run-wide count would run it).
    const one = repo(['      waves: { candidate_agents: [nope] }']);
    assert.match(waves(['validate', one]).out, /work-packages\.yaml:10:\d+ error candidate-agent-unknown candidate agent `nope`/);
    const r = waves(['run', '--agent-argv', AGENT, one]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /error candidate-agent-unknown/);
    nothingStarted(one);
  });

  it("candidate_agents naming an interactive preset, not the package's own agent: refused at the start — a list of one as a list of two", () => {
    for (const list of ['[codex-interactive]', '[codex, codex-interactive]']) {
      const plan = repo([`      waves: { candidate_agents: ${list} }`]);
      assert.equal(waves(['validate', plan]).code, 0, 'a preset: the plan is valid');
      const r = waves(['run', '--agent-argv', AGENT, plan]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /asks for candidates this run cannot start:\n {2}package wp-one: candidate agent "codex-interactive" is neither a headless preset \(claude-code, codex, .*\) nor the package's own agent \(custom\)\n/, list);
      nothingStarted(plan);
    }
  });

  it('pick: person with nobody to ask (no terminal here) — refused', () => {
    const plan = repo(['      waves: { candidates: 2, pick: person }']);
    const r = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /package wp-one: pick: person needs somebody to pick, and this run has nobody to ask \(no terminal, or --json\)/);
    nothingStarted(plan);
  });

  it("SSH hosts: a set runs there, each candidate in a slot of a host; one above the hosts' slots together is refused", () => {
    const plan = repo(['      waves: { candidates: 3 }']);
    const hosts = path.join(path.dirname(plan), '..', `hosts-${n}.yaml`);
    fs.writeFileSync(hosts, JSON.stringify({ hosts: [{ name: 'here', max_parallel: 1 }, { name: 'h1', ssh: 'nobody@127.0.0.1', folder: '/tmp/waves-never-reached', max_parallel: 1 }] }));
    const r = waves(['run', '--agent-argv', AGENT, '--hosts', hosts, plan]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /package wp-one: 3 candidates, above the run's cap of 2 at once \(they run side by side, each in a slot of a host: raise the hosts' max_parallel or the cap, or ask for fewer\)/);
    assert.doesNotMatch(r.err, /this machine only/);
    nothingStarted(plan);
    // Two fit the two slots: the dry run shows the run it would start (the run itself: test/hosts/bestOfN.test.ts).
    fs.writeFileSync(plan, fs.readFileSync(plan, 'utf8').replace('candidates: 3', 'candidates: 2'));
    const dry = waves(['run', '--dry-run', '--agent-argv', AGENT, '--hosts', hosts, plan]);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /nothing is started or written/);
    nothingStarted(plan);
  });

  it("a candidate's agent program is checked as the others are", () => {
    // A PATH with git only: the codex preset's program cannot be found.
    const only = path.join(tmp, 'bin-git-only');
    fs.mkdirSync(only, { recursive: true });
    const git = execFileSync('which', ['git'], { encoding: 'utf8' }).trim();
    if (!fs.existsSync(path.join(only, 'git'))) fs.symlinkSync(git, path.join(only, 'git'));
    const plan = repo(['      waves: { candidate_agents: [codex, custom] }']);
    const r = waves(['run', '--unconfined', '--agent-argv', AGENT, plan], { PATH: only });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /the agent program .*codex.*\(the agent of a candidate of wp-one\)/);
    nothingStarted(plan);
  });

  it('--dry-run refuses the same', () => {
    const plan = repo();
    const r = waves(['run', '--dry-run', '--agent-argv', AGENT, '--candidates', '11', plan]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /the run-wide count of candidates is 11/);
    nothingStarted(plan);
  });
});

describe('waves validate says a malformed inputs.waves at its line', () => {
  it('its own set above the cap: candidates-over-cap at the value, exit 1; the run with that cap refuses it', () => {
    const plan = repo(['      waves:', '        candidates: 3']);
    assert.equal(waves(['validate', plan]).code, 0, 'within the default cap of 10');
    const r = waves(['validate', '--max-parallel', '2', plan]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /work-packages\.yaml:11:21 error candidates-over-cap 3 candidates, above the run's cap of 2 at once: they run side by side; raise the cap \(waves\.maxParallel, --max-parallel\) or ask for fewer/);
    const run = waves(['run', '--agent-argv', AGENT, '--max-parallel', '2', plan]);
    assert.equal(run.code, 2);
    assert.match(run.err, /error candidates-over-cap/);
    nothingStarted(plan);
  });

  it('candidates: 12 — an error candidates-value at line 12, exit 1', () => {
    const plan = repo(['      note: kept for the agent', '      waves:', '        candidates: 12']);
    const r = waves(['validate', plan]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /work-packages\.yaml:12:21 error candidates-value `inputs\.waves\.candidates` must be a whole number from 1 to 8; found `12`/);
    // And the run refuses the plan as it refuses any plan with errors.
    const run = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(run.code, 2);
    assert.match(run.err, /error candidates-value/);
    nothingStarted(plan);
  });
});

describe('waves pick (pick: person)', () => {
  it('takes a plan, a package and a candidate 1–8; a plan never run has nothing to pick', () => {
    const plan = repo(['      waves: { candidates: 2, pick: person }']);
    for (const args of [['pick', plan, 'wp-one'], ['pick', plan, 'wp-one', '9'], ['pick', plan, 'wp-one', 'two']]) {
      const r = waves(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /pick takes a plan file, a package id and a candidate number|the candidate is a number from 1 to 8/);
    }
    const never = waves(['pick', plan, 'wp-one', '2']);
    assert.equal(never.code, 2);
    assert.match(never.err, /best-of-n has no run: run the plan first/);
  });

  it('a run awaiting the pick: a candidate that is not green is refused; the green one is recorded (--no-run) and the resume merges it', { timeout: 180_000 }, async () => {
    isolateGit();
    const runnerScript = await buildRunner();
    const { repo: dir, planFile } = repoWithPlan('cli-pick', [
      { id: 'a', candidates: { count: 2, pick: 'person' }, agent: ['if-tree a exit 4', 'if-tree a.c2 write a/x.txt from candidate 2'] },
    ]);
    const first = await engineFor(planFile, runnerScript, { maxParallel: 2 });
    const running = first.engine.run().catch(() => undefined);
    const state = () => (readRun(dir, 'cli-pick').kind === 'ok' ? (readRun(dir, 'cli-pick') as { state: RunState }).state : null);
    await waitFor(() => state() && awaitingPick(state()!.packages.a!), 'a to await the pick', 30_000);
    first.engine.dispose();
    // Its lease let go before the resume takes the run (a first engine still ending would hold it).
    await Promise.race([running, new Promise((r) => setTimeout(r, 10_000))]);

    const wrong = waves(['pick', '--no-run', planFile, 'a', '1'], { HOME: process.env.HOME });
    assert.equal(wrong.code, 2, wrong.out);
    assert.match(wrong.err, /waves: candidate 1 of a is failed, not audited and verified green: only a green candidate can be picked/);
    const picked = waves(['pick', '--no-run', planFile, 'a', '2'], { HOME: process.env.HOME });
    assert.equal(picked.code, 0, picked.err);
    assert.match(picked.out, /^candidate 2 of a picked\nrecorded; to carry it out: waves run --resume /);

    const { outcome } = await runToEnd(planFile, runnerScript, { maxParallel: 2 }, { resume: true });
    assert.equal(outcome.state.packages.a!.status, 'succeeded', outcome.state.packages.a!.lastError ?? '');
    assert.deepEqual(outcome.state.packages.a!.chosen, { candidate: 2, why: 'your pick' });
  });
});

describe('a run awaiting the pick, said where the person looks; its driver killed, the pick recorded without a terminal and merged by the resume', () => {
  it('waves status (--json and text) and waves report say it with the command that picks; after kill -9 of the driver waves pick records it (exit 0) and says the command that merges it, which does', async () => {
    isolateGit();
    const { repo: dir, planFile } = repoWithPlan('pick-said', [
      { id: 'a', candidates: { count: 2, pick: 'person' }, agent: ['if-tree a write a/x.txt from candidate 1', 'if-tree a.c2 write a/x.txt from candidate 2'] },
    ]);
    const here = { HOME: process.env.HOME };
    const state = () => {
      const read = readRun(dir, 'pick-said');
      return read.kind === 'ok' ? read.state : null;
    };
    // The driver: `waves run` on a pseudo-terminal (util-linux script): somebody to pick.
    const command = [process.execPath, bin, 'run', '--agent-argv', AGENT, planFile].map(shellQuote).join(' ');
    const driver = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...env, ...here, COLUMNS: '100', LINES: '30' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let shown = '';
    driver.stdout.on('data', (d: Buffer) => (shown += d.toString()));
    driver.stderr.on('data', (d: Buffer) => (shown += d.toString()));
    const gone = new Promise<void>((resolve) => driver.on('close', () => resolve()));
    let pid = 0;
    try {
      await waitFor(() => state() && awaitingPick(state()!.packages.a!), `a to await the pick (the driver said: ${shown.slice(-2000)})`, 60_000);
      const line = `a awaits your pick: candidates 1 (custom), 2 (custom) passed audit and verification. Pick one: waves pick ${planFile} a 1 (or 2)`;

      // --json: the field on the package, each candidate green, and the problem with the command.
      const json = waves(['status', '--json', planFile], here);
      assert.equal(json.code, 0, json.err);
      const status = JSON.parse(json.out) as { owner: { pid: number; alive: boolean }; problems: string[]; packages: { id: string; status: string; awaitingPick: boolean; candidates: { candidate: number; green: boolean }[] }[] };
      const a = status.packages.find((p) => p.id === 'a')!;
      assert.deepEqual([a.status, a.awaitingPick, a.candidates.map((c) => [c.candidate, c.green])], ['running', true, [[1, true], [2, true]]]);
      assert.deepEqual(status.problems, [line]);
      assert.equal(status.owner.alive, true);
      pid = status.owner.pid;

      // The text: its row says it waits, a line says for what and how to pick; the header counts it as waiting.
      const text = waves(['status', planFile], here);
      assert.equal(text.code, 0, text.err);
      assert.match(text.out, /^wave 1\/1 · 0\/1 done · 1 awaiting your pick$/m);
      assert.match(text.out, /^a +1 +awaiting-pick +1 .* awaiting your pick: candidates 1 \(custom\), 2 \(custom\) passed audit and verification$/m);
      assert.ok(text.out.split('\n').includes(line), text.out);

      // The report is written at the run's end: until then, what it waits for is said.
      const report = waves(['report', planFile], here);
      assert.equal(report.code, 1);
      assert.match(report.err, /the run is still going/);
      assert.ok(report.err.includes(`waves: ${line}\n`), report.err);
    } finally {
      // The driver killed as a crash kills it: no clean-up, its lease left behind.
      if (pid) process.kill(pid, 'SIGKILL');
      else driver.kill('SIGKILL');
      await gone;
    }
    assert.match(waves(['status', planFile], here).out, /^driven by: nobody alive — the lease of pid \d+ .* is stale/m);

    // No terminal here: the pick is recorded, the command that merges it said, exit 0 — one outcome, one code.
    const picked = waves(['pick', '--agent-argv', AGENT, planFile, 'a', '2'], here);
    assert.equal(picked.code, 0, picked.out + picked.err);
    assert.equal(picked.err, '');
    const said = /^candidate 2 of a picked\nno process drives the run: to merge it, run (waves run --resume .*)\n$/.exec(picked.out);
    assert.ok(said, picked.out);
    assert.ok(awaitingPick(state()!.packages.a!), 'recorded, not carried out yet');

    // The command said, as said (without a terminal too: the pick is made, nobody is asked): it merges candidate 2.
    const resumed = spawnSync('sh', ['-c', `${shellQuote(process.execPath)} ${shellQuote(bin)} ${said[1]!.slice('waves '.length)}`], { cwd: tmp, encoding: 'utf8', env: { ...env, ...here }, timeout: 120_000 });
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    const end = state()!;
    assert.equal(end.packages.a!.status, 'succeeded', end.packages.a!.lastError ?? '');
    assert.deepEqual(end.packages.a!.chosen, { candidate: 2, why: 'your pick' });
    assert.equal(execFileSync('git', ['show', `${integrationBranch('pick-said')}:a/x.txt`], { cwd: dir, encoding: 'utf8' }), 'from candidate 2');
    assert.doesNotMatch(waves(['status', planFile], here).out, /awaiting-pick|awaits your pick/);
  });

  it('a resume without a terminal still refuses a person\'s pick nobody has made', () => {
    const plan = repo(['      waves: { candidates: 2, pick: person }']);
    const r = waves(['run', '--resume', '--agent-argv', AGENT, plan]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /package wp-one: pick: person needs somebody to pick, and this run has nobody to ask/);
    nothingStarted(plan);
  });
});
