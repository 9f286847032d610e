// The editor's Run Plan refuses what `waves run` refuses, with the same reasons —
// every case of test/fixtures/startRefusals.ts (unapproved commands, an unapproved proposed
// plan, another driver, a hosts list with a problem, a host's agent that is not a headless
// preset, another feature's planned claims on a real PostgreSQL) through the RunController, in
// a real VS Code. Each case is its own git repository inside the workspace. The person's
// answers to the start's questions are "no" (the controller's `questions`). The CLI's side:
// test/cli/startRefusals.test.ts and test/coordinator/startRefusals.test.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { StartRefusal } from '../../../src/engine';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { leaseFile, runStateFile } from '../../../src/core/run/runPaths';
import { registerPlannedClaims } from '../../../src/engine/coordinator/plannedClaims';
import { Lease } from '../../../src/engine/run/lease';
import { REFUSALS } from '../../fixtures/startRefusals';
import { startCluster, type Cluster } from '../../coordinator/postgres';
import { extension, Scratch, useScriptedAgent, waitForPlan, wavesApi } from '../helpers';

describe('Run Plan refuses as the start use case says', function () {
  this.timeout(180_000);
  let api: WavesApi;
  let cluster: Cluster | undefined;
  let scratch: Scratch;
  let questions: WavesApi['run']['controller']['questions'];
  const asked: string[] = [];

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    questions = api.run.controller.questions;
    // The person says no to every question a start asks (and each question is counted).
    api.run.controller.questions = {
      approveCommands: async (commands) => (asked.push(`approve ${commands.join(' | ')}`), false),
      overlapPlannedClaims: async (conflicts) => (asked.push(`overlap ${conflicts.length}`), false),
    };
  });
  beforeEach(() => {
    scratch = new Scratch('refusal');
  });
  afterEach(async () => {
    await vscode.workspace.getConfiguration('waves').update('hosts', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('waves').update('coordinator', undefined, vscode.ConfigurationTarget.Global);
    await scratch.dispose();
  });
  after(async () => {
    api.run.controller.questions = questions;
    await useScriptedAgent(null);
    cluster?.remove();
  });

  for (const c of REFUSALS) {
    it(`${c.name}: refused (${c.kind}), nothing started`, async () => {
      const s = c.setup(scratch.root.fsPath);
      const entry = await waitForPlan(api, vscode.Uri.file(s.plan), `the plan of "${c.name}" in the registry`);
      if (s.hosts) await vscode.workspace.getConfiguration('waves').update('hosts', s.hosts, vscode.ConfigurationTarget.Global);
      if (s.plannedElsewhere) {
        cluster ??= await startCluster(extension().extensionPath);
        const other = s.plannedElsewhere;
        const registered = await registerPlannedClaims(s.repo, { url: cluster.url }, { featureId: other.featureId, planId: other.planId, plan: analyzePlan(other.text).plan });
        assert.ok(registered.ok, registered.ok ? '' : registered.message);
        await vscode.workspace.getConfiguration('waves').update('coordinator', cluster.url, vscode.ConfigurationTarget.Global);
      }
      const feature = entry.analysis.plan.feature!.id!;
      // Another driver: a live lease, as a `waves run` of this clone holds it.
      const lease = c.kind === 'driven-elsewhere' ? Lease.claim(leaseFile(s.repo, feature)) : undefined;
      const refusals: StartRefusal[] = [];
      const sub = api.run.controller.onDidRefuseStart((r) => r.featureId === feature && refusals.push(r.refusal));
      asked.length = 0;
      try {
        const session = await api.run.controller.start(entry, { what: 'the plan' });
        assert.equal(session, undefined, 'nothing started');
      } finally {
        sub.dispose();
        lease?.release();
      }
      assert.equal(refusals.length, 1, `one refusal (asked: ${asked.join('; ')})`);
      const [refusal] = refusals as [StartRefusal];
      assert.equal(refusal.kind, c.kind, refusal.reason);
      assert.match(refusal.reason, c.reason(s));
      if (c.detail) assert.ok(refusal.details.some((d) => c.detail!.test(d)), refusal.details.join('\n'));
      // The questions asked are the use case's: the commands (declined), the planned claims (declined), nothing else.
      assert.deepEqual(
        asked.map((a) => a.split(' ')[0]),
        c.kind === 'commands-unapproved' ? ['approve'] : c.kind === 'planned-claims' ? ['overlap'] : [],
      );
      assert.equal(fs.existsSync(runStateFile(s.repo, feature)), false, 'no run state written');
      assert.equal(api.run.controller.session(feature), undefined);
    });
  }
});
