// The review loop in a real VS Code on a real git repository: with the review gate
// on (`waves.review.gate: before-merge`) a package that passed waits as awaiting review and its
// dependent does not start; Show Changes opens its diff at its commit, where two comments are
// written (the Comments API's threads, kept in .waves/runs/<feature>/review.json); Request
// Changes sends them to the scripted agent, which records the prompt's follow-up and changes the
// file; the new diff shows the change with the threads re-anchored on the new commit; resolve;
// Approve merges it and only then does the dependent start. Every wait has a deadline.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { RunState } from '../../../src/core/run/runState';
import type { ReviewThread } from '../../../src/core/review/review';
import { runStateFile } from '../../../src/core/run/runPaths';
import type { RunSession } from '../../../src/run/run/runController';
import { readRunSettings } from '../../../src/run/run/settings';
import { Scratch, closeEditors, useScriptedAgent, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

const RUN_TIMEOUT = 90_000;

function readState(feature: string): RunState | undefined {
  try {
    return JSON.parse(fs.readFileSync(runStateFile(workspaceRoot().fsPath, feature), 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

function storeThreads(feature: string): ReviewThread[] {
  return (JSON.parse(fs.readFileSync(path.join(workspaceRoot().fsPath, '.waves', 'runs', feature, 'review.json'), 'utf8')) as { threads: ReviewThread[] }).threads;
}

describe('The review loop (#33)', function () {
  this.timeout(RUN_TIMEOUT * 3);
  let api: WavesApi;
  let scratch: Scratch;
  let record: string;

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('review');
    // Outside the workspace (the checkout a package must leave alone) and writable inside the agent's walls.
    record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-review-record-')), 'followup.txt');
    await vscode.workspace.getConfiguration('waves').update('sandbox.write', [path.dirname(record)], vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('waves').update('review.gate', 'before-merge', vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    for (const s of api.run.controller.activeSessions) await s.engine.cancel();
    await vscode.workspace.getConfiguration('waves').update('sandbox.write', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('waves').update('review.gate', undefined, vscode.ConfigurationTarget.Workspace);
    await useScriptedAgent(null);
    await closeEditors();
    await scratch.dispose();
    fs.rmSync(path.dirname(record), { recursive: true, force: true });
    const root = workspaceRoot().fsPath;
    for (const line of execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: root, encoding: 'utf8' }).split('\n')) {
      const wt = line.startsWith('worktree ') ? line.slice(9) : '';
      if (wt && wt !== fs.realpathSync(root)) execFileSync('git', ['worktree', 'remove', '--force', '--force', wt], { cwd: root });
    }
    fs.rmSync(path.join(root, '.waves'), { recursive: true, force: true });
  });

  it('comments on the diff go to the agent, the new diff shows its change and the threads; Approve lets the dependent start; a comment on the integration diff goes to its file\'s owner', async () => {
    const feature = `review-${process.pid}`;
    const plan = [
      'schema_version: 1',
      'feature:',
      `  id: ${feature}`,
      '  title: Review loop',
      'packages:',
      '  - package_id: wp-a',
      '    title: A',
      '    description: |',
      '      test-agent: unless-followup write out-a/x.ts const a = 1;\\nconst b = 2;\\nconst c = 3;\\n',
      '      test-agent: if-followup write out-a/x.ts // header\\nconst a = 1;\\nconst B = 2;\\nconst c = 3;\\n',
      `      test-agent: record-followup ${record}`,
      '      test-agent: commit',
      '    scope:',
      '      write_allow: ["out-a/**"]',
      '    retry_budget: 0',
      '    timeout_minutes: 5',
      '  - package_id: wp-b',
      '    title: B',
      '    depends_on: [wp-a]',
      '    description: |',
      '      test-agent: write out-b/b.txt b',
      '      test-agent: commit',
      '    scope:',
      '      write_allow: ["out-b/**"]',
      '    retry_budget: 0',
      '    timeout_minutes: 5',
    ].join('\n');
    const uri = await scratch.write('work-packages.yaml', plan + '\n');
    await waitForPlan(api, uri, 'the review plan', (e) => e.analysis.valid);
    await api.registry.setActive(uri);

    const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
    assert.ok(session, 'the run started');
    await waitFor(() => readState(feature)?.packages['wp-a']?.status === 'awaiting-review', 'wp-a awaiting review', { timeoutMs: RUN_TIMEOUT });
    assert.equal(readState(feature)!.packages['wp-b']!.attempts, 0, 'its dependent waits for the review');
    // The status bar says who waits on the person.
    await waitFor(() => /1 awaiting your review/.test(api.views.statusBar.text), 'the status bar names the wait', { timeoutMs: 10_000 });

    // Show Changes: the package's side is its commit, a review document.
    assert.equal(await vscode.commands.executeCommand('waves.showChanges', { uri, packageId: 'wp-a' }), true);
    const head1 = readState(feature)!.packages['wp-a']!.headSha!;
    const doc = await waitFor(() => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'waves-git' && d.uri.path === '/out-a/x.ts' && d.uri.query.includes('"review"')), 'the review document of out-a/x.ts');
    assert.match(doc.uri.query, new RegExp(head1));

    // Two comments: on line 2, and on the whole file.
    const review = api.run.review;
    await review.commentOn(doc.uri, 2, 2, 'Upper-case this constant');
    await review.commentOn(doc.uri, 0, 0, 'And mark where the file starts');
    assert.equal(storeThreads(feature).length, 2);
    await waitFor(() => api.run.live.openComments(feature, 'wp-a') === 2, 'the open comments counted', { timeoutMs: 10_000 });

    // Request Changes: exactly those comments reach the agent, which changes the file.
    assert.equal(await vscode.commands.executeCommand('waves.requestChanges', { uri, packageId: 'wp-a' }), true);
    await waitFor(() => (readState(feature)?.packages['wp-a']?.attempts ?? 0) >= 2 && readState(feature)?.packages['wp-a']?.status === 'awaiting-review', 'the revision awaiting review', { timeoutMs: RUN_TIMEOUT });
    const followUp = fs.readFileSync(record, 'utf8').split('-- end\n').filter(Boolean);
    assert.equal(followUp[0], 'none\n', 'the first attempt had no follow-up');
    for (const words of ['Upper-case this constant', 'And mark where the file starts', 'const b = 2;', 'out-a/x.ts']) assert.ok(followUp[1]!.includes(words), `the follow-up carries ${words}`);
    assert.equal(readState(feature)!.packages['wp-a']!.revisions, 1, 'a revision, counted');

    // The new diff: the new commit, the line thread moved to line 3 and marked addressed.
    const head2 = readState(feature)!.packages['wp-a']!.headSha!;
    assert.notEqual(head2, head1);
    await closeEditors();
    assert.equal(await vscode.commands.executeCommand('waves.showChanges', { uri, packageId: 'wp-a' }), true);
    const shown = await waitFor(() => {
      const mine = review.shownThreads().filter((t) => t.commit === head2);
      return mine.length === 2 ? mine : undefined;
    }, 'both threads on the new diff', { timeoutMs: 20_000 });
    const line = shown.find((t) => t.thread.range.start.line !== 0)!;
    assert.equal(line.thread.range.start.line, 2, 'moved to line 3 (0-based 2)');
    assert.match(line.thread.label ?? '', /sent with attempt 2 · its lines changed since/);
    const newDoc = await vscode.workspace.openTextDocument(line.uri);
    assert.equal(newDoc.getText(), '// header\nconst a = 1;\nconst B = 2;\nconst c = 3;\n');

    // Resolve both; Approve: merged, and only now does the dependent start.
    for (const t of shown) await vscode.commands.executeCommand('waves.review.resolve', t.thread);
    assert.deepEqual(storeThreads(feature).map((t) => t.status), ['resolved', 'resolved']);
    assert.equal(readState(feature)!.packages['wp-b']!.attempts, 0, 'still waiting');
    assert.equal(await vscode.commands.executeCommand('waves.approvePackage', { uri, packageId: 'wp-a' }), true);
    await waitFor(() => readState(feature)?.packages['wp-b']?.status === 'awaiting-review', 'wp-b ran after the approval', { timeoutMs: RUN_TIMEOUT });
    assert.equal(await vscode.commands.executeCommand('waves.approvePackage', { uri, packageId: 'wp-b' }), true);
    await waitFor(() => readState(feature)?.packages['wp-b']?.status === 'succeeded', 'wp-b merged', { timeoutMs: RUN_TIMEOUT });
    assert.equal(readState(feature)!.packages['wp-a']!.status, 'succeeded');

    // Review Integration Changes: the integration branch against the run's base, each file a review
    // document of the integration; a comment on wp-b's file is wp-b's, written on the integrated result.
    await closeEditors();
    assert.equal(await vscode.commands.executeCommand('waves.reviewIntegration', uri), true);
    const tip = readState(feature)!.integration!.tipSha;
    const integrationDoc = (file: string) =>
      vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'waves-git' && d.uri.path === file && d.uri.query.includes('"pkg":null') && d.uri.query.includes(tip));
    const bDoc = await waitFor(() => integrationDoc('/out-b/b.txt'), 'the integration document of out-b/b.txt');
    await waitFor(() => integrationDoc('/out-a/x.ts'), 'the integration document of out-a/x.ts');
    const routed = await review.commentOn(bDoc.uri, 1, 1, 'Say more than b');
    assert.equal(routed?.packageId, 'wp-b', 'the file\'s owner');
    assert.equal(routed?.from, 'integration');
    assert.deepEqual(storeThreads(feature).filter((t) => t.status === 'open').map((t) => [t.packageId, t.file, t.anchorCommit]), [['wp-b', 'out-b/b.txt', tip]]);
  });

  it('the setting says the gate only where the person set it: set nowhere, a run taken up again keeps its own', async () => {
    const config = () => vscode.workspace.getConfiguration('waves');
    assert.equal(readRunSettings(undefined).reviewGate, 'before-merge', 'set in the workspace (before)');
    await config().update('review.gate', undefined, vscode.ConfigurationTarget.Workspace);
    try {
      assert.equal(config().get('review.gate'), 'off', 'its default');
      assert.equal(readRunSettings(undefined).reviewGate, undefined, 'set nowhere: the start names no gate');
      await config().update('review.gate', 'off', vscode.ConfigurationTarget.Global);
      assert.equal(readRunSettings(undefined).reviewGate, 'off', 'set off by the person: the gate is turned off');
    } finally {
      await config().update('review.gate', undefined, vscode.ConfigurationTarget.Global);
      await config().update('review.gate', 'before-merge', vscode.ConfigurationTarget.Workspace);
    }
  });
});
