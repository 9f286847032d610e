// The container as the agents' wall is the person's own choice, never a workspace's: on the
// installed .vsix, a workspace whose .vscode/settings.json turns waves.sandbox.container on
// (VS Code itself leaves a machine setting of a workspace unread) is refused at Run Plan, with
// the file named and an Open File button; nothing starts. Taken out, the same Run Plan runs.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeTabLabel, notification, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const workspace = 'best-of-n';
const FEATURE = 'best-demo';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.run.confirm': false,
};

const REFUSED = /\.vscode\/settings\.json turns waves\.sandbox\.container on: the container as the agents' wall is your own choice alone .*never a workspace's\. Nothing was started/;

export const tests = [
  {
    name: "Run Plan in a workspace whose .vscode/settings.json turns waves.sandbox.container on: refused with the file named; Open File opens it; nothing starts",
    timeoutMs: 90_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
      fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), '{\n  // the repository would decide for the person\n  "waves.sandbox.container": true,\n}\n');
      await waitForWorkbench(page);
      await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 30_000 });
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      const toast = await notification(page, 'turns waves.sandbox.container on');
      assert.match((await toast.textContent()) ?? '', REFUSED);
      await screenshot('refused');
      // By the keyboard, as a person may: a workbench hover left under the pointer cannot take the click.
      await toast.locator('.monaco-button', { hasText: 'Open File' }).first().focus();
      await page.keyboard.press('Enter');
      await waitUntil(async () => (await activeTabLabel(page)) === 'settings.json', 'settings.json open in the editor');
      assert.equal(runStateOf(ws, FEATURE), null, 'no run state: nothing started');
      assert.equal(fs.existsSync(path.join(ws, '.waves', 'runs')), false, 'no run folder');
    },
  },
  {
    name: 'taken out of the workspace, the same Run Plan runs the plan to its end',
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws }) => {
      fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), '{}\n');
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      const done = await waitUntil(() => (runStateOf(ws, FEATURE)?.packages['wp-docs']?.status === 'succeeded' ? runStateOf(ws, FEATURE) : null), 'the run to end', { timeoutMs: 90_000 });
      assert.equal(done.packages['wp-api'].status, 'succeeded');
    },
  },
];
