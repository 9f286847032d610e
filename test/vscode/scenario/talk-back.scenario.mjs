// Agents talk back as a person meets it: api's agent asks, through its attempt's `waves` MCP
// server, for a file its scope lacks; the request is a notification while the run goes on and the
// DAG shows how far the agent said it is; Allow widens its scope, its audit takes the file in and
// it merges; its note for ui is in ui's prompt and in api's details beside what was granted.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { notification, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil, webviewFrame } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const workspace = 'talk';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.run.confirm': false,
};

const ASKS = "api's agent asks to also write docs/api.md";

export const tests = [
  {
    name: 'a scope request is a notification while the DAG shows the progress the agent said; Allow widens its scope: the file merges, and its note and grant show in its details',
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 60_000 });
      await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      // The request, while the agent waits on its answer.
      const asked = await notification(page, ASKS);
      assert.match((await asked.textContent()) ?? '', /“the endpoint needs its page”/);
      await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
      const frame = webviewFrame(page);
      const said = frame.locator('.react-flow__node[data-id="api"] .pkg-progress-text');
      await waitUntil(async () => ((await said.textContent().catch(() => '')) ?? '').includes('40 %'), "api's node to show the 40 % its agent said", { timeoutMs: 30_000 });
      assert.equal(await said.getAttribute('title'), 'the model is written');
      assert.equal(runStateOf(ws, 'shop').packages.api.status, 'running', 'the agent waits on the answer');
      await screenshot('talk-back-request');
      // Allow: the engine checks it again, records it, and the agent goes on.
      await runCommand(page, 'notifications.showList', 'Notifications: Show Notifications');
      await page.locator('.notifications-list-container .monaco-list-row', { hasText: ASKS }).locator('.monaco-button', { hasText: 'Allow' }).click();
      const done = await waitUntil(() => (runStateOf(ws, 'shop')?.packages.ui?.status === 'succeeded' ? runStateOf(ws, 'shop') : null), 'the run to end', { timeoutMs: 60_000 });
      assert.equal(done.packages.api.status, 'succeeded', JSON.stringify(done.packages.api));
      assert.deepEqual(done.packages.api.granted.map((g) => g.paths), [['docs/api.md']]);
      assert.match(execFileSync('git', ['show', 'waves/shop/_integration:docs/api.md'], { cwd: ws, encoding: 'utf8' }), /# Users API/);
      // ui's agent read api's note in its prompt.
      assert.match(fs.readFileSync(path.join(path.dirname(done.packages.ui.logFile), 'prompt.md'), 'utf8'), /> the endpoint is \/v2\/users, not \/users/);
      // api's details: its note for its dependents and what it was granted.
      await frame.locator('.react-flow__node[data-id="api"]').click();
      const details = frame.locator('.details');
      await details.locator('h2', { hasText: 'api' }).waitFor({ timeout: 10_000 });
      await details.locator('blockquote.handoff', { hasText: 'the endpoint is /v2/users, not /users' }).waitFor({ timeout: 10_000 });
      await details.locator('p', { hasText: 'Granted at run time' }).locator('code', { hasText: 'docs/api.md' }).waitFor();
      await screenshot('talk-back-details');
    },
  },
];
