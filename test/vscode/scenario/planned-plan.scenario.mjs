// A plan of plans planned at run time as a person meets it: the Waves view says the parent's agent
// plans its work when the run reaches it, and the parent's row opens to its planner's row. Run
// Plan runs the planner first; the sub-plan it wrote is kept, and the parent's row then holds the
// planner (its sub-plan kept) and the planned packages' waves, each row saying its run.
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWavesView, runPlanToSuccess, waitForRow, waitForTree, waitForWorkbench, wavesTreeRows, widenSideBar } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const workspace = 'planned';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.run.confirm': false,
};

const row = (page, text) => page.locator('.sidebar .pane-body .monaco-list[aria-label="Waves"] .monaco-list-row[role="treeitem"]').filter({ hasText: text }).first();

export const tests = [
  {
    name: "the parent's row says its agent plans it when the run reaches it, and opens to its planner's row",
    run: async ({ page, screenshot }) => {
      await waitForWorkbench(page);
      await openWavesView(page);
      const closed = [
        'work-packages.yaml — shop',
        '  Wave 1 — 1 package',
        '    api — Users API · planned by its agent at run time',
        '  Wave 2 — 1 package',
        '    ui — Users page',
      ];
      await waitForTree(page, closed);
      const parent = row(page, 'Users API');
      assert.equal(await parent.getAttribute('aria-expanded'), 'false', 'the parent row is closed, and can be opened');
      await parent.locator('.monaco-tl-twistie').click();
      await waitForTree(page, [...closed.slice(0, 3), "      Planner — plans api's work", ...closed.slice(3)]);
      assert.equal((await wavesTreeRows(page)).find((r) => r.label === 'Planner')?.icon, 'lightbulb');
      await screenshot('planned-plan-waves-view');
    },
  },
  {
    name: "Run Plan runs the planner, keeps its sub-plan and runs it under the parent: the planner's row says so, the planned packages' rows their runs",
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await runPlanToSuccess(page, ws, { summary: /2 waves · 2 packages/, featureId: 'shop', last: 'ui', ids: ['api', 'api___plan', 'api__routes', 'api__users', 'ui'] });
      await openWavesView(page);
      const parent = row(page, 'Users API');
      if ((await parent.getAttribute('aria-expanded')) === 'false') await parent.locator('.monaco-tl-twistie').click();
      await waitForRow(page, 'Planner', /^its sub-plan is kept · succeeded/, "the planner's row to say its sub-plan is kept");
      for (const label of ['users', 'routes', 'api', 'ui']) await waitForRow(page, label, /succeeded/, `${label} shown succeeded`);
      const rows = await wavesTreeRows(page);
      const at = (label) => rows.findIndex((r) => r.label === label);
      assert.ok(at('Planner') > at('api') && at('Planner') < at('users') && at('users') < at('routes') && at('routes') < at('ui'), JSON.stringify(rows.map((r) => r.label)));
      assert.equal(rows[at('Planner')].level, 4, "the planner's row sits under the parent");
      assert.ok(['users', 'routes'].every((l) => rows.find((r) => r.label === l)?.level === 5), "the planned packages' rows sit in their waves under the parent");
      await widenSideBar(page, 640);
      await screenshot('planned-plan-run');
    },
  },
];
