/**
 * One attempt supervised (src/engine/attempt/supervise.ts, runnerSpec.ts) with real processes:
 * the runner bundle started through a `LocalExecutor`, the scripted test agent as its agent, in
 * a real git repository. Its spec built from the agent's profile, its walls, its end judged
 * (clean, failed, cancelled, timed out), a stop asked before and while it runs, a runner that
 * ends without an exit record, an exit record of another start. Waits on conditions only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { presetProfile } from '../../../src/core/agents/agentProfiles';
import { interruptionOf, type AttemptEnd } from '../../../src/core/agents/exitJudgement';
import { attemptFiles } from '../../../src/core/run/runPaths';
import type { ExitRecord } from '../../../src/engine/attempt/adopt';
import type { AttemptPlace } from '../../../src/engine/attempt/executor';
import { DEFAULT_GRACE_MS, type RunnerMeta, type RunnerSpec } from '../../../src/engine/attempt/runnerFiles';
import { runnerSpec } from '../../../src/engine/attempt/runnerSpec';
import { localAttempts, type SuperviseTiming } from '../../../src/engine/attempt/supervise';
import { isolateGit, scriptedAgent } from '../engineFixtures';
import { buildRunner, makeRepo, pidAlive, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

function placeIn(repo: string): AttemptPlace {
  const dir = path.join(repo, '.waves', 'supervised', '1');
  return { packageId: 'pkg', attempt: 1, dir, files: attemptFiles(dir) };
}

interface Try {
  /** The scripted agent's instructions, one a line of its prompt. */
  script: string[];
  /** Default: no walls (the walls' own test asks for them). */
  confinement?: { unconfined: true };
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The token the spec carries, when not the start's (a spec the runner refuses). */
  specToken?: string;
  timing?: SuperviseTiming;
  /** Before the runner starts (its attempt written). */
  beforeStart?: (place: AttemptPlace, token: string) => void;
}

/** Writes and starts one attempt of the scripted agent in a new repository. */
async function supervised(t: Try) {
  const repo = makeRepo();
  const place = placeIn(repo);
  const { supervisor, walled } = localAttempts({ repoRoot: repo, featureId: 'feat', runnerScript, confinement: 'confinement' in t ? t.confinement : { unconfined: true }, timing: t.timing ?? { pollMs: 50 } });
  const token = randomBytes(16).toString('hex');
  const spec = runnerSpec({ agent: scriptedAgent(), place, worktree: repo, feature: 'feat', token: t.specToken ?? token, walled, env: { EXTRA: 'x' }, timeoutMs: t.timeoutMs ?? null, graceMs: 1000 });
  await supervisor.write(place, `${t.script.map((line) => `test-agent: ${line}`).join('\n')}\n`, spec);
  t.beforeStart?.(place, token);
  const attempt = await supervisor.start({ attempt: place, startToken: token, title: 'waves test', cwd: repo, interactive: false }, t.signal);
  return { repo, place, token, walled, attempt };
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** A file the runner may be writing as it is read (meta.json is created, then written): null until it is whole. */
function whenWhole<T>(file: string): T | null {
  try {
    return readJson<T>(file);
  } catch {
    return null;
  }
}

function judged(end: AttemptEnd<ExitRecord>) {
  assert.ok(end.exit, `an exit record, not: ${JSON.stringify(end)}`);
  return { exit: end.exit, judgement: end.judgement };
}

describe('runnerSpec: one spec from an agent profile', () => {
  const place = placeIn('/repo');
  const base = { place, worktree: '/tree', feature: 'feat', token: 't0k3n', env: { A: '1', WAVES_RESULT_FILE: 'ignored' }, timeoutMs: 60_000 };

  test("the attempt's files in the agent's argv and environment; its grace by default; its profile's verdict, pattern and id", () => {
    const spec = runnerSpec({ ...base, agent: scriptedAgent(), walled: false });
    assert.deepEqual(spec.argv.slice(-6), ['--prompt', place.files.prompt, '--result', place.files.result, '--package', 'pkg']);
    assert.deepEqual(spec.env, { A: '1', WAVES_RESULT_FILE: place.files.result, WAVES_ATTEMPT_DIR: place.dir });
    assert.deepEqual([spec.cwd, spec.startToken, spec.timeoutMs, spec.graceMs, spec.interactive, spec.stdinFile], ['/tree', 't0k3n', 60_000, DEFAULT_GRACE_MS, false, null]);
    assert.deepEqual([spec.verdict, spec.needsInputPattern, spec.agentId], ['claude-stream-json', 'waiting for approval', scriptedAgent().id]);
    assert.equal(runnerSpec({ ...base, agent: scriptedAgent(), walled: false, graceMs: 5 }).graceMs, 5);
  });

  test("permission arguments only when commands are named (a package's), none for an attempt without (a planning round's)", () => {
    const claude = presetProfile('claude-code')!;
    const own = runnerSpec({ ...base, agent: claude, walled: false });
    const withCommands = runnerSpec({ ...base, agent: claude, walled: false, commands: ['npm test'] });
    assert.ok(!own.argv.includes('--allowedTools'));
    assert.deepEqual(withCommands.argv.slice(0, own.argv.length), own.argv);
    assert.deepEqual(withCommands.argv.slice(own.argv.length, own.argv.length + 1), ['--allowedTools']);
    assert.equal(withCommands.argv.at(-1), 'Bash(npm test)');
  });

  test("the attempt's waves MCP server (ADR 0036): before the permission list, before an interactive prompt's `--`; Claude's tools shown directly", () => {
    const talk = { config: '/repo/a/mcp.json', command: 'node', args: ['/d/waves-mcp.js'], env: { WAVES_TALK_TOKEN: 't' } };
    const claude = runnerSpec({ ...base, agent: presetProfile('claude-code')!, walled: true, commands: ['npm test'], talk });
    const at = claude.argv.indexOf('--mcp-config');
    assert.deepEqual(claude.argv.slice(at, at + 3), ['--mcp-config', '/repo/a/mcp.json', '--strict-mcp-config']);
    assert.ok(at < claude.argv.indexOf('--allowedTools'), 'before the variadic list');
    assert.equal(claude.argv.at(-1), 'mcp__waves');
    assert.equal(claude.env.ENABLE_TOOL_SEARCH, 'false');
    const interactive = runnerSpec({ ...base, agent: presetProfile('claude-code-interactive')!, walled: true, talk });
    const dashes = interactive.argv.indexOf('--');
    assert.ok(dashes > interactive.argv.indexOf('--strict-mcp-config'), interactive.argv.join(' '));
    assert.equal(interactive.argv.length - dashes, 2, 'the prompt alone after --');
    // Without a server: nothing of it.
    assert.ok(!runnerSpec({ ...base, agent: presetProfile('claude-code')!, walled: true }).argv.includes('--mcp-config'));
  });

  test('inside walls, a CLI with a sandbox of its own is run without it (its profile for walls)', () => {
    const codex = presetProfile('codex')!;
    assert.ok(codex.insideWalls, 'the codex preset has a profile for walls');
    assert.deepEqual(runnerSpec({ ...base, agent: codex, walled: true }).argv.slice(0, 2), codex.insideWalls!.slice(0, 2));
    assert.notDeepEqual(runnerSpec({ ...base, agent: codex, walled: true }).argv, runnerSpec({ ...base, agent: codex, walled: false }).argv);
  });
});

describe('an attempt supervised', () => {
  test('inside its walls, an agent that ends by itself: its exit record judged clean, its work in its tree', async () => {
    const { repo, place, attempt, walled } = await supervised({ script: ['write notes.txt hello', 'verdict-ok all done'], confinement: undefined });
    const end = await attempt.ended();
    const { exit, judgement } = judged(end);
    assert.equal(walled, true);
    assert.deepEqual([exit.code, judgement, end.stopAsked, interruptionOf(end)], [0, { end: 'clean', saidFailed: null }, false, null]);
    assert.equal(fs.readFileSync(path.join(repo, 'notes.txt'), 'utf8'), 'hello');
    const spec = readJson<RunnerSpec>(place.files.spec);
    assert.ok(spec.walls?.bwrap, 'the spec asks the runner for walls');
    assert.deepEqual([spec.env.EXTRA, spec.env.WAVES_ATTEMPT_DIR, spec.graceMs], ['x', place.dir, 1000]);
    assert.equal(await attempt.ended(), end, 'the same end on every call');
  });

  test("an agent that fails is judged failed with its words; one that exits 0 saying it failed is clean with its failure said", async () => {
    const failed = judged(await (await supervised({ script: ['exit 3'] })).attempt.ended());
    assert.equal(failed.exit.code, 3);
    assert.equal(failed.judgement.end, 'failed');
    assert.match(failed.judgement.end === 'failed' ? failed.judgement.reason : '', /exited with code 3/);
    const said = judged(await (await supervised({ script: ['verdict-error the tests fail'] })).attempt.ended());
    assert.equal(said.judgement.end, 'clean');
    assert.match(said.judgement.end === 'clean' ? (said.judgement.saidFailed ?? '') : '', /reported an error .*: the tests fail$/);
  });

  test('a stop while its agent works: cancelled, its agent ended and its runner gone', async () => {
    const controller = new AbortController();
    const { place, attempt } = await supervised({ script: ['hang'], signal: controller.signal });
    const meta = await waitFor(() => whenWhole<RunnerMeta>(place.files.meta), 'the runner to start');
    const agentPid = await waitFor(() => whenWhole<RunnerMeta>(place.files.meta)?.agentPid, 'the agent to start');
    assert.equal(attempt.stopAsked, false);
    controller.abort();
    const end = await attempt.ended();
    const { judgement } = judged(end);
    assert.equal(judgement.end, 'cancelled');
    assert.deepEqual([end.stopAsked, interruptionOf(end)], [true, 'cancelled']);
    assert.equal(pidAlive(agentPid), false, 'its agent is ended');
    await waitFor(() => !pidAlive(meta.runnerPid), 'its runner to end');
  });

  test('a stop asked before its runner started: its agent is stopped as it starts', async () => {
    const controller = new AbortController();
    controller.abort();
    const end = await (await supervised({ script: ['hang'], signal: controller.signal })).attempt.ended();
    assert.ok(end.exit, 'it ended with its exit record');
    assert.equal(end.exit.cancelled, true);
    assert.equal(interruptionOf(end), 'cancelled');
  });

  test('its time limit: failed and timed out', async () => {
    const end = await (await supervised({ script: ['hang'], timeoutMs: 300 })).attempt.ended();
    const { judgement } = judged(end);
    assert.deepEqual([judgement.end, judgement.end === 'failed' && judgement.timedOut], ['failed', true]);
    assert.equal(interruptionOf(end), 'timed-out');
  });

  test('a runner that ends without an exit record (a spec it refuses): lost after the wait, nothing judged', async () => {
    const { place, attempt } = await supervised({ script: ['write x.txt x'], specToken: 'not-the-start-token', timing: { pollMs: 50, lostAfterMs: 100 } });
    const end = await attempt.ended();
    assert.deepEqual(end, { exit: null, lost: 'the runner ended without an exit record', stopAsked: false });
    assert.equal(interruptionOf(end), 'runner-lost');
    assert.equal(fs.existsSync(place.files.meta), false, 'its agent never started');
  });

  test('an exit record of another start is not its end: the one its runner writes is', async () => {
    const stale = { version: 1, startToken: 'another-start', code: 7, signal: null, reason: 'stale', timedOut: false, cancelled: false, verdict: null };
    const { token, attempt } = await supervised({ script: ['sleep 300', 'verdict-ok'], beforeStart: (place) => fs.writeFileSync(place.files.exit, JSON.stringify(stale)) });
    const { exit, judgement } = judged(await attempt.ended());
    assert.deepEqual([exit.startToken, exit.code, judgement.end], [token, 0, 'clean']);
  });
});
