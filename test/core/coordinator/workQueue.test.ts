/**
 * Pull workers' queue, without the database (core/coordinator/workQueue.ts): placement, what may
 * be queued, reasons kept to one line, reports read back, and the fence check before a merge.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isQueueName, mergeableReport, MAX_QUEUE_REASON_CHARS, orderProblems, parseReport, placementProblem, PROMPT_PLACES, promptFor, queuedProblems, queueReason, upstreamPlace, type QueuedPackage } from '../../../src/core/coordinator/workQueue';

const ok: QueuedPackage = { featureId: 'f', runId: '20261130-1', packageId: 'api', attempt: 1, agent: 'claude-code', labels: ['gpu'], planFile: 'plans/work-packages.yaml', planHash: 'a'.repeat(64), baseRef: 'waves/f/integration', baseSha: 'b'.repeat(40), order: { prompt: 'Do it.', upstream: {}, timeoutMs: null } };
const report = { branch: 'waves/f/api', headSha: 'c'.repeat(40), exitCode: 0, detail: 'done', result: null };

describe('the work queue: placement', () => {
  test('a worker may claim a package whose agent it runs and whose labels it has, when not draining; else why not', () => {
    const w = { name: 'w1', agents: ['claude-code', 'codex'], labels: ['gpu', 'linux'], draining: false };
    assert.equal(placementProblem(ok, w), null);
    assert.equal(placementProblem({ agent: 'gemini', labels: [] }, w), 'w1 does not run gemini (it runs claude-code, codex)');
    assert.equal(placementProblem({ agent: 'codex', labels: ['macos', 'gpu', 'arm64'] }, w), 'w1 lacks macos, arm64');
    assert.equal(placementProblem(ok, { ...w, draining: true }), 'w1 is draining: it takes nothing new');
    assert.equal(placementProblem(ok, { ...w, agents: [] }), 'w1 does not run claude-code (it runs no agent)');
  });
});

describe('the work queue: input', () => {
  test('what may be queued: names of safe characters, a plan hash, a full base commit, a bound of tries', () => {
    assert.deepEqual(queuedProblems(ok), []);
    assert.deepEqual(queuedProblems({ ...ok, maxTries: 5, baseSha: 'd'.repeat(64) }), []);
    const bad = queuedProblems({ ...ok, packageId: '../x', agent: '', labels: ['a b'], planFile: '../plan.yaml', planHash: 'x', baseRef: '-x', baseSha: 'abc', maxTries: 0 });
    assert.deepEqual(bad, [
      'packageId must be a name of letters, digits and ._:@- (at most 128)',
      'agent must be a name of letters, digits and ._:@- (at most 128)',
      'labels must be names of letters, digits and ._:@-',
      'planFile must be a path inside the repository',
      'planHash must be a SHA-256 in hex',
      'baseRef must be a branch name',
      'baseSha must be a full commit id',
      'maxTries must be 1 … 100',
    ]);
    for (const name of ['-rf', '', 'a'.repeat(129), 'x;y', 'x y', 'ü', 42]) assert.equal(isQueueName(name), false, String(name));
    for (const name of ['w1', 'host.example:2', 'me@box', 'claude-code']) assert.equal(isQueueName(name), true, name);
  });

  test('a reason is one line of at most 500 characters', () => {
    assert.equal(queueReason('  the disk\n is  full  '), 'the disk is full');
    assert.equal(queueReason(' \n '), 'no reason given');
    const long = queueReason('x'.repeat(2_000));
    assert.equal(long.length, MAX_QUEUE_REASON_CHARS);
    assert.ok(long.endsWith('…'));
  });

  test('a report read back is trusted only when it is one: a branch name, a full commit id, an exit code', () => {
    assert.deepEqual(parseReport(report), report);
    assert.deepEqual(parseReport({ ...report, exitCode: null, detail: 'a\nb' }), { ...report, exitCode: null, detail: 'a b' });
    for (const bad of [null, [], 'x', { ...report, branch: 'waves/../main' }, { ...report, branch: '-x y' }, { ...report, headSha: 'HEAD' }, { ...report, exitCode: 1.5 }]) {
      assert.equal(parseReport(bad), null, JSON.stringify(bad));
    }
  });
});

describe('the work queue: fencing at the merge', () => {
  test('mergeable only when done under the fence of the report read, with that branch and head', () => {
    const item = { packageId: 'api', state: 'done' as const, fence: 3, report };
    assert.deepEqual(mergeableReport(item, { fence: 3, report }), { ok: true });
    assert.deepEqual(mergeableReport(item, { fence: 2, report }), { ok: false, reason: "api's report was made under claim 2; the queue's claim is 3: a worker that lost its lease" });
    assert.deepEqual(mergeableReport({ ...item, state: 'claimed' }, { fence: 3, report }), { ok: false, reason: 'api is claimed on the queue, not done' });
    assert.deepEqual(mergeableReport(item, { fence: 3, report: { ...report, headSha: 'e'.repeat(40) } }), { ok: false, reason: "api's report on the queue is not the one read" });
  });
});

describe('the work queue: a work order', () => {
  test("the prompt's marks become the worker's paths, each wherever it stands; an unknown mark stays as it is", () => {
    const prompt = `Tree ${PROMPT_PLACES.worktree}, record ${PROMPT_PLACES.resultFile}, again ${PROMPT_PLACES.worktree}; dep at ${upstreamPlace('dep')}; ${upstreamPlace('other')} and {{waves:nothing}}.`;
    const text = promptFor({ prompt }, { worktree: '/w/t', resultFile: '/w/a/result.json', attemptDir: '/w/a', upstream: { dep: '/w/a/upstream/dep.json' } });
    assert.equal(text, 'Tree /w/t, record /w/a/result.json, again /w/t; dep at /w/a/upstream/dep.json; {{waves:upstream:other}} and {{waves:nothing}}.');
    // A path holding `$&` or `$1` is put in as it is.
    assert.equal(promptFor({ prompt: PROMPT_PLACES.worktree }, { worktree: '/w/$&$1', resultFile: '', attemptDir: '', upstream: {} }), '/w/$&$1');
  });

  test('what an order must be', () => {
    assert.deepEqual(orderProblems({ prompt: 'Do it.', upstream: { dep: '{}' }, timeoutMs: 60_000 }), []);
    assert.deepEqual(orderProblems({ prompt: 'Do it.', upstream: {}, timeoutMs: null }), []);
    assert.deepEqual(orderProblems(null), ['order must be {prompt, upstream, timeoutMs}']);
    assert.deepEqual(orderProblems({ prompt: ' ', upstream: { '../x': '{}' }, timeoutMs: -1 }), [
      'order.prompt must be a text of at most 1000000 characters',
      'order.upstream must map package ids to record texts',
      'order.timeoutMs must be a positive whole number or null',
    ]);
    assert.deepEqual(queuedProblems({ ...ok, order: { prompt: 'x'.repeat(1_000_001), upstream: {}, timeoutMs: null } }), ['order.prompt must be a text of at most 1000000 characters']);
    // Whether the driver answers the agent's calls: true or false, nothing else.
    assert.deepEqual(orderProblems({ prompt: 'Do it.', upstream: {}, timeoutMs: null, talk: true }), []);
    assert.deepEqual(orderProblems({ prompt: 'Do it.', upstream: {}, timeoutMs: null, talk: 'yes' }), ['order.talk must be true or false']);
  });

  test("an order's verification steps, and a report's results of them, are read only when they are ones", () => {
    const order = { prompt: 'Do it.', upstream: {}, timeoutMs: null };
    assert.deepEqual(orderProblems({ ...order, verify: [{ step: 'test', command: 'npm test' }] }), []);
    assert.deepEqual(orderProblems({ ...order, verify: [] }), []);
    for (const verify of [[{ step: 'test', command: ' ' }], [{ step: 1, command: 'npm test' }], 'npm test', Array.from({ length: 65 }, () => ({ step: 's', command: 'c' }))])
      assert.deepEqual(orderProblems({ ...order, verify }), ['order.verify must be a list of at most 64 steps {step, command}'], JSON.stringify(verify).slice(0, 60));
    const report = { branch: 'waves-workers/f/r/p/1.1', headSha: 'a'.repeat(40), exitCode: 0, detail: 'ok', result: null };
    assert.deepEqual(parseReport({ ...report, verification: [{ step: 'test', command: 'npm test', ok: false, detail: 'exit 1\n— boom' }] })?.verification, [{ step: 'test', command: 'npm test', ok: false, detail: 'exit 1 — boom' }]);
    assert.equal(parseReport({ ...report, verification: [{ step: 'test', command: 'npm test', ok: 'yes', detail: '' }] })?.verification, undefined, 'results that are not ones are not taken: the driver verifies');
    assert.equal(parseReport(report)?.verification, undefined);
  });
});
