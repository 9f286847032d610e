/**
 * The executor seam (src/engine/attempt/executor.ts, ADR 0006): the engine drives an attempt only
 * through its `Executor`. A real `LocalExecutor` wrapped by a recording decorator — real git
 * repositories, the real runner bundle, the scripted test agent as real processes — shows
 * the calls the engine makes, in order, for a handoff, a cancel and an adoption; and the
 * `LocalExecutor` names what runPaths names. Waits on conditions only.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { attemptDir, attemptFiles, integrationBranch, packageBranch, runStateFile, worktreePath } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import type { EngineOptions, Executor } from '../../../src/engine/run/engine';
import { madeAheadAt } from '../../../src/engine/git/treeMarks';
import { LocalExecutor } from '../../../src/engine/attempt/localExecutor';
import { engineFor as sharedEngineFor, isolateGit, repoWithPlan, treeFiles } from '../engineFixtures';
import { buildRunner, git, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

interface Call {
  method: string;
  packageId: string | null;
  /** What the call resolved to (set when it settles). */
  result?: unknown;
}

/** Names only, no I/O: not recorded. */
const NAMES = new Set(['treePath', 'attempt']);

/** The package a call is about: its first argument's package id (a result file: the folder two levels up). */
function packageOf(method: string, args: unknown[]): string | null {
  const first = args[0];
  if (method === 'readResult' && typeof first === 'string') return path.basename(path.dirname(path.dirname(first)));
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object') {
    const o = first as { packageId?: unknown; attempt?: { packageId?: unknown } };
    if (typeof o.packageId === 'string') return o.packageId;
    if (typeof o.attempt?.packageId === 'string') return o.attempt.packageId;
  }
  return null;
}

/** A decorator recording every call with I/O, in the order made, then delegating to `inner`. */
function recording(inner: Executor, calls: Call[]): Executor {
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      const method = String(name);
      if (NAMES.has(method)) return value.bind(target);
      return (...args: unknown[]) => {
        const call: Call = { method, packageId: packageOf(method, args) };
        calls.push(call);
        const out: unknown = value.apply(target, args);
        if (out instanceof Promise) return out.then((r: unknown) => ((call.result = r), r));
        call.result = out;
        return out;
      };
    },
  });
}

/** A recording LocalExecutor as the engine's executor. */
function recorded(calls: Call[]): Pick<EngineOptions, 'executor'> {
  return { executor: (where) => recording(new LocalExecutor({ ...where, runnerScript }), calls) };
}

const engineFor = (planFile: string, extra: Partial<EngineOptions> = {}) => sharedEngineFor(planFile, runnerScript, extra);

/** Polling reads (how often they come depends on timing): left out of the order. */
const POLLS = new Set(['readExit', 'readNeedsInput', 'liveness']);

/** The package's calls in order, polls left out. */
function orderOf(calls: Call[], id: string): string[] {
  return calls.filter((c) => c.packageId === id && !POLLS.has(c.method)).map((c) => c.method);
}

/** Index of the first call matching. */
function first(calls: Call[], match: (c: Call) => boolean, what: string): number {
  const i = calls.findIndex(match);
  assert.ok(i >= 0, `${what} in ${calls.map((c) => `${c.packageId}:${c.method}`).join(' ')}`);
  return i;
}

describe('the executor seam', () => {
  test('the engine drives attempts entirely through an injected executor: tree, attempt files, start, exit, commit, audit, hand-back, removal', async () => {
    const { repo, planFile } = repoWithPlan('seam', [
      { id: 'a', agent: ['write a/one.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/two.txt', 'commit'] },
    ]);
    const calls: Call[] = [];
    const { engine } = await engineFor(planFile, recorded(calls));
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(treeFiles(repo, integrationBranch('seam')), ['README.md', 'a/one.txt', 'b/two.txt', 'work-packages.yaml']);

    const lifecycle = ['startToken', 'prepareTree', 'talkServer', 'writeAttempt', 'watch', 'start', 'inspectTree', 'commitLeftovers', 'changes', 'readResult', 'handBack', 'removeTree'];
    // Each package: its lifecycle, then the report's read of its result record.
    assert.deepEqual(orderOf(calls, 'a'), [...lifecycle, 'readResult']);
    assert.deepEqual(orderOf(calls, 'b'), [...lifecycle, 'readResult']);

    for (const id of ['a', 'b']) {
      // The exit was learnt through the executor, after the start and before the commit.
      const started = first(calls, (c) => c.packageId === id && c.method === 'start', `${id}'s start`);
      const exitSeen = first(calls, (c) => c.packageId === id && c.method === 'readExit' && c.result !== null, `${id}'s exit read`);
      const committed = first(calls, (c) => c.packageId === id && c.method === 'commitLeftovers', `${id}'s commit`);
      assert.ok(started < exitSeen && exitSeen < committed, `${id}: start < exit read < commit`);
    }
    // The handoff: b's tree is prepared after a's branch was handed back (merged), a's tree removed after b started.
    assert.ok(first(calls, (c) => c.packageId === 'a' && c.method === 'handBack', "a's hand-back") < first(calls, (c) => c.packageId === 'b' && c.method === 'prepareTree', "b's tree"));
    assert.ok(first(calls, (c) => c.packageId === 'b' && c.method === 'start', "b's start") < first(calls, (c) => c.packageId === 'a' && c.method === 'removeTree', "a's removal"));

    // What the executor handed back is what the run recorded.
    const state = outcome.state;
    const prepared = calls.find((c) => c.packageId === 'b' && c.method === 'prepareTree')!.result as { worktree: string; baseSha: string };
    assert.equal(state.packages.b!.worktree, prepared.worktree);
    assert.equal(state.packages.b!.baseSha, prepared.baseSha);
    assert.equal(state.packages.b!.baseSha, state.merges.a!.commit, 'b started from a merged');
    assert.equal(calls.find((c) => c.packageId === 'a' && c.method === 'handBack')!.result, packageBranch('seam', 'a'));
    // The start token is the executor's (a runner started ahead carries it): the spec and the run state name it.
    for (const id of ['a', 'b']) assert.equal(state.packages[id]!.startToken, calls.find((c) => c.packageId === id && c.method === 'startToken')!.result);
    const launched = calls.find((c) => c.packageId === 'a' && c.method === 'start')!.result as { pid: number | null };
    assert.equal(state.packages.a!.pid, launched.pid);
    // Both trees removed (clean and merged); the branches stay while git wants them.
    assert.deepEqual(
      calls.filter((c) => c.method === 'removeTree').map((c) => (c.result as { removed: boolean }).removed),
      [true, true],
    );
  });

  test('needs-input and a cancel go through the executor', { timeout: 60_000 }, async () => {
    const { planFile } = repoWithPlan('seam-cancel', [{ id: 'w', agent: ['ask waiting for approval', 'write w/x.txt'] }]);
    const calls: Call[] = [];
    const resume = path.join(tempDir(), 'resume-never');
    const { engine, events } = await engineFor(planFile, { ...recorded(calls), env: { WAVES_TEST_AGENT_RESUME: resume } });
    const done = engine.run();
    await waitFor(() => events.some((e) => e.type === 'needs-input' && e.packageId === 'w'), 'w to need input');
    const asked = calls.find((c) => c.method === 'readNeedsInput' && (c.result as { reason: string | null } | undefined)?.reason);
    assert.match((asked?.result as { reason: string }).reason, /waiting for approval/);
    await engine.cancel();
    const outcome = await done;
    assert.equal(outcome.outcome, 'cancelled');
    assert.equal(outcome.state.packages.w!.status, 'cancelled');
    // …then the report reads its result record.
    assert.deepEqual(orderOf(calls, 'w'), ['startToken', 'prepareTree', 'talkServer', 'writeAttempt', 'watch', 'start', 'cancel', 'readResult']);
    const exit = calls.filter((c) => c.method === 'readExit' && c.result !== null).at(-1)?.result as { cancelled: boolean } | undefined;
    assert.equal(exit?.cancelled, true, 'the runner stopped the agent and its exit came through the executor');
  });

  test('a resume adopts a live runner through the executor: its liveness, then its exit record, then a watch', { timeout: 60_000 }, async () => {
    const { repo, planFile } = repoWithPlan('seam-adopt', [{ id: 'b', agent: ['ask waiting for approval', 'write b/x.txt'] }]);
    const resume = path.join(tempDir(), 'resume');
    const env = { WAVES_TEST_AGENT_RESUME: resume };
    const firstEngine = await engineFor(planFile, { env });
    void firstEngine.engine.run().catch(() => undefined);
    await waitFor(() => firstEngine.events.some((e) => e.type === 'needs-input' && e.packageId === 'b'), 'b to wait for input', 30_000);
    firstEngine.engine.dispose(); // the engine goes, its agent stays

    const calls: Call[] = [];
    const { engine, events } = await engineFor(planFile, { ...recorded(calls), env });
    const done = engine.run({ resume: true });
    await waitFor(() => events.some((e) => e.type === 'run-started'), 'the resumed run to start');
    const runId = (JSON.parse(fs.readFileSync(runStateFile(repo, 'seam-adopt'), 'utf8')) as RunState).runId;
    fs.writeFileSync(resume, '');
    const outcome = await done;
    assert.equal(outcome.runId, runId);
    assert.equal(outcome.state.packages.b!.status, 'succeeded');
    assert.equal(outcome.state.packages.b!.attempts, 1);
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'b' && /adopted/.test(e.detail ?? '')));

    // Reconcile: the runner alive, then the exit record (none yet: a runner ending between the two reads has written it), then the watch; no new tree, no new start.
    const b = calls.filter((c) => c.packageId === 'b');
    assert.deepEqual(
      b.slice(0, 3).map((c) => c.method),
      ['liveness', 'readExit', 'watch'],
    );
    assert.equal((b[0]!.result as { alive: boolean }).alive, true);
    assert.equal(b[1]!.result, null);
    assert.ok(!b.some((c) => c.method === 'prepareTree' || c.method === 'start' || c.method === 'writeAttempt'));
    assert.deepEqual(orderOf(calls, 'b'), ['watch', 'inspectTree', 'commitLeftovers', 'changes', 'readResult', 'handBack', 'removeTree', 'readResult']);
  });
});

describe('LocalExecutor', () => {
  test('names trees and attempts as runPaths does (the sibling folder, or the configured one)', () => {
    const repo = '/tmp/some/repo';
    const local = new LocalExecutor({ repoRoot: repo, featureId: 'feature-one', runnerScript });
    assert.equal(local.treePath('api', true), worktreePath(repo, 'feature-one', 'api'));
    assert.equal(local.treePath('api', true), path.join('/tmp/some/repo.worktrees', 'feature-one', 'api'));
    assert.equal(local.treePath('api', false), path.join('/tmp/some/repo.worktrees', 'feature-one', '_shared'), "a shared package works in the feature's shared worktree, never in the repository");
    const dir = attemptDir(repo, 'feature-one', 'r1', 'api', 2);
    assert.deepEqual(local.attempt('r1', 'api', 2), { packageId: 'api', attempt: 2, dir, files: attemptFiles(dir) });
    const configured = new LocalExecutor({ repoRoot: repo, featureId: 'feature-one', worktreesFolder: '/elsewhere' });
    assert.equal(configured.treePath('api', true), path.join('/elsewhere', 'feature-one', 'api'));
  });

  test('reads an attempt as it is on disk: needs-input present, readable or not; meta; exit; cancel', async () => {
    const repo = tempDir('waves-local-');
    const local = new LocalExecutor({ repoRoot: repo, featureId: 'f', runnerScript });
    const place = local.attempt('r1', 'a', 1);
    fs.mkdirSync(place.dir, { recursive: true });
    assert.deepEqual(await local.readNeedsInput(place), { present: false, reason: null });
    fs.writeFileSync(place.files.needsInput, '{"reas'); // caught half-written
    assert.deepEqual(await local.readNeedsInput(place), { present: true, reason: null });
    fs.writeFileSync(place.files.needsInput, JSON.stringify({ since: 'now', reason: 'usage limit', source: 'output' }));
    assert.deepEqual(await local.readNeedsInput(place), { present: true, reason: 'usage limit' });

    assert.equal(await local.readStarted(place), null);
    fs.writeFileSync(place.files.meta, JSON.stringify({ runnerPid: 4242, startToken: 'tok' }));
    assert.deepEqual(await local.readStarted(place), { startToken: 'tok', runnerPid: 4242 });
    // A dead pid (meta.json's wins over the hint) is not alive.
    assert.deepEqual(await local.liveness(place, 'tok', 1), { pid: 4242, alive: false });

    assert.equal(await local.readExit(place), null);
    fs.writeFileSync(place.files.exit, JSON.stringify({ startToken: 'tok', code: 0, signal: null, reason: '', timedOut: false, cancelled: false, verdict: null }));
    assert.equal((await local.readExit(place))?.code, 0);

    await local.cancel(place, new Date('2026-01-02T03:04:05Z'));
    assert.equal(fs.readFileSync(place.files.cancel, 'utf8'), '2026-01-02T03:04:05.000Z\n');
    assert.equal(await local.readResult(place.files.result), null);
  });
});

/**
 * A plan where `a` waits at a gate, then does `aThen`, and `b` (writing b/two.txt) depends on it:
 * the run started and b's tree made ahead while a waits. `open()` lets a go on.
 */
async function bMadeAheadWhileAWaits(feature: string, aThen: string[], extra: Partial<EngineOptions> = {}) {
  const gate = path.join(tempDir(), 'gate');
  const { repo, planFile } = repoWithPlan(feature, [
    { id: 'a', agent: [`wait-for ${gate}`, ...aThen] },
    { id: 'b', deps: ['a'], agent: ['write b/two.txt'] },
  ]);
  const { engine } = await engineFor(planFile, extra);
  const done = engine.run();
  const tree = worktreePath(repo, feature, 'b');
  // Made to the end: its mark written (the lock reason names the commit from the tree's first moment).
  await waitFor(() => fs.existsSync(tree) && madeAheadAt(tree) !== null && fs.existsSync(aheadMarkOf(tree) ?? ''), "b's tree made while a works", 30_000);
  return { repo, planFile, engine, done, tree, open: () => fs.writeFileSync(gate, '') };
}

/** The mark file of a tree made ahead, in its private git folder; null before the tree's `.git` file exists. */
function aheadMarkOf(tree: string): string | null {
  try {
    const gitdir = /^gitdir: (.*)$/m.exec(fs.readFileSync(path.join(tree, '.git'), 'utf8'))?.[1];
    return gitdir ? path.join(path.resolve(tree, gitdir.trim()), 'waves-made-ahead') : null;
  } catch {
    return null;
  }
}

/** A set-up hook that appends the tree it runs in to `log` (an argv: no shell); with `failFirst`, its first run then exits 1. */
function hookInto(log: string, failFirst = false): string[] {
  const fail = failFirst ? `; if (require('fs').readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n').filter(Boolean).length === 1) process.exit(1)` : '';
  return [process.execPath, '-e', `require('fs').appendFileSync(${JSON.stringify(log)}, process.cwd() + '\\n')${fail}`];
}
/** The engine's options for that hook: it runs inside walls drawn for a command, so the log's folder is one the person lets it write (`waves.sandbox.write`). */
const hookOptions = (log: string, failFirst = false) => ({ setupHook: hookInto(log, failFirst), confinement: { options: { write: [path.dirname(log)] } } });
const hookRuns = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
const real = (p: string) => fs.realpathSync(p);

describe('the set-up hook', () => {
  test('a retry after the hook failed runs it again in the same tree, and the package goes on', { timeout: 60_000 }, async () => {
    const { repo, planFile } = repoWithPlan('setup-retry', [{ id: 'a', agent: ['write a/one.txt'], retryBudget: 1 }]);
    const log = path.join(tempDir(), 'hook.log');
    const { engine } = await engineFor(planFile, hookOptions(log, true));
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(outcome.state.packages.a!.attempts, 1, 'one agent ran: the first try failed at the hook, before its agent');
    // (The tree is gone now, merged; the repository's folder is a real path already, as the hook's cwd is.)
    const tree = worktreePath(repo, 'setup-retry', 'a');
    assert.deepEqual(hookRuns(log), [tree, tree], 'the hook ran in the tree, failed, and ran there again for the retry');
  });

  test('a retry after the hook succeeded does not run it again', { timeout: 60_000 }, async () => {
    const { repo, planFile } = repoWithPlan('setup-once', [{ id: 'a', agent: ['fail'], retryBudget: 1 }]);
    const log = path.join(tempDir(), 'hook.log');
    const { engine } = await engineFor(planFile, hookOptions(log));
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'failed');
    assert.equal(outcome.state.packages.a!.attempts, 2, 'the agent ran twice');
    assert.deepEqual(hookRuns(log), [worktreePath(repo, 'setup-once', 'a')], 'the hook ran once, in the new tree');
  });
});

describe('trees made ahead (#18, ADR 0016)', () => {

  test("while a package works, its dependents' trees are made; each attempt takes its tree as made, fast-forwarded to the merge, and the set-up hook runs then", { timeout: 60_000 }, async () => {
    const gate = path.join(tempDir(), 'gate');
    const { repo, planFile } = repoWithPlan('ahead', [
      { id: 'a', agent: [`wait-for ${gate}`, 'write a/one.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/two.txt'] },
      { id: 'c', deps: ['a'], agent: ['write c/three.txt'] },
    ]);
    const log = path.join(tempDir(), 'hook.log');
    const { engine } = await engineFor(planFile, hookOptions(log));
    const done = engine.run();
    const trees = ['b', 'c'].map((id) => worktreePath(repo, 'ahead', id));
    await waitFor(() => trees.every((t) => fs.existsSync(t) && madeAheadAt(t) !== null && fs.existsSync(aheadMarkOf(t) ?? '')), "b's and c's trees made while a works", 30_000);
    assert.deepEqual(hookRuns(log).map(real), [real(worktreePath(repo, 'ahead', 'a'))], 'the hook has not run in a tree made ahead yet');
    const madeAt = madeAheadAt(trees[0]!);
    assert.equal(madeAt, git(repo, 'rev-parse', integrationBranch('ahead')).trim(), 'made at the integration tip of that moment');

    fs.writeFileSync(gate, '');
    const outcome = await done;
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    for (const id of ['b', 'c']) {
      assert.equal(outcome.state.packages[id]!.baseSha, outcome.state.merges.a!.commit, `${id} started from a merged`);
      assert.equal(outcome.state.packages[id]!.worktree, worktreePath(repo, 'ahead', id));
    }
    assert.equal(hookRuns(log).length, 3, 'the hook ran once in each tree');
    assert.deepEqual(treeFiles(repo, integrationBranch('ahead')), ['README.md', 'a/one.txt', 'b/two.txt', 'c/three.txt', 'work-packages.yaml']);
    // Merged and clean: removed as any tree is.
    for (const t of trees) assert.equal(fs.existsSync(t), false);
  });

  test('trees made for packages that never start are removed at the end of the run, with their branches', { timeout: 60_000 }, async () => {
    const { repo, done, tree, open } = await bMadeAheadWhileAWaits('ahead-fail', ['fail']);
    open();
    const outcome = await done;
    assert.equal(outcome.outcome, 'failed');
    assert.notEqual(outcome.state.packages.b!.status, 'succeeded');
    assert.equal(outcome.state.packages.b!.attempts, 0, 'b never started');
    assert.equal(fs.existsSync(tree), false, "b's tree is gone");
    assert.equal(git(repo, 'branch', '--list', packageBranch('ahead-fail', 'b')).trim(), '', "and b's branch");
    assert.ok(!git(repo, 'worktree', 'list', '--porcelain').includes(tree));
  });

  test('a resume takes the tree the engine before it made (its mark), and runs the set-up hook in it', { timeout: 60_000 }, async () => {
    const log = path.join(tempDir(), 'hook.log');
    const first = await bMadeAheadWhileAWaits('ahead-resume', ['write a/one.txt'], hookOptions(log));
    void first.done.catch(() => undefined);
    first.engine.dispose(); // the engine goes (a window reload); a's agent and b's tree stay
    const { repo, planFile } = first;

    const { engine } = await engineFor(planFile, hookOptions(log));
    const done = engine.run({ resume: true });
    first.open();
    const outcome = await done;
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(outcome.state.packages.b!.baseSha, outcome.state.merges.a!.commit);
    assert.equal(hookRuns(log).length, 2, "the hook ran in a's tree and, on the resume, in b's tree made ahead");
    assert.deepEqual(treeFiles(repo, integrationBranch('ahead-resume')), ['README.md', 'a/one.txt', 'b/two.txt', 'work-packages.yaml']);
  });
});

describe('trees made ahead against an agent that does not follow its prompt (#18, ADR 0016)', () => {
  test("an engine stopped before it marked the tree it made ahead: on the resume the tree is still taken only as made, a planted file refused", { timeout: 60_000 }, async () => {
    const first = await bMadeAheadWhileAWaits('ahead-unmarked', ['write a/one.txt']);
    void first.done.catch(() => undefined);
    first.engine.dispose();
    const { repo, planFile, tree: bTree } = first;
    // As if the engine had stopped between `worktree add` and its mark; a sibling then writes into the tree.
    fs.rmSync(aheadMarkOf(bTree)!);
    fs.mkdirSync(path.join(bTree, 'b'), { recursive: true });
    fs.writeFileSync(path.join(bTree, 'b', 'planted.ts'), 'from a sibling');
    const { engine } = await engineFor(planFile);
    const done = engine.run({ resume: true });
    first.open();
    const outcome = await done;
    assert.equal(outcome.state.packages.a!.status, 'succeeded');
    assert.equal(outcome.state.packages.b!.status, 'failed');
    assert.match(outcome.state.packages.b!.lastError ?? '', /made ahead for waves\/ahead-unmarked\/b, changed before its package started \(1 file\(s\) changed or added: b\/planted\.ts\)/);
    assert.deepEqual(treeFiles(repo, integrationBranch('ahead-unmarked')), ['README.md', 'a/one.txt', 'work-packages.yaml'], 'nothing planted merged');
  });

  test("an agent that writes into its dependent's tree made ahead: the dependent refuses the tree, nothing planted merges, the file is kept", { timeout: 60_000 }, async () => {
    // a's tree and b's are siblings (<repo>.worktrees/<feature>/a and /b): a writes into b's, in b's own scope.
    const { repo, done, tree: bTree, open } = await bMadeAheadWhileAWaits('ahead-planted', ['write ../b/b/planted.ts from a', 'write a/one.txt'], {
      // The engine's own defence, without walls (they would refuse the write before the engine sees it; walls.test.ts).
      confinement: { unconfined: true },
    });
    open();
    const outcome = await done;
    assert.equal(outcome.outcome, 'failed');
    assert.equal(outcome.state.packages.a!.status, 'succeeded', "a's own work is in its scope");
    assert.equal(outcome.state.packages.b!.status, 'failed');
    assert.match(outcome.state.packages.b!.lastError ?? '', /changed before its package started \(1 file\(s\) changed or added: b\/planted\.ts\)/);
    assert.deepEqual(treeFiles(repo, integrationBranch('ahead-planted')), ['README.md', 'a/one.txt', 'work-packages.yaml'], 'nothing planted merged, nothing of b');
    assert.equal(fs.readFileSync(path.join(bTree, 'b', 'planted.ts'), 'utf8'), 'from a', 'the planted file is kept for the person to look at');
    assert.notEqual(madeAheadAt(bTree), null, 'kept as it is, mark and all: the end of the run does not remove it either');
  });
});
