// A plan of plans as a person meets it: the Waves view shows the parent's row naming its
// sub-plan; opened with the keyboard, the row holds the sub-plan's own waves; choosing a package
// of the sub-plan opens the sub-plan at it. Run Plan then runs it all as one run, and each of the
// sub-plan's rows says its package's run under the parent's row. The status bar counts the leaves;
// the DAG panel draws the parent as a group whose button opens its sub-plan, and the trail back.
// A sub-plan's package that failed is retried alone from its details in the opened group.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeTabLabel, openWavesView, webviewFrame, runCommand, runPlanToSuccess, runStateOf, waitForRow, waitForStatus, waitForTree, waitForWorkbench, waitUntil, wavesTreeRows, widenSideBar } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const workspace = 'nested';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.run.confirm': false,
};

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
  {
    name: "Run Plan runs the sub-plan's packages under their parent, then the parent, then its dependent; each sub-plan row says its run",
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      // The same workbench as the test before (its side bar may show the Waves view, not the Explorer).
      await runPlanToSuccess(page, ws, { summary: /2 waves · 2 packages/, featureId: 'shop', last: 'ui', ids: ['api', 'api__docs', 'api__model', 'api__routes', 'ui'] });
      await openWavesView(page);
      const parent = page.locator('.sidebar .pane-body .monaco-list[aria-label="Waves"] .monaco-list-row[role="treeitem"]').filter({ hasText: 'Users API' }).first();
      if ((await parent.getAttribute('aria-expanded')) === 'false') await parent.locator('.monaco-tl-twistie').click();
      for (const label of ['model', 'routes', 'docs', 'api', 'ui']) await waitForRow(page, label, /succeeded/, `${label} shown succeeded`);
      const rows = await wavesTreeRows(page);
      assert.ok(['model', 'routes', 'docs'].every((l) => rows.find((r) => r.label === l)?.level === 5), 'the sub-plan rows sit under the parent');
      // Wide enough to read each row's run, as a person would drag the side bar.
      await widenSideBar(page, 640);
      await screenshot('nested-plan-run');
    },
  },
  {
    name: 'the status bar counts the leaves; the DAG panel draws the parent as a group that opens to its sub-plan, and back',
    timeoutMs: 90_000,
    run: async ({ page, screenshot }) => {
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // model, routes, docs and ui did the work; the parent is their join.
      await waitForStatus(page, /Run succeeded · 4\/4 succeeded/, { timeoutMs: 30_000 });
      // The panel alone in the window, as a person looks at a plan.
      await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
      await runCommand(page, 'workbench.action.closeSidebar', 'View: Close Primary Side Bar');
      await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
      const frame = webviewFrame(page);
      const parent = frame.locator('.react-flow__node[data-id="api"] .pkg.group');
      await parent.waitFor({ timeout: 20_000 });
      const open = parent.locator('button.group-open');
      await waitUntil(async () => (await open.textContent())?.trim() === '3/3', 'the closed group counts its three leaves done');
      assert.match((await open.getAttribute('aria-label')) ?? '', /^Open the sub-plan of api: 3 of 3 done$/);
      // Timed from the first start below it (model, then routes: over a second), not its join's moment.
      assert.match((await parent.locator('.pkg-status').textContent()) ?? '', /^succeeded · [1-9]\d*s$/);
      await screenshot('nested-plan-dag-group');
      await open.click();
      // The sub-plan's own waves, its packages named as in their file, each with its run's status.
      await frame.locator('.crumbs strong[aria-current="page"]', { hasText: 'api' }).waitFor({ timeout: 10_000 });
      await frame.locator('.react-flow__node[data-id="api__routes"]').waitFor();
      assert.match((await frame.locator('header.bar .summary-text').textContent()) ?? '', /^2 waves · 3 packages/);
      const ids = await frame.locator('.react-flow__node .pkg-id').allTextContents();
      assert.deepEqual([...ids].sort(), ['docs', 'model', 'routes']);
      assert.equal(await frame.locator('.react-flow__node[data-id="api__routes"] .pkg.status-succeeded').count(), 1);
      await screenshot('nested-plan-dag');
      // The sub-plan's timeline: its own packages' attempts.
      await frame.locator('button[role="tab"]', { hasText: 'Timeline' }).click();
      await frame.locator('.tl-row[data-id="api__routes"] .tl-attempt').waitFor({ timeout: 10_000 });
      assert.deepEqual((await frame.locator('.tl-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).sort(), ['api__docs', 'api__model', 'api__routes']);
      await frame.locator('button[role="tab"]', { hasText: 'Graph' }).click();
      await frame.locator('.react-flow__node[data-id="api__routes"]').click();
      await frame.locator('.details h2', { hasText: 'api__routes' }).waitFor();
      await frame.locator('.details button.link', { hasText: 'api__model' }).waitFor();
      // No package of its sub-plan needs routes: its parent's check does.
      await frame.locator('.details button.link', { hasText: /^api$/ }).waitFor();
      // Back up by the trail, to the top plan's name.
      await frame.locator('.crumbs button', { hasText: /^shop$/ }).click();
      await frame.locator('.react-flow__node[data-id="api"] .pkg.group').waitFor({ timeout: 10_000 });
      assert.equal(await frame.locator('.crumbs').count(), 0);
    },
  },
  {
    name: "a sub-plan's package that failed is retried alone from its details in the opened group: only it runs, in the same run",
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // A second version of the sub-plan's work (the run before merged the first), in which routes
      // fails (its agent exits 1; no retry budget), as a person's package may.
      const file = path.join(ws, 'plans', 'api.yaml');
      const fixed = fs.readFileSync(file, 'utf8').replace(/(test-agent: write \S+ )/g, '$1v2 ');
      const bad = fixed.replace(/(package_id: routes[\s\S]*?)test-agent: commit/, '$1test-agent: exit 1');
      assert.notEqual(bad, fixed);
      fs.writeFileSync(file, bad);
      const before = runStateOf(ws, 'shop').runId;
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      const failed = await waitUntil(() => {
        const s = runStateOf(ws, 'shop');
        return s && s.runId !== before && s.packages.api__routes?.status === 'failed' && s.packages.ui?.status === 'blocked' ? s : null;
      }, 'routes to fail in a new run', { timeoutMs: 90_000 });
      assert.equal(failed.packages.api__model.status, 'succeeded');
      fs.writeFileSync(file, fixed);
      const frame = webviewFrame(page);
      await frame.locator('.react-flow__node[data-id="api"] button.group-open').click();
      await frame.locator('.react-flow__node[data-id="api__routes"] .pkg.status-failed').waitFor({ timeout: 20_000 });
      await frame.locator('.react-flow__node[data-id="api__routes"]').click();
      await frame.locator('.details h2', { hasText: 'api__routes' }).waitFor();
      // Run is its plan's; Retry is its own.
      const run = frame.locator('.details button[data-action="run"]');
      assert.equal(await run.getAttribute('aria-disabled'), 'true');
      assert.match((await run.getAttribute('title')) ?? '', /it starts with its plan \(Run Plan or Resume\); once it failed, Retry runs it again alone$/);
      const retry = frame.locator('.details button[data-action="retry"]');
      await waitUntil(async () => (await retry.getAttribute('aria-disabled')) === null, 'Retry enabled for the failed package');
      await retry.click();
      const again = await waitUntil(() => {
        const s = runStateOf(ws, 'shop');
        return s?.packages.api__routes?.status === 'succeeded' ? s : null;
      }, 'routes to succeed on its retry', { timeoutMs: 60_000 });
      assert.equal(again.runId, failed.runId, 'in the same run');
      assert.equal(again.packages.api__routes.attempts, 2);
      assert.equal(again.packages.api__model.attempts, failed.packages.api__model.attempts, 'model did not run again');
      assert.equal(again.packages.ui.status, 'blocked', 'what follows the parent waits for Resume');
      await frame.locator('.react-flow__node[data-id="api__routes"] .pkg.status-succeeded').waitFor({ timeout: 20_000 });
      await screenshot('nested-plan-retry');
    },
  },
];
