// The round trip of a converted plan in the editor: with `waves.formats.tickSource` on, the tasks
// of each package that succeeds are ticked in the spec-kit tasks.md the plan came from — never
// while the person has unsaved changes to it: the tick waits, and is made as an edit of the
// document when they save, their own change kept. The plan is a git repository of its own in the
// workspace; the scripted agents run inside their walls.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { autoSaveOff, committedPlanRepo, Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi } from '../helpers';

const TASKS = ['# Tasks: Ticked', '', '## Phase 1: Setup', '', '- [ ] T001 [P] Create a/one.txt', '- [ ] T002 [P] Create b/two.txt', ''].join('\n');

function convertedPlan(repo: string): string {
  const pkg = (id: string, task: string, dir: string) => [
    `  - package_id: ${id}`,
    `    inputs: { converted_from: { file: "specs/tasks.md", format: "spec-kit", tasks: ["${task}"] } }`,
    '    description: |',
    `      test-agent: write ${dir}/file.txt done`,
    '      test-agent: commit',
    '    scope:',
    `      write_allow: ["${dir}/**"]`,
  ];
  const text = ['schema_version: 1', 'feature:', '  id: ticked-editor', 'packages:', ...pkg('t001', 'T001', 'a'), ...pkg('t002', 'T002', 'b'), ''].join('\n');
  return committedPlanRepo(repo, { 'specs/tasks.md': TASKS, 'work-packages.yaml': text });
}

describe('Ticking the task list a plan was converted from', function () {
  this.timeout(120_000);
  let api: WavesApi;
  let scratch: Scratch;
  const config = () => vscode.workspace.getConfiguration('waves');

  before(async () => {
    await autoSaveOff.before();
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('tick');
  });
  after(async () => {
    await config().update('formats.tickSource', undefined, vscode.ConfigurationTarget.Workspace);
    await useScriptedAgent(null);
    await scratch.dispose();
    await autoSaveOff.after();
  });

  it('waits while tasks.md has unsaved changes, then ticks both tasks as an edit when it is saved, the person\'s line kept', async () => {
    const plan = convertedPlan(path.join(scratch.root.fsPath, 'repo'));
    const tasksFile = path.join(path.dirname(plan), 'specs', 'tasks.md');
    await config().update('formats.tickSource', true, vscode.ConfigurationTarget.Workspace);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(tasksFile));
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((b) => b.insert(doc.positionAt(doc.getText().length), 'A note of mine.\n'));
    assert.ok(doc.isDirty);

    const controller = api.run.controller;
    const saved = controller.questions;
    controller.questions = { ...saved, confirmRun: async () => true };
    try {
      const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry', (e) => e.analysis.plan.packages.length === 2);
      const session = await controller.start(entry, { what: 'the plan' });
      assert.ok(session, 'the run started');
      const outcome = await session.outcome;
      assert.equal(outcome?.outcome, 'succeeded', JSON.stringify(outcome?.counts));
      await controller.sourceTicks.tick(session.engine, []); // the ticks asked so far are over
      assert.equal(fs.readFileSync(tasksFile, 'utf8'), TASKS, 'not written while the document had unsaved changes');
      assert.ok(doc.isDirty);
      assert.match(doc.getText(), /- \[ \] T001/);

      assert.ok(await doc.save());
      await waitFor(() => /- \[x\] T001 \[P\]/.test(doc.getText()) && /- \[x\] T002 \[P\]/.test(doc.getText()) && !doc.isDirty, 'both tasks ticked and saved', { timeoutMs: 15_000 });
      const expected = TASKS.replace('- [ ] T001', '- [x] T001').replace('- [ ] T002', '- [x] T002') + 'A note of mine.\n';
      assert.equal(doc.getText(), expected);
      assert.equal(fs.readFileSync(tasksFile, 'utf8'), expected);
    } finally {
      controller.questions = saved;
    }
  });
});
