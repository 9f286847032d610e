// In a workspace without a plan, the Waves view welcomes with `Create Plan from
// Template`; run through the command palette with the default feature id, it writes a valid
// work-packages.yaml, opens it, and the view and status bar show its waves.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  activeTabLabel, openWavesView, problemCounts, runCommand, waitForStatus, waitForTree, waitForWorkbench, waitUntil,
  wavesStatusText,
} from './helpers.mjs';

export const workspace = 'empty';

export const tests = [
  {
    name: 'without a plan: no status bar item, and the Waves view offers Create Plan from Template',
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      assert.equal(fs.existsSync(path.join(ws, 'work-packages.yaml')), false);
      await openWavesView(page);
      const welcome = page.locator('.sidebar .welcome-view-content');
      await waitUntil(async () => /No work-packages\.yaml in this workspace yet/.test((await welcome.first().textContent().catch(() => '')) ?? ''),
        'the welcome text');
      await welcome.locator('.monaco-button', { hasText: 'Create Plan from Template' }).first().waitFor({ timeout: 10_000 });
      assert.equal(await wavesStatusText(page), '', 'no status bar item without a plan');
      await screenshot('welcome');
    },
  },
  {
    name: 'Waves: Create Plan from Template through the palette, the default feature id accepted with Enter',
    run: async ({ page, workspace: ws, repo, screenshot }) => {
      await runCommand(page, 'waves.createPlan', 'Waves: Create Plan from Template', { opensQuickInput: true });
      const input = page.locator('.quick-input-widget input.input');
      // the default id comes from the folder's name
      const expectedId = path.basename(ws).toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
      await waitUntil(async () => (await input.inputValue()) === expectedId, `the default feature id "${expectedId}"`);
      assert.match((await page.locator('.quick-input-widget').textContent()) ?? '', /Feature id/);
      await screenshot('feature-id');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });

      const file = path.join(ws, 'work-packages.yaml');
      await waitUntil(() => fs.existsSync(file), `${file} on disk`);
      await waitUntil(async () => (await activeTabLabel(page)) === 'work-packages.yaml', 'the new plan open in the editor');

      // valid for the CLI too, with the feature id given
      const cli = spawnSync(process.execPath, [path.join(repo, 'bin', 'waves.js'), 'validate', '--json', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(cli.status, 0, `waves validate exit ${cli.status}: ${cli.stdout}${cli.stderr}`);
      const report = JSON.parse(cli.stdout).plans[0];
      assert.equal(report.valid, true);
      assert.deepEqual(report.diagnostics, [], 'no warning either');
      assert.deepEqual(report.waves, [['wp-contracts'], ['wp-backend', 'wp-frontend'], ['wp-integration']]);
      assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`id: "${expectedId}"`));

      await waitForStatus(page, '3 waves · 4 packages');
      await openWavesView(page);
      await waitForTree(page, [
        `work-packages.yaml — ${expectedId}`,
        '  Wave 1 — 1 package',
        '    wp-contracts — API contract',
        '  Wave 2 — 2 packages',
        '    wp-backend — Backend endpoints',
        '    wp-frontend — Frontend page',
        '  Wave 3 — 1 package',
        '    wp-integration — Integrate and run the full suite',
      ]);
      const problems = await problemCounts(page);
      assert.deepEqual([problems.errors, problems.warnings], [0, 0], `Problems: ${problems.text}`);
      await screenshot('created');
    },
  },
  {
    name: 'run again, it never overwrites the plan: it offers to open it or to create a second one',
    run: async ({ page, workspace: ws, screenshot }) => {
      const file = path.join(ws, 'work-packages.yaml');
      const before = fs.readFileSync(file, 'utf8');
      await runCommand(page, 'waves.createPlan', 'Waves: Create Plan from Template');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 10_000 });
      assert.match((await dialog.textContent()) ?? '', /work-packages\.yaml already exists/);
      await screenshot('already-exists');
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      assert.equal(fs.readFileSync(file, 'utf8'), before, 'the plan is unchanged');
      assert.deepEqual(fs.readdirSync(ws).filter((f) => f.endsWith('.yaml')).sort(), ['work-packages.yaml'], 'no other plan written');
    },
  },
];
