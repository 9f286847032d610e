// The Getting Started walkthrough, in a real VS Code: every step of the
// manifest completes on something the extension does (a contributed command, a context key it
// sets, a setting it reads) and shows a picture that exists; `Waves: Approve Verification
// Commands…` approves exactly the list shown through the consent code, starting nothing, and
// sets the step's context key; `Waves: Try the Demo Plan (Offline)…` makes a git repository of
// the demo whose agent is the stand-in demo agent. (The walkthrough's opening on install and its
// steps completing from the palette: test/vscode/scenario/walkthrough.scenario.mjs.)
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { extension, Scratch, waitFor, waitForPlan, wavesApi } from '../helpers';

interface Step {
  id: string;
  media: { image?: string; altText?: string };
  completionEvents?: string[];
}

/** The context keys the extension sets (`setContext` in src/), which a step may complete on. */
const CONTEXT_KEYS = ['waves.hasPlan', 'waves.verificationApproved', 'waves.run.canFinish', 'waves.run.hasRun'];

function planWithCheck(feature: string, command: string): string {
  return [
    'schema_version: 1',
    'feature:',
    `  id: ${feature}`,
    '  title: Approval test',
    'packages:',
    '  - package_id: wp-one',
    '    title: One',
    '    task_type: implement',
    '    description: one',
    '    depends_on: []',
    '    scope:',
    '      write_allow: ["one/**"]',
    '    verification:',
    '      steps:',
    '        - name: check',
    '          kind: command',
    `          command: ${command}`,
    '',
  ].join('\n');
}

describe('Getting Started walkthrough (#35)', () => {
  let api: WavesApi;
  before(async () => {
    api = await wavesApi();
  });

  it('each step completes on a command, setting or context key the extension has, and shows a picture it ships', () => {
    const manifest = extension().packageJSON as {
      contributes: { commands: { command: string }[]; walkthroughs: { id: string; steps: Step[] }[]; configuration: { properties: Record<string, unknown> } };
    };
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
    const [walk] = manifest.contributes.walkthroughs;
    assert.ok(walk, 'a walkthrough is contributed');
    assert.deepEqual(
      walk.steps.map((s) => s.id),
      ['plan', 'problems', 'agent', 'approve', 'demo', 'finish'],
    );
    const ignore = fs.readFileSync(path.join(extension().extensionPath, '.vscodeignore'), 'utf8');
    assert.match(ignore, /^!media\/walkthrough\/\*\.png$/m, 'the pictures ship in the .vsix');
    for (const step of walk.steps) {
      assert.ok(step.completionEvents?.length, `${step.id}: completes by doing it, not by being opened`);
      for (const event of step.completionEvents) {
        const [kind, what] = [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)];
        if (kind === 'onCommand') assert.ok(commands.has(what), `${step.id}: ${what} is a contributed command`);
        else if (kind === 'onSettingChanged') assert.ok(settings.has(what), `${step.id}: ${what} is a setting`);
        else if (kind === 'onContext') assert.ok(CONTEXT_KEYS.includes(what), `${step.id}: ${what} is a context key the extension sets`);
        else assert.fail(`${step.id}: unexpected completion event ${event}`);
      }
      const image = path.join(extension().extensionPath, step.media.image ?? '');
      assert.ok(step.media.image?.startsWith('media/walkthrough/') && step.media.altText, `${step.id}: a picture with its text`);
      const head = fs.readFileSync(image).subarray(0, 8);
      assert.equal(head.toString('hex'), '89504e470d0a1a0a', `${step.id}: ${step.media.image} is a PNG`);
    }
  });

  it('Approve Verification Commands approves exactly the list shown, runs nothing, and sets waves.verificationApproved', async () => {
    const scratch = new Scratch('approve');
    const marker = path.join(os.tmpdir(), `waves-approve-ran-${process.pid}`);
    const command = `node -e "require('fs').writeFileSync('${marker}', 'ran')"`;
    const previous = api.registry.active?.uri;
    const approval = api.run.approval;
    const saved = approval.question;
    try {
      const uri = await scratch.write('work-packages.yaml', planWithCheck('approve-test', command));
      await waitForPlan(api, uri, 'the scratch plan');
      await api.registry.setActive(uri);
      await waitFor(() => approval.approved === false, 'the new plan not approved');
      const asked: (readonly string[])[] = [];
      approval.question = async (_label, commands) => {
        asked.push(commands);
        return false;
      };
      assert.equal(await vscode.commands.executeCommand('waves.approveVerification', uri), 'declined');
      assert.equal(approval.approved, false, 'a no approves nothing');
      approval.question = async (_label, commands) => {
        asked.push(commands);
        return true;
      };
      assert.equal(await vscode.commands.executeCommand('waves.approveVerification', uri), 'approved');
      assert.deepEqual(asked, [[command], [command]], 'the exact list, each time');
      assert.equal(approval.approved, true, 'the context key follows the approval');
      assert.equal(fs.existsSync(marker), false, 'approving runs nothing');
      // Asked again: approved already, no question.
      assert.equal(await vscode.commands.executeCommand('waves.approveVerification', uri), 'approved');
      assert.equal(asked.length, 2);
      // A changed list is a new question: the key goes back to false.
      await scratch.write('work-packages.yaml', planWithCheck('approve-test', `${command} && true`));
      await waitFor(() => approval.approved === false, 'a changed list no longer approved');
    } finally {
      approval.question = saved;
      if (previous) await api.registry.setActive(previous);
      await scratch.dispose();
    }
  });

  it('Try the Demo Plan makes a git repository of the demo whose waves.agent is the stand-in demo agent', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-demo-test-'));
    try {
      const folder = path.join(parent, 'demo');
      const made = await vscode.commands.executeCommand<string>('waves.tryDemo', { folder, open: false });
      assert.equal(made, folder);
      assert.ok(fs.existsSync(path.join(folder, 'work-packages.yaml')));
      const log = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: folder, encoding: 'utf8' }).trim().split('\n');
      assert.equal(log.length, 1, 'one commit, the starting point');
      assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: folder, encoding: 'utf8' }), '', 'nothing left uncommitted');
      const settings = JSON.parse(fs.readFileSync(path.join(folder, '.vscode', 'settings.json'), 'utf8')) as { 'waves.agent': string[] };
      const [node, agent, ...rest] = settings['waves.agent'];
      assert.equal(agent, path.join(folder, '.vscode', 'demo-agent.mjs'), 'the agent inside the demo, not in the extension folder');
      assert.ok(fs.existsSync(agent!) && fs.existsSync(node!));
      assert.deepEqual(rest, ['--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}', '--worktree', '${worktree}']);
      // A folder with files in it is refused, and nothing is written there.
      assert.equal(await vscode.commands.executeCommand('waves.tryDemo', { folder, open: false }), undefined);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
