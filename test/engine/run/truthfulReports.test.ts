/**
 * Reports from what git saw: a package's files come from its audited change set,
 * the result record's claims are compared with it, and a "done" record with no change is not
 * a success — with the real runner and the scripted agent as a real process in real git
 * repositories.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, test } from 'node:test';
import { engineFor, isolateGit, repoWithPlan } from '../engineFixtures';
import { buildRunner } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

describe('reports from what git saw', () => {
  test('a record that lists a file the agent never wrote: the package merges what it did write, and the claim is flagged', async () => {
    const { planFile } = repoWithPlan('claims', [{ id: 'a', agent: ['write a/real.txt', 'claim a/ghost.txt'] }]);
    const { engine, events } = await engineFor(planFile, runnerScript);
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.state.packages.a!.status, 'succeeded', outcome.state.packages.a!.lastError ?? '');
    const problems = events.flatMap((e) => (e.type === 'problem' ? [e.message] : []));
    assert.ok(problems.includes('a: its result record lists files it did not change: a/ghost.txt'), problems.join('\n'));
    const report = JSON.parse(fs.readFileSync(outcome.reportFile!.replace(/\.md$/, '.json'), 'utf8'));
    assert.deepEqual(report.filesChanged, [{ path: 'a/real.txt', changes: ['A'], packages: ['a'] }]);
    assert.deepEqual(report.packages.find((p: { id: string }) => p.id === 'a').claimedNotChanged, ['a/ghost.txt']);
    assert.match(fs.readFileSync(outcome.reportFile!, 'utf8'), /its record lists files it did not change: a\/ghost\.txt/);
  });

  test('a "done" record with no change fails the package, saying so', async () => {
    const { planFile } = repoWithPlan('done-nothing', [{ id: 'a', agent: ['claim a/x.txt', 'result done'] }]);
    const { engine } = await engineFor(planFile, runnerScript);
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.state.packages.a!.status, 'failed');
    assert.match(outcome.state.packages.a!.lastError ?? '', /its result record says "done", but it changed no file/);
  });
});
