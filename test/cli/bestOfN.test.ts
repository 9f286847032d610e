/**
 * Best of n (ADR 0031) on the command line, before anything starts: `waves run` refuses a set it
 * cannot run — a run-wide count above 8 or the cap, an agent it does not know, a pick it cannot
 * make — with the reason, exit 2 and no run state; `waves validate` says a malformed
 * `inputs.waves` value at its line; `waves pick` sends the person's pick to the run. The built
 * bin as a real process on a real repository.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRunner, gitEnv, waitFor } from '../engine/helpers';
import { engineFor, isolateGit, repoWithPlan, runToEnd } from '../engine/engineFixtures';
import { readRun } from '../../src/engine/run';
import { awaitingPick } from '../../src/core/run/candidates';
import type { RunState } from '../../src/core/run/runState';

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

  it('candidate_agents: [nope] — not a headless preset nor the package\'s own agent', () => {
    const plan = repo(['      waves:', '        candidates: 2', '        candidate_agents: [nope]']);
    const r = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /asks for candidates this run cannot start:\n {2}package wp-one: candidate agent "nope" is neither a headless preset \(claude-code, codex, .*\) nor the package's own agent \(custom\)\n/);
    nothingStarted(plan);
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

  it('a run awaiting the pick: a candidate that is not green is refused; the green one is recorded (--no-run) and the resume merges it', async () => {
    isolateGit();
    const runnerScript = await buildRunner();
    const { repo: dir, planFile } = repoWithPlan('cli-pick', [
      { id: 'a', candidates: { count: 2, pick: 'person' }, agent: ['if-tree a exit 4', 'if-tree a.c2 write a/x.txt from candidate 2'] },
    ]);
    const first = await engineFor(planFile, runnerScript, { maxParallel: 2 });
    void first.engine.run().catch(() => undefined);
    const state = () => (readRun(dir, 'cli-pick').kind === 'ok' ? (readRun(dir, 'cli-pick') as { state: RunState }).state : null);
    await waitFor(() => state() && awaitingPick(state()!.packages.a!), 'a to await the pick', 30_000);
    first.engine.dispose();

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
