/**
 * `waves plan` as a person runs it: the built bin in real processes, a real
 * temporary git repository, the scripted test agent as `--agent-argv` writing a plan with a
 * known defect and repairing it; then the proposal on its branch, the run gate, approve,
 * discard.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { leaseFile } from '../../src/core/run/runPaths';
import { Lease } from '../../src/engine/run/lease';
import { gitEnv, waitFor } from '../engine/helpers';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-plan-cli-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
const env = gitEnv(home);

function waves(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();
}
function repo(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), '# Shop\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

describe('waves plan', () => {
  it('--dry-run prints the planning prompt and creates nothing', () => {
    const dir = repo('dry');
    const r = waves(['plan', '--dry-run', 'Add', 'a', 'users', 'page'], dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^# waves plan --dry-run: session add-a-users-page, folder plans\/add-a-users-page\/, branch waves-plan\/add-a-users-page/);
    assert.match(r.out, /## Steps \(seed 002/);
    assert.equal(fs.existsSync(path.join(dir, '.waves')), false);
    assert.equal(git(dir, 'branch', '--list', 'waves-plan/*'), '');
  });

  it('writes, repairs and proposes a plan; run refuses it until approved; discard removes a second one', () => {
    const dir = repo('full');
    const description = path.join(tmp, 'feature.md');
    fs.writeFileSync(description, 'Users page\n\ntest-agent: plan overlap\n');
    const r = waves(['plan', '--agent-argv', AGENT, '--file', description], dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /round 1: the agent writes the plan…\nround 1 ended: 2 errors/);
    assert.match(r.out, /round 2: repair 1 of 3…\nround 2 ended: 0 errors/);
    assert.match(r.out, /work-packages\.yaml: valid — 4 packages in 3 waves/);
    assert.match(r.out, /approve: {10}waves plan --approve users-page/);
    const worktree = `${dir}.worktrees/_plans/users-page`;
    const planFile = path.join(worktree, 'plans', 'users-page', 'work-packages.yaml');
    assert.ok(fs.existsSync(planFile));
    assert.equal(git(dir, 'status', '--porcelain'), '');

    const refused = waves(['run', '--agent-argv', AGENT, planFile], dir);
    assert.equal(refused.code, 2, 'a refusal before anything starts (#36 item 5)');
    assert.match(refused.err, /the proposed plan users-page is not approved yet \(valid\): approve it first/);

    const approved = waves(['plan', '--approve', 'users-page'], dir);
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, new RegExp(`Approved users-page at [0-9a-f]{12}\\.\\nApproved on branch waves-plan/users-page\\. Run it: waves run ${planFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    const listed = waves(['plan', '--list'], dir);
    assert.match(listed.out, /^users-page {2}approved {2}plans\/users-page\/work-packages\.yaml {2}\(2 rounds\)$/m);

    const second = waves(['plan', '--agent-argv', AGENT, 'Another one\ntest-agent: plan none'], dir);
    assert.equal(second.code, 0, second.out + second.err);
    const discarded = waves(['plan', '--discard', 'another-one'], dir);
    assert.equal(discarded.code, 0, discarded.err);
    assert.match(discarded.out, /Discarded another-one: removed .*another-one and the branch waves-plan\/another-one/);
    assert.equal(git(dir, 'branch', '--list', 'waves-plan/another-one'), '');
  });

  it('Ctrl-C stops the planning agent (its runner cancels it) and ends the session as it stands', async () => {
    const dir = repo('interrupted');
    const child = spawn(process.execPath, [bin, 'plan', '--agent-argv', AGENT, 'Hanging\ntest-agent: hang'], { cwd: dir, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const round = path.join(dir, '.waves', 'plans', 'hanging', '1');
    const meta = await waitFor(() => {
      try {
        return JSON.parse(fs.readFileSync(path.join(round, 'meta.json'), 'utf8')) as { agentPid: number | null };
      } catch {
        return null;
      }
    }, 'the agent started', 30_000).then(() => waitFor(() => {
      const m = JSON.parse(fs.readFileSync(path.join(round, 'meta.json'), 'utf8')) as { agentPid: number | null };
      return m.agentPid ? m : null;
    }, 'the agent pid'));
    child.kill('SIGINT');
    assert.equal(await exited, 1, out + err);
    assert.match(err, /stopping the planning agent/);
    const exit = JSON.parse(fs.readFileSync(path.join(round, 'exit.json'), 'utf8')) as { cancelled: boolean };
    assert.equal(exit.cancelled, true);
    assert.throws(() => process.kill(meta.agentPid!, 0), 'the agent is gone');
    const state = JSON.parse(fs.readFileSync(path.join(dir, '.waves', 'plans', 'hanging', 'state.json'), 'utf8')) as { status: string; rounds: unknown[] };
    assert.deepEqual([state.status, state.rounds.length], ['interrupted', 1]);
  });

  it('a round stopped with Ctrl-C is interrupted, valid plan or not: approval refused until a revision round ends; --revise runs the session\'s own agent (#36 items 2, 3)', async () => {
    const dir = repo('stopped');
    const gate = path.join(tmp, 'stopped-gate');
    // The agent writes a valid plan, then waits at a gate the test opens only for the revision.
    const child = spawn(process.execPath, [bin, 'plan', '--agent-argv', AGENT, `Stopped plan\ntest-agent: plan none\ntest-agent: wait-for ${gate}`], { cwd: dir, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const planFile = path.join(`${dir}.worktrees`, '_plans', 'stopped-plan', 'plans', 'stopped-plan', 'work-packages.yaml');
    await waitFor(() => fs.existsSync(planFile), 'the agent wrote its plan', 30_000);
    child.kill('SIGINT');
    assert.equal(await exited, 1, out + err);
    assert.match(out, /round 1 ended: 0 errors; 0 warnings; the agent: /);
    assert.match(out, /its last round was stopped before the agent ended: it cannot be approved/);
    assert.doesNotMatch(out, /approve: {10}waves plan --approve/);
    const state = JSON.parse(fs.readFileSync(path.join(dir, '.waves', 'plans', 'stopped-plan', 'state.json'), 'utf8')) as { status: string; rounds: { interrupted: string }[] };
    assert.deepEqual([state.status, state.rounds[0]!.interrupted], ['interrupted', 'cancelled']);
    assert.match(waves(['plan', '--list'], dir).out, /^stopped-plan {2}interrupted /m);

    const approve = waves(['plan', '--approve', 'stopped-plan'], dir);
    assert.equal(approve.code, 2, approve.out + approve.err);
    assert.match(approve.err, /^waves: the last round of stopped-plan was stopped before its agent ended: what it wrote is kept, but only a complete round, checked after it ended, can be approved — request changes \(waves plan --revise stopped-plan/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, '.waves', 'plans', 'stopped-plan', 'state.json'), 'utf8')).approvedCommit, null);

    // The revision names no agent: the session's own (the scripted one, a custom argv) runs again — not Claude Code.
    fs.writeFileSync(gate, '');
    const revised = waves(['plan', '--revise', 'stopped-plan', 'add package wp-extra'], dir);
    assert.equal(revised.code, 0, revised.out + revised.err);
    assert.match(revised.out, /round 2: the agent revises the plan with your comments…\nround 2 ended: 0 errors/);
    assert.match(fs.readFileSync(planFile, 'utf8'), /package_id: wp-extra/);
    const approved = waves(['plan', '--approve', 'stopped-plan'], dir);
    assert.equal(approved.code, 0, approved.out + approved.err);

    // An approved session: the refusal says so, before any agent is looked for (no claude on this PATH), without the whole help.
    const noClaude = { ...env, PATH: path.dirname(process.execPath) + path.delimiter + '/usr/bin:/bin' };
    const again = spawnSync(process.execPath, [bin, 'plan', '--revise', 'stopped-plan', 'more'], { encoding: 'utf8', cwd: dir, env: noClaude });
    assert.equal(again.status, 2, again.stdout + again.stderr);
    assert.equal(again.stderr, 'waves: the plan stopped-plan is approved: it is not revised any more; plan the change anew (waves plan "…") or discard it first\n');
  });

  it('a session remembers a preset agent: --revise says when its program is not here, naming the session, and exits 2 without the help (#36 item 3)', () => {
    const dir = repo('remembered');
    const made = waves(['plan', '--agent-argv', AGENT, '--rounds', '0', 'Remembered\ntest-agent: plan unknown-dep'], dir);
    assert.equal(made.code, 1, made.out + made.err);
    const stateFile = path.join(dir, '.waves', 'plans', 'remembered', 'state.json');
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { agent: string; customAgent: { argv: string[] } | null };
    assert.deepEqual([state.agent, state.customAgent?.argv], ['custom', JSON.parse(AGENT)]);
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, agent: 'codex', customAgent: null }));
    const noCodex = { ...env, PATH: path.dirname(process.execPath) + path.delimiter + '/usr/bin:/bin' };
    const r = spawnSync(process.execPath, [bin, 'plan', '--revise', 'remembered', 'fix it'], { encoding: 'utf8', cwd: dir, env: noCodex });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, 'waves: the agent program "codex" was not found on PATH (the agent remembered was planned with): install it, or name another with --agent / --agent-argv\n');
    // Naming the agent for the revision is the way on; it is the session's agent from then on.
    const named = waves(['plan', '--revise', 'remembered', '--agent-argv', AGENT, 'fix it'], dir);
    assert.equal(named.code, 0, named.out + named.err);
    assert.deepEqual((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { customAgent: { argv: string[] } }).customAgent.argv, JSON.parse(AGENT));
    const none = waves(['plan', '--revise', 'nothing-here', 'x'], dir);
    assert.equal(none.code, 2);
    assert.match(none.err, /^waves: no planning session "nothing-here" in .* \(waves plan --list\)\n$/);
  });

  it('--round-minutes bounds a round: one out of time is interrupted and cannot be approved; a bad value is a usage error (#36 item 7)', () => {
    const dir = repo('slow');
    const r = waves(['plan', '--agent-argv', AGENT, '--round-minutes', '0.02', 'Slow plan\ntest-agent: plan none\ntest-agent: hang'], dir);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /round 1 ended: 0 errors; 0 warnings; the agent: [^\n]*tim/i);
    assert.doesNotMatch(r.out, /round 2/, 'a valid plan from a round out of time is not repaired: the person revises it');
    const state = JSON.parse(fs.readFileSync(path.join(dir, '.waves', 'plans', 'slow-plan', 'state.json'), 'utf8')) as { status: string; rounds: { interrupted: string }[] };
    assert.deepEqual([state.status, state.rounds[0]!.interrupted], ['interrupted', 'timed-out']);
    const approve = waves(['plan', '--approve', 'slow-plan'], dir);
    assert.equal(approve.code, 2);
    assert.match(approve.err, /the last round of slow-plan reached its time limit before its agent ended/);
    for (const bad of ['0', '-1', 'ten', '1e3', '20000']) {
      const u = waves(['plan', '--round-minutes', bad, '--dry-run', 'x'], dir);
      assert.equal(u.code, 2, bad);
      assert.match(u.err, new RegExp(`--round-minutes must be a number of minutes above 0 \\(at most a week, 10080\\), not "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    }
    assert.match(waves(['plan', '--help'], dir).out, /--round-minutes: how long one round's agent may take \(default 30;/);
  });

  /** A feature planned (with work for each package), approved and run to the end: every package merged on its integration branch. */
  function plannedAndRun(name: string): { dir: string; id: string; planFile: string; worktree: string } {
    const dir = repo(name);
    const id = `${name}-feature`;
    const planned = waves(['plan', '--agent-argv', AGENT, `${name} feature\ntest-agent: plan work`], dir);
    assert.equal(planned.code, 0, planned.out + planned.err);
    assert.equal(waves(['plan', '--approve', id], dir).code, 0);
    const worktree = `${dir}.worktrees/_plans/${id}`;
    const planFile = path.join(worktree, 'plans', id, 'work-packages.yaml');
    const ran = waves(['run', '--agent-argv', AGENT, planFile], dir);
    assert.equal(ran.code, 0, ran.out + ran.err);
    assert.match(ran.out, /every package succeeded; merged into waves\/planned-feature\//);
    return { dir, id, planFile, worktree };
  }

  it('a planned feature is finished onto the person\'s branch — its plan, contracts and merged work — from either checkout, with the same safety (#36 item 1)', () => {
    const { dir, id, planFile, worktree } = plannedAndRun('finished');
    const before = git(dir, 'rev-parse', 'main');
    // The person's checkout has a change: refused, nothing moves (as any finish).
    fs.writeFileSync(path.join(dir, 'README.md'), '# Shop, edited\n');
    const dirty = waves(['finish', '--yes', planFile], dir);
    assert.equal(dirty.code, 1, dirty.out + dirty.err);
    assert.match(dirty.out, new RegExp(`no fast-forward: main is checked out in ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} with uncommitted changes \\(README\\.md\\)`));
    assert.equal(git(dir, 'rev-parse', 'main'), before);
    git(dir, 'checkout', '--', 'README.md');

    // Offered from the planning worktree, as from anywhere: the target is the person's branch, not waves-plan/<id>.
    const offered = waves(['finish', planFile], worktree);
    assert.equal(offered.code, 0, offered.out + offered.err);
    assert.match(offered.out, /holds 4 of 4 packages/);
    assert.match(offered.out, /commits not on main:/);
    assert.match(offered.out, /main is checked out in .* with a clean tree: git merge --ff-only waves\/planned-feature\//);
    assert.doesNotMatch(offered.out, /waves-plan\//);

    const done = waves(['finish', '--yes', planFile], dir);
    assert.equal(done.code, 0, done.out + done.err);
    assert.match(done.out, /^main fast-forwarded to [0-9a-f]{12}$/m);
    assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'main');
    assert.equal(git(dir, 'status', '--porcelain'), '');
    for (const f of [`plans/${id}/work-packages.yaml`, `plans/${id}/proposal.md`, `plans/${id}/contracts/openapi/v1.yaml`, 'src/contracts/types.ts', 'src/api/users.ts', 'src/web/users.ts', 'tests/users.test.ts']) {
      assert.ok(fs.existsSync(path.join(dir, f)), `${f} is on the person's branch`);
    }
    assert.equal(git(dir, 'merge-base', '--is-ancestor', before, 'main'), '', 'a fast-forward: nothing of the person\'s lost');
    const again = waves(['finish', planFile], worktree);
    assert.equal(again.code, 0, again.out + again.err);
    assert.match(again.out, /main is already at waves\/planned-feature\//);
  });

  it('discarding a plan that ran removes its run\'s worktrees and waves/<feature>/* branches too — never a change of yours (#36 item 6)', () => {
    const { dir, id, worktree } = plannedAndRun('dropped');
    const runTrees = `${worktree}.worktrees`;
    const branches = () => git(dir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/waves/').split('\n').filter(Boolean);
    assert.ok(branches().includes('waves/planned-feature/_integration'), branches().join());
    const integration = path.join(runTrees, 'planned-feature', '_integration');
    assert.ok(fs.existsSync(integration), 'the run left its integration worktree');

    // A live driver of the plan's run (a lease, as a running `waves run` holds it): refused, nothing removed.
    const lease = Lease.claim(leaseFile(worktree, 'planned-feature'));
    try {
      const driven = waves(['plan', '--discard', id], dir);
      assert.equal(driven.code, 2, driven.out + driven.err);
      assert.match(driven.err, /^waves: the plan's run of planned-feature is going \(pid \d+ on [^)]+\): let it end, or cancel it/);
      assert.ok(fs.existsSync(integration));
    } finally {
      lease.release();
    }

    // A file of the person's in the run's integration worktree: refused, naming it; nothing removed.
    fs.writeFileSync(path.join(integration, 'notes.txt'), 'mine\n');
    const refused = waves(['plan', '--discard', id], dir);
    assert.equal(refused.code, 2, refused.out + refused.err);
    assert.match(refused.err, /^waves: the run of dropped-feature has uncommitted changes in .*_integration \(1 file\(s\)\); commit or remove them first — nothing is discarded\n$/);
    assert.ok(fs.existsSync(worktree) && fs.existsSync(integration));
    assert.ok(branches().length > 0);
    assert.match(git(dir, 'rev-parse', '--verify', `refs/heads/waves-plan/${id}`), /^[0-9a-f]{40}$/);
    fs.rmSync(path.join(integration, 'notes.txt'));

    const tips = Object.fromEntries(branches().map((b) => [b, git(dir, 'rev-parse', b)]));
    const discarded = waves(['plan', '--discard', id], dir);
    assert.equal(discarded.code, 0, discarded.out + discarded.err);
    assert.match(discarded.out, /the run of feature planned-feature: removed \d+ worktrees? and the branch(es)? waves\/planned-feature\/_integration \([0-9a-f]{12}\)/);
    assert.deepEqual(branches(), [], 'no waves/<feature>/* branch left');
    assert.equal(git(dir, 'branch', '--list', 'waves-plan/*'), '');
    assert.equal(fs.existsSync(runTrees), false, `${runTrees} is gone`);
    assert.equal(fs.existsSync(worktree), false);
    assert.deepEqual(git(dir, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')), [`worktree ${dir}`]);
    // Every branch can be brought back: the state keeps each one's last commit.
    const state = JSON.parse(fs.readFileSync(path.join(dir, '.waves', 'plans', id, 'state.json'), 'utf8')) as { status: string; discardedRunBranches: Record<string, string> };
    assert.equal(state.status, 'discarded');
    assert.deepEqual(state.discardedRunBranches, tips);
  });

  it('a planning agent that leaves a FIFO as the plan: refused, never read, and `waves plan` ends by itself (#32)', () => {
    const dir = repo('fifo');
    // The planning folder is tracked already, so `git clean` leaves a FIFO in it: git never sees one.
    fs.mkdirSync(path.join(dir, 'plans', 'fifo-plan'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'plans', 'fifo-plan', 'notes.md'), 'notes\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'notes');
    const r = spawnSync(process.execPath, [bin, 'plan', '--agent-argv', AGENT, '--rounds', '0', 'Fifo plan\n\ntest-agent: fifo plans/fifo-plan/work-packages.yaml'], { encoding: 'utf8', cwd: dir, env, timeout: 60_000 });
    assert.equal(r.signal, null, 'waves plan returned by itself (it was not killed after 60 s)');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /round 1 ended: 1 error; 0 warnings; refused [^\n]*plans\/fifo-plan\/work-packages\.yaml \(not a regular file \(it is a FIFO\): refused, never read/);
    assert.match(r.stdout, /work-packages\.yaml: missing — the agent wrote no plan/);
  });

  it('stops at --rounds with the problems and exit 1; usage errors exit 2', () => {
    const dir = repo('stubborn');
    const r = waves(['plan', '--agent-argv', AGENT, '--rounds', '1', 'Stubborn\ntest-agent: plan-stubborn unknown-dep'], dir);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /round 2: repair 1 of 1…/);
    assert.doesNotMatch(r.out, /round 3/);
    assert.match(r.out, /work-packages\.yaml:\d+:\d+ error dependency-unknown/);
    assert.match(r.out, /it has errors: it cannot be approved/);
    const notValid = waves(['plan', '--approve', 'stubborn'], dir);
    assert.equal(notValid.code, 2, 'a refusal: nothing changed');
    assert.match(notValid.err, /^waves: the plan stubborn is invalid: only a valid plan can be approved\n$/);
    assert.equal(waves(['plan'], dir).code, 2);
    assert.equal(waves(['plan', '--approve', 'a', '--discard', 'b'], dir).code, 2);
    assert.equal(waves(['plan', '--out', '../x', '--dry-run', 'x'], dir).code, 2);
    // The agent and the walls' switch are their rows of the run's options: waves run's parsing and messages.
    const usage: [string[], RegExp][] = [
      [['--agent', 'nonesuch', 'x'], /^waves: --agent: unknown agent preset "nonesuch" \(presets: claude-code, /],
      [['--agent', 'codex', '--agent-argv', AGENT, 'x'], /^waves: --agent and --agent-argv do not go together\n/],
      [['--agent-argv', '[]', 'x'], /^waves: --agent-argv needs a program: the array is empty or its first string is\n/],
      [['--unconfined=1', 'x'], /^waves: --unconfined takes no value\n/],
      [['--agent-fallback', 'codex', 'x'], /^waves: unknown option --agent-fallback\n/],
    ];
    for (const [args, message] of usage) {
      const r = waves(['plan', ...args], dir);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, message);
    }
    assert.equal(waves(['plan', '--unconfined', '--dry-run', 'x'], dir).code, 0);
    const outside = waves(['plan', '--dry-run', 'x'], tmp);
    assert.equal(outside.code, 2);
    assert.match(outside.err, /inside a git repository/);
  });

  it('--from completes a plan waves convert wrote: the draft is round 0, the agent completes it, the proposal waits for approval; usage and refusals exit 2', () => {
    const dir = repo('from-draft');
    fs.mkdirSync(path.join(dir, 'specs', '001'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'specs', '001', 'tasks.md'),
      '# Tasks: Photo albums\n\n## Phase 1: Setup\n\n- [ ] T001 Create the layout in src/albums/index.ts\n\n## Phase 2: Albums\n\n' +
        '- [ ] T002 [P] Add the album model in src/albums/model.ts\n- [ ] T003 [P] Add the list view in src/albums/model.ts and src/albums/list.ts\n',
    );
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'tasks');
    const converted = waves(['convert', 'specs/001/tasks.md'], dir);
    assert.equal(converted.code, 1, 'the draft has the overlap of T002 and T003');
    const draft = fs.readFileSync(path.join(dir, 'specs', '001', 'work-packages.yaml'), 'utf8');
    // What the completing agent writes: T003's guessed model.ts settled as its own folder, every task kept.
    const lines = draft.split('\n');
    const at = lines.findIndex((l, i) => i > lines.findIndex((x) => x.includes('package_id: t003')) && l.includes('- "src/albums/model.ts"'));
    lines[at] = '        - "src/albums/views/**"';
    const fixed = path.join(tmp, 'completed.yaml');
    fs.writeFileSync(fixed, lines.join('\n'));

    assert.equal(waves(['plan', '--from', 'specs/001/work-packages.yaml', 'and', 'words'], dir).code, 2);
    assert.equal(waves(['plan', '--from', 'specs/001/work-packages.yaml', '--approve', 'x'], dir).code, 2);
    const outside = waves(['plan', '--from', fixed, '--dry-run'], dir);
    assert.equal(outside.code, 2);
    assert.match(outside.err, /^waves: the draft .*completed\.yaml is outside the repository /);
    const dry = waves(['plan', '--from', 'specs/001/work-packages.yaml', '--dry-run'], dir);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^# waves plan --dry-run: session photo-albums, folder plans\/photo-albums\//);
    assert.match(dry.out, /^# Complete the plan `photo-albums` from its draft$/m);
    assert.equal(fs.existsSync(path.join(dir, '.waves')), false);

    const r = spawnSync(process.execPath, [bin, 'plan', '--agent-argv', AGENT, '--rounds', '1', '--from', 'specs/001/work-packages.yaml'], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...env, WAVES_TEST_AGENT: `copy ${fixed} plans/photo-albums/work-packages.yaml` },
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /round 0: the draft and its task list into the planning folder…\nround 0 ended: 2 errors/);
    assert.match(r.stdout, /round 1: the agent completes the draft…\nround 1 ended: 0 errors/);
    assert.match(r.stdout, /work-packages\.yaml: valid — 3 packages/);
    const listed = waves(['plan', '--list'], dir);
    assert.match(listed.out, /^photo-albums {2}valid {2}plans\/photo-albums\/work-packages\.yaml {2}\(1 round, from the draft specs\/001\/work-packages\.yaml\)$/m);
    const planFile = path.join(`${dir}.worktrees`, '_plans', 'photo-albums', 'plans', 'photo-albums', 'work-packages.yaml');
    const refused = waves(['run', '--agent-argv', AGENT, planFile], dir);
    assert.equal(refused.code, 2, 'nothing runs before approval');
    assert.match(refused.err, /the proposed plan photo-albums is not approved yet \(valid\)/);
    assert.equal(git(dir, 'branch', '--list', 'waves/*'), '');
  });
});
