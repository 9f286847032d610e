/**
 * Verification `command` steps (`src/engine/attempt/verification.ts`; approvals: `src/engine/consent/approvalStore.ts`) with real shells: approvals keyed by
 * plan file + SHA-256 of the exact ordered list, refusal before anything runs, each command
 * announced before it runs, output in verify-<n>.log, per-step results.
 *
 * Run: node --import tsx --test test/engine/attempt/verify.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { verifyLogFile } from '../../../src/core/run/runPaths.js';
import { approvalsFileOf, approve, commandsHash, isApproved, VerificationNotApprovedError } from '../../../src/engine/consent/approvalStore.js';
import { runVerification, shellFor, type CommandStep } from '../../../src/engine/attempt/verification.js';
import { confinementAvailable } from '../../../src/engine/attempt/confinement.js';
import { RunnerPool } from '../../../src/engine/attempt/runnerPool.js';
import type { PooledCommand } from '../../../src/engine/attempt/wallsRun.js';
import { buildRunner, tempDir, waitFor } from '../helpers.js';
import { assertWalledResults, plantBashrc, WALLED_STEPS } from './walledSteps.js';

function setup() {
  const repo = tempDir('waves-verify-');
  const cwd = path.join(repo, 'tree');
  const attempt = path.join(repo, '.waves', 'runs', 'f', 'r1', 'a', '1');
  fs.mkdirSync(cwd, { recursive: true });
  fs.mkdirSync(attempt, { recursive: true });
  // The person's approvals folder: outside the repository.
  return { repo, cwd, attempt, approvals: tempDir('waves-approvals-'), plan: path.join(repo, 'plans', 'work-packages.yaml') };
}

describe('approvals', () => {
  it('bound to the plan file (its real path) and the hash of the exact ordered list, in the person\'s folder', async () => {
    const s = setup();
    const cmds = ['npm test', 'npm run lint'];
    assert.equal(isApproved(s.plan, cmds, s.approvals), false);
    await approve(s.plan, cmds, new Date('2026-01-02T03:04:05Z'), s.approvals);
    assert.equal(isApproved(s.plan, cmds, s.approvals), true);
    assert.equal(isApproved(path.relative(process.cwd(), s.plan), cmds, s.approvals), true, 'relative and absolute name the same plan');
    assert.equal(isApproved(s.plan, [...cmds].reverse(), s.approvals), false, 'order matters');
    assert.equal(isApproved(s.plan, ['npm test', 'npm run lint '], s.approvals), false, 'any edit asks again');
    assert.equal(isApproved(path.join(s.repo, 'other.yaml'), cmds, s.approvals), false, 'another plan is not approved');
    const file = JSON.parse(fs.readFileSync(approvalsFileOf(s.plan, s.approvals), 'utf8'));
    assert.deepEqual(file, { version: 2, planFile: path.resolve(s.plan), lists: [{ hash: commandsHash(cmds), commands: cmds, approvedAt: '2026-01-02T03:04:05.000Z' }] });
    assert.equal(path.dirname(approvalsFileOf(s.plan, s.approvals)), s.approvals);
    assert.ok(!approvalsFileOf(s.plan, s.approvals).startsWith(s.repo + path.sep), 'nothing is written into the repository');
    assert.ok(!fs.existsSync(path.join(s.repo, '.waves', 'approvals.json')));
  });

  it('a link to the plan is the same plan; another plan\'s file copied over approves nothing', async () => {
    const s = setup();
    fs.mkdirSync(path.dirname(s.plan), { recursive: true });
    fs.writeFileSync(s.plan, 'x');
    const link = path.join(s.repo, 'link.yaml');
    fs.symlinkSync(s.plan, link);
    await approve(link, ['a'], new Date(), s.approvals);
    assert.equal(isApproved(s.plan, ['a'], s.approvals), true);
    // A file naming another plan at this plan's name (copied, planted) is not this plan's.
    const other = path.join(s.repo, 'other.yaml');
    fs.writeFileSync(other, 'y');
    await approve(other, ['evil'], new Date(), s.approvals);
    fs.copyFileSync(approvalsFileOf(other, s.approvals), approvalsFileOf(s.plan, s.approvals));
    assert.equal(isApproved(s.plan, ['evil'], s.approvals), false);
  });

  it('approving again keeps one entry per list; an empty list needs no approval; a corrupt file approves nothing', async () => {
    const s = setup();
    await approve(s.plan, ['a'], new Date(), s.approvals);
    await approve(s.plan, ['a'], new Date(), s.approvals);
    await approve(s.plan, ['b'], new Date(), s.approvals);
    assert.equal(JSON.parse(fs.readFileSync(approvalsFileOf(s.plan, s.approvals), 'utf8')).lists.length, 2);
    assert.equal(isApproved(s.plan, [], s.approvals), true);
    fs.writeFileSync(approvalsFileOf(s.plan, s.approvals), '{not json');
    assert.equal(isApproved(s.plan, ['a'], s.approvals), false);
  });

  it('commandsHash is SHA-256 hex of the list, sensitive to the split between commands', () => {
    assert.match(commandsHash(['x']), /^[0-9a-f]{64}$/);
    assert.notEqual(commandsHash(['a b']), commandsHash(['a', 'b']));
  });
});

describe('runVerification', () => {
  const steps: CommandStep[] = [
    { step: 'unit', command: 'echo "unit ok in $(basename "$PWD")" && test -f marker' },
    { step: 'lint', command: 'echo lint failed >&2; exit 3' },
    { step: 'pipes', command: 'printf "a\\nb\\n" | wc -l' },
  ];

  it('unapproved: refuses with the list of commands, runs nothing', async () => {
    const s = setup();
    await assert.rejects(
      runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps, onCommand: () => assert.fail('nothing runs') }),
      (e: unknown) => e instanceof VerificationNotApprovedError && e.commands.length === 3 && e.message.includes('exit 3'),
    );
    assert.equal(fs.existsSync(verifyLogFile(s.attempt, 1)), false);
  });

  it('approved: runs each command with the shell in the tree, announced first, logged, one result per step', async () => {
    const s = setup();
    fs.writeFileSync(path.join(s.cwd, 'marker'), '');
    await approve(s.plan, steps.map((x) => x.command), new Date(), s.approvals);
    const announced: string[] = [];
    const results = await runVerification({
      approvals: s.approvals,
      planFile: s.plan,
      cwd: s.cwd,
      attemptDir: s.attempt,
      steps,
      onCommand: (step, n) => {
        announced.push(`${n}:${step.step}`);
        assert.equal(fs.existsSync(verifyLogFile(s.attempt, n)), false, 'announced before it runs');
      },
    });
    assert.deepEqual(announced, ['1:unit', '2:lint', '3:pipes']);
    assert.deepEqual(
      results.map((r) => [r.step, r.ok]),
      [
        ['unit', true],
        ['lint', false],
        ['pipes', true],
      ],
    );
    assert.match(results[1]!.detail, /exit 3 — lint failed \(log: .*verify-2\.log\)/);
    assert.equal(fs.readFileSync(verifyLogFile(s.attempt, 1), 'utf8'), `$ ${steps[0]!.command}\nunit ok in tree\n`);
    assert.match(fs.readFileSync(verifyLogFile(s.attempt, 3), 'utf8'), /^\s*2$/m);
  });

  it("one package's share of the approved plan list runs without an approval of its own; a step outside the list is refused", async () => {
    const s = setup();
    fs.writeFileSync(path.join(s.cwd, 'marker'), '');
    const planList = steps.map((x) => x.command);
    await approve(s.plan, planList, new Date(), s.approvals);
    const before = fs.readFileSync(approvalsFileOf(s.plan, s.approvals), 'utf8');
    const [r] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: [steps[0]!], approvedList: planList });
    assert.equal(r!.ok, true);
    assert.equal(fs.readFileSync(approvalsFileOf(s.plan, s.approvals), 'utf8'), before, 'the approvals are not written for a share');
    // Without the list, the share alone was never approved.
    await assert.rejects(
      runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: [steps[0]!] }),
      VerificationNotApprovedError,
    );
    // A command that is not in the approved list never runs, whatever list is named.
    const outside = [{ step: 'evil', command: 'touch evil' }];
    await assert.rejects(
      runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: outside, approvedList: planList }),
      VerificationNotApprovedError,
    );
    assert.equal(fs.existsSync(path.join(s.cwd, 'evil')), false);
  });

  it('a step that runs too long is stopped and reported', async () => {
    const s = setup();
    const slow = [{ step: 'slow', command: 'sleep 30' }];
    await approve(s.plan, slow.map((x) => x.command), new Date(), s.approvals);
    const [r] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, timeoutMs: 300 });
    assert.equal(r!.ok, false);
    assert.match(r!.detail, /timed out/);
  });

  it('inside walls too (bubblewrap straight): stopped, reported, and nothing it started is left running', async () => {
    const bwrap = confinementAvailable();
    assert.ok(bwrap.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${bwrap.ok ? '' : bwrap.why}`);
    const s = setup();
    const marker = `sleep 31.${process.pid}`;
    const slow = [{ step: 'slow', command: `sh -c '${marker}; echo finished > never.txt'` }];
    await approve(s.plan, slow.map((x) => x.command), new Date(), s.approvals);
    const [r] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, timeoutMs: 500, walls: { bwrap: bwrap.bwrap, runnerScript: await buildRunner() } });
    assert.equal(r!.ok, false);
    assert.match(r!.detail, /timed out/);
    await waitFor(() => !running(marker), 'the walled command gone', 10_000);
    assert.equal(fs.existsSync(path.join(s.cwd, 'never.txt')), false);
  });

  it('no longer wanted (its signal aborted): the step under way is stopped with all it started, and no other starts', async () => {
    const bwrap = confinementAvailable();
    assert.ok(bwrap.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${bwrap.ok ? '' : bwrap.why}`);
    const s = setup();
    const marker = `sleep 33.${process.pid}`;
    const steps = [
      { step: 'slow', command: `sh -c '${marker}; echo finished > never.txt'` },
      { step: 'next', command: 'echo next > next.txt' },
    ];
    await approve(s.plan, steps.map((x) => x.command), new Date(), s.approvals);
    const stop = new AbortController();
    const results = runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps, walls: { bwrap: bwrap.bwrap, runnerScript: await buildRunner() }, signal: stop.signal });
    await waitFor(() => running(marker), 'the walled command running', 10_000);
    stop.abort();
    const [r, ...rest] = await results;
    assert.equal(r!.ok, false);
    assert.deepEqual(rest, [], 'the next step did not run');
    await waitFor(() => !running(marker), 'nothing of it left running', 10_000);
    assert.equal(fs.existsSync(path.join(s.cwd, 'never.txt')), false);
    assert.equal(fs.existsSync(path.join(s.cwd, 'next.txt')), false);
  });
});

/** Whether a process whose command line holds `text` runs. */
function running(text: string): boolean {
  return fs.readdirSync('/proc').some((pid) => {
    try {
      return /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text);
    } catch {
      return false;
    }
  });
}

describe('runVerification through runners started ahead (runnerPool.ts `command`)', () => {
  // The pooled runners themselves: the command host, which takes the steps when it runs, is tested in commandHost.test.ts.
  before(() => (process.env.WAVES_COMMAND_HOST = '0'));
  after(() => delete process.env.WAVES_COMMAND_HOST);
  /** A pool of `n` runners started ahead with their networks (bubblewrap nests here), all ready; the pids handed a step are kept. */
  async function readyPool(n: number) {
    const bwrap = confinementAvailable();
    assert.ok(bwrap.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${bwrap.ok ? '' : bwrap.why}`);
    const runnerScript = await buildRunner();
    const pool = new RunnerPool({ runnerScript, cwd: tempDir('waves-verify-pool-'), wallsAhead: bwrap.bwrap });
    // n steps to come, no attempt: with the host off, a whole runner for each (a runner of several tokens runs one step, then ends).
    pool.expect(0, n);
    if (n > 0) await waitFor(() => pool.idlePids().length === n && pool.size.ready === pool.size.idle, `${n} runners ready`, 30_000);
    const idle = pool.idlePids();
    const handed: (number | null)[] = [];
    const counted = { command: async (c: PooledCommand) => {
      const r = await pool.command(c);
      handed.push(r?.pid ?? null);
      return r;
    } };
    return { pool, idle, handed, counted, walls: { bwrap: bwrap.ok ? bwrap.bwrap : '', runnerScript } };
  }

  it('each step runs in a runner started ahead, inside walls of its own and the network it made ahead: its output in its log, its exit code, what its walls refuse refused and named', async () => {
    const s = setup();
    plantBashrc();
    await approve(s.plan, WALLED_STEPS.map((x) => x.command), new Date(), s.approvals);
    // The engine's own coordinator URL (its password) is never a command's.
    process.env.WAVES_COORDINATOR = 'postgres://ana:hunter22@db.example/waves';
    const { pool, idle, handed, counted, walls } = await readyPool(4);
    try {
      const results = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: WALLED_STEPS, walls, pool: counted });
      assert.equal(handed.length, 4);
      for (const pid of handed) assert.ok(pid !== null && idle.includes(pid), `each step went to a runner started ahead (${handed.join(', ')} of ${idle.join(', ')})`);
      assertWalledResults(s, results);
    } finally {
      delete process.env.WAVES_COORDINATOR;
      pool.close();
    }
  });

  it('a step past its time is stopped, with all it started; with no runner ready a step starts its own, as before', async () => {
    const s = setup();
    const marker = `sleep 32.${process.pid}`;
    const slow = [{ step: 'slow', command: `sh -c '${marker}; echo finished > never.txt'` }];
    const quick = [{ step: 'quick', command: 'echo quick' }];
    await approve(s.plan, [...slow, ...quick].map((x) => x.command), new Date(), s.approvals);
    const ready = await readyPool(1);
    try {
      const [r] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, approvedList: [...slow, ...quick].map((x) => x.command), timeoutMs: 800, walls: ready.walls, pool: ready.counted });
      assert.ok(ready.handed[0] !== null && ready.idle.includes(ready.handed[0]!), 'it went to the runner started ahead');
      assert.equal(r!.ok, false);
      assert.match(r!.detail, /timed out/);
      await waitFor(() => !running(marker), 'the walled command gone', 10_000);
      assert.equal(fs.existsSync(path.join(s.cwd, 'never.txt')), false);
    } finally {
      ready.pool.close();
    }
    const none = await readyPool(0);
    try {
      const [q] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: quick, approvedList: [...slow, ...quick].map((x) => x.command), walls: none.walls, pool: none.counted });
      assert.deepEqual(none.handed, [null], 'no runner was ready');
      assert.equal(q!.ok, true, q!.detail);
      assert.equal(fs.readFileSync(verifyLogFile(s.attempt, 1), 'utf8'), `$ ${quick[0]!.command}\nquick\n`);
    } finally {
      none.pool.close();
    }
  });
});

describe('shellFor', () => {
  it("the user's shell when it is usable, /bin/sh otherwise, cmd on Windows", () => {
    assert.deepEqual(shellFor('x', { SHELL: '/bin/sh' }, 'linux'), { file: '/bin/sh', args: ['-c', 'x'], verbatim: false });
    assert.equal(shellFor('x', { SHELL: '/no/such/shell' }, 'linux').file, '/bin/sh');
    assert.equal(shellFor('x', { SHELL: 'zsh' }, 'linux').file, '/bin/sh', 'a relative SHELL is not trusted');
    assert.equal(shellFor('x', {}, 'linux').file, '/bin/sh');
    assert.deepEqual(shellFor('npm test', { ComSpec: 'C:\\Windows\\system32\\cmd.exe' }, 'win32'), {
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"npm test"'],
      verbatim: true,
    });
  });
});
