/**
 * The command host (`runner.js --commands`, src/engine/attempt/commandHost.ts and
 * commandHostClient.ts; ADR 0039) with real bubblewrap, real runners and real shells: the pool's
 * verification steps run in one host, each inside walls and a network of its own; a step past its
 * time is stopped with all it started; a host that ends takes its steps with it and the pool's
 * runners take the next; a host let go ends every network it holds.
 *
 * Run: node --import tsx --test test/engine/attempt/commandHost.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { verifyLogFile } from '../../../src/core/run/runPaths.js';
import { approve } from '../../../src/engine/consent/approvalStore.js';
import { runVerification, type CommandStep } from '../../../src/engine/attempt/verification.js';
import { confinementAvailable } from '../../../src/engine/attempt/confinement.js';
import { RunnerPool } from '../../../src/engine/attempt/runnerPool.js';
import { hostNetworkToken } from '../../../src/engine/attempt/commandHost.js';
import { processesRunning, processTree } from '../../../src/engine/attempt/processTree.js';
import { wallsSocketOf } from '../../../src/engine/attempt/wallsDraw.js';
import type { PooledCommand } from '../../../src/engine/attempt/wallsRun.js';
import { buildRunner, spawnHoldingOutputOf, tempDir, waitFor } from '../helpers.js';
import { assertWalledResults, plantBashrc, WALLED_STEPS } from './walledSteps.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup() {
  const repo = tempDir('waves-host-');
  const cwd = path.join(repo, 'tree');
  const attempt = path.join(repo, '.waves', 'runs', 'f', 'r1', 'a', '1');
  fs.mkdirSync(cwd, { recursive: true });
  fs.mkdirSync(attempt, { recursive: true });
  return { cwd, attempt, approvals: tempDir('waves-approvals-'), plan: path.join(repo, 'plans', 'work-packages.yaml') };
}

const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // gone
    return [];
  }
};

/** Whether a process whose command line holds `text` runs. */
function running(text: string): boolean {
  return fs.readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && cmdline(Number(pid)).join(' ').includes(text));
}

/** Whether a `sleep <arg>` runs. */
function sleeping(arg: string): boolean {
  return fs.readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && cmdline(Number(pid)).join(' ') === `sleep ${arg}`);
}

/** A pool whose command host takes steps (`steps` networks made ahead, ready), and the process groups its steps were handed. */
async function hostPool(steps: number) {
  const bwrap = confinementAvailable();
  assert.ok(bwrap.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${bwrap.ok ? '' : bwrap.why}`);
  const runnerScript = await buildRunner();
  const pool = new RunnerPool({ runnerScript, cwd: tempDir('waves-host-pool-'), wallsAhead: bwrap.bwrap });
  pool.expect(0, steps);
  await waitFor(() => pool.hostPid !== undefined, 'the command host ready', 30_000);
  const host = pool.hostPid!;
  const token = cmdline(host).at(-1)!;
  assert.deepEqual(cmdline(host).slice(-3), [runnerScript, '--commands', token], 'one runner: runner.js --commands <token>');
  // Its networks made ahead: bubblewrap waiting with the relay for the sockets of the host's token.
  const sockets = new Set(Array.from({ length: 40 }, (_, i) => wallsSocketOf(hostNetworkToken(token, i + 1))));
  const networks = () => processesRunning(bwrap.bwrap, sockets).length;
  /** The numbers of the host's networks whose bubblewrap runs (the host numbers them as it makes them). */
  const live = () => {
    const named = new Set(processesRunning(bwrap.bwrap, sockets).flatMap((p) => cmdline(p.pid)));
    return [...sockets].flatMap((socket, i) => (named.has(socket) ? [i + 1] : []));
  };
  /** The process ids of network `n`'s bubblewrap. */
  const pidsOf = (n: number) => processesRunning(bwrap.bwrap, wallsSocketOf(hostNetworkToken(token, n))).map((p) => p.pid);
  if (steps > 0) await waitFor(() => networks() >= steps, `${steps} networks made ahead`, 30_000);
  const handed: (number | null)[] = [];
  const counted = {
    command: async (c: PooledCommand) => {
      const r = await pool.command(c);
      handed.push(r?.pid ?? null);
      return r;
    },
  };
  return { pool, host, networks, live, pidsOf, handed, counted, idleRunners: () => pool.size.idle, walls: { bwrap: bwrap.bwrap, runnerScript } };
}

/** `steps` approved, and a host with one network made ahead, past its look again at networks it is starting (300 ms after it makes them). */
async function oneNetworkAhead(steps: { step: string; command: string }[]) {
  const s = setup();
  await approve(s.plan, steps.map((x) => x.command), new Date(), s.approvals);
  const h = await hostPool(1);
  await sleep(500);
  assert.deepEqual(h.live(), [1], 'one network made ahead');
  return { s, h };
}

describe('the command host (runner.js --commands)', () => {
  it('runs every step inside walls and a network of its own, no runner started for one: output, exit code, what its walls refused', async () => {
    const s = setup();
    plantBashrc();
    const steps: CommandStep[] = [...WALLED_STEPS, { step: 'mine', command: 'echo $$ > pid.txt; ls /proc | grep -E "^[0-9]+$" | wc -l > procs.txt' }];
    await approve(s.plan, steps.map((x) => x.command), new Date(), s.approvals);
    process.env.WAVES_COORDINATOR = 'postgres://ana:hunter22@db.example/waves';
    const h = await hostPool(2);
    try {
      const results = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps, walls: h.walls, pool: h.counted });
      assert.equal(h.handed.length, 5);
      assert.ok(h.handed.every((pid) => pid !== null && pid !== h.host), `each step went to the host, in a network of its own (${h.handed.join(', ')})`);
      assert.equal(new Set(h.handed).size, 5, 'no network serves two steps');
      assert.equal(h.idleRunners(), 0, 'no runner was started for a step');
      assertWalledResults(s, results);
      assert.equal(results[4]!.ok, true, results[4]!.detail);
      // Its own process namespace: it sees itself and its walls' few, not the host or the machine.
      assert.ok(Number(fs.readFileSync(path.join(s.cwd, 'procs.txt'), 'utf8')) < 10, 'a process namespace of its own');
    } finally {
      delete process.env.WAVES_COORDINATOR;
      h.pool.close();
    }
    await waitFor(() => !fs.existsSync(`/proc/${h.host}`) || cmdline(h.host).length === 0, 'the host let go ends', 10_000);
    await waitFor(() => h.networks() === 0, 'every network it held ended with it', 10_000);
  });

  it('makes no network while a step runs nor as it ends: the next expect makes those still wanted', async () => {
    const steps = [{ step: 'slow', command: 'sleep 2; echo slept' }];
    const { s, h } = await oneNetworkAhead(steps);
    try {
      const under = runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps, walls: h.walls, pool: h.counted });
      await waitFor(() => h.handed.length === 1, 'the step handed to the host', 10_000);
      // A network starts within milliseconds of being made: a second into the step, one made
      // while it runs would be seen.
      await sleep(1000);
      assert.deepEqual(h.live(), [1], 'no network made while the step runs: only its own');
      const [r] = await under;
      assert.equal(r!.ok, true, r!.detail);
      await waitFor(() => h.live().length === 0, "the step's network ended with it", 10_000);
      await sleep(500);
      assert.deepEqual(h.live(), [], 'none made as it ended');
      h.pool.expect(0, 1);
      await waitFor(() => h.live().join() === '2', 'the one still wanted made when the engine says so', 10_000);
    } finally {
      h.pool.close();
    }
  });

  it('keeps a network no longer wanted for a second: the step of an agent that just ended still finds it', async () => {
    const steps = [{ step: 'quick', command: 'echo quick' }];
    const { s, h } = await oneNetworkAhead(steps);
    try {
      const ahead = h.pidsOf(1);
      // The engine no longer counts the attempt (its agent ended); its step comes a moment later.
      h.pool.expect(0, 0);
      await sleep(200);
      const [r] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps, walls: h.walls, pool: h.counted });
      assert.equal(r!.ok, true, r!.detail);
      assert.equal(h.handed.length, 1);
      assert.ok(h.handed[0] !== null && ahead.includes(h.handed[0]!), `the step took the network made ahead (${ahead.join(', ')}), none was made for it (${h.handed[0]})`);
      // One no longer wanted and never taken goes after its second.
      h.pool.expect(0, 1);
      await waitFor(() => h.live().join() === '2', 'another made ahead', 10_000);
      await sleep(500);
      h.pool.expect(0, 0);
      await sleep(500);
      assert.deepEqual(h.live(), [2], 'still there half a second after it was no longer wanted');
      await waitFor(() => h.live().length === 0, 'gone after its second', 10_000);
    } finally {
      h.pool.close();
    }
  });

  it('a step past its time is stopped with all it started; a host that ends takes its step with it, and the pool runs the next', async () => {
    const s = setup();
    const marker = `sleep 33.${process.pid}`;
    const slow = [{ step: 'slow', command: `sh -c '${marker}; echo finished > never.txt'` }];
    // The step after: still running a second and a half after it started (see below).
    const quick = [{ step: 'quick', command: 'sleep 1.5; echo quick' }];
    const list = [...slow, ...quick].map((x) => x.command);
    await approve(s.plan, list, new Date(), s.approvals);
    const h = await hostPool(1);
    try {
      const [r] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, approvedList: list, timeoutMs: 800, walls: h.walls, pool: h.counted });
      assert.ok(h.handed[0] !== null && h.handed[0] !== h.host, 'it ran in the host');
      assert.equal(r!.ok, false);
      assert.match(r!.detail, /timed out/);
      await waitFor(() => !running(marker), 'the walled command gone', 10_000);
      assert.equal(fs.existsSync(path.join(s.cwd, 'never.txt')), false);

      // The host killed while a step runs: the step ends with it (killed), nothing of it is left.
      const under = runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, approvedList: list, walls: h.walls, pool: h.counted });
      await waitFor(() => running(marker), 'the step running', 20_000);
      process.kill(h.host, 'SIGKILL');
      const [killed] = await under;
      assert.equal(killed!.ok, false);
      assert.match(killed!.detail, /killed/);
      // The attempt's next step at once, while what the host left is still being swept (at once and
      // a second later): it is not taken for the host's, though its walls name the same attempt.
      const [q] = await runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: quick, approvedList: list, walls: h.walls, pool: h.counted });
      assert.equal(h.handed.at(-1), null, 'no host, no runner ready: the step started its own');
      assert.equal(q!.ok, true, q!.detail);
      assert.equal(fs.readFileSync(verifyLogFile(s.attempt, 1), 'utf8'), `$ ${quick[0]!.command}\nquick\n`);
      await waitFor(() => !running(marker), 'the walled command gone with its host', 10_000);
      await waitFor(() => h.networks() === 0, 'no network of the host left', 10_000);
      assert.equal(h.pool.hostPid, undefined, 'the pool knows its host ended');
    } finally {
      h.pool.close();
    }
  });

  it('a step stopped while a process of its walls outlives its network still ends: what is left of its walls is ended', async () => {
    const s = setup();
    const marker = `sleep 34.${process.pid}`;
    const slow = [{ step: 'slow', command: `sh -c '${marker}'` }];
    await approve(s.plan, slow.map((x) => x.command), new Date(), s.approvals);
    const h = await hostPool(1);
    let survivor: import('node:child_process').ChildProcess | null = null;
    try {
      const stop = new AbortController();
      const under = runVerification({ approvals: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, walls: h.walls, pool: h.counted, signal: stop.signal });
      // Its walls (under its network: other walls on the machine have marks too) carry a mark of
      // their own, which names them among this machine's processes.
      const marked = () => {
        const under = new Set(h.handed[0] ? processTree([h.handed[0]]).map((p) => p.pid) : []);
        return processesRunning(h.walls.bwrap, new Set(['WAVES_WALLS_MARK'])).filter((p) => under.has(p.pid));
      };
      await waitFor(() => marked().length > 0 && sleeping(`34.${process.pid}`), 'the step running inside walls named by their mark', 20_000);
      const leader = h.handed[0]!;
      assert.ok(leader !== null && leader !== h.host, 'it ran in the host');
      const walls = marked();
      const args = cmdline(walls[0]!.pid);
      const mark = args[args.indexOf('WAVES_WALLS_MARK') + 1]!;
      assert.match(mark, /^[0-9a-f]{24}$/);
      // Walls that missed their death signal, as the real ones did now and then: a bubblewrap with
      // the step's mark that holds the step's output open and outlives it.
      survivor = spawnHoldingOutputOf(leader, [h.walls.bwrap, '--bind', '/', '/', '--unshare-pid', '--die-with-parent', '--setenv', 'WAVES_WALLS_MARK', mark, '--', 'sleep', `600.${process.pid}`]);
      await waitFor(() => sleeping(`600.${process.pid}`), 'the left-over walls running', 10_000);

      stop.abort();
      // Without its left-over walls ended, the step would wait for them (ten minutes).
      let ended = false;
      void under.finally(() => (ended = true));
      await waitFor(() => ended, 'the stopped step ended', 20_000);
      const [r] = await under;
      assert.equal(r!.ok, false, 'stopped, not passed');
      assert.match(r!.detail, /killed|exit/);
      await waitFor(() => !running(marker) && !sleeping(`600.${process.pid}`), 'nothing of the step or its left-over walls running', 10_000);
      const left = survivor;
      await waitFor(() => left.exitCode !== null || left.signalCode !== null, 'the left-over walls ended', 10_000);
    } finally {
      if (survivor?.pid && survivor.exitCode === null && survivor.signalCode === null) process.kill(-survivor.pid, 'SIGKILL');
      h.pool.close();
    }
  });

  it('without an engine it refuses (exit 2), having started nothing', async () => {
    const runnerScript = await buildRunner();
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [runnerScript, '--commands', 'x'.repeat(32)], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--commands needs the IPC channel/);
    const usage = spawnSync(process.execPath, [runnerScript, '--commands'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: runner\.js --commands <token>/);
  });
});
