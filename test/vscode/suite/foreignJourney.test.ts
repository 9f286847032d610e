// The whole way a person goes with a task list of another tool, in a real VS Code on a real git
// repository (the suite's workspace is a git copy): a spec-kit tasks.md (a fixture from a public
// repository, test/fixtures/formats/spec-kit) opened — its waves in the DAG panel, what a safe
// parallel run still needs in the Problems panel — then Convert, Complete with Agent (the scripted
// planning agent), the proposal's approval bar saying where it came from, a task the proposal no
// longer carries shown on the person's task, Approve, and Run Plan with the demo agent: every
// package succeeds. The pieces are tested one by one in foreignPlans, completeWithAgent and
// planning; this is their sequence. Every wait is on a condition or a message with a deadline.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { Converted } from '../../../src/extension/foreignPlans/convertInEditor';
import { sourceLinkOf } from '../../../src/core/formats/sourceLink';
import { planningDryRun, type PlanningResult } from '../../../src/engine';
import { Scratch, autoSaveOff, closeEditors, describeDiagnostic, discardSessions, extension, nextPlan, pressProposal, useScriptedAgent, waitFor, waitForPlan, wavesApi, wavesDiagnostics } from '../helpers';

const FIXTURE = () => path.join(extension().extensionPath, 'test', 'fixtures', 'formats', 'spec-kit', '001-photo-albums.tasks.md');
const FEATURE = 'photo-albums-journey';

/** The problems of a dropped task on a file (source `waves`), as `line:col-line:col severity code`. */
const droppedOn = (uri: vscode.Uri) => wavesDiagnostics(uri).filter((d) => d.endsWith(' draft-task-dropped'));

describe('A spec-kit tasks.md from open to run', function () {
  this.timeout(240_000);
  let api: WavesApi;
  let scratch: Scratch;
  let notify: WavesApi['foreignPlans']['notify'];
  let questions: WavesApi['run']['controller']['questions'];
  const made: PlanningResult[] = [];
  const config = () => vscode.workspace.getConfiguration('waves');

  before(async () => {
    await autoSaveOff.before();
    await useScriptedAgent(true, vscode.ConfigurationTarget.Global);
    api = await wavesApi();
    notify = api.foreignPlans.notify;
    questions = api.run.controller.questions;
    scratch = new Scratch('journey');
  });
  after(async () => {
    api.foreignPlans.notify = notify;
    api.run.controller.questions = questions;
    await useScriptedAgent(null, vscode.ConfigurationTarget.Global); // waves.agent: the demo agent's too
    await config().update('formats.tickSource', undefined, vscode.ConfigurationTarget.Global);
    await discardSessions(api, made);
    await closeEditors(() => true);
    await scratch.dispose();
    await autoSaveOff.after();
  });

  it('open → its waves and what it still needs → Convert → Complete with Agent → the bar says from where → Approve → Run Plan: every package succeeds', async () => {
    // 1. The person opens their tasks.md: a plan, read-only, its waves in the DAG panel and its problems on the tasks' lines.
    const source = await scratch.write('specs/001-photo-albums/tasks.md', fs.readFileSync(FIXTURE(), 'utf8'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(source));
    await waitForPlan(api, source, 'the tasks.md read as a plan', (e) => e.foreign?.format === 'spec-kit' && e.analysis.plan.packages.length === 16, 20_000);
    const graph = api.dag.show(source)!;
    try {
      const shown = await nextPlan(graph, (p) => p.nodes.length === 16, "the tasks.md's graph");
      assert.equal(shown.waves.length >= 5, true, JSON.stringify(shown.waves));
      assert.deepEqual(shown.waves[4], ['t007', 't008', 't009', 't012', 't013']);
    } finally {
      graph.dispose();
    }
    // `- [ ] T005 [P] Implement album storage adapter in backend/src/storage/albums.py` (line 18): no write scope, a guess offered.
    await waitFor(() => vscode.languages.getDiagnostics(source).some((d) => d.code === 'foreign-no-write-scope'), 'the missing-scope diagnostics');
    const t005 = vscode.languages.getDiagnostics(source).find((d) => d.code === 'foreign-no-write-scope' && d.range.start.line === 18);
    assert.ok(t005, vscode.languages.getDiagnostics(source).map(describeDiagnostic).join('\n'));
    assert.match(t005.message, /`backend\/src\/storage\/albums\.py`: a guess at its write scope/);

    // 2. Convert: work-packages.yaml beside it (the notification's offer answered later, by the lens).
    api.foreignPlans.notify = async () => undefined;
    const converted = await vscode.commands.executeCommand<Converted | undefined>('waves.convertToPlan', source);
    assert.ok(converted, 'converted');
    const draft = converted.plan;
    const entry = await waitForPlan(api, draft, 'the converted plan analysed', (e) => !e.foreign && e.analysis.plan.packages.length === 16);
    const tasks = entry.analysis.plan.packages.flatMap((p) => sourceLinkOf(p)?.tasks ?? []);
    assert.equal(tasks.length, 16);

    // The scripted planning agent reads its instructions in its prompt, which quotes the draft: the person's
    // note in the first package tells it the plan to write — the 16 tasks in two packages, scopes settled.
    const { planDir, id } = await planningDryRun({ cwd: path.dirname(draft.fsPath), from: draft.fsPath });
    const pkg = (packageId: string, carried: string[], scope: string, dependsOn: string[]) => ({
      package_id: packageId,
      title: `Photo albums: ${scope}`,
      task_type: 'implement',
      description: `Carries out ${carried.join(', ')}`,
      depends_on: dependsOn,
      scope: { write_allow: [`${scope}/**`], read_allow: ['**'] },
      inputs: { converted_from: { file: 'tasks.md', format: 'spec-kit', tasks: carried } },
    });
    const completed = JSON.stringify({
      schema_version: 1,
      feature: { id: FEATURE, title: 'Photo albums' },
      packages: [pkg('albums-backend', tasks.slice(0, 8), 'backend', []), pkg('albums-frontend', tasks.slice(8), 'frontend', ['albums-backend'])],
    });
    const doc = await vscode.workspace.openTextDocument(draft);
    const first = /^ {4}description: "(.*)"$/m.exec(doc.getText());
    assert.ok(first, doc.getText());
    const edit = new vscode.WorkspaceEdit();
    const note = `    description: |\n      ${first[1]}\n      test-agent: write ${planDir}/work-packages.yaml ${completed}`;
    edit.replace(draft, new vscode.Range(doc.positionAt(first.index), doc.positionAt(first.index + first[0].length)), note);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    await waitForPlan(api, draft, 'the edited draft analysed', (e) => e.analysis.text === doc.getText());

    // 3. Complete with Agent, from the converted plan's lens.
    const lens = ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', draft, 100)) ?? []).find((l) => l.command?.command === 'waves.completeWithAgent');
    assert.ok(lens, 'the Complete with Agent lens');
    const result = (await vscode.commands.executeCommand('waves.completeWithAgent', ...(lens.command!.arguments ?? []))) as PlanningResult | undefined;
    assert.ok(result, 'the session');
    made.push(result);
    assert.equal(result.state.id, id);
    assert.equal(result.state.status, 'valid', JSON.stringify(result.problems));
    const proposal = vscode.Uri.file(result.planFile);
    const sourceRel = vscode.workspace.asRelativePath(source, false);
    const draftRel = vscode.workspace.asRelativePath(draft, false);

    // 4. The approval bar says it was completed from the draft, and from which task list.
    const panel = await waitFor(() => api.dag.panelFor(proposal), 'the DAG panel of the proposal', { timeoutMs: 20_000 });
    const bar = (await nextPlan(panel, (p) => p.proposal?.status === 'valid', 'the proposal with its approval bar', 20_000)).proposal!;
    assert.deepEqual(bar.draft, { plan: draftRel, sources: [sourceRel] });
    assert.equal(bar.actions.approve.enabled, true);
    assert.equal(bar.actions.runPlan.enabled, false);
    assert.deepEqual(droppedOn(source), [], 'every task is carried');

    // 5. A task the proposal no longer carries is a problem on that task in the person's tasks.md, until it is back.
    const proposed = await vscode.workspace.openTextDocument(proposal);
    const dropLast = new vscode.WorkspaceEdit();
    const last = tasks.at(-1)!;
    const where = proposed.getText().indexOf(`,"${last}"]`);
    assert.ok(where > 0, proposed.getText());
    dropLast.delete(proposal, new vscode.Range(proposed.positionAt(where), proposed.positionAt(where + `,"${last}"`.length)));
    assert.ok(await vscode.workspace.applyEdit(dropLast));
    const lineOfLast = fs.readFileSync(source.fsPath, 'utf8').split('\n').findIndex((l) => l.includes(` ${last} `));
    await waitFor(() => droppedOn(source).length === 1, `the dropped ${last} on the tasks.md`);
    assert.deepEqual(droppedOn(source), [`${lineOfLast}:6-${lineOfLast}:10 error draft-task-dropped`]);
    assert.match(vscode.languages.getDiagnostics(source).find((d) => d.code === 'draft-task-dropped')!.message, new RegExp(`^Proposed plan ${id}: task ${last} of tasks\\.md is in no package`));
    await vscode.window.showTextDocument(proposed);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => droppedOn(source).length === 0 && !proposed.isDirty, `${last} back, its problem gone`);

    // 6. Approve on the bar, then Run Plan with the demo agent: both packages succeed.
    const approved = await pressProposal(panel, 'approve', 9101);
    assert.ok(approved.ok, JSON.stringify(approved));
    const afterApproval = (await nextPlan(panel, (p) => p.proposal?.status === 'approved', 'the approved proposal', 20_000)).proposal!;
    assert.equal(afterApproval.actions.runPlan.enabled, true);
    // Approved: a task dropped now is the run's business, no longer the session's.
    const again = new vscode.WorkspaceEdit();
    again.delete(proposal, new vscode.Range(proposed.positionAt(where), proposed.positionAt(where + `,"${last}"`.length)));
    assert.ok(await vscode.workspace.applyEdit(again));
    await waitForPlan(api, proposal, 'the edit analysed', (e) => e.analysis.text === proposed.getText());
    assert.deepEqual(droppedOn(source), []);
    await vscode.window.showTextDocument(proposed);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => !proposed.isDirty, 'the proposal as approved');

    // The demo agent as the demo workspace sets it (examples/demo-agent/settings.mjs), working a moment only.
    const demoAgent = path.join(extension().extensionPath, 'examples', 'demo-agent', 'agent.mjs');
    await config().update('agent', [process.execPath, demoAgent, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}', '--worktree', '${worktree}', '--sleep-ms', '100-300'], vscode.ConfigurationTarget.Global);
    api.run.controller.questions = { ...questions, confirmRun: async () => true };
    await config().update('formats.tickSource', true, vscode.ConfigurationTarget.Global);
    const open = (text: string) => text.split('\n').filter((l) => /^- \[ \] T\d+/.test(l)).length;
    assert.equal(open(fs.readFileSync(source.fsPath, 'utf8')), 13, 'three of the sixteen tasks are done in the source');
    const run = await pressProposal(panel, 'runPlan', 9102, 60_000);
    assert.ok(run.ok, JSON.stringify(run));
    const session = await waitFor(() => api.run.controller.session(FEATURE), 'the run of the approved plan', { timeoutMs: 30_000 });
    const outcome = await session.outcome;
    assert.equal(outcome?.outcome, 'succeeded', JSON.stringify(outcome?.counts));
    assert.equal(outcome.counts.succeeded, 2, JSON.stringify(outcome.counts));
    // 7. The round trip: every task ticked in the person's own tasks.md (not in the planning folder's copy), saved.
    await waitFor(() => open(fs.readFileSync(source.fsPath, 'utf8')) === 0, "every task ticked in the person's tasks.md", { timeoutMs: 20_000 });
  });
});
