// A sub-plan its agent planned at run time that runs a verification command not approved yet, as a
// person meets it: while the run goes on, a notification says so; Review and Approve… opens the
// kept sub-plan beside and asks in a modal with the command, escaped as at a start; Approve and
// Run runs the sub-plan in the same run, its command with it, and the approval is the person's.
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeTabLabel, notification, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const workspace = 'planned-approve';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.run.confirm': false,
};

const ASKS = "api's planner wrote a sub-plan that runs a command not approved for this plan";

export const tests = [
  {
    name: "a planned sub-plan's new command is asked while the run goes on: Review opens it beside a modal of the command; approved, it runs in the same run",
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 60_000 });
      await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      await notification(page, ASKS);
      assert.equal(runStateOf(ws, 'shop').packages.api___plan.status, 'verifying', 'the planner waits on the answer');
      await runCommand(page, 'notifications.showList', 'Notifications: Show Notifications');
      await page.locator('.notifications-list-container .monaco-list-row', { hasText: ASKS }).locator('.monaco-button', { hasText: 'Review and Approve…' }).click();
      // The modal names the kept sub-plan and shows its command; the sub-plan is open beside it.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 15_000 });
      assert.match((await dialog.textContent()) ?? '', /approve the verification commands of \.waves\/planned\/shop\/api\.yaml\?[\s\S]*test -s src\/api\/users\/model\.ts/);
      await waitUntil(async () => /api\.yaml/.test((await activeTabLabel(page)) ?? ''), 'the sub-plan open beside', { timeoutMs: 10_000 });
      await screenshot('planned-approve-modal');
      await dialog.locator('.monaco-button', { hasText: 'Approve and Run' }).click();
      const done = await waitUntil(() => (runStateOf(ws, 'shop')?.packages.ui?.status === 'succeeded' ? runStateOf(ws, 'shop') : null), 'the run to end', { timeoutMs: 60_000 });
      assert.equal(done.packages.api___plan.status, 'succeeded', JSON.stringify(done.packages.api___plan));
      assert.equal(done.packages.api___plan.attempts, 1, 'no resume, no retry');
      assert.equal(done.packages.api__users.status, 'succeeded');
      assert.deepEqual(done.packages.api__users.verification.map((v) => v.ok), [true], 'its approved command ran');
    },
  },
];
