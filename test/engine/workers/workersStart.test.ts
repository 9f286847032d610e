/**
 * What a run on pull workers checks at its start (engine/workers/workersStart.ts), on real git
 * repositories: the plan as the workers will read it (HEAD, or the run's integration branch once
 * the run began) against this run's; and who is there to take the packages — no worker working,
 * none running the run's agent, none with a package's labels — said, not refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { WorkerRow } from '../../../src/engine/coordinator';
import { loadPlan } from '../../../src/engine/plan';
import { workersStart } from '../../../src/engine/workers';
import { planYaml } from '../engineFixtures';
import { git, makeRepo } from '../helpers';

const PLAN = planYaml('start', [
  { id: 'plain', write: ['plain/**'] },
  { id: 'gpu', write: ['gpu/**'], requires: ['gpu'] },
]);

const worker = (name: string, extra: Partial<WorkerRow> = {}): WorkerRow => ({ name, machine: `${name}.local`, agents: ['codex'], labels: [], slots: 1, draining: false, leaseMs: 120_000, heartbeatAt: new Date().toISOString(), silentMs: 1_000, ...extra });

describe('a run on workers, at its start', () => {
  test('the plan as workers will read it: committed at HEAD goes; edited and not committed is refused with the fix; once the run began, its integration branch decides', async () => {
    const repo = makeRepo({ 'work-packages.yaml': PLAN });
    const file = path.join(repo, 'work-packages.yaml');
    const fine = await workersStart(await loadPlan(file), [worker('w', { labels: ['gpu'] })], 'codex');
    assert.deepEqual(fine, { problem: null, notes: [] });
    fs.appendFileSync(file, '# edited\n');
    const edited = await workersStart(await loadPlan(file), [worker('w')], 'codex');
    assert.match(edited.problem ?? '', /^work-packages\.yaml has changes that are not committed: workers read the plan from the base each package starts from \(HEAD\).*Commit it \(git commit work-packages\.yaml\)/);
    // The run began with the plan as it was: its integration branch has that one. Committed since on main, it is still not the workers'.
    git(repo, 'branch', 'waves/start/_integration', 'HEAD');
    git(repo, 'commit', '-q', '-am', 'the plan edited');
    const moved = await workersStart(await loadPlan(file), [worker('w')], 'codex');
    assert.match(moved.problem ?? '', /^work-packages\.yaml changed since this run began: the run's integration branch waves\/start\/_integration has it as it was then/);
    // A plan never committed.
    const loose = makeRepo({ 'README.md': '# r\n' });
    fs.writeFileSync(path.join(loose, 'work-packages.yaml'), PLAN);
    assert.match((await workersStart(await loadPlan(path.join(loose, 'work-packages.yaml')), [], 'codex')).problem ?? '', /^work-packages\.yaml is not committed at HEAD/);
  });

  test('who can take what: nobody working, nobody running the agent, nobody with a package\'s labels — each said; draining and silent workers do not count', async () => {
    const repo = makeRepo({ 'work-packages.yaml': PLAN });
    const source = await loadPlan(path.join(repo, 'work-packages.yaml'));
    const none = await workersStart(source, [worker('d', { draining: true }), worker('s', { silentMs: 200_000 })], 'codex');
    assert.equal(none.problem, null);
    assert.deepEqual(none.notes, ['no worker is working for this repository now (2 known: draining or silent): the packages wait in the queue until one claims them (waves worker --coordinator … in a clone that reaches the same remote)']);
    const otherAgent = await workersStart(source, [worker('w', { agents: ['claude-code', 'gemini'] })], 'codex');
    assert.deepEqual(otherAgent.notes, ['no worker working now runs codex (they run claude-code, gemini): its packages wait in the queue until one does (waves worker --agents codex, or --agent-argv for a custom one)']);
    const noGpu = await workersStart(source, [worker('w', { labels: ['linux'] }), worker('g', { labels: ['gpu'], draining: true })], 'codex');
    assert.deepEqual(noGpu.notes, ['gpu requires a worker with gpu: none working now has it, so it waits in the queue until one does']);
    // Its own lease decides silence: a worker with a long lease heard 3 minutes ago is working.
    assert.deepEqual((await workersStart(source, [worker('slow', { labels: ['gpu'], leaseMs: 600_000, silentMs: 180_000 })], 'codex')).notes, []);
  });
});
