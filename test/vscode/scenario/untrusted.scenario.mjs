// Issue #3, "limited support for untrusted workspaces": with workspace trust on, the workspace
// opens in Restricted Mode, and the installed extension still activates, shows the plan's
// waves and its problems, and CodeLens in the editor.
import { strict as assert } from 'node:assert';
import {
  assertActivatedCleanly, openWavesView, problemCounts, runCommand, waitForStatus, waitForTree,
  waitForWorkbench, waitUntil,
} from './helpers.mjs';

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
    run: async ({ page }) => {
      await page.locator('.markers-panel .monaco-list-row', { hasText: 'wp-contrakt' }).first().dblclick();
      const lenses = page.locator('.monaco-editor .codelens-decoration');
      await waitUntil(async () => (await lenses.count()) >= 3, 'three CodeLenses in the editor');
      const titles = (await lenses.allTextContents()).map((t) => t.trim()).sort();
      assert.deepEqual(titles, ['wave 1 · 0 dependents', 'wave 1 · 1 dependent', 'wave 2 · 0 dependents']);
    },
  },
];
