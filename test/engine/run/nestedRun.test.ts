/**
 * Plans of plans run (ADR 0035): a plan whose packages name sub-plans, two and three levels deep,
 * run by one engine as one run — real git, the real runner and walls, the scripted agent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { integrationBranch, reportFiles, runStateFile } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import { PlanInvalidError, RunEngine, type EngineEvent } from '../../../src/engine/run/engine';
import { submitReview } from '../../../src/engine/usecases/review';
import { startRun } from '../../../src/engine/usecases/startRun';
import { engineFor as sharedEngineFor, isolateGit, killWaitingThenResume, planYaml, readAt, scriptedAgent, treeFiles } from '../engineFixtures';
import { buildRunner, git, makeRepo, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const readState = (repo: string, featureId: string) => JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState;

/** A repository holding the plan and its sub-plans (each `planYaml`), committed. */
function nestedRepo(files: Record<string, string>): { repo: string; planFile: string } {
  const repo = makeRepo({ 'README.md': '# test\n', ...files });
  return { repo, planFile: path.join(repo, 'work-packages.yaml') };
}

/** When each package was at work (its agent running), from the engine's events as they came. */
function atWork(events: readonly (EngineEvent & { at: number })[]): Map<string, { from: number; to: number }[]> {
  const out = new Map<string, { from: number; to: number }[]>();
  for (const e of events) {
    if (e.type !== 'package') continue;
    const spans = out.get(e.packageId) ?? [];
    out.set(e.packageId, spans);
    const open = spans.at(-1);
    if (e.status === 'running' && (!open || open.to !== Infinity)) spans.push({ from: e.at, to: Infinity });
    else if (e.status !== 'running' && open?.to === Infinity) open.to = e.at;
  }
  return out;
}

/** A whole run of `planFile` (commands approved, cap 4): its outcome, and its events each with when it came. */
async function timedRun(planFile: string) {
  const { engine, events } = await sharedEngineFor(planFile, runnerScript, { verification: 'approved', maxParallel: 4 });
  const timed: (EngineEvent & { at: number })[] = [];
  engine.events((e) => timed.push({ ...e, at: performance.now() }));
  try {
    return { outcome: await engine.run(), events, timed };
  } finally {
    engine.dispose();
  }
}

const three = (feature: string, apiCommand: string, maxParallel?: number) => ({
  'work-packages.yaml': planYaml(feature, [
    { id: 'contracts', agent: ['write contracts/api.md v2', 'commit'] },
    { id: 'api', deps: ['contracts'], write: ['src/api/**'], subPlan: { file: 'plans/api.yaml', ...(maxParallel ? { maxParallel } : {}) }, commands: [apiCommand] },
    { id: 'ui', deps: ['api'], write: ['src/ui/**'], agent: ['write src/ui/page.txt page', 'commit'] },
  ]),
  'plans/api.yaml': planYaml(`${feature}-api`, [
    { id: 'users', write: ['src/api/users/**'], subPlan: { file: 'users.yaml' } },
    { id: 'orders', deps: ['users'], write: ['src/api/orders/**'], agent: ['write src/api/orders/o.txt orders', 'commit'] },
    { id: 'health', write: ['src/api/health.txt'], agent: ['sleep 300', 'write src/api/health.txt ok', 'commit'] },
  ]),
  'plans/users.yaml': planYaml(`${feature}-users`, [
    { id: 'model', write: ['src/api/users/model.txt'], agent: ['sleep 300', 'write src/api/users/model.txt model', 'commit'] },
    { id: 'routes', deps: ['model'], write: ['src/api/users/routes/**'], agent: ['write src/api/users/routes/r.txt routes', 'commit'] },
  ]),
});

describe('a plan of plans run', () => {
  test('three levels run as one run: children after their parent\'s dependencies, each parent verified on its children\'s work together, its dependents after it', async () => {
    const { repo, planFile } = nestedRepo(three('nest', 'test -f src/api/users/routes/r.txt && test -f src/api/orders/o.txt && test -f contracts/api.md'));
    const { outcome, events, timed } = await timedRun(planFile);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const state = readState(repo, 'nest');
    const ids = ['contracts', 'api', 'api__users', 'api__users__model', 'api__users__routes', 'api__orders', 'api__health', 'ui'];
    assert.deepEqual(Object.keys(state.packages).sort(), [...ids].sort());
    for (const id of ids) assert.equal(state.packages[id]!.status, 'succeeded', `${id}: ${state.packages[id]!.lastError}`);
    // The run's end counts the packages that did the work, as the status bar does: not the two joins.
    assert.deepEqual(outcome.counts, { succeeded: 6 });
    const tip = integrationBranch('nest');
    assert.deepEqual(treeFiles(repo, tip).filter((f) => !f.endsWith('.yaml')), ['README.md', 'contracts/api.md', 'src/api/health.txt', 'src/api/orders/o.txt', 'src/api/users/model.txt', 'src/api/users/routes/r.txt', 'src/ui/page.txt']);
    assert.equal(readAt(repo, tip, 'src/api/users/model.txt'), 'model');

    // Each parent's changes are its children's, together; its verification ran on them.
    assert.deepEqual(state.packages.api!.changedFiles.map((f) => f.path).sort(), ['src/api/health.txt', 'src/api/orders/o.txt', 'src/api/users/model.txt', 'src/api/users/routes/r.txt']);
    assert.deepEqual(state.packages.api__users!.changedFiles.map((f) => f.path).sort(), ['src/api/users/model.txt', 'src/api/users/routes/r.txt']);
    assert.ok(events.some((e) => e.type === 'verification' && e.packageId === 'api' && e.ok), 'the parent\'s own check passed on the combined result');
    // A parent runs no agent: its attempt's log has nothing of one, and no result record is missed.
    assert.equal(state.packages.api!.attempts, 1);
    const missed = events.filter((e) => e.type === 'problem' && /result record/.test(e.message) && (e.packageId === 'api' || e.packageId === 'api__users'));
    assert.deepEqual(missed, [], 'no "the agent did not write one" of a parent');

    // The order: contracts landed before any of api's children started; each parent after its children; ui after api.
    const spans = atWork(timed);
    const first = (id: string) => spans.get(id)![0]!.from;
    const last = (id: string) => spans.get(id)!.at(-1)!.to;
    for (const child of ['api__users__model', 'api__health']) assert.ok(first(child) > last('contracts'), `${child} after contracts`);
    assert.ok(first('api__users__routes') > last('api__users__model'));
    assert.ok(first('api__users') > last('api__users__routes'));
    assert.ok(first('api__orders') > last('api__users'));
    assert.ok(first('api') > last('api__orders') && first('api') > last('api__health'));
    assert.ok(first('ui') > last('api'));
    // Children of different branches of the sub-plan ran side by side (one run, one cap).
    assert.ok(first('api__health') < last('api__users__model') && first('api__users__model') < last('api__health'), 'health and model overlapped');

    // The report sums each parent's leaves up, and says each file once, by the leaf that wrote it.
    const report = JSON.parse(fs.readFileSync(reportFiles(repo, 'nest', state.runId).json, 'utf8')) as { parents: { id: string; leaves: string[]; succeeded: number; files: string[] }[]; filesChanged: { path: string; packages: string[] }[] };
    assert.deepEqual(report.parents.map((p) => [p.id, p.leaves, p.succeeded, p.files.length]), [
      ['api', ['api__users__model', 'api__users__routes', 'api__orders', 'api__health'], 4, 4],
      ['api__users', ['api__users__model', 'api__users__routes'], 2, 2],
    ]);
    assert.deepEqual(report.filesChanged.find((f) => f.path === 'src/api/users/model.txt')?.packages, ['api__users__model']);
    assert.match(fs.readFileSync(reportFiles(repo, 'nest', state.runId).markdown, 'utf8'), /## Sub-plans[\s\S]*\| `api` \| 4\/4 succeeded \|/);
  });

  test("a parent's check failing on its children's work fails the parent, and its dependents do not start", async () => {
    const { repo, planFile } = nestedRepo(three('nest-red', 'test -f src/api/nothing-wrote-this'));
    const { outcome } = await timedRun(planFile);
    assert.equal(outcome.outcome, 'failed');
    const state = readState(repo, 'nest-red');
    assert.equal(state.packages.api!.status, 'failed');
    assert.match(state.packages.api!.lastError ?? '', /verification failed/);
    assert.equal(state.packages.api__orders!.status, 'succeeded');
    assert.notEqual(state.packages.ui!.status, 'succeeded');
    assert.equal(state.packages.ui!.attempts, 0, 'ui never started');
  });

  test("a parent's max_parallel holds the packages below it to that many at once", async () => {
    const { planFile } = nestedRepo(three('nest-cap', 'true', 1));
    const { outcome, timed } = await timedRun(planFile);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const spans = [...atWork(timed)].filter(([id]) => id.startsWith('api__')).flatMap(([id, s]) => s.map((x) => ({ id, ...x })));
    for (const a of spans) for (const b of spans) if (a !== b) assert.ok(a.to <= b.from || b.to <= a.from, `${a.id} and ${b.id} were at work at once`);
  });

  test('a sub-plan writing outside its parent is refused at the start, positioned in its file, and nothing is written', async () => {
    const files = three('nest-out', 'true');
    files['plans/users.yaml'] = files['plans/users.yaml']!.replace('write_allow: ["src/api/users/model.txt"]', 'write_allow: ["src/db/**"]');
    const { repo, planFile } = nestedRepo(files);
    const started = await startRun({ planFile, shown: 'work-packages.yaml', agent: scriptedAgent(), runnerScript }, { approveCommands: async () => true, overlapPlannedClaims: async () => false });
    assert.equal(started.ok, false);
    if (started.ok) return;
    assert.equal(started.refusal.kind, 'plan-nested');
    assert.ok(started.refusal.details.some((l) => /^plans\/users\.yaml:\d+:\d+ error sub-plan-scope `src\/db\/\*\*` is not inside `src\/api\/users\/\*\*`/.test(l)), started.refusal.details.join('\n'));
    assert.ok(!fs.existsSync(path.join(repo, '.waves', 'runs')), 'no run state');
    // The engine alone (a caller of its own) refuses it the same way.
    await assert.rejects(RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript }), (err: unknown) => err instanceof PlanInvalidError && err.lines.some((l) => l.includes('sub-plan-scope')));
    assert.equal(git(repo, 'branch', '--list', 'waves/*').trim(), '');
  });

  const twoLevels = (feature: string, first: string[], second: string[]) => ({
    'work-packages.yaml': planYaml(feature, [
      { id: 'api', write: ['src/api/**'], subPlan: { file: 'plans/api.yaml' } },
      { id: 'ui', deps: ['api'], write: ['src/ui/**'], agent: ['write src/ui/page.txt page', 'commit'] },
    ]),
    'plans/api.yaml': planYaml(`${feature}-api`, [
      { id: 'first', write: ['src/api/first/**'], agent: first },
      { id: 'second', deps: ['first'], write: ['src/api/second/**'], agent: second },
    ]),
  });

  test('an engine killed while a child runs resumes the same run: the live child adopted, nothing finished run again, the rest run', async () => {
    const { repo, planFile } = nestedRepo(twoLevels('nest-kill', ['write src/api/first/f.txt f', 'commit'], ['ask waiting for approval', 'write src/api/second/s.txt s', 'commit']));
    const { outcome, events, killedRunId: runId } = await killWaitingThenResume(planFile, runnerScript, 'api__second');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(outcome.runId, runId, 'the same run went on');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'api__second' && /adopted/.test(e.detail ?? '')), 'the live child adopted');
    assert.deepEqual(['api__first', 'api__second', 'api', 'ui'].map((id) => outcome.state.packages[id]!.attempts), [1, 1, 1, 1]);
    assert.deepEqual(treeFiles(repo, integrationBranch('nest-kill')).filter((f) => f.startsWith('src/')), ['src/api/first/f.txt', 'src/api/second/s.txt', 'src/ui/page.txt']);
  });

  test('cancelling a parent cancels the packages below it, running or not, and its dependents never start', async () => {
    const { repo, planFile } = nestedRepo(twoLevels('nest-cancel', ['hang'], ['write src/api/second/s.txt s', 'commit']));
    const { engine, events } = await sharedEngineFor(planFile, runnerScript);
    let outcome;
    try {
      const done = engine.run();
      await waitFor(() => events.some((e) => e.type === 'package' && e.packageId === 'api__first' && e.status === 'running'), 'the first child to run');
      await engine.cancel('api');
      outcome = await done;
    } finally {
      engine.dispose();
    }
    const state = readState(repo, 'nest-cancel');
    assert.deepEqual(['api__first', 'api__second', 'api'].map((id) => state.packages[id]!.status), ['cancelled', 'cancelled', 'cancelled']);
    assert.equal(state.packages.api__second!.attempts, 0);
    assert.equal(state.packages.ui!.attempts, 0, 'its dependent never started');
    assert.notEqual(outcome.outcome, 'succeeded');
  });

  test('the plan edited during the run: a change that keeps the nesting is taken, one that nests otherwise is not, and said', async () => {
    const files = twoLevels('nest-edit', ['write src/api/first/f.txt f', 'commit'], ['ask waiting for approval', 'write src/api/second/s.txt s', 'commit']);
    const { repo, planFile } = nestedRepo(files);
    const resume = path.join(tempDir(), 'resume');
    const { engine, events } = await sharedEngineFor(planFile, runnerScript, { env: { WAVES_TEST_AGENT_RESUME: resume } });
    let outcome;
    try {
      const done = engine.run();
      await waitFor(() => events.some((e) => e.type === 'needs-input' && e.packageId === 'api__second'), 'the second child to wait');
      // Kept nesting: a new package of the top plan, under no parent, is taken.
      fs.writeFileSync(planFile, files['work-packages.yaml'] + planYaml('x', [{ id: 'docs', write: ['docs/**'], agent: ['write docs/d.txt d', 'commit'] }]).split('packages:\n')[1]);
      await waitFor(() => events.some((e) => e.type === 'plan-changed' && e.added.includes('docs')), 'the kept nesting taken');
      // Another nesting: api run as a package of its own, its sub-plan dropped — not taken, said.
      fs.writeFileSync(planFile, fs.readFileSync(planFile, 'utf8').replace(/\n {4}inputs:\n {6}waves:\n {8}plan: "plans\/api\.yaml"/, ''));
      assert.doesNotMatch(fs.readFileSync(planFile, 'utf8'), /plans\/api\.yaml/);
      await waitFor(() => events.some((e) => e.type === 'problem' && /changed on disk how they nest/.test(e.message)), 'the new nesting refused, said');
      // The person's note in a sub-plan, as in the plan file, is no change of their checkout an agent made.
      fs.appendFileSync(path.join(repo, 'plans', 'api.yaml'), '# a note of the person\n');
      fs.writeFileSync(resume, '');
      outcome = await done;
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(outcome.state.packages.docs!.status, 'succeeded', 'the package the kept nesting added ran');
    assert.equal(outcome.state.packages.api!.attempts, 1);
    assert.deepEqual(treeFiles(repo, integrationBranch('nest-edit')).filter((f) => f.startsWith('src/') || f.startsWith('docs/')), ['docs/d.txt', 'src/api/first/f.txt', 'src/api/second/s.txt', 'src/ui/page.txt'], 'api ran as the parent it was');
  });

  test('under the review gate each child waits for the person; the parent, with nothing of its own to review, lands once they did', async () => {
    const { repo, planFile } = nestedRepo(twoLevels('nest-review', ['write src/api/first/f.txt f', 'commit'], ['write src/api/second/s.txt s', 'commit']));
    const { engine, events } = await sharedEngineFor(planFile, runnerScript, { review: 'before-merge' });
    const status = (id: string) => (fs.existsSync(runStateFile(repo, 'nest-review')) ? readState(repo, 'nest-review').packages[id]?.status : undefined);
    let outcome;
    try {
      const done = engine.run();
      for (const id of ['api__first', 'api__second', 'ui']) {
        await waitFor(() => status(id) === 'awaiting-review', `${id} to await review`, 30_000);
        assert.deepEqual(await submitReview(repo, 'nest-review', { packageId: id, kind: 'approve' }), { ok: true, delivered: 'driver' });
      }
      outcome = await done;
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.ok(!events.some((e) => e.type === 'package' && e.packageId === 'api' && e.status === 'awaiting-review'), 'the parent never awaited review');
    assert.equal(outcome.state.packages.api!.status, 'succeeded');
  });
});
