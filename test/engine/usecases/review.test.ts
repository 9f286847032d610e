/**
 * The review loop's engine side: the review gate (`before-merge`: a verified package waits
 * as awaiting-review, its dependents too, until approved) and a change request carried to the
 * package's agent as a follow-up attempt from its branch (its prompt quotes each comment; no
 * retry spent). Real git, real runner, the scripted agent inside its walls.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import { retriesSpent, type RunState } from '../../../src/core/run/runState';
import { submitReview } from '../../../src/engine/usecases/review';
import type { EngineEvent, EngineOptions } from '../../../src/engine/run/engine';
import { engineFor as sharedEngineFor, isolateGit, readAt, repoWithPlan, treeFiles } from '../engineFixtures';
import { buildRunner, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const engineFor = (planFile: string, extra: Partial<EngineOptions> = {}) => sharedEngineFor(planFile, runnerScript, extra);
const readState = (repo: string, featureId: string) => JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState;
/** The package's status on disk; undefined before the run state is written. */
const statusOf = (repo: string, featureId: string, id: string) => (fs.existsSync(runStateFile(repo, featureId)) ? readState(repo, featureId).packages[id]?.status : undefined);
const started = (events: EngineEvent[], id: string) => events.filter((e) => e.type === 'package' && e.packageId === id && e.status === 'running').length;

describe('review gate and change requests (#33)', () => {
  test('before-merge: a verified package waits for the person; its dependent starts only after Approve; changes go to its agent as a revision that spends no retry', async () => {
    const out = tempDir('waves-review-out-');
    const record = path.join(out, 'a-followups.txt');
    const { repo, planFile } = repoWithPlan('gated', [
      {
        id: 'a',
        agent: ['unless-followup write a/x.ts export const x = 1;\\nexport const y = 2;\\n', 'if-followup write a/x.ts export const renamed = 1;\\nexport const y = 2;\\n', `record-followup ${record}`, 'commit'],
        retryBudget: 0,
      },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt b', 'commit'] },
    ]);
    const { engine, events } = await engineFor(planFile, { review: 'before-merge', confinement: { options: { write: [out] } } });
    const outcome = engine.run();

    await waitFor(() => statusOf(repo, 'gated', 'a') === 'awaiting-review', 'a to await review', 30_000);
    const integration = integrationBranch('gated');
    assert.ok(!treeFiles(repo, integration).includes('a/x.ts'), 'nothing is merged before the person approves');
    assert.equal(started(events, 'b'), 0, 'the dependent waits');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'a' && e.status === 'awaiting-review' && /review/.test(e.detail ?? '')));

    // Approve is refused for b (not awaiting review); a change request on a is accepted.
    const early = await submitReview(repo, 'gated', { packageId: 'b', kind: 'approve' });
    assert.deepEqual(early, { ok: false, reason: 'b is pending, not awaiting review: only a package awaiting review can be approved' });
    const sent = await submitReview(repo, 'gated', {
      packageId: 'a',
      kind: 'changes',
      comments: [
        { file: 'a/x.ts', startLine: 1, endLine: 1, excerpt: 'export const x = 1;', body: 'Call it `renamed`: x says nothing.', threadId: 't1' },
        { file: 'a/x.ts', startLine: 0, endLine: 0, excerpt: '', body: 'And keep y as it is.' },
      ],
    });
    assert.deepEqual(sent, { ok: true, delivered: 'driver' });

    await waitFor(() => readState(repo, 'gated').packages.a!.attempts === 2 && statusOf(repo, 'gated', 'a') === 'awaiting-review', 'the revision to await review', 30_000);
    const a = readState(repo, 'gated').packages.a!;
    assert.equal(a.revisions, 1);
    assert.equal(retriesSpent(a), 1, 'the revision spent no retry (budget 0, and yet it ran)');
    assert.deepEqual(a.followUps?.map((f) => [f.kind, f.attempt]), [['review', 2]]);
    assert.equal(a.followUp?.kind, 'review', 'kept until an attempt succeeds');
    const recorded = fs.readFileSync(record, 'utf8').split('-- end\n');
    assert.equal(recorded[0], 'none\n', 'the first attempt had no follow-up');
    const prompt = recorded[1]!;
    assert.match(prompt, /^### Changes requested in review/);
    assert.match(prompt, /#### `t1`: `a\/x\.ts`, line 1\n/);
    assert.match(prompt, /export const x = 1;/, 'the excerpt');
    assert.match(prompt, /Call it `renamed`: x says nothing\./);
    assert.match(prompt, /#### `c2`: `a\/x\.ts`, the whole file/);
    assert.match(prompt, /And keep y as it is\./);
    const result = JSON.parse(fs.readFileSync(a.resultFile!, 'utf8')) as { addressed?: string[] };
    assert.deepEqual(result.addressed, ['t1', 'c2']);
    assert.equal(started(events, 'b'), 0, 'still waiting');

    assert.deepEqual(await submitReview(repo, 'gated', { packageId: 'a', kind: 'approve' }), { ok: true, delivered: 'driver' });
    await waitFor(() => statusOf(repo, 'gated', 'b') === 'awaiting-review', 'b to run and await review', 30_000);
    assert.equal(readAt(repo, integration, 'a/x.ts'), 'export const renamed = 1;\nexport const y = 2;\n', 'the revision is what merged');
    assert.equal(readState(repo, 'gated').packages.a!.followUp ?? null, null, 'cleared once it succeeded');
    assert.equal((await submitReview(repo, 'gated', { packageId: 'b', kind: 'approve' })).ok, true);
    const done = await outcome;
    assert.equal(done.outcome, 'succeeded');
    assert.ok(treeFiles(repo, integration).includes('b/y.txt'));
  });

  test('a run taken up again keeps the gate it was started with unless told otherwise; review off turns it off', async () => {
    const { repo, planFile } = repoWithPlan('kept-gate', [
      { id: 'a', agent: ['write a/a.txt a', 'commit'] },
      { id: 'b', deps: ['a'], agent: ['write b/b.txt b', 'commit'] },
      { id: 'c', deps: ['b'], agent: ['write c/c.txt c', 'commit'] },
    ]);
    const first = await engineFor(planFile, { review: 'before-merge' });
    const second = await engineFor(planFile);
    const third = await engineFor(planFile, { review: 'off' });
    const begun = (events: EngineEvent[]) => events.some((e) => e.type === 'run-started');
    try {
      void first.engine.run(); // never settles: its driver goes away below
      await waitFor(() => statusOf(repo, 'kept-gate', 'a') === 'awaiting-review', 'a to await review', 30_000);
      assert.equal(readState(repo, 'kept-gate').reviewGate, 'before-merge', 'the run state says the gate is on');
      // The driver goes away (a closed editor, a stopped `waves run`) while a awaits review.
      first.engine.dispose();

      // Taken up again without saying: the gate holds — b, once a is approved, waits for review too.
      void second.engine.run({ resume: true }); // never settles: its driver goes away below
      await waitFor(() => begun(second.events), 'the run taken up', 30_000);
      assert.deepEqual(await submitReview(repo, 'kept-gate', { packageId: 'a', kind: 'approve' }), { ok: true, delivered: 'driver' });
      await waitFor(() => statusOf(repo, 'kept-gate', 'b') === 'awaiting-review', 'b to await review under the kept gate', 30_000);
      assert.equal(statusOf(repo, 'kept-gate', 'a'), 'succeeded');
      second.engine.dispose();

      // Taken up with the gate turned off: b waits as it was left (Approve merges it), c merges without waiting.
      const thirdOutcome = third.engine.run({ resume: true });
      await waitFor(() => begun(third.events), 'the run taken up once more', 30_000);
      await waitFor(() => readState(repo, 'kept-gate').reviewGate === undefined, 'the gate off in the run state on disk', 30_000);
      assert.equal(statusOf(repo, 'kept-gate', 'b'), 'awaiting-review', 'a package already waiting keeps waiting for its decision');
      assert.deepEqual(await submitReview(repo, 'kept-gate', { packageId: 'b', kind: 'approve' }), { ok: true, delivered: 'driver' });
      const done = await thirdOutcome;
      assert.equal(done.outcome, 'succeeded');
      assert.equal(done.state.packages.c!.status, 'succeeded', 'c merged without a review');
      assert.ok(treeFiles(repo, integrationBranch('kept-gate')).includes('c/c.txt'));
    } finally {
      for (const e of [first, second, third]) e.engine.dispose();
    }
  });
  test('without the gate, changes asked of a merged package run a follow-up from its branch once the run is resumed; a running package is refused', async () => {
    const out = tempDir('waves-review-out-');
    const record = path.join(out, 'followups.txt');
    const gate = path.join(out, 'gate');
    const { repo, planFile } = repoWithPlan('ungated', [
      { id: 'a', agent: ['unless-followup write a/a.txt one', 'if-followup append a/a.txt \\ntwo', `record-followup ${record}`, 'commit'] },
      { id: 'slow', agent: [`wait-for ${gate}`, 'write slow/s.txt s', 'commit'] },
    ]);
    const first = await engineFor(planFile, { confinement: { options: { write: [out], read: [out] } } });
    const outcome = first.engine.run();
    await waitFor(() => statusOf(repo, 'ungated', 'a') === 'succeeded' && statusOf(repo, 'ungated', 'slow') === 'running', 'a merged while slow runs', 30_000);
    const refused = await submitReview(repo, 'ungated', { packageId: 'slow', kind: 'changes', comments: [{ file: 'slow/s.txt', startLine: 1, endLine: 1, excerpt: 's', body: 'more' }] });
    assert.deepEqual(refused, { ok: false, reason: 'slow is running: comment once its attempt has ended' });
    fs.writeFileSync(gate, 'go');
    assert.equal((await outcome).outcome, 'succeeded');

    // No driver now: the request is queued and the front end resumes the run to carry it out.
    const sent = await submitReview(repo, 'ungated', { packageId: 'a', kind: 'changes', comments: [{ file: 'a/a.txt', startLine: 1, endLine: 1, excerpt: 'one', body: 'Add a second line.' }] });
    assert.deepEqual(sent, { ok: true, delivered: 'state', resume: true });
    const again = await engineFor(planFile, { confinement: { options: { write: [out], read: [out] } } });
    const resumed = await again.engine.run({ resume: true });
    assert.equal(resumed.outcome, 'succeeded');
    const a = resumed.state.packages.a!;
    assert.equal(a.attempts, 2);
    assert.equal(a.revisions, 1);
    assert.equal(resumed.state.packages.slow!.attempts, 1, 'only the package asked for changes ran again');
    assert.equal(readAt(repo, integrationBranch('ungated'), 'a/a.txt'), 'one\ntwo');
    assert.deepEqual(a.changedFiles, [{ path: 'a/a.txt', change: 'M' }], 'the follow-up is audited against the tip it started from: its own change only');
    assert.match(fs.readFileSync(record, 'utf8').split('-- end\n')[1]!, /Add a second line\./);
  });
  test('a comment on the integrated result runs a follow-up of its owner only, from the integration tip; one that writes outside its scope is refused as any attempt is', async () => {
    const { repo, planFile } = repoWithPlan('routed-follow', [
      { id: 'a', agent: ['write a/a.txt a', 'commit'] },
      { id: 'b', agent: ['unless-followup write b/b.txt b', 'if-followup write b/b.txt b2', 'if-followup write a/a.txt taken over', 'commit'] },
    ]);
    const first = await engineFor(planFile);
    assert.equal((await first.engine.run()).outcome, 'succeeded');
    const sent = await submitReview(repo, 'routed-follow', { packageId: 'b', kind: 'changes', from: 'integration', comments: [{ file: 'b/b.txt', startLine: 1, endLine: 1, excerpt: 'b', body: 'Say b2.' }] });
    assert.deepEqual(sent, { ok: true, delivered: 'state', resume: true });
    const again = await engineFor(planFile);
    const done = await again.engine.run({ resume: true });
    const { a, b } = done.state.packages;
    assert.equal(a!.attempts, 1, 'the other package did not run again');
    assert.equal(b!.attempts, 2);
    assert.equal(b!.status, 'scope-violation', 'its follow-up wrote a file of a');
    assert.deepEqual(b!.scopeViolations, [{ path: 'a/a.txt', change: 'M' }]);
    assert.equal(readAt(repo, integrationBranch('routed-follow'), 'a/a.txt'), 'a', 'nothing of it merged');
    assert.equal(readAt(repo, integrationBranch('routed-follow'), 'b/b.txt'), 'b');
  });
});
