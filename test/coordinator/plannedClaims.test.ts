/**
 * Planned claims on a real PostgreSQL: approving a plan with a coordinator
 * registers its write scopes, file locks and lock keys as its feature's planned claims (replacing
 * earlier ones); other features' plans see them before they run — `waves validate`, `waves run`
 * (a warning each; the same lock key refused unless --allow-planned-overlap); a run of the
 * feature that succeeds, or discarding the session, removes them; a coordinator out of reach
 * never costs the approval.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { plannedClaimsOf } from '../../src/core/coordinator/sharedCoordinator';
import { runStateFile } from '../../src/core/run/runPaths';
import { driverName, repositoryKeyOf } from '../../src/engine/coordinator/openCoordinator';
import { discardPlanning } from '../../src/engine';
import { readPlanning, startPlanning, type PlanningResult } from '../../src/engine/planning/planner';
import { approvePlanning } from '../../src/engine/planning/planApproval';
import { conflictsWithPlanned } from '../../src/engine/coordinator/plannedClaims';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { planYaml, scriptedAgent } from '../engine/engineFixtures';
import { git, makeRepo, REPO_ROOT, SCRIPTED_AGENT, tempDir } from '../engine/helpers';
import { clusterWithRunner } from './cluster';
import { analyzePlan } from '../../src/core/plan/analyze';

const setup = clusterWithRunner();

const AGENT = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}']);
const OUT_OF_REACH = 'postgres://ana:hunter22@127.0.0.1:1/waves';

function waves(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), ...args], { cwd, env: process.env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A valid proposal of the scripted agent (feature `planned-feature`: wp-api writes src/api/** and locks api:GET /v1/users). */
function propose(repo: string): Promise<PlanningResult> {
  return startPlanning({ cwd: repo, description: 'Add a users page\n\ntest-agent: plan', agent: scriptedAgent(), runnerScript: setup.runnerScript, pollMs: 20 });
}

async function claimsIn(repo: string) {
  const c = await PgCoordinator.open(setup.cluster.url, await repositoryKeyOf(repo));
  try {
    return await c.plannedClaims();
  } finally {
    await c.close();
  }
}

/** Another feature's plan, committed in a clone of `repo` (same root commit: the same repository in the coordinator). */
function otherFeature(repo: string, featureId: string, write: string, key: string): { clone: string; planFile: string } {
  const clone = path.join(tempDir('waves-other-'), 'b');
  git(path.dirname(clone), 'clone', '-q', repo, 'b');
  const text = planYaml(featureId, [{ id: 'wp-users', write: [write], agent: [`write ${write.replace('/**', '')}/a.txt`, 'commit'] }]).replace(
    '    scope:\n',
    `    locks:\n      keys: [${JSON.stringify(key)}]\n    scope:\n`,
  );
  fs.writeFileSync(path.join(clone, 'other.work-packages.yaml'), text);
  git(clone, 'add', '-A');
  git(clone, 'commit', '-q', '-m', 'another feature');
  return { clone, planFile: path.join(clone, 'other.work-packages.yaml') };
}

describe('planned claims', () => {
  test('approving registers the plan’s claims (again: replaced, not doubled); another feature sees them; discarding removes them', async () => {
    const repo = makeRepo({ 'README.md': '# Shop\n' });
    const proposal = await propose(repo);
    assert.equal(proposal.state.status, 'valid');
    const coordinator = { url: setup.cluster.url };

    const { state, shared } = await approvePlanning(repo, proposal.state.id, { coordinator });
    assert.equal(state.status, 'approved');
    assert.ok(shared?.ok, JSON.stringify(shared));
    const expected = plannedClaimsOf(proposal.analysis!.plan);
    assert.equal(shared.featureId, 'planned-feature');
    assert.equal(shared.registered, expected.length);
    assert.deepEqual(shared.conflicts, []);
    const rows = await claimsIn(repo);
    assert.deepEqual(
      rows.map((r) => ({ packageId: r.packageId, kind: r.kind, key: r.key })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [...expected].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    const driver = await driverName(repo);
    assert.ok(rows.every((r) => r.featureId === 'planned-feature' && r.planId === proposal.state.id && r.driver === driver && r.clone === repo));
    assert.ok(rows.some((r) => r.packageId === 'wp-api' && r.kind === 'key' && r.key === 'api:GET /v1/users'));

    // Approved again: the same claims, replaced as a whole.
    const again = await approvePlanning(repo, proposal.state.id, { coordinator });
    assert.ok(again.shared?.ok);
    assert.equal((await claimsIn(repo)).length, expected.length);

    // Another feature's plan meets them: its route exactly, its write scope by a path.
    const other = analyzePlan(planYaml('billing', [{ id: 'wp-b', write: ['src/api/users/**'] }]).replace('    scope:\n', '    locks:\n      keys: ["api:get /v1/users"]\n    scope:\n')).plan;
    const seen = await conflictsWithPlanned(repo, coordinator, 'billing', other);
    assert.ok(seen.ok);
    assert.deepEqual(
      seen.conflicts.map((c) => [c.mine.packageId, c.mine.kind, c.theirs.featureId, c.theirs.packageId, c.theirs.kind, c.witness, c.exact]),
      [
        ['wp-b', 'write', 'planned-feature', 'wp-api', 'write', 'src/api/users', false],
        ['wp-b', 'key', 'planned-feature', 'wp-api', 'key', 'api:GET /v1/users', true],
      ],
    );
    // The feature's own plan does not meet itself.
    const own = await conflictsWithPlanned(repo, coordinator, 'planned-feature', proposal.analysis!.plan);
    assert.ok(own.ok);
    assert.deepEqual(own.conflicts, []);

    const discarded = await discardPlanning(repo, proposal.state.id, { coordinator });
    assert.equal(discarded.state.status, 'discarded');
    assert.deepEqual(discarded.shared, { ok: true, removed: expected.length });
    assert.deepEqual(await claimsIn(repo), []);
  });

  test('a coordinator out of reach: the approval is recorded here all the same, with a clear problem and no password; approving again registers the claims', async () => {
    const repo = makeRepo({ 'README.md': '# Shop\n' });
    const proposal = await propose(repo);
    const { state, shared } = await approvePlanning(repo, proposal.state.id, { coordinator: { url: OUT_OF_REACH, connectTimeoutMs: 2000 } });
    assert.equal(state.status, 'approved');
    assert.equal(readPlanning(repo, proposal.state.id)?.status, 'approved');
    assert.ok(shared && !shared.ok);
    assert.match(shared.message, /The coordinator postgres:\/\/ana:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/);
    assert.doesNotMatch(shared.message, /hunter22/);
    assert.deepEqual(await claimsIn(repo), []);

    const later = await approvePlanning(repo, proposal.state.id, { coordinator: { url: setup.cluster.url } });
    assert.equal(later.state.approvedCommit, state.approvedCommit);
    assert.ok(later.shared?.ok);
    assert.equal((await claimsIn(repo)).length, plannedClaimsOf(proposal.analysis!.plan).length);
    await discardPlanning(repo, proposal.state.id, { coordinator: { url: setup.cluster.url } });
  });

  test('the CLI: plan --approve registers, validate and run of another feature see them (the same lock key refused unless allowed), plan --discard removes them', async () => {
    const repo = makeRepo({ 'README.md': '# Shop\n' });
    const proposal = await propose(repo);
    const id = proposal.state.id;

    const offline = waves(repo, 'plan', '--approve', id, '--coordinator', OUT_OF_REACH);
    assert.equal(offline.code, 0, offline.err);
    assert.match(offline.out, new RegExp(`Approved ${id} at`));
    assert.match(offline.err, /waves: warning: the approval is recorded here, but its planned claims are not in the coordinator: .*cannot be reached/);
    assert.doesNotMatch(offline.out + offline.err, /hunter22/);

    const approved = waves(repo, 'plan', '--approve', id, '--coordinator', setup.cluster.url);
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, /Registered 5 planned claims of feature planned-feature in the coordinator/);

    // Another feature, in another clone: its write scope meets wp-api's, its lock key is wp-api's.
    const { clone, planFile } = otherFeature(repo, 'billing', 'src/api/users/**', 'api:GET /v1/users');
    const validated = waves(clone, 'validate', '--coordinator', setup.cluster.url, planFile);
    assert.equal(validated.code, 0, validated.out + validated.err);
    assert.match(validated.out, /2 planned claims of other features' approved plans met \(coordinator\)/);
    assert.match(validated.out, /warning planned-claim-overlap: wp-users's write scope src\/api\/users\/\*\* meets the write scope src\/api\/\*\* planned by feature planned-feature \(both cover src\/api\/users\): its package wp-api, approved by /);
    assert.ok(validated.out.includes(`approved by ${(await driverName(repo))} on `), validated.out);
    assert.match(validated.out, /warning planned-claim-same-key: wp-users's lock key api:GET \/v1\/users meets the same planned by feature planned-feature/);
    const json = JSON.parse(waves(clone, 'validate', '--json', planFile).out);
    assert.equal(json.plans[0].plannedClaims, undefined); // no coordinator: nothing asked

    const refused = waves(clone, 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, planFile);
    assert.equal(refused.code, 2, refused.out + refused.err);
    assert.match(refused.err, /another feature's approved plan claims the same lock key:\n {2}wp-users's lock key api:GET \/v1\/users meets the same planned by feature planned-feature: its package wp-api, approved by /);
    assert.match(refused.err, /--allow-planned-overlap/);
    assert.match(refused.err, /nothing was started and no run state was written/);
    assert.equal(fs.existsSync(runStateFile(clone, 'billing')), false);

    const allowed = waves(clone, 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, '--allow-planned-overlap', planFile);
    assert.equal(allowed.code, 0, allowed.out + allowed.err);
    assert.match(allowed.out + allowed.err, /problem: Planned by another feature: wp-users's write scope src\/api\/users\/\*\* meets the write scope src\/api\/\*\* planned by feature planned-feature/);
    assert.match(allowed.out + allowed.err, /problem: Planned by another feature: wp-users's lock key api:GET \/v1\/users meets the same/);
    // billing had no planned claims; planned-feature's stay (billing's run is not theirs).
    assert.equal((await claimsIn(repo)).length, 5);

    const discarded = waves(repo, 'plan', '--discard', id, '--coordinator', setup.cluster.url);
    assert.equal(discarded.code, 0, discarded.err);
    assert.match(discarded.out, /Removed its 5 planned claims from the coordinator/);
    assert.deepEqual(await claimsIn(repo), []);
  });

  test('the CLI: plan --claims lists them by feature from any clone; plan --release-claims removes a feature\'s whose session is gone, and the run they refused goes ahead', async () => {
    const repo = makeRepo({ 'README.md': '# Shop\n' });
    const proposal = await propose(repo);
    const approved = waves(repo, 'plan', '--approve', proposal.state.id, '--coordinator', setup.cluster.url);
    assert.equal(approved.code, 0, approved.err);
    // The clone that approved it goes, session and all; another clone's plan claims the same lock key.
    const { clone, planFile } = otherFeature(repo, 'billing', 'src/web/**', 'api:GET /v1/users');
    fs.rmSync(repo, { recursive: true, force: true });

    const usage = waves(clone, 'plan', '--claims');
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--claims reads the shared coordinator: give --coordinator postgres:\/\/… \(or set WAVES_COORDINATOR\)/);

    const listed = waves(clone, 'plan', '--claims', '--coordinator', setup.cluster.url);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /^1 feature with planned claims in the coordinator:\n {2}planned-feature: \d+ packages? — .*1 lock key; approved by .* \(.*\) at \d{4}-.*, session /m);
    assert.ok(listed.out.includes(`approved by ${(await driverName(repo))} on `) && listed.out.includes(`(${repo})`), listed.out);
    const json = JSON.parse(waves(clone, 'plan', '--claims', '--json', '--coordinator', setup.cluster.url).out);
    assert.deepEqual(json.features.map((f: { featureId: string; planId: string }) => [f.featureId, f.planId]), [['planned-feature', proposal.state.id]]);
    assert.equal(json.claims.length, 5);

    assert.equal(waves(clone, 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, planFile).code, 2, 'refused by the stale claim');

    const typo = waves(clone, 'plan', '--release-claims', 'planned-featur', '--coordinator', setup.cluster.url);
    assert.equal(typo.code, 1);
    assert.match(typo.err, /feature planned-featur has no planned claims in the coordinator \(features with some: planned-feature\)/);
    assert.equal((await claimsIn(clone)).length, 5, 'nothing released');

    const released = waves(clone, 'plan', '--release-claims', 'planned-feature', '--coordinator', setup.cluster.url);
    assert.equal(released.code, 0, released.err);
    assert.match(released.out, /^Released the planned claims of planned-feature: .*session /);
    assert.deepEqual(await claimsIn(clone), []);
    assert.match(waves(clone, 'plan', '--claims', '--coordinator', setup.cluster.url).out, /no approved plan of this repository has planned claims in the coordinator/);

    const ran = waves(clone, 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, planFile);
    assert.equal(ran.code, 0, ran.out + ran.err);
  });

  test('a run of the feature in which every package succeeds removes its planned claims; one that fails keeps them', async () => {
    const repo = makeRepo({ 'README.md': '# Shop\n' });
    const good = planYaml('shop', [{ id: 'p', write: ['src/p/**'], agent: ['write src/p/a.txt', 'commit'] }]);
    const bad = planYaml('shop-broken', [{ id: 'q', write: ['src/q/**'], agent: ['exit 3'] }]);
    fs.writeFileSync(path.join(repo, 'good.work-packages.yaml'), good);
    fs.writeFileSync(path.join(repo, 'bad.work-packages.yaml'), bad);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plans');
    const c = await PgCoordinator.open(setup.cluster.url, await repositoryKeyOf(repo));
    try {
      const by = { planId: 'by-hand', driver: 'Test', clone: repo };
      await c.replacePlannedClaims('shop', by, plannedClaimsOf(analyzePlan(good).plan));
      await c.replacePlannedClaims('shop-broken', by, plannedClaimsOf(analyzePlan(bad).plan));
      // Replacing is per feature: a smaller set leaves only it.
      await c.replacePlannedClaims('shop-broken', by, []);
      assert.deepEqual((await c.plannedClaims()).map((r) => r.featureId), ['shop']);
      await c.replacePlannedClaims('shop-broken', by, plannedClaimsOf(analyzePlan(bad).plan));
    } finally {
      await c.close();
    }
    const failed = waves(repo, 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, 'bad.work-packages.yaml');
    assert.equal(failed.code, 1, failed.out + failed.err);
    const ran = waves(repo, 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, 'good.work-packages.yaml');
    assert.equal(ran.code, 0, ran.out + ran.err);
    assert.deepEqual(
      (await claimsIn(repo)).map((r) => [r.featureId, r.packageId, r.kind, r.key]),
      [['shop-broken', 'q', 'write', 'src/q/**']],
    );
  });
});
