/**
 * The runner (`src/engine/attempt/runner.ts`, bundled as dist/runner.js) with real processes: the
 * bundle is built once and started as `process.execPath runner.js <attemptDir> <token>` with
 * ELECTRON_RUN_AS_NODE=1, the way a VS Code terminal hosts it; the agent is the scripted
 * test agent (test/fixtures/agents/scripted-agent.mjs).
 *
 * Run: node --import tsx --test test/engine/attempt/runner.test.ts
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { USAGE_LIMIT_PATTERN } from '../../../src/core/agents/agentLogs.js';
import { attemptFiles } from '../../../src/core/run/runPaths.js';
import { runnerEnv } from '../../../src/engine/attempt/launcher.js';
import { confinementAvailable } from '../../../src/engine/attempt/confinement.js';
import type { RunnerExit, RunnerMeta, RunnerSpec } from '../../../src/engine/attempt/runnerFiles.js';
import { buildRunner, git, makeRepo, pidAlive, processesNaming, SCRIPTED_AGENT, spawnProcess, tempDir, waitFor, type Spawned } from '../helpers.js';

let runnerJs = '';
before(async () => {
  runnerJs = await buildRunner();
});

interface AttemptOptions extends Partial<RunnerSpec> {
  /** Instructions for the scripted agent (WAVES_TEST_AGENT). */
  script?: string;
}

/** A new attempt folder with spec.json; the agent is the scripted agent unless argv is given. */
function makeAttempt(options: AttemptOptions = {}): { dir: string; token: string; files: ReturnType<typeof attemptFiles>; cwd: string } {
  const dir = tempDir('waves-attempt-');
  const cwd = options.cwd ?? tempDir('waves-agent-cwd-');
  const token = crypto.randomBytes(12).toString('hex');
  const files = attemptFiles(dir);
  const env: Record<string, string> = { ...(options.env ?? {}) };
  if (options.script !== undefined) env.WAVES_TEST_AGENT = options.script;
  const spec: RunnerSpec = {
    version: 1,
    argv: options.argv ?? [process.execPath, SCRIPTED_AGENT, '--result', files.result, '--package', 'pkg-a'],
    cwd,
    env,
    interactive: options.interactive ?? false,
    stdinFile: options.stdinFile ?? null,
    timeoutMs: options.timeoutMs ?? null,
    graceMs: options.graceMs ?? 2000,
    startToken: token,
    verdict: options.verdict ?? 'none',
    needsInputPattern: options.needsInputPattern ?? null,
  };
  fs.writeFileSync(files.spec, JSON.stringify(spec));
  return { dir, token, files, cwd };
}

function startRunner(dir: string, token: string, stdin: 'pipe' | 'ignore' = 'ignore'): Spawned {
  return spawnProcess([process.execPath, runnerJs, dir, token], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdin });
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** Waits until meta.json names the agent's pid. */
async function agentStarted(files: ReturnType<typeof attemptFiles>): Promise<RunnerMeta> {
  return waitFor(() => {
    try {
      const meta = readJson<RunnerMeta>(files.meta);
      return meta.agentPid ? meta : null;
    } catch {
      return null; // not written yet
    }
  }, 'meta.json with the agent pid');
}

describe('runner: a headless attempt', () => {
  it('success: meta.json, the agent edits its cwd, output teed to agent.log and stdout, exit.json, exit 0', async () => {
    const a = makeAttempt({ script: 'print hello from the agent; write src/x.ts export const x = 1' });
    const r = startRunner(a.dir, a.token);
    const { code } = await r.exited;
    assert.equal(code, 0, r.stderr());
    const meta = readJson<RunnerMeta>(a.files.meta);
    assert.equal(meta.runnerPid, r.child.pid);
    assert.equal(typeof meta.agentPid, 'number');
    assert.equal(meta.startToken, a.token);
    assert.equal(fs.readFileSync(path.join(a.cwd, 'src/x.ts'), 'utf8'), 'export const x = 1');
    assert.match(fs.readFileSync(a.files.log, 'utf8'), /hello from the agent/);
    assert.match(r.stdout(), /hello from the agent/);
    const exit = readJson<RunnerExit>(a.files.exit);
    assert.equal(exit.code, 0);
    assert.equal(exit.signal, null);
    assert.equal(exit.timedOut, false);
    assert.equal(exit.cancelled, false);
    assert.equal(exit.startToken, a.token);
    assert.equal(exit.reason, 'the agent exited with code 0');
    assert.deepEqual(readJson<{ files_modified: string[]; status: string }>(a.files.result).files_modified, ['src/x.ts']);
    assert.deepEqual(
      fs.readdirSync(a.dir).filter((f) => f.includes('.tmp-')),
      [],
      'no temporary file is left behind',
    );
  });

  it("a failing agent: the runner exits with the agent's code, exit.json says so", async () => {
    for (const [script, want] of [
      ['fail', 3],
      ['exit 7', 7],
    ] as const) {
      const a = makeAttempt({ script });
      const r = startRunner(a.dir, a.token);
      assert.equal((await r.exited).code, want);
      const exit = readJson<RunnerExit>(a.files.exit);
      assert.equal(exit.code, want);
      assert.equal(exit.reason, `the agent exited with code ${want}`);
      assert.equal(fs.existsSync(a.files.result), false, 'a failing agent wrote no result record');
    }
  });

  it('the prompt on stdin (stdinFile) with test-agent: markers in the description', async () => {
    const promptDir = tempDir();
    const prompt = path.join(promptDir, 'prompt.md');
    fs.writeFileSync(prompt, '# Task\n\nSome text.\n\n- test-agent: write notes.md from the prompt\n');
    const a = makeAttempt({ stdinFile: prompt });
    const r = startRunner(a.dir, a.token);
    assert.equal((await r.exited).code, 0, r.stderr());
    assert.equal(fs.readFileSync(path.join(a.cwd, 'notes.md'), 'utf8'), 'from the prompt');
  });

  it('an agent that cannot start: exit.json with the reason, runner exit 1', async () => {
    const a = makeAttempt({ argv: [path.join(tempDir(), 'no-such-agent')] });
    const r = startRunner(a.dir, a.token);
    assert.equal((await r.exited).code, 1);
    const exit = readJson<RunnerExit>(a.files.exit);
    assert.equal(exit.code, null);
    assert.match(exit.reason, /could not start.*ENOENT/);
  });

  it('the agent inherits neither ELECTRON_RUN_AS_NODE nor the shared coordinator\'s URL (its password) from its host, and gets spec.env', async () => {
    const a = makeAttempt({
      argv: [process.execPath, '-e', 'console.log(`E=${process.env.ELECTRON_RUN_AS_NODE ?? "unset"} C=${process.env.WAVES_COORDINATOR ?? "unset"} X=${process.env.X_FROM_SPEC}`)'],
      env: { X_FROM_SPEC: 'yes' },
    });
    const r = spawnProcess([process.execPath, runnerJs, a.dir, a.token], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', WAVES_COORDINATOR: 'postgres://ana:hunter22@db.example/waves' } });
    assert.equal((await r.exited).code, 0);
    assert.match(fs.readFileSync(a.files.log, 'utf8'), /E=unset C=unset X=yes/);
  });

  it('the agent gets NODE_EXTRA_CA_CERTS back when the launcher held it from the runner', async () => {
    const env = runnerEnv({ PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: '/certs.pem' }, { X: '1' });
    assert.equal(env.NODE_EXTRA_CA_CERTS, undefined);
    assert.equal(env.WAVES_NODE_EXTRA_CA_CERTS, '/certs.pem');
    assert.equal(env.X, '1');
    assert.equal(runnerEnv({ PATH: '/bin' }, {}).WAVES_NODE_EXTRA_CA_CERTS, undefined);
    const a = makeAttempt({
      argv: [process.execPath, '-e', 'console.log(`C=${process.env.NODE_EXTRA_CA_CERTS ?? "unset"} H=${process.env.WAVES_NODE_EXTRA_CA_CERTS ?? "unset"}`)'],
    });
    const certs = path.join(a.dir, 'no-certs.pem'); // empty: Node warns and goes on
    fs.writeFileSync(certs, '');
    const base: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    delete base.NODE_EXTRA_CA_CERTS;
    const r = spawnProcess([process.execPath, runnerJs, a.dir, a.token], { env: runnerEnv(base, { NODE_EXTRA_CA_CERTS: certs }) });
    assert.equal((await r.exited).code, 0, r.stderr());
    const log = fs.readFileSync(a.files.log, 'utf8');
    assert.ok(log.includes(`C=${certs} H=unset`), log);
  });

  it('exit 0 with an error verdict: code 0, verdict reported and not ok', async () => {
    const a = makeAttempt({ script: 'verdict-error the API refused', verdict: 'claude-stream-json' });
    const r = startRunner(a.dir, a.token);
    assert.equal((await r.exited).code, 0);
    const exit = readJson<RunnerExit>(a.files.exit);
    assert.equal(exit.code, 0);
    assert.equal(exit.verdict.reported, true);
    assert.equal(exit.verdict.ok, false);
    assert.match(exit.verdict.detail, /the API refused/);
  });

  it('a success verdict is read too', async () => {
    const a = makeAttempt({ script: 'verdict-ok', verdict: 'claude-stream-json' });
    const r = startRunner(a.dir, a.token);
    assert.equal((await r.exited).code, 0);
    assert.deepEqual(
      (({ reported, ok }) => ({ reported, ok }))(readJson<RunnerExit>(a.files.exit).verdict),
      { reported: true, ok: true },
    );
  });
});

describe('runner: watchdog and cancel', () => {
  it('timeout: SIGTERM to the whole group, SIGKILL after the grace for a grandchild that ignores SIGTERM', async () => {
    const pidFile = path.join(tempDir(), 'grandchild.pid');
    const a = makeAttempt({ script: `grandchild ${pidFile}; hang`, timeoutMs: 700, graceMs: 300 });
    const r = startRunner(a.dir, a.token);
    const grandchild = Number(await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8'), 'the grandchild pid'));
    assert.ok(pidAlive(grandchild));
    const { code } = await r.exited;
    assert.equal(code, 1);
    const exit = readJson<RunnerExit>(a.files.exit);
    assert.equal(exit.timedOut, true);
    assert.equal(exit.cancelled, false);
    assert.equal(exit.signal, 'SIGTERM');
    assert.match(exit.reason, /timed out after 0\.7 s; the agent was ended by SIGTERM/);
    assert.equal(pidAlive(grandchild), false, 'the grandchild was killed with the group');
  });

  it('cancel by the cancel file', async () => {
    const a = makeAttempt({ script: 'hang' });
    const r = startRunner(a.dir, a.token);
    const meta = await agentStarted(a.files);
    fs.writeFileSync(a.files.cancel, '');
    assert.equal((await r.exited).code, 1);
    const exit = readJson<RunnerExit>(a.files.exit);
    assert.equal(exit.cancelled, true);
    assert.equal(exit.timedOut, false);
    assert.match(exit.reason, /cancel file/);
    assert.equal(pidAlive(meta.agentPid!), false);
  });

  it('cancel of an agent inside its walls, at any moment of its start: nothing of it outlives the runner', async () => {
    const bwrap = confinementAvailable();
    assert.ok(bwrap.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${bwrap.ok ? '' : bwrap.why}`);
    for (const [delayMs, interactive] of [[0, false], [60, false], [250, false], [60, true], [250, true]] as const) {
      const a = makeAttempt({ script: 'hang', walls: { bwrap: bwrap.bwrap }, graceMs: 500, interactive });
      const r = startRunner(a.dir, a.token);
      await agentStarted(a.files);
      await new Promise((res) => setTimeout(res, delayMs));
      fs.writeFileSync(a.files.cancel, '');
      assert.equal((await r.exited).code, 1, `cancelled ${delayMs} ms after the start${interactive ? ', in a terminal' : ''}`);
      assert.equal(readJson<RunnerExit>(a.files.exit).cancelled, true);
      // bubblewrap, the relay and the agent all name the attempt's folder on their command lines.
      assert.deepEqual(processesNaming(a.dir), [], `cancelled ${delayMs} ms after the start${interactive ? ', in a terminal' : ''}: no process of the attempt is left`);
    }
  });

  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`cancel by ${sig} to the runner`, async () => {
      const a = makeAttempt({ script: 'hang' });
      const r = startRunner(a.dir, a.token);
      const meta = await agentStarted(a.files);
      r.child.kill(sig);
      assert.equal((await r.exited).code, 1);
      const exit = readJson<RunnerExit>(a.files.exit);
      assert.equal(exit.cancelled, true);
      assert.match(exit.reason, new RegExp(`runner got ${sig}`));
      assert.equal(pidAlive(meta.agentPid!), false);
    });
  }
});

describe('runner: refusals', () => {
  it('a revived runner (meta.json present) refuses with exit 3 and never runs the agent twice', async () => {
    const a = makeAttempt({ script: 'append runs.txt run\\n' });
    assert.equal((await startRunner(a.dir, a.token).exited).code, 0);
    const exitBefore = fs.readFileSync(a.files.exit, 'utf8');
    const again = startRunner(a.dir, a.token);
    assert.equal((await again.exited).code, 3);
    assert.match(again.stderr(), /this attempt already ran/);
    assert.equal(fs.readFileSync(path.join(a.cwd, 'runs.txt'), 'utf8'), 'run\n');
    assert.equal(fs.readFileSync(a.files.exit, 'utf8'), exitBefore, 'exit.json is untouched');
  });

  it('a token that does not match spec.json: exit 2, nothing touched', async () => {
    const a = makeAttempt({ script: 'write x.txt' });
    const r = startRunner(a.dir, 'not-the-token');
    assert.equal((await r.exited).code, 2);
    assert.match(r.stderr(), /start token does not match/);
    assert.deepEqual(fs.readdirSync(a.dir), ['spec.json']);
    assert.equal(fs.existsSync(path.join(a.cwd, 'x.txt')), false);
  });

  it('a bad spec or bad arguments: exit 2 with a message', async () => {
    const dir = tempDir();
    fs.writeFileSync(attemptFiles(dir).spec, JSON.stringify({ version: 1, argv: [], startToken: 't' }));
    const r = startRunner(dir, 't');
    assert.equal((await r.exited).code, 2);
    assert.match(r.stderr(), /argv must be a non-empty list/);
    const usage = spawnProcess([process.execPath, runnerJs]);
    assert.equal((await usage.exited).code, 2);
    assert.match(usage.stderr(), /usage: runner\.js/);
  });
});

describe('runner: interactive', () => {
  it('stdio is passed through (inherited): stdin reaches the agent, its output the terminal; no agent.log', async () => {
    const a = makeAttempt({ script: 'echo-stdin', interactive: true });
    const r = startRunner(a.dir, a.token, 'pipe');
    await agentStarted(a.files);
    r.child.stdin!.end('typed by a person\n');
    assert.equal((await r.exited).code, 0, r.stderr());
    assert.match(r.stdout(), /typed by a person/);
    assert.equal(fs.existsSync(a.files.log), false);
    assert.equal(readJson<RunnerMeta>(a.files.meta).interactive, true);
  });
});

describe('runner: needs input', () => {
  it('a usage-limit line writes needs-input.json; output flowing again removes it', async () => {
    const resume = path.join(tempDir(), 'resume');
    const a = makeAttempt({ script: 'ask; hang', env: { WAVES_TEST_AGENT_RESUME: resume }, needsInputPattern: USAGE_LIMIT_PATTERN });
    const r = startRunner(a.dir, a.token);
    const record = await waitFor(() => fs.existsSync(a.files.needsInput) && readJson<{ reason: string; source: string; since: string }>(a.files.needsInput), 'needs-input.json');
    assert.match(record.reason, /^usage limit: Claude usage limit reached/);
    assert.equal(record.source, 'output');
    assert.ok(!Number.isNaN(Date.parse(record.since)));
    fs.writeFileSync(resume, '');
    await waitFor(() => !fs.existsSync(a.files.needsInput), 'needs-input.json to go');
    assert.equal(fs.existsSync(a.files.exit), false, 'the agent still runs');
    fs.writeFileSync(a.files.cancel, '');
    assert.equal((await r.exited).code, 1);
  });

  it('no pattern in the spec: no detection', async () => {
    const a = makeAttempt({ script: 'ask', env: { WAVES_TEST_AGENT_RESUME: path.join(tempDir(), 'never') }, timeoutMs: 1500, graceMs: 100 });
    const r = startRunner(a.dir, a.token);
    await waitFor(() => fs.existsSync(a.files.log) && /usage limit/.test(fs.readFileSync(a.files.log, 'utf8')), 'the usage-limit line in the log');
    fs.writeFileSync(a.files.cancel, '');
    await r.exited;
    assert.equal(fs.existsSync(a.files.needsInput), false);
  });

  it('hooks: --needs-input writes it (source hook), --input-resumed clears it; a missing folder is an error', async () => {
    const dir = tempDir();
    const set = spawnProcess([process.execPath, runnerJs, '--needs-input', dir, 'Claude needs your permission to use Bash']);
    assert.equal((await set.exited).code, 0, set.stderr());
    const rec = readJson<{ reason: string; source: string }>(attemptFiles(dir).needsInput);
    assert.deepEqual([rec.reason, rec.source], ['Claude needs your permission to use Bash', 'hook']);
    const clear = spawnProcess([process.execPath, runnerJs, '--input-resumed', dir]);
    assert.equal((await clear.exited).code, 0);
    assert.equal(fs.existsSync(attemptFiles(dir).needsInput), false);
    const bad = spawnProcess([process.execPath, runnerJs, '--needs-input', path.join(dir, 'missing'), 'x']);
    assert.equal((await bad.exited).code, 2);
  });

  it('a needs-input left by a hook is cleared when the agent ends', async () => {
    const a = makeAttempt({ script: 'hang' });
    const r = startRunner(a.dir, a.token);
    await agentStarted(a.files);
    assert.equal((await spawnProcess([process.execPath, runnerJs, '--needs-input', a.dir, 'waiting']).exited).code, 0);
    assert.ok(fs.existsSync(a.files.needsInput));
    fs.writeFileSync(a.files.cancel, '');
    await r.exited;
    assert.equal(fs.existsSync(a.files.needsInput), false);
  });
});

describe('the scripted agent through the runner, in a real repository', () => {
  const run = async (repo: string, script: string): Promise<RunnerExit> => {
    const a = makeAttempt({ script, cwd: repo });
    const r = startRunner(a.dir, a.token);
    await r.exited;
    return readJson<RunnerExit>(a.files.exit);
  };
  const status = (repo: string) => git(repo, 'status', '--porcelain=v1', '--untracked-files=all');

  it('writes outside its scope and commits', async () => {
    const repo = makeRepo({ 'README.md': 'r\n' });
    assert.equal((await run(repo, 'write src/api/x.ts; write src/web/outside.ts; commit add files')).code, 0);
    assert.equal(status(repo), '');
    assert.deepEqual(git(repo, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n'), ['src/api/x.ts', 'src/web/outside.ts']);
    assert.match(git(repo, 'log', '-1', '--format=%an %s'), /Scripted Agent add files/);
  });

  it('deletes a file (left uncommitted)', async () => {
    const repo = makeRepo({ 'README.md': 'r\n', 'old.ts': 'o\n' });
    assert.equal((await run(repo, 'delete old.ts')).code, 0);
    assert.equal(status(repo), ' D old.ts\n');
  });

  it('does nothing and exits 0 (no result record)', async () => {
    const repo = makeRepo();
    const a = makeAttempt({ script: '', cwd: repo });
    await startRunner(a.dir, a.token).exited;
    assert.equal(readJson<RunnerExit>(a.files.exit).code, 0);
    assert.equal(status(repo), '');
    assert.equal(fs.existsSync(a.files.result), false);
  });

  it('edits one line of a shared file (the conflicting sibling), sleeps, then writes its record', async () => {
    const repo = makeRepo({ 'shared.txt': 'one\ntwo\nthree\n' });
    const a = makeAttempt({ script: 'sleep 50; line shared.txt 2 TWO by a; result partial', cwd: repo });
    await startRunner(a.dir, a.token).exited;
    assert.equal(fs.readFileSync(path.join(repo, 'shared.txt'), 'utf8'), 'one\nTWO by a\nthree\n');
    assert.equal(readJson<{ status: string }>(a.files.result).status, 'partial');
  });

  it('an unknown instruction fails loudly (exit 64)', async () => {
    const repo = makeRepo();
    assert.equal((await run(repo, 'frobnicate')).code, 64);
  });
});
