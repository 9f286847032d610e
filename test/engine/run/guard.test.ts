/**
 * The integration guard: two parallel packages that each pass their own verification and
 * break each other (one renames an export, the other adds a call to its old name). The guard
 * checks the integration tip as they land, names the second merge's package, sends its agent the
 * failure; its fix lands and the tip is green. A check red at the base blames nobody. Real git,
 * real runner, the scripted agent and the checks inside their walls.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import type { EngineOptions } from '../../../src/engine/run/engine';
import { engineFor as sharedEngineFor, isolateGit, readAt, repoWithPlan, type TestPackage } from '../engineFixtures';
import { buildRunner, tempDir, waitFor } from '../helpers';
import { callerAgent, RENAMED_EXPORT_FILES, RENAMER_AGENT } from '../../fixtures/renamedExport';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const engineFor = (planFile: string, extra: Partial<EngineOptions> = {}) => sharedEngineFor(planFile, runnerScript, extra);
const statusOf = (repo: string, featureId: string, id: string) =>
  fs.existsSync(runStateFile(repo, featureId)) ? (JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState).packages[id]?.status : undefined;


function plan(out: string, gate: string, integrationCommand = 'node check.mjs'): TestPackage[] {
  return [
    { id: 'a', agent: [...RENAMER_AGENT], commands: ['node -e "import(\'./a/api.mjs\')"'] },
    // No retry_budget stated (as in most real plans): the format's default lets the guard send b the failure.
    { id: 'b', agent: callerAgent(gate, path.join(out, 'b.txt')), commands: ['node -e "import(\'./b/use.mjs\')"'] },
    { id: 'int', deps: ['a', 'b'], write: ['tests/**'], agent: ['write tests/ok.txt ok', 'commit'], commands: [integrationCommand] },
  ];
}

/** The plan with `int` marked as the integration package, and no retry budget stated for the plan (most real plans state none). */
function withIntegration(repo: string, planFile: string): void {
  const text = fs
    .readFileSync(planFile, 'utf8')
    .replace(`  - package_id: "int"\n`, `  - package_id: "int"\n    task_type: integrate\n`)
    .replace('defaults:\n  retry_budget: 0\n', '');
  fs.writeFileSync(planFile, text);
  void repo;
}

describe('the integration guard (#34)', () => {
  test('names the package whose merge broke the integration check, sends it the failure, and ends green with every package merged', async () => {
    const out = tempDir('waves-guard-out-');
    const gate = path.join(out, 'gate');
    const { repo, planFile } = repoWithPlan('guarded', plan(out, gate), RENAMED_EXPORT_FILES);
    withIntegration(repo, planFile);
    const { engine, events } = await engineFor(planFile, { verification: 'approved', integrationGuard: true, confinement: { options: { write: [out], read: [out] } } });
    const outcome = engine.run();
    await waitFor(() => statusOf(repo, 'guarded', 'a') === 'succeeded', 'a merged', 30_000);
    fs.writeFileSync(gate, 'go');
    const done = await outcome;
    assert.equal(done.outcome, 'succeeded', JSON.stringify(Object.values(done.state.packages).map((p) => [p.packageId, p.status, p.lastError])));
    const state = done.state;
    const guard = state.integration!.guard!;
    assert.equal(guard.blamed, null, 'cleared once green');
    assert.equal(guard.status, 'green');
    assert.equal(guard.greenTip, state.integration!.tipSha);
    // b was blamed, sent the failure, and fixed its call; a ran once.
    assert.equal(state.packages.a!.attempts, 1);
    assert.equal(state.packages.b!.attempts, 2);
    assert.deepEqual(state.packages.b!.followUps?.map((f) => f.kind), ['integration']);
    const sent = fs.readFileSync(path.join(out, 'b.txt'), 'utf8').split('-- end\n');
    assert.equal(sent[0], 'none\n');
    assert.match(sent[1]!, /^### The integration check your merge broke/);
    assert.match(sent[1]!, /`node check\.mjs` failed/);
    assert.match(sent[1]!, /fetchUser/, 'what the check printed');
    assert.match(sent[1]!, /- `a`: `a\/api\.mjs`/, 'the other package it met');
    const red = guard.checks.filter((c) => !c.ok);
    assert.ok(red.length >= 1 && red.every((c) => c.command === 'node check.mjs'));
    assert.ok(guard.checks.some((c) => c.purpose === 'base' && c.ok), 'the base was checked first');
    assert.match(readAt(repo, integrationBranch('guarded'), 'b/use.mjs'), /loadUser/);
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'b' && e.status === 'pending' && /broke the integration check/.test(e.detail ?? '')));
    assert.equal(state.packages.int!.status, 'succeeded', 'the integration package ran on a green tip');
    const report = fs.readFileSync(done.reportFile!, 'utf8');
    assert.match(report, /## Integration checks\n\nintegration checks green at [0-9a-f]{8} · \d+ checks, .* spent checking/);
    assert.match(report, /- `b` broke a check and was sent the failure \(attempt 2, /);
    assert.match(report, /\| base \| `node check\.mjs` \| passed \|/);
    assert.match(report, /\| tip \| `node check\.mjs` \| \*\*failed\*\* \|/);
  });

  test('with retry_budget 0 the breaker is named with the failing check and what it printed, nothing is sent, and the run ends failed saying what to do', async () => {
    const out = tempDir('waves-guard-spent-');
    const gate = path.join(out, 'gate');
    const packages = plan(out, gate).map((p) => (p.id === 'b' ? { ...p, retryBudget: 0 } : p));
    const { repo, planFile } = repoWithPlan('spent', packages, RENAMED_EXPORT_FILES);
    withIntegration(repo, planFile);
    const { engine, events } = await engineFor(planFile, { verification: 'approved', integrationGuard: true, confinement: { options: { write: [out], read: [out] } } });
    const outcome = engine.run();
    await waitFor(() => statusOf(repo, 'spent', 'a') === 'succeeded', 'a merged', 30_000);
    fs.writeFileSync(gate, 'go');
    const done = await outcome;
    assert.equal(done.outcome, 'failed');
    const guard = done.state.integration!.guard!;
    assert.equal(guard.status, 'red');
    assert.equal(guard.blamed?.packageId, 'b');
    assert.equal(guard.blamed?.command, 'node check.mjs');
    assert.equal(guard.blamed?.outcome, 'no-retry');
    assert.match(guard.blamed?.output ?? '', /fetchUser/);
    assert.equal(done.state.packages.b!.attempts, 1, 'nothing was sent');
    assert.equal(done.state.packages.b!.followUps, undefined);
    assert.equal(done.state.packages.int!.attempts, 0, 'the integration package waited for a green tip');
    const said = events.filter((e) => e.type === 'problem' && e.packageId === 'b').map((e) => (e.type === 'problem' ? e.message : ''));
    assert.ok(said.some((m) => /^b's merge broke the integration check `node check\.mjs` and its retry budget is spent: .* Raise b's retry_budget in the plan and resume the run/.test(m)), said.join('\n'));
    const report = JSON.parse(fs.readFileSync(done.reportFile!.replace(/\.md$/, '.json'), 'utf8'));
    assert.equal(report.integrationGuard.stuck.packageId, 'b');
    assert.match(report.integrationGuard.stuck.output, /fetchUser/);
  });

  test("a package sent back just after it landed starts its new attempt once its old tree is gone, never in a tree being removed (#37)", async () => {
    // The landed tree's removal waits for the dependents' start (AHEAD_AFTER_LAUNCH_MS); b is sent
    // back well within that: its new attempt takes the removal first, then works 1 s in a tree
    // nothing removes under it.
    const out = tempDir('waves-guard-back-');
    const gate = path.join(out, 'gate');
    const packages = plan(out, gate).map((p) => (p.id === 'b' ? { ...p, agent: ['if-followup sleep 1000', ...p.agent!] } : p));
    const { repo, planFile } = repoWithPlan('sent-back', packages, RENAMED_EXPORT_FILES);
    withIntegration(repo, planFile);
    const { engine } = await engineFor(planFile, { verification: 'approved', integrationGuard: true, confinement: { options: { write: [out], read: [out] } } });
    const outcome = engine.run();
    await waitFor(() => statusOf(repo, 'sent-back', 'a') === 'succeeded', 'a merged', 30_000);
    fs.writeFileSync(gate, 'go');
    const done = await outcome;
    assert.equal(done.outcome, 'succeeded', JSON.stringify(Object.values(done.state.packages).map((p) => [p.packageId, p.status, p.lastError])));
    assert.equal(done.state.packages.b!.attempts, 2);
    assert.match(readAt(repo, integrationBranch('sent-back'), 'b/use.mjs'), /loadUser/);
    assert.ok(!fs.existsSync(done.state.packages.b!.worktree!), "b's tree is gone at the run's end");
  });

  test('a check red at the base already is said at the start and blames nobody', async () => {
    const out = tempDir('waves-guard-out-');
    const gate = path.join(out, 'gate');
    fs.writeFileSync(gate, 'open');
    const { repo, planFile } = repoWithPlan('red-base', plan(out, gate, 'node check.mjs && test -f never-there'), RENAMED_EXPORT_FILES);
    withIntegration(repo, planFile);
    const { engine, events } = await engineFor(planFile, { verification: 'approved', integrationGuard: true, confinement: { options: { write: [out], read: [out] } } });
    const done = await engine.run();
    const guard = done.state.integration!.guard!;
    assert.equal(guard.status, 'base-red');
    assert.equal(guard.blamed, null);
    assert.ok(events.some((e) => e.type === 'problem' && /fails already at the base .*nobody is blamed/.test(e.message)));
    assert.equal(done.state.packages.a!.attempts, 1);
    assert.equal(done.state.packages.b!.attempts, 1, 'nobody was sent anything');
  });

  /** A guarded run whose driver goes away once a merged and the guard passed with it in; b's agent still waits at its gate. */
  async function guardedRunGone(feature: string) {
    const out = tempDir('waves-guard-out-');
    const gate = path.join(out, 'gate');
    const { repo, planFile } = repoWithPlan(feature, plan(out, gate), RENAMED_EXPORT_FILES);
    withIntegration(repo, planFile);
    const first = await engineFor(planFile, { verification: 'approved', integrationGuard: true, confinement: { options: { write: [out], read: [out] } } });
    void first.engine.run(); // never settles: its driver goes away below
    const guardOf = () => (JSON.parse(fs.readFileSync(runStateFile(repo, feature), 'utf8')) as RunState).integration?.guard;
    await waitFor(() => statusOf(repo, feature, 'a') === 'succeeded' && guardOf()?.checks.some((c) => c.purpose === 'tip' && c.ok) === true, 'a merged and checked', 30_000);
    first.engine.dispose();
    return { out, gate, repo, planFile, guardOf, first };
  }

  test('a run taken up again keeps its guard unless told otherwise, and numbers its checks on', async () => {
    const gone = await guardedRunGone('kept-guard');
    const again = await engineFor(gone.planFile, { verification: 'approved', confinement: { options: { write: [gone.out], read: [gone.out] } } });
    try {
      const outcome = again.engine.run({ resume: true });
      await waitFor(() => again.events.some((e) => e.type === 'run-started'), 'the run taken up', 30_000);
      fs.writeFileSync(gone.gate, 'go');
      const done = await outcome;
      assert.equal(done.outcome, 'succeeded', JSON.stringify(Object.values(done.state.packages).map((p) => [p.packageId, p.status, p.lastError])));
      const guard = done.state.integration!.guard!;
      assert.equal(guard.status, 'green');
      assert.equal(done.state.packages.b!.attempts, 2, 'b, merged after the resume, was blamed and sent the failure');
      assert.deepEqual(done.state.packages.b!.followUps?.map((f) => f.kind), ['integration']);
      // Every check of both drives has its own log folder: the second drive numbered on.
      const folders = fs.readdirSync(path.join(path.dirname(done.reportFile!), '.guard')).filter((f) => /^check-\d+$/.test(f));
      assert.equal(folders.length, guard.checks.length, `${folders.join(' ')} for ${guard.checks.length} checks`);
    } finally {
      gone.first.engine.dispose();
      again.engine.dispose();
    }
  });

  test('taken up with the guard turned off: nothing more is checked or held, and the run state says so', async () => {
    const gone = await guardedRunGone('guard-off');
    const checksBefore = gone.guardOf()!.checks.length;
    const off = await engineFor(gone.planFile, { verification: 'approved', integrationGuard: false, confinement: { options: { write: [gone.out], read: [gone.out] } } });
    try {
      const outcome = off.engine.run({ resume: true });
      await waitFor(() => gone.guardOf()?.status === 'off', 'the guard off in the run state on disk', 30_000);
      fs.writeFileSync(gone.gate, 'go');
      const done = await outcome;
      // b merged its broken call unchecked; the integration package's own verification found it.
      assert.equal(done.state.packages.b!.status, 'succeeded');
      assert.equal(done.state.packages.b!.attempts, 1, 'nobody was sent anything');
      assert.equal(done.state.packages.int!.status, 'failed');
      const guard = done.state.integration!.guard!;
      assert.equal(guard.status, 'off');
      assert.equal(guard.checks.length, checksBefore, 'no check after it was turned off; the earlier ones kept');
      assert.match(fs.readFileSync(done.reportFile!, 'utf8'), /## Integration checks\n\nintegration guard turned off · /);
    } finally {
      gone.first.engine.dispose();
      off.engine.dispose();
    }
  });
});
