// `Waves: Complete with Agent…` in a real VS Code on a real git repository (the suite's workspace
// is a git copy): offered on a converted plan (its lens) and by the notification Convert shows; the
// scripted test agent completes the draft in a planning worktree as Plan a Feature's agent plans —
// progress per round, the proposal shown for approval, nothing run and nothing of the person's
// checkout changed. Every wait is on a condition with a deadline.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { Converted } from '../../../src/extension/foreignPlans/convertInEditor';
import { AFTER_CONVERT } from '../../../src/extension/foreignPlans';
import type { PlanningResult } from '../../../src/engine';
import { Scratch, autoSaveOff, closeEditors, discardSessions, useScriptedAgent, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

/** A converted plan whose two packages' guessed write scopes overlap; its first package's description tells the scripted agent what to write (the plan completed: JSON is YAML). */
function draft(planDir: string): string {
  const pkg = (id: string, task: string, scope: string) => ({
    package_id: id,
    title: `Task ${task}`,
    task_type: 'implement',
    description: `Task ${task}`,
    depends_on: [],
    scope: { write_allow: [scope], read_allow: ['**'] },
    inputs: { converted_from: { file: 'tasks.md', format: 'spec-kit', tasks: [task] } },
  });
  const completed = JSON.stringify({
    schema_version: 1,
    feature: { id: 'feature-c1', title: 'Albums in the editor' },
    packages: [pkg('t001', 'T001', 'src/albums/model/**'), pkg('t002', 'T002', 'src/albums/list/**')],
  });
  // Both packages guess the same file: they may run at the same time, so the checker reports the overlap.
  const guessed = (id: string, task: string, title: string, description: string) => `  - package_id: ${id}
    title: "${title}"
    task_type: implement
    description: ${description}
    depends_on: []
    scope:
      write_allow:
        - "src/albums/model.ts"  # guess: named in the task text
      read_allow: ["**"]
    inputs:
      converted_from: { file: "tasks.md", format: "spec-kit", tasks: ["${task}"] }
`;
  return `# Converted by \`waves convert\` from tasks.md (spec-kit tasks.md). Review it before a run.
schema_version: 1
feature:
  id: "feature-c1"
  title: "Albums in the editor"
packages:
${guessed('t001', 'T001', 'Add the album model in src/albums/model.ts', `|\n      Add the album model in src/albums/model.ts\n      test-agent: write ${planDir}/work-packages.yaml ${completed}`)}${guessed('t002', 'T002', 'Add the album list in src/albums/model.ts', '"Add the album list in src/albums/model.ts"')}`;
}

const TASKS = '# Tasks: Albums in the editor\n\n## Phase 1: Albums\n\n- [ ] T001 [P] Add the album model in src/albums/model.ts\n- [ ] T002 [P] Add the album list in src/albums/model.ts\n';

function gitHead(): string {
  return execFileSync('git', ['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'], { cwd: workspaceRoot().fsPath, encoding: 'utf8' });
}

describe('Complete with Agent', function () {
  this.timeout(120_000);
  let api: WavesApi;
  let scratch: Scratch;
  const made: PlanningResult[] = [];
  let notify: WavesApi['foreignPlans']['notify'];

  before(async () => {
    await autoSaveOff.before();
    await useScriptedAgent(true, vscode.ConfigurationTarget.Global);
    api = await wavesApi();
    notify = api.foreignPlans.notify;
    scratch = new Scratch('complete');
  });
  after(async () => {
    api.foreignPlans.notify = notify;
    await vscode.workspace.getConfiguration('waves').update('planning.repairRounds', undefined, vscode.ConfigurationTarget.Global);
    await useScriptedAgent(null, vscode.ConfigurationTarget.Global);
    await discardSessions(api, made);
    await closeEditors(() => true);
    await scratch.dispose();
    await autoSaveOff.after();
  });

  it('a converted plan offers it (its lens); the agent completes the draft; the proposal waits for approval, started from the draft', async () => {
    await scratch.write('specs/c1/tasks.md', TASKS);
    const { uri } = await scratch.open('specs/c1/work-packages.yaml', draft('plans/albums-in-the-editor'));
    await waitForPlan(api, uri, 'the converted plan read', (e) => e.analysis.plan.packages.length === 2 && e.analysis.diagnostics.some((d) => d.code === 'write-overlap'));
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
    const lens = lenses.find((l) => l.command?.command === 'waves.completeWithAgent');
    assert.ok(lens, lenses.map((l) => l.command?.title).join(' | '));
    assert.equal(lens.command!.title, '$(sparkle) Complete with Agent…');
    const head = gitHead();

    const result = (await vscode.commands.executeCommand('waves.completeWithAgent', ...(lens.command!.arguments ?? []))) as PlanningResult | undefined;
    assert.ok(result, 'the command returned the session');
    made.push(result);
    const { state } = result;
    assert.equal(state.status, 'valid', JSON.stringify(result.problems));
    assert.equal(state.id, 'albums-in-the-editor');
    assert.equal(state.draft?.file, vscode.workspace.asRelativePath(uri, false));
    assert.deepEqual(state.draft?.tasks, ['tasks.md#T001', 'tasks.md#T002']);
    assert.deepEqual(state.rounds.map((r) => r.purpose), ['draft', 'complete']);
    const shown = api.planning.progressShown.join(' | ');
    assert.ok(api.planning.progressShown.includes('round 0: the draft and its task list into the planning folder…'), shown);
    assert.ok(api.planning.progressShown.includes('round 0: 2 errors'), shown);
    assert.ok(api.planning.progressShown.includes('round 1: the agent completes the draft…'), shown);

    // The proposal: its plan followed, Approve on, Run Plan off until approved; the person's checkout as it was.
    const plan = vscode.Uri.file(result.planFile);
    await waitForPlan(api, plan, 'the proposed plan', (e) => e.analysis.valid);
    const view = api.planning.viewFor(plan);
    assert.equal(view?.status, 'valid');
    assert.equal(view?.rounds, 1, "the agent's rounds (the draft's round 0 is none)");
    assert.equal(view?.actions.approve.enabled, true);
    assert.equal(view?.actions.runPlan.enabled, false);
    assert.equal(gitHead(), head, "the person's branch is untouched");
    assert.equal(fs.existsSync(path.join(workspaceRoot().fsPath, 'plans')), false, "nothing in the person's checkout");
    assert.equal(fs.existsSync(path.join(workspaceRoot().fsPath, '.waves', 'runs', 'feature-c1.json')), false, 'nothing ran');
  });

  it("Convert's notification offers Complete with Agent: the converted plan goes to the planning agent", async () => {
    await vscode.workspace.getConfiguration('waves').update('planning.repairRounds', 0, vscode.ConfigurationTarget.Global);
    const { uri: source } = await scratch.open('specs/c2/tasks.md', TASKS.replace('Albums in the editor', 'Albums converted'));
    await waitForPlan(api, source, 'the tasks.md read as a plan', (e) => e.foreign !== undefined && e.analysis.plan.packages.length === 2, 20_000);
    let buttons: string[] = [];
    api.foreignPlans.notify = async (_message, ...offered) => {
      buttons = offered;
      return AFTER_CONVERT.complete;
    };
    const done = (await vscode.commands.executeCommand('waves.convertToPlan', source)) as Converted | undefined;
    assert.ok(done, 'converted');
    assert.deepEqual(buttons, [AFTER_CONVERT.complete, AFTER_CONVERT.problems]);
    const result = (await api.foreignPlans.afterConvert) as PlanningResult | undefined;
    assert.ok(result, 'Complete with Agent ran');
    made.push(result);
    // The scripted agent, told nothing here, changes nothing: the draft's overlap stays, and the proposal cannot be approved.
    assert.equal(result.state.draft?.file, vscode.workspace.asRelativePath(done.plan, false));
    assert.deepEqual(result.state.rounds.map((r) => r.purpose), ['draft', 'complete']);
    assert.equal(result.state.status, 'invalid');
    assert.equal(api.planning.viewFor(vscode.Uri.file(result.planFile))?.actions.approve.enabled, false);
  });
});
