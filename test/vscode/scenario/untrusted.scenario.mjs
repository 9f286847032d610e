// "limited support for untrusted workspaces": with workspace trust on, the workspace
// opens in Restricted Mode, and the installed extension still activates, shows the plan's
// waves and its problems, and CodeLens in the editor.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  activeTabLabel, assertActivatedCleanly, cursorPosition, notificationTexts, openWavesView, problemCounts, runCommand, waitForStatus, waitForTree,
  waitForWorkbench, waitUntil,
} from './helpers.mjs';

/** Command lines of this machine's processes that mention `text` (the workspace's path). */
function processesMentioning(text) {
  return execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(text) && !l.includes('code-server') && !l.startsWith('ps '));
}

export const workspace = 'restricted';
export const trust = true;

export const tests = [
  {
    name: 'the workspace opens in Restricted Mode',
    run: async ({ page, manifest }) => {
      assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, 'limited');
      await waitForWorkbench(page);
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 20_000 });
    },
  },
  {
    name: 'the extension activates there on its plan, without an error',
    run: async ({ page, cs, extensionId }) => {
      await assertActivatedCleanly(page, cs, extensionId);
    },
  },
  {
    name: 'the status bar and the Waves view show the plan and its problem',
    run: async ({ page, screenshot }) => {
      await waitForStatus(page, '2 waves · 3 packages · 1 problem');
      await openWavesView(page);
      await waitForTree(page, [
        'work-packages.yaml — restricted',
        '  Wave 1 — 2 packages',
        '    wp-contract — API contract',
        '    wp-web — Items list',
        '  Wave 2 — 1 package',
        '    wp-api — Items endpoint',
      ]);
      await screenshot('waves-view');
    },
  },
  {
    name: 'the Problems panel lists the unknown dependency with its did-you-mean',
    run: async ({ page, screenshot }) => {
      await waitUntil(async () => (await problemCounts(page)).errors === 1, 'one error in the Problems count');
      await runCommand(page, 'workbench.actions.view.problems', 'View: Show Problems');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'wp-contrakt' }).first();
      await row.waitFor({ timeout: 15_000 });
      const text = (await row.textContent()) ?? '';
      assert.match(text, /did you mean `?wp-contract`?\?/);
      assert.match(text, /waves/, 'source waves');
      assert.match(text, /dependency-unknown/, 'its code');
      assert.match(text, /\[Ln 20, Col 18\]/, 'at the entry of depends_on');
      await screenshot('problems');
    },
  },
  {
    name: 'the plan opened from the Problems panel shows a CodeLens over each package',
    run: async ({ page, screenshot }) => {
      // The double click opens the plan at the problem (Ln 20). A row the panel redrew under the
      // pointer takes no double click, so it is given again until the plan is the active editor.
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'wp-contrakt' }).first();
      let clickedAt = 0;
      await waitUntil(async () => {
        if ((await activeTabLabel(page)) === 'work-packages.yaml' && (await cursorPosition(page))?.line === 20) return true;
        if (Date.now() - clickedAt > 3_000) {
          clickedAt = Date.now();
          await row.dblclick();
        }
        return false;
      }, 'the plan opened at its problem (Ln 20) from the Problems panel');
      // Monaco draws a CodeLens only on lines in view, and opening at Ln 20 scrolls the first
      // package's lens out of it (how far depends on the window and the panel), so the panel is
      // hidden and the editor goes to the top: all 22 lines are in view.
      await runCommand(page, 'workbench.action.closePanel', 'View: Hide Panel');
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Home');
      await waitUntil(async () => (await cursorPosition(page))?.line === 1, 'the cursor at the top of the plan');
      const lenses = page.locator('.monaco-editor .codelens-decoration');
      await waitUntil(async () => (await lenses.count()) >= 3, 'three CodeLenses in the editor');
      await screenshot('codelens');
      const titles = (await lenses.allTextContents()).map((t) => t.trim()).sort();
      // ...and no run action among them: nothing runs in Restricted Mode.
      assert.deepEqual(titles, ['wave 1 · 0 dependents', 'wave 1 · 1 dependent', 'wave 2 · 0 dependents']);
    },
  },
  {
    name: 'Waves: Run Plan from the palette starts no terminal and no process, explains why and offers Manage Workspace Trust',
    run: async ({ page, workspace, screenshot }) => {
      // Not waitForWorkbench: it waits for the Explorer's rows, and the side bar may be showing
      // the Waves view (the tests above open it). The status bar's plan summary proves the
      // workbench is up and the plan was read from the workspace.
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await waitForStatus(page, '2 waves · 3 packages · 1 problem', { timeoutMs: 60_000 });
      const terminalsBefore = await page.locator('.terminal-tabs-entry, .single-terminal-tab').count();
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      // Its toast, or (a toast can go straight to the centre) the notification centre's row.
      const toast = page.locator('.notifications-list-container .monaco-list-row, .notification-toast', { hasText: 'nothing runs until you trust' }).first();
      await waitUntil(async () => {
        if (await toast.isVisible().catch(() => false)) return true;
        await page.locator('.statusbar-item[id="status.notifications"]').first().click().catch(() => {});
        return toast.isVisible().catch(() => false);
      }, 'the Restricted Mode explanation', { timeoutMs: 15_000, intervalMs: 1_000 });
      const text = (await notificationTexts(page)).find((t) => t.includes('Restricted Mode')) ?? '';
      assert.match(text, /nothing runs until you trust the workspace/);
      const manage = toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' });
      await manage.waitFor({ timeout: 5_000 });
      await screenshot('run-refused');
      // Nothing started: no terminal, no process about the workspace, nothing written under .waves/.
      assert.equal(await page.locator('.terminal-tabs-entry, .single-terminal-tab').count(), terminalsBefore, 'no terminal opened');
      assert.deepEqual(processesMentioning(workspace), [], 'no process runs in the workspace');
      assert.equal(fs.existsSync(path.join(workspace, '.waves')), false, 'no run state written');
      // The way out: the button opens the Workspace Trust editor.
      await manage.evaluate((el) => el.click()); // the row may sit under the centre's toggling; the button's own click
      await page.getByText('You are in Restricted Mode').first().waitFor({ timeout: 15_000 });
      await screenshot('manage-trust');
    },
  },
];
