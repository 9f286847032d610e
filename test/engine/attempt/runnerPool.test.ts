/**
 * Runners started ahead (`src/engine/attempt/runnerPool.ts`, `runner.js --pooled`) with real
 * processes: the built runner, the scripted agent, a real repository for the engine's runs.
 * What must hold: a pooled runner runs its attempt exactly as one started for it (meta.json,
 * exit.json, the token adoption checks in its command line); idle runners end with the pool or
 * with the process that owns it, having touched nothing; a runner that has its attempt outlives
 * the engine; a runner gone before its attempt is replaced, never a lost attempt.
 *
 * Run: node --import tsx --test test/engine/attempt/runnerPool.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { attemptDir, attemptFiles } from '../../../src/core/run/runPaths.js';
import { AHEAD_AFTER_LAUNCH_MS, RUNNER_TOKENS } from '../../../src/core/run/startAhead.js';
import { confinementAvailable } from '../../../src/engine/attempt/confinement.js';
import { processTree } from '../../../src/engine/attempt/processTree.js';
import { isRunnerAlive } from '../../../src/engine/attempt/adopt.js';
import type { RunnerExit, RunnerMeta } from '../../../src/engine/attempt/runnerFiles.js';
import { RunnerPool } from '../../../src/engine/attempt/runnerPool.js';
import { engineFor, engineGoneWhileWaiting, isolateGit, repoWithPlan } from '../engineFixtures.js';
import { attemptWith, buildRunner, pidAlive, REPO_ROOT, spawnProcess, tempDir, waitFor } from '../helpers.js';

let runnerJs = '';
const pools: RunnerPool[] = [];
before(async () => {
  isolateGit();
  runnerJs = await buildRunner();
});
after(() => {
  for (const p of pools) p.close();
});

function newPool(): RunnerPool {
  const pool = new RunnerPool({ runnerScript: runnerJs, cwd: tempDir('waves-pool-cwd-') });
  pools.push(pool);
  return pool;
}

/** A new pool with one runner started ahead and ready; its pid. */
async function poolWithOneReady(): Promise<{ pool: RunnerPool; pid: number }> {
  const pool = newPool();
  pool.expect(1);
  await waitFor(() => pool.size.ready === 1, 'a runner ready');
  return { pool, pid: pool.idlePids()[0]! };
}

const request = (dir: string, token: string) => ({ packageId: 'pkg-a', attempt: 1, title: 'pkg-a', attemptDir: dir, startToken: token, command: process.execPath, args: [], cwd: dir, env: {}, interactive: false });
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
/** Awaits `p` with a timer running: pooled runners are unref'd (they never keep an engine alive), so nothing else holds this test's event loop. */
async function held<T>(p: Promise<T> | undefined): Promise<T | undefined> {
  const timer = setInterval(() => undefined, 1000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

describe('runners started ahead', () => {
  it('an attempt handed to a pooled runner runs as one started for it would: meta.json, exit.json, its token in its command line', async () => {
    const pool = newPool();
    pool.expect(2);
    await waitFor(() => pool.size.ready === 2, 'two runners ready');
    const idle = pool.idlePids();
    assert.equal(idle.length, 2);
    const tookAt = Date.now();
    const token = pool.take();
    const { dir, files } = attemptWith(token, 'write out.txt');
    const launched = await pool.launch(request(dir, token));
    assert.ok(launched?.pid, 'the pool handed the attempt to a runner');
    assert.ok(idle.includes(launched.pid), 'one of the runners started ahead');
    assert.deepEqual(cmdline(launched.pid).slice(-2), ['--pooled', token]);
    assert.equal(await isRunnerAlive(launched.pid, token), true, "adoption's proof holds: the pid with the token in its command line");
    assert.equal(await held(launched.exited), 0);

    const exit = readJson<RunnerExit>(files.exit);
    assert.equal(exit.code, 0);
    assert.equal(exit.startToken, token);
    const meta = readJson<RunnerMeta>(files.meta);
    assert.equal(meta.runnerPid, launched.pid);
    assert.equal(meta.startToken, token);
    assert.ok(meta.agentPid && meta.agentPid !== launched.pid);
    assert.ok(meta.startedAhead && Date.parse(meta.startedAhead) <= tookAt, `started ahead (${meta.startedAhead}) before it was taken`);
    assert.ok(Date.parse(meta.startedAt) >= Date.parse(meta.startedAhead));
    assert.ok(fs.existsSync(files.result), "the agent's result record");
    // The other one still waits; the one taken was one of the two attempts expected, so none starts in its place
    // (its runner's end made the pool look again) until the pool is told of more.
    assert.deepEqual(pool.idlePids(), idle.filter((p) => p !== launched.pid));
    pool.expect(2);
    await waitFor(() => pool.size.ready === 2 && pool.idlePids().length === 2, 'the pool back at two');
  });

  it('with no runner in the pool a token is fresh and launch() leaves the start to the caller', async () => {
    const pool = newPool();
    const token = pool.take();
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.equal(await pool.launch(request(tempDir(), token)), null);
    assert.equal(await pool.launch(request(tempDir(), 'never-the-pools')), null);
    assert.equal(pool.size.idle, 0, 'nothing was started unasked');
  });

  it('a token given back is handed out again; one taken is never handed out twice', async () => {
    const { pool, pid } = await poolWithOneReady();
    const first = pool.take();
    assert.equal(pool.size.taken, 1);
    const second = pool.take();
    assert.notEqual(second, first, 'the only runner is taken: a fresh token');
    pool.giveBack(first);
    assert.equal(pool.take(), first);
    // Given back after its runner ended: forgotten, never handed out again.
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !pidAlive(pid) && pool.size.taken === 0, 'the runner gone');
    pool.giveBack(first);
    for (let i = 0; i < 3; i++) assert.notEqual(pool.take(), first);
  });

  it('a runner taken is one of the attempts expected: none starts in its place; given back, it is expected again', async () => {
    const pool = newPool();
    pool.expect(2);
    const token = pool.take();
    assert.equal(pool.size.taken, 1);
    await waitFor(() => pool.size.ready === 1, 'the other runner ready');
    // Each runner's start (and readiness) has made the pool look again: the one taken left no gap to fill.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(pool.size, { idle: 1, ready: 1, taken: 1 });
    pool.giveBack(token);
    assert.equal(pool.size.idle, 2);
    assert.equal(pool.size.taken, 0);
    await waitFor(() => pool.size.ready === 2, 'both ready');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pool.idlePids().length, 2, 'and none more');
  });

  it('fewer wanted: the surplus ends, having touched nothing; close() ends the rest, never a runner that has its attempt', async () => {
    const pool = newPool();
    pool.expect(3);
    await waitFor(() => pool.size.ready === 3, 'three runners ready');
    const three = pool.idlePids();
    const token = pool.take();
    const { dir, files } = attemptWith(token, 'sleep 1500\nwrite out.txt');
    const launched = await pool.launch(request(dir, token));
    assert.ok(launched?.pid);
    pool.expect(1);
    await waitFor(() => three.filter((p) => p !== launched.pid && !pidAlive(p)).length === 1, 'one idle runner retired');
    pool.close();
    await waitFor(() => three.every((p) => p === launched.pid || !pidAlive(p)), 'the idle runners gone');
    assert.ok(pidAlive(launched.pid), 'the runner with an attempt goes on');
    assert.equal(await held(launched.exited), 0);
    assert.equal(readJson<RunnerExit>(files.exit).code, 0);
    pool.expect(2);
    assert.equal(pool.size.idle, 0, 'a closed pool starts nothing');
  });

  it('a taken runner that ended before its attempt was sent: launch() says so and the caller starts one with the same token', async () => {
    const { pool, pid } = await poolWithOneReady();
    const token = pool.take();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !pidAlive(pid), 'the runner gone');
    const { dir, files } = attemptWith(token, 'write out.txt');
    assert.equal(await pool.launch(request(dir, token)), null);
    assert.equal(fs.existsSync(files.meta), false, 'nothing ran the attempt');
    // As LocalExecutor does: a runner started for it, same token (the spec already names it).
    const fresh = spawnProcess([process.execPath, runnerJs, dir, token]);
    assert.equal((await fresh.exited).code, 0, fresh.stderr());
    assert.equal(readJson<RunnerExit>(files.exit).startToken, token);
  });

  it('the process that owns the pool ends abruptly: idle runners end, the one with an attempt finishes it', async () => {
    const owner = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'engine', 'fixtures', 'pool-owner.ts'), runnerJs, tempDir()], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    owner.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const token = (await waitFor(() => out.includes('\n') && (JSON.parse(out.split('\n')[0]!) as { token: string }).token, 'the owner to take a token', 30_000)) as string;
    const { dir, files } = attemptWith(token, 'sleep 1000\nwrite out.txt');
    owner.stdin.write(`${dir}\n`);
    const ownerEnd = new Promise((r) => owner.once('exit', r));
    await ownerEnd;
    const handed = JSON.parse(out.trim().split('\n')[1]!) as { pid: number; idle: number[] };
    assert.ok(handed.pid);
    assert.equal(handed.idle.length, 2, out);
    await waitFor(() => handed.idle.every((p) => !pidAlive(p)), 'the idle runners to end with their owner');
    await waitFor(() => fs.existsSync(files.exit), "the handed attempt's exit.json", 20_000);
    const exit = readJson<RunnerExit>(files.exit);
    assert.equal(exit.code, 0, exit.reason);
    assert.equal(readJson<RunnerMeta>(files.meta).runnerPid, handed.pid);
  });
});

describe('runner.js --pooled', () => {
  it('without the IPC channel of an engine it refuses (exit 2)', async () => {
    const r = spawnProcess([process.execPath, runnerJs, '--pooled', 'abc']);
    assert.equal((await r.exited).code, 2);
    assert.match(r.stderr(), /IPC channel/);
  });

  it('a message that names no attempt folder: exit 2, nothing touched; the channel closed first: exit 0', async () => {
    const bad = spawn(process.execPath, [runnerJs, '--pooled', 'tok'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let err = '';
    bad.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((r) => bad.once('message', r));
    bad.send({ attemptDir: 42 });
    const code = await new Promise((r) => bad.once('exit', r));
    assert.equal(code, 2);
    assert.match(err, /no attempt folder/);

    const quiet = spawn(process.execPath, [runnerJs, '--pooled', 'tok'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await new Promise((r) => quiet.once('message', r));
    quiet.disconnect();
    assert.equal(await new Promise((r) => quiet.once('exit', r)), 0);
  });

  it('a runner of several tokens: a token not among them, or a step once it ran an attempt, is refused (exit 2 once nothing runs), nothing touched; tokens must be distinct', async () => {
    const other = spawn(process.execPath, [runnerJs, '--pooled', 'aa', 'bb'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let err = '';
    other.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((r) => other.once('message', r));
    const { dir, files } = attemptWith('cc', 'write out.txt');
    other.send({ attemptDir: dir, token: 'cc' });
    assert.equal(await new Promise((r) => other.once('exit', r)), 2);
    assert.match(err, /a token not left to this runner/);
    assert.equal(fs.existsSync(files.meta), false);
    const twice = spawnProcess([process.execPath, runnerJs, '--pooled', 'aa', 'aa']);
    assert.equal((await twice.exited).code, 2);
    assert.match(twice.stderr(), /distinct/);
    const many = spawnProcess([process.execPath, runnerJs, '--pooled', ...Array.from({ length: RUNNER_TOKENS + 1 }, (_, i) => `t${i}`)]);
    assert.equal((await many.exited).code, 2);
  });

  it('an attempt sent before the runner was ready, its channel closed at once (the engine let it go): the attempt still runs, then the runner ends', async () => {
    for (const tokens of [['a1b2'], ['a1b2', 'c3d4']]) {
      const { dir, files } = attemptWith('a1b2', 'write out.txt');
      const runner = spawn(process.execPath, [runnerJs, '--pooled', ...tokens], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let err = '';
      runner.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      runner.send({ attemptDir: dir, token: 'a1b2' });
      runner.disconnect();
      assert.equal(await new Promise((r) => runner.once('exit', r)), 0, `${tokens.length} token(s): ${err}`);
      assert.equal(readJson<RunnerExit>(files.exit).code, 0, `${tokens.length} token(s): the attempt ran`);
    }
  });

  it("a spec whose token is not the runner's: exit 2, the agent never starts", async () => {
    const { pool } = await poolWithOneReady();
    const token = pool.take();
    const { dir, files } = attemptWith('another-token', 'write out.txt');
    const launched = await pool.launch(request(dir, token));
    assert.equal(await held(launched?.exited), 2);
    assert.equal(fs.existsSync(files.meta), false);
  });
});

describe('runners started ahead for walled agents: several attempts each', () => {
  const walls = () => {
    const here = confinementAvailable();
    assert.ok(here.ok, 'bubblewrap here');
    return here.bwrap;
  };
  const walledRequest = (dir: string, token: string) => ({ ...request(dir, token), command: process.execPath });
  /** The networks made ahead under a runner: the bubblewraps (and relays) whose command line says `--relay-ahead`. */
  const networksUnder = (pid: number) =>
    processTree([pid]).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('--relay-ahead');
      } catch {
        return false; // gone
      }
    }).length;

  it(`one runner takes up to ${RUNNER_TOKENS} attempts side by side, each as one started for it: its token in the command line, its own network, meta and exit; the runner ends after the last`, async () => {
    const bwrap = walls();
    const pool = new RunnerPool({ runnerScript: runnerJs, cwd: tempDir('waves-multi-cwd-'), wallsAhead: bwrap });
    pools.push(pool);
    pool.expect(RUNNER_TOKENS);
    await waitFor(() => pool.size.ready === RUNNER_TOKENS, `${RUNNER_TOKENS} attempts ready`, 20_000);
    const [pid, ...more] = pool.idlePids();
    assert.deepEqual(more, [], 'one runner for them all');
    const argv = cmdline(pid!);
    const tokens = argv.slice(argv.indexOf('--pooled') + 1);
    assert.equal(tokens.length, RUNNER_TOKENS);
    await waitFor(() => networksUnder(pid!) >= 2 * RUNNER_TOKENS, 'a network made ahead for each token (its bubblewrap and relay)', 20_000);

    const taken = Array.from({ length: RUNNER_TOKENS }, () => pool.take());
    assert.deepEqual([...taken].sort(), [...tokens].sort(), "the tokens handed out are the runner's, each once");
    assert.deepEqual(pool.size, { idle: 0, ready: 0, taken: RUNNER_TOKENS });
    const attempts = taken.map((token) => ({ token, tree: tempDir('waves-multi-tree-'), ...attemptWith(token, 'sleep 1500; write out.txt') }));
    for (const a of attempts) {
      const spec = JSON.parse(fs.readFileSync(a.files.spec, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(a.files.spec, JSON.stringify({ ...spec, cwd: a.tree, walls: { bwrap } }));
    }
    const launched = [];
    for (const a of attempts) launched.push(await pool.launch(walledRequest(a.dir, a.token)));
    assert.ok(launched.every((l) => l?.pid === pid), 'every attempt to that runner');
    assert.equal(pool.size.taken, 0);
    const metas = await waitFor(() => (attempts.every((a) => fs.existsSync(a.files.meta)) ? attempts.map((a) => readJson<RunnerMeta>(a.files.meta)) : null), 'the agents started', 20_000);
    for (const [i, a] of attempts.entries()) {
      assert.equal(await isRunnerAlive(pid!, a.token), true, `adoption's proof for attempt ${i + 1}: the pid with its token in its command line`);
      assert.equal(metas[i]!.runnerPid, pid);
      assert.equal(metas[i]!.startToken, a.token);
    }
    assert.equal(await held(launched[0]!.exited), 0, 'the runner ends once its last attempt has');
    for (const [i, a] of attempts.entries()) {
      const exit = readJson<RunnerExit>(a.files.exit);
      assert.equal(exit.code, 0, `attempt ${i + 1}: ${exit.reason}`);
      assert.equal(exit.startToken, a.token);
      assert.equal(readJson<RunnerMeta>(a.files.meta).netAhead, true, `attempt ${i + 1} in the network made ahead for its token`);
      assert.ok(fs.existsSync(path.join(a.tree, 'out.txt')), `attempt ${i + 1} wrote in its own tree`);
    }
    // Side by side: every agent had started before the first ended.
    const firstEnd = Math.min(...attempts.map((a) => Date.parse(readJson<RunnerExit>(a.files.exit).endedAt)));
    assert.ok(metas.every((m) => Date.parse(m.startedAt) < firstEnd), 'the attempts ran at once');
  });

  it('let go (the engine ended, or the pool closed) with attempts running: those finish, what it had not taken ends at once, and a token taken but not sent is started by its caller', async () => {
    const bwrap = walls();
    const pool = new RunnerPool({ runnerScript: runnerJs, cwd: tempDir('waves-multi-cwd-'), wallsAhead: bwrap });
    pools.push(pool);
    pool.expect(RUNNER_TOKENS);
    await waitFor(() => pool.size.ready === RUNNER_TOKENS, `${RUNNER_TOKENS} attempts ready`, 20_000);
    const [pid] = pool.idlePids();
    await waitFor(() => networksUnder(pid!) >= 2 * RUNNER_TOKENS, 'its networks made ahead', 20_000);
    const running = [pool.take(), pool.take()].map((token) => ({ token, tree: tempDir('waves-multi-tree-'), ...attemptWith(token, 'sleep 2000; write out.txt') }));
    const waiting = pool.take();
    for (const a of running) {
      const spec = JSON.parse(fs.readFileSync(a.files.spec, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(a.files.spec, JSON.stringify({ ...spec, cwd: a.tree, walls: { bwrap } }));
      assert.equal((await pool.launch(walledRequest(a.dir, a.token)))?.pid, pid);
    }
    await waitFor(() => running.every((a) => fs.existsSync(a.files.meta)), 'both agents started', 20_000);
    pool.close();
    // Its two networks not used (the one taken and the one left) end; the two in use stay with their agents.
    await waitFor(() => networksUnder(pid!) <= 2 * 2, 'the networks not used ended', 10_000);
    assert.equal(await pool.launch(walledRequest(tempDir(), waiting)), null, 'the token taken but not sent: its caller starts a runner');
    await waitFor(() => !pidAlive(pid!), 'the runner ended after its attempts', 20_000);
    for (const a of running) {
      assert.equal(readJson<RunnerExit>(a.files.exit).code, 0);
      assert.ok(fs.existsSync(path.join(a.tree, 'out.txt')));
    }
  });
});

describe('the engine with runners started ahead', () => {
  it('an engine that goes away leaves a pooled runner with its agent; the next engine adopts it by pid and token', async () => {
    const { repo, planFile } = repoWithPlan('poolresume', [
      { id: 'a', agent: ['sleep 800', 'write a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['ask waiting for approval', 'write b/x.txt'] },
    ]);
    const resume = path.join(tempDir(), 'resume');
    const env = { WAVES_TEST_AGENT_RESUME: resume };
    const runId = await engineGoneWhileWaiting(planFile, runnerJs, ['b'], { env });
    const meta = readJson<RunnerMeta>(attemptFiles(attemptDir(repo, 'poolresume', runId, 'b', 1)).meta);
    assert.ok(meta.startedAhead, "b's runner was started ahead");
    assert.ok(pidAlive(meta.runnerPid), 'the pooled runner outlives the engine');
    assert.ok(await isRunnerAlive(meta.runnerPid, meta.startToken));

    const { engine, events } = await engineFor(planFile, runnerJs, { env });
    const done = engine.run({ resume: true });
    await waitFor(() => events.some((e) => e.type === 'run-started'), 'the resumed run to start');
    fs.writeFileSync(resume, '');
    const outcome = await held(done);
    assert.equal(outcome?.runId, runId);
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'b' && /adopted/.test(e.detail ?? '')), 'b adopted');
    assert.equal(outcome?.state.packages.b!.status, 'succeeded');
    assert.equal(outcome?.state.packages.b!.attempts, 1, 'not started again');
    engine.dispose();
  });

  it("the first package's runner was started while the run set itself up, a dependent's while its dependency worked (once its agent had had its start); WAVES_RUNNER_POOL=0 starts one per attempt", async () => {
    for (const pooled of [true, false]) {
      const saved = process.env.WAVES_RUNNER_POOL;
      if (!pooled) process.env.WAVES_RUNNER_POOL = '0';
      try {
        const { planFile, repo } = repoWithPlan('pool', [
          { id: 'a', agent: ['sleep 2500', 'write a/x.txt'] },
          { id: 'b', deps: ['a'], agent: ['write b/x.txt'] },
        ]);
        const launched = new Map<string, number>();
        const scheduled = new Map<string, number>();
        const trace = (step: string, id: string) => {
          if (step === 'launched' && !launched.has(id)) launched.set(id, Date.now());
          if (step === 'scheduled' && !scheduled.has(id)) scheduled.set(id, Date.now());
        };
        const { engine } = await engineFor(planFile, runnerJs, { trace });
        const outcome = await engine.run();
        assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
        const metaOf = (id: string) => {
          const r = outcome.state.packages[id]!;
          return readJson<RunnerMeta>(path.join(path.dirname(r.logFile!), 'meta.json'));
        };
        const a = metaOf('a');
        const b = metaOf('b');
        if (pooled) {
          // The first package's too: started while the run set itself up, before its launch.
          assert.ok(a.startedAhead && Date.parse(a.startedAhead) <= launched.get('a')!, `a's runner started ahead, before a's launch (${a.startedAhead})`);
          assert.ok(b.startedAhead && Date.parse(b.startedAhead) < Date.parse(metaOf('a').startedAt) + 2500, `b's runner started ahead, while a worked (${b.startedAhead})`);
          // Not while a's agent was starting: the pool waited AHEAD_AFTER_LAUNCH_MS after the pass
          // that launched a (the runner's clock is this machine's). Counted from that pass (its
          // 'scheduled' mark), as the engine counts: a's launch itself (its tree, its runner) ends
          // later, the more so on a loaded machine.
          // (Node's timers count from the event loop's clock, read once per turn of the loop: a
          // timer may end a millisecond or two before Date.now() says its time is up — hence 5 ms.)
          const aScheduled = scheduled.get('a')!;
          assert.ok(Date.parse(b.startedAhead) >= aScheduled + AHEAD_AFTER_LAUNCH_MS - 5, `b's runner started ${Date.parse(b.startedAhead) - aScheduled} ms after the pass that launched a, not before ${AHEAD_AFTER_LAUNCH_MS} ms`);
        } else {
          assert.equal(a.startedAhead, undefined);
          assert.equal(b.startedAhead, undefined);
        }
        assert.ok(fs.existsSync(path.join(repo, '.git')));
        engine.dispose();
      } finally {
        if (saved === undefined) delete process.env.WAVES_RUNNER_POOL;
        else process.env.WAVES_RUNNER_POOL = saved;
      }
    }
  });
});
