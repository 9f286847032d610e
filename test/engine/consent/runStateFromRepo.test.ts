/**
 * Run state from a repository starts nothing (docs/security.md promise 8): a
 * repository commits `.waves/runs/<feature>.json` with a running package and a matching
 * `exit.json`, a failed package within its retry budget and a package whose dependencies
 * succeeded. Opened by a window (the front door's reconcile and adopt) nothing of it is driven
 * and no agent starts; the person's own Run starts a run of their own, their Resume goes on
 * with it. And a genuine adoption on this machine — exits written while nobody watched —
 * collects them and starts nothing new. Real git repositories, the real runner, the scripted
 * agent as a real process that leaves a marker outside the repository whenever it runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { attemptDir, attemptFiles, historyFile, integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunState } from '../../../src/core/run/runState';
import { AdoptRefusedError, readRun, reconcileRun, type EngineEvent, type EngineOptions } from '../../../src/engine';
import { machineId, personId } from '../../../src/engine/consent/machine';
import { engineFor as sharedEngineFor, engineGoneWhileWaiting, exists, isolateGit, planYaml, treeFiles, type TestPackage } from '../engineFixtures';
import { applied, exitRecordText, startedEvents } from '../../fixtures/shippedRun';
import { buildRunner, git, makeRepo, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

/** The folders the agents write their markers into: their walls let them (as `waves.sandbox.write` would). */
const markerFolders: string[] = [];
function markers(): string {
  const dir = tempDir('waves-markers-');
  markerFolders.push(dir);
  return dir;
}
const walls = (): Partial<EngineOptions> => ({ confinement: { options: { write: [...markerFolders] } } });
const engineFor = (planFile: string, extra: Partial<EngineOptions> = {}) => sharedEngineFor(planFile, runnerScript, { ...walls(), ...extra });

/** What the editor's Reconciler asks of the engine when it adopts a run nobody drives (runController.ts `adopt`). */
const ADOPT: Partial<EngineOptions> = { keepInterrupted: true, collectOnly: true };

const FEATURE = 'shipped';
const RUN_ID = '20250101-000000-abcdef';

/** Every package's agent leaves `<out>/<id>.ran` when it runs at all. */
const PACKAGES = (out: string): TestPackage[] => [
  { id: 'a', retryBudget: 2, agent: [`write ${out}/a.ran ran`, 'write a/x.txt'] },
  { id: 'b', retryBudget: 2, agent: [`write ${out}/b.ran ran`, 'write b/x.txt'] },
  { id: 'e', agent: [`write ${out}/e.ran ran`, 'write e/x.txt'] },
  { id: 'c', deps: ['e'], agent: [`write ${out}/c.ran ran`, 'write c/x.txt'] },
];

/**
 * The run state a repository ships: `a` running with its exit written (token `tok-a`), `b`
 * failed after one attempt (budget 2), `e` succeeded and `c` pending on it — every automatic
 * path of the scheduler would start an agent. `machine` and `person` as given (absent: as a repository has it).
 */
function shippedState(repo: string, owner?: Pick<RunState, 'machine' | 'person'>): RunState {
  const where = (id: string) => {
    const files = attemptFiles(attemptDir(repo, FEATURE, RUN_ID, id, 1));
    return { worktree: path.join(repo, 'elsewhere', id), logFile: files.log, resultFile: files.result };
  };
  const state = applied(createRunState({ featureId: FEATURE, planFile: 'work-packages.yaml', runId: RUN_ID, packageIds: ['a', 'b', 'e', 'c'], now: new Date('2025-01-01T00:00:00.000Z') }), [
    ...startedEvents('a', 'tok-a', where('a')),
    ...startedEvents('b', 'tok-b', where('b')),
    { type: 'exited', packageId: 'b', exitCode: 1, reason: 'exited with 1' },
    ...startedEvents('e', 'tok-e', where('e')),
    { type: 'exited', packageId: 'e', exitCode: 0 },
    { type: 'succeeded', packageId: 'e' },
  ]);
  assert.deepEqual(
    Object.values(state.packages).map((r) => `${r.packageId}:${r.status}`),
    ['a:running', 'b:failed', 'e:succeeded', 'c:pending'],
  );
  return owner ? { ...state, ...owner } : state;
}

/** A repository whose last commit ships `.waves/` with the run above and `a`'s exit.json. */
function repoShipping(owner?: Pick<RunState, 'machine' | 'person'>): { repo: string; planFile: string; out: string; shipped: string } {
  const out = markers();
  const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': planYaml(FEATURE, PACKAGES(out)) });
  const state = shippedState(repo, owner);
  const shipped = JSON.stringify(state, null, 2) + '\n';
  fs.mkdirSync(path.dirname(runStateFile(repo, FEATURE)), { recursive: true });
  fs.writeFileSync(runStateFile(repo, FEATURE), shipped);
  const exit = attemptFiles(attemptDir(repo, FEATURE, RUN_ID, 'a', 1)).exit;
  fs.mkdirSync(path.dirname(exit), { recursive: true });
  fs.writeFileSync(exit, exitRecordText('tok-a'));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'a run state, shipped');
  return { repo, planFile: path.join(repo, 'work-packages.yaml'), out, shipped };
}

/** The markers agents left: which packages' agents ran. */
const ran = (out: string) => fs.readdirSync(out).sort();

/** Attempt folders of the shipped run beyond what it shipped (an attempt the engine made). */
function newAttempts(repo: string): string[] {
  const made: string[] = [];
  for (const [id, shippedAttempts] of [['a', 1], ['b', 1], ['e', 1], ['c', 0]] as const) {
    for (let n = shippedAttempts + 1; n <= shippedAttempts + 3; n++) if (exists(attemptDir(repo, FEATURE, RUN_ID, id, n))) made.push(`${id}#${n}`);
  }
  return made;
}

describe('run state shipped with a repository (#15 item 11)', () => {
  test('opened by a window: foreign, offered; the adoption is refused before anything is read into the engine — no agent, no retry, nothing written', async () => {
    const { repo, planFile, out, shipped } = repoShipping();
    const read = readRun(repo, FEATURE);
    assert.ok(read.kind === 'ok', JSON.stringify(read));
    const decision = await reconcileRun(repo, read.state);
    assert.equal(decision.kind, 'foreign', JSON.stringify(decision));
    assert.deepEqual(decision.kind === 'foreign' ? decision.left : [], ['a', 'c']);

    // Whatever adopts it anyway (a window racing the file, another adopt path): the engine refuses.
    const { engine, events } = await engineFor(planFile, ADOPT);
    await assert.rejects(engine.run({ resume: true }), (err: unknown) => {
      assert.ok(err instanceof AdoptRefusedError, String(err));
      assert.equal(
        err.message,
        'the run of shipped in .waves/runs/shipped.json is not adopted: it does not say it was started on this machine (it may have come with the repository); resume it only if it is yours',
      );
      return true;
    });
    engine.dispose();
    assert.deepEqual(ran(out), [], 'no agent ran');
    assert.deepEqual(newAttempts(repo), [], 'no attempt was made');
    assert.equal(fs.readFileSync(runStateFile(repo, FEATURE), 'utf8'), shipped, 'the shipped state is untouched (not stamped as this machine\'s)');
    assert.ok(!events.some((e) => e.type === 'run-started'));
    assert.equal(git(repo, 'branch', '--list', 'waves/*'), '', 'no branch was made');
  });

  test("another machine's run state is refused the same way", async () => {
    const { repo, planFile, out, shipped } = repoShipping({ machine: '0'.repeat(64), person: '1'.repeat(64) });
    const read = readRun(repo, FEATURE);
    assert.ok(read.kind === 'ok');
    assert.deepEqual(await reconcileRun(repo, read.state), { kind: 'foreign', left: ['a', 'c'], reason: 'it was started on another machine' });
    const { engine } = await engineFor(planFile, ADOPT);
    await assert.rejects(engine.run({ resume: true }), /is not adopted: it was started on another machine; resume it only if it is yours$/);
    engine.dispose();
    assert.deepEqual(ran(out), []);
    assert.deepEqual(newAttempts(repo), []);
    assert.equal(fs.readFileSync(runStateFile(repo, FEATURE), 'utf8'), shipped);
  });

  test('a run state that is not valid is never adopted, nor moved aside or rewritten by the adoption', async () => {
    const { repo, planFile, out } = repoShipping({ machine: machineId(), person: personId() });
    const file = runStateFile(repo, FEATURE);
    const broken = fs.readFileSync(file, 'utf8').replace('"status": "failed"', '"status": "finished-ish"');
    fs.writeFileSync(file, broken);
    const read = readRun(repo, FEATURE);
    assert.ok(read.kind === 'bad', JSON.stringify(read));
    const { engine } = await engineFor(planFile, ADOPT);
    await assert.rejects(engine.run({ resume: true }), (err: unknown) => {
      assert.ok(err instanceof AdoptRefusedError, String(err));
      assert.match(err.message, /^\.waves\/runs\/shipped\.json is not a usable run state \(\/packages\/b\/status must be equal to one of the allowed values.*\): nothing is adopted$/);
      return true;
    });
    engine.dispose();
    assert.deepEqual(ran(out), []);
    assert.equal(fs.readFileSync(file, 'utf8'), broken, 'left as it is');
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.corrupt-') || n.endsWith('.bak')), []);
  });

  test("the person's Run starts a run of their own: the shipped one is archived, never gone on with", async () => {
    const { repo, planFile, out } = repoShipping();
    const { engine, events } = await engineFor(planFile);
    const outcome = await engine.run();
    engine.dispose();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.notEqual(outcome.runId, RUN_ID, 'a new run');
    assert.equal(outcome.state.machine, machineId());
    assert.equal(outcome.state.person, personId());
    for (const id of ['a', 'b', 'e', 'c']) assert.equal(outcome.state.packages[id]!.attempts, 1, `${id} ran once, in the new run`);
    assert.deepEqual(ran(out), ['a.ran', 'b.ran', 'c.ran', 'e.ran'], 'every agent of the plan ran once: the person asked');
    assert.deepEqual(newAttempts(repo), [], 'nothing of the shipped run was driven');
    assert.deepEqual(outcome.state.history.map((h) => h.runId), [RUN_ID]);
    assert.ok(exists(historyFile(repo, FEATURE, RUN_ID)), 'the shipped state is kept in the history');
    assert.ok(
      events.some(
        (e) =>
          e.type === 'problem' &&
          e.message ===
            `.waves/runs/shipped.json holds run ${RUN_ID}, which is not yours here: it does not say it was started on this machine (it may have come with the repository). A new run starts; that one is kept in .waves/history/shipped/${RUN_ID}.json. To go on with it instead, resume it (\`waves run --resume\`, or Resume).`,
      ),
      JSON.stringify(events.filter((e) => e.type === 'problem')),
    );
  });

  test("the person's Resume goes on with it: their action, and from then on it is this machine's run", async () => {
    const { repo, planFile } = repoShipping();
    const { engine } = await engineFor(planFile);
    const outcome = await engine.run({ resume: true });
    engine.dispose();
    assert.equal(outcome.runId, RUN_ID);
    assert.equal(outcome.state.machine, machineId());
    assert.equal(outcome.state.person, personId());
    const read = readRun(repo, FEATURE);
    assert.ok(read.kind === 'ok');
    assert.notEqual((await reconcileRun(repo, read.state)).kind, 'foreign');
  });
});

describe('a genuine adoption on this machine (#15 item 11)', () => {
  test('exits written while nobody watched are collected; no retry, no ready package, no new agent', async () => {
    const out = markers();
    const resume = path.join(tempDir(), 'resume');
    const repo = makeRepo({
      'README.md': '# test\n',
      'work-packages.yaml': planYaml('mine', [
        { id: 'a', agent: [`append ${out}/a.ran ran\\n`, 'ask waiting for approval', 'write a/x.txt'] },
        { id: 'b', retryBudget: 2, agent: [`append ${out}/b.ran ran\\n`, 'ask waiting for approval', 'exit 1'] },
        { id: 'c', deps: ['a'], agent: [`write ${out}/c.ran ran`, 'write c/x.txt'] },
      ]),
    });
    const planFile = path.join(repo, 'work-packages.yaml');
    const env = { WAVES_TEST_AGENT_RESUME: resume };
    // The window goes away (its engine stops driving; the agents live on) …
    const runId = await engineGoneWhileWaiting(planFile, runnerScript, ['a', 'b'], { ...walls(), env });
    // … and the agents end while nobody watches.
    fs.writeFileSync(resume, '');
    const exitOf = (id: string) => attemptFiles(attemptDir(repo, 'mine', runId, id, 1)).exit;
    await waitFor(() => exists(exitOf('a')) && exists(exitOf('b')), 'a and b to end', 30_000);

    const read = readRun(repo, 'mine');
    assert.ok(read.kind === 'ok');
    assert.deepEqual(await reconcileRun(repo, read.state), { kind: 'adopt', live: [], exited: ['a', 'b'] });
    const { engine, events } = await engineFor(planFile, { env, ...ADOPT });
    const outcome = await engine.run({ resume: true });
    engine.dispose();

    assert.equal(outcome.outcome, 'collected', JSON.stringify(outcome.counts));
    assert.equal(outcome.runId, runId);
    assert.equal(outcome.state.packages.a!.status, 'succeeded', 'a\'s exit was collected: audited and merged');
    assert.deepEqual(treeFiles(repo, integrationBranch('mine')), ['README.md', 'a/x.txt', 'work-packages.yaml']);
    assert.equal(outcome.state.packages.b!.status, 'failed');
    assert.equal(outcome.state.packages.b!.attempts, 1, 'no automatic retry, budget or not');
    assert.equal(outcome.state.packages.c!.attempts, 0, 'its dependent did not start');
    assert.deepEqual(ran(out), ['a.ran', 'b.ran'], 'no agent started after the adoption');
    assert.equal(fs.readFileSync(path.join(out, 'b.ran'), 'utf8'), 'ran\n', 'b ran once');
    for (const [id, n] of [['b', 2], ['c', 1], ['a', 2]] as const) assert.ok(!exists(attemptDir(repo, 'mine', runId, id, n)), `no attempt ${id}#${n}`);
    assert.ok(!events.some((e: EngineEvent) => e.type === 'package' && (e.status === 'queued' || e.status === 'running')));
  });
});
