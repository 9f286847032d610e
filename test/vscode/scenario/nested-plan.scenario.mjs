// A plan of plans as a person meets it: the Waves view shows the parent's row naming its
// sub-plan; opened with the keyboard, the row holds the sub-plan's own waves; choosing a package
// of the sub-plan opens the sub-plan at it.
import { strict as assert } from 'node:assert';
import { activeTabLabel, openWavesView, waitForTree, waitForWorkbench, waitUntil, wavesTreeRows } from './helpers.mjs';

export const workspace = 'nested';

const CLOSED = [
  'work-packages.yaml — shop',
  '  Wave 1 — 1 package',
  '    api — Users API · sub-plan plans/api.yaml',
  '  Wave 2 — 1 package',
  '    ui — Users page',
];

export const tests = [
  {
    name: "the parent's row names its sub-plan and opens to the sub-plan's waves; its packages open the sub-plan",
    run: async ({ page, screenshot }) => {
      await waitForWorkbench(page);
      await openWavesView(page);
      await waitForTree(page, CLOSED);
      // Opened by its twistie, as a person does.
      const rows = page.locator('.sidebar .pane-body .monaco-list[aria-label="Waves"] .monaco-list-row[role="treeitem"]');
      const parent = rows.filter({ hasText: 'Users API' }).first();
      assert.equal(await parent.getAttribute('aria-expanded'), 'false', 'the parent row is closed, and can be opened');
      await parent.locator('.monaco-tl-twistie').click();
      await waitForTree(page, [
        ...CLOSED.slice(0, 3),
        '      Wave 1 — 1 package',
        '        model — User model',
        '      Wave 2 — 2 packages',
        '        routes — User routes',
        '        docs — API docs',
        ...CLOSED.slice(3),
      ]);
      assert.equal((await wavesTreeRows(page)).find((r) => r.label === 'api')?.level, 3);
      await screenshot('nested-plan-waves-view');
      await rows.filter({ hasText: 'User routes' }).first().click();
      await waitUntil(async () => (await activeTabLabel(page)) === 'api.yaml', 'the sub-plan opened at its package');
    },
  },
];
