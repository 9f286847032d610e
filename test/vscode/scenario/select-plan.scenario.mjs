// Plan selection as a person does it: a workspace with two plans, the root one
// active by default; `Waves: Select Plan` from the command palette, the other plan chosen; the status bar
// and the Waves view follow, and the choice survives a reload of the window.
import { strict as assert } from 'node:assert';
import {
  openWavesView, pickQuickItem, reloadWindow, runCommand, treeLines, waitForStatus, waitForTree, waitForWorkbench, waitUntil,
  wavesTreeRows,
} from './helpers.mjs';

export const workspace = 'two-plans';

const API_STATUS = '1 wave · 2 packages';
const WEB_STATUS = '2 waves · 3 packages';

/** The plan rows (level 1) of the tree. */
async function planRows(page) {
  return treeLines((await wavesTreeRows(page)).filter((r) => r.level === 1));
}

export const tests = [
  {
    name: 'with two plans, the one at the folder root is active: the status bar and the tree show it first',
    run: async ({ page }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, WEB_STATUS);
      await openWavesView(page);
      await waitForTree(page, [
        'work-packages.yaml — active',
        '  Wave 1 — 1 package',
        '    wp-shell — App shell',
        '  Wave 2 — 2 packages',
        '    wp-list — Items list',
        '    wp-detail — Item detail',
        'api/work-packages.yaml — api',
      ]);
      const rows = await wavesTreeRows(page);
      assert.deepEqual(rows.filter((r) => r.level === 1).map((r) => r.icon), ['target', 'checklist'], 'plan codicons: active, other');
      // the view's title bar offers Select Plan once there are two plans (with the Ownership
      // view below, the actions are in the Waves pane's header, shown while it is hovered)
      const header = page.locator('.sidebar .pane-header[aria-label^="Waves"]').first();
      await header.hover();
      await header.locator('.action-label[aria-label="Select Plan"]').first().waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'Waves: Select Plan through the palette, the second plan chosen: status bar and tree follow',
    run: async ({ page, screenshot }) => {
      await runCommand(page, 'waves.selectPlan', 'Waves: Select Plan', { opensQuickInput: true });
      // the quick pick lists both plans, the active one focused and described as such
      const pick = page.locator('.quick-input-widget');
      await pick.waitFor({ state: 'visible', timeout: 10_000 });
      await waitUntil(async () => (await pick.locator('.quick-input-list .monaco-list-row').count()) === 2, 'two plans listed');
      const focused = pick.locator('.quick-input-list .monaco-list-row.focused');
      assert.equal((await focused.locator('.label-name').first().textContent())?.trim(), 'work-packages.yaml');
      assert.match((await focused.locator('.label-description').first().textContent()) ?? '', /web · active/);
      const api = pick.locator('.quick-input-list .monaco-list-row', { hasText: 'api/work-packages.yaml' });
      assert.match((await api.textContent()) ?? '', /1 wave · 2 packages · no problems/, 'the detail line counts the plan');
      await screenshot('select-plan-quick-pick');
      await pickQuickItem(page, 'api/work-packages.yaml');
      await waitForStatus(page, API_STATUS);
      await waitUntil(async () => JSON.stringify(await planRows(page)) === JSON.stringify(['api/work-packages.yaml — active', 'work-packages.yaml — web']),
        'the chosen plan first and active in the tree');
      // ...and expanded, showing its waves (the expansion follows a moment later)
      const expanded = [
        'api/work-packages.yaml — active',
        '  Wave 1 — 2 packages',
        '    api-read — Read endpoints',
        '    api-write — Write endpoints',
      ];
      let shown = [];
      await waitUntil(async () => {
        shown = treeLines(await wavesTreeRows(page)).slice(0, expanded.length);
        return JSON.stringify(shown) === JSON.stringify(expanded);
      }, 'the active plan expanded with its waves').catch((e) => {
        throw new Error(`${e.message}; shown: ${JSON.stringify(shown)}`);
      });
      await screenshot('select-plan-chosen');
    },
  },
  {
    name: 'the choice is remembered for the workspace: still active after Developer: Reload Window',
    timeoutMs: 120_000,
    run: async ({ page }) => {
      // the workbench comes back with the Waves view where it was (not the Explorer)
      await reloadWindow(page);
      await waitForStatus(page, API_STATUS, { timeoutMs: 60_000 });
      await openWavesView(page);
      await waitUntil(async () => JSON.stringify(await planRows(page)) === JSON.stringify(['api/work-packages.yaml — active', 'work-packages.yaml — web']),
        'the remembered plan first and active in the tree');
    },
  },
];
