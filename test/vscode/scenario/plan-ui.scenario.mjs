// As a person sees it, on the installed .vsix: the status bar, the Waves view, a
// package revealed in the YAML, and both following a problem typed into the editor or
// written to the file by another program.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  activeTabLabel, closeQuickInput, cursorPosition, findInPalette, paletteEntry, openWavesView, problemCounts, waitForStatus, waitForTree, waitForWorkbench, waitUntil,
  wavesStatus, wavesTreeRows,
} from './helpers.mjs';

export const workspace = 'basic';
// code-server (like VS Code for the Web) saves edits after a second by default; the unsaved
// text is what these tests are about.
export const settings = { 'files.autoSave': 'off' };

const TREE = [
  'work-packages.yaml — demo',
  '  Wave 1 — 1 package',
  '    wp-contract — API contract',
  '  Wave 2 — 2 packages',
  '    wp-api — Items endpoint',
  '    wp-web — Items list in the web app',
];

/** 1-based line of the first line of `file` containing `needle`. */
function lineOf(file, needle, from = 0) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l, k) => k >= from && l.includes(needle));
  assert.ok(i >= 0, `"${needle}" in ${file}`);
  return i + 1;
}

export const tests = [
  {
    name: 'the palette offers one command that shows the Waves view, not two (#6)',
    run: async ({ page }) => {
      await waitForWorkbench(page);
      await findInPalette(page, 'waves.plan.focus', 'Waves View');
      assert.equal(await paletteEntry(page, 'waves.focusView').count(), 0, '"Waves: Show Waves View" is not listed');
      await closeQuickInput(page);
    },
  },
  {
    name: 'the status bar reads "2 waves · 3 packages" with the layers icon',
    run: async ({ page }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, '2 waves · 3 packages');
      const item = wavesStatus(page).first();
      assert.equal(await item.locator('.codicon-layers').count(), 1, 'the $(layers) icon');
      assert.equal(await item.getAttribute('aria-label'), 'Wave Orchestrator: 2 waves, 3 packages, no problems');
    },
  },
  {
    name: 'a click on the status bar opens the Waves view: waves, then packages with their titles',
    run: async ({ page, screenshot }) => {
      await wavesStatus(page).first().click();
      await waitUntil(async () => /Waves/.test((await page.locator('.sidebar .composite.title').textContent()) ?? ''),
        'the Waves side bar');
      await waitForTree(page, TREE);
      const rows = await wavesTreeRows(page);
      assert.deepEqual(rows.filter((r) => r.level === 1).map((r) => r.icon), ['checklist'], 'the plan icon');
      assert.deepEqual(rows.filter((r) => r.level === 2).map((r) => r.icon), ['layers', 'layers'], 'wave icons');
      // the critical path (wp-contract → wp-api) is starred; wp-web is a plain package
      assert.deepEqual(rows.filter((r) => r.level === 3).map((r) => `${r.label}:${r.icon}`),
        ['wp-contract:star-full', 'wp-api:star-full', 'wp-web:package']);
      await screenshot('waves-view');
    },
  },
  {
    name: 'choosing a package in the tree shows its package_id in the plan',
    run: async ({ page, workspace: ws }) => {
      const file = path.join(ws, 'work-packages.yaml');
      await page.locator('.sidebar .monaco-list-row', { hasText: 'wp-web' }).first().click();
      await waitUntil(async () => (await activeTabLabel(page)) === 'work-packages.yaml', 'the plan to open');
      const line = lineOf(file, 'package_id: wp-web');
      const column = fs.readFileSync(file, 'utf8').split('\n')[line - 1].indexOf('wp-web') + 1;
      await waitUntil(async () => {
        const at = await cursorPosition(page);
        return at && at.line === line && at.selected === 'wp-web'.length;
      }, `wp-web selected at line ${line}`);
      // The selection covers the id: it ends after it (the status bar shows the cursor, at the end)
      const at = await cursorPosition(page);
      assert.ok(at.column === column || at.column === column + 'wp-web'.length, `column ${at.column}`);
    },
  },
  {
    name: 'a problem typed into the editor shows in the status bar, the tree and the Problems count, and goes with Undo',
    run: async ({ page, workspace: ws, screenshot }) => {
      const file = path.join(ws, 'work-packages.yaml');
      const line = lineOf(file, 'depends_on: [wp-contract]', lineOf(file, 'package_id: wp-web'));
      await page.locator('.monaco-editor .view-lines').first().click(); // focus the editor
      await page.keyboard.press('Control+G');
      await page.keyboard.type(String(line));
      await page.keyboard.press('Enter');
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft'); // before the `]`
      await page.keyboard.type('x'); // depends_on: [wp-contractx]: unknown
      await waitForStatus(page, '2 waves · 3 packages · 1 problem');
      assert.equal(fs.readFileSync(file, 'utf8').includes('wp-contractx'), false, 'not saved: the unsaved text is what counts');
      // wp-web now has an error icon; it no longer depends on wp-contract, so it moved to wave 1
      await waitUntil(async () => (await wavesTreeRows(page)).some((r) => r.label === 'wp-web' && r.icon === 'error'),
        'wp-web to show an error icon');
      const rows = await wavesTreeRows(page);
      assert.deepEqual(rows.map((r) => `${r.level}:${r.label}`),
        ['1:work-packages.yaml', '2:Wave 1', '3:wp-contract', '3:wp-web', '2:Wave 2', '3:wp-api'], 'the tree follows the unsaved text');
      await waitUntil(async () => (await problemCounts(page)).errors === 1, 'one error in the Problems count');
      await screenshot('problem-typed');
      await page.keyboard.press('Control+Z');
      await waitForStatus(page, '2 waves · 3 packages');
      await waitForTree(page, TREE);
      await waitUntil(async () => (await problemCounts(page)).errors === 0, 'no error in the Problems count');
      // back to the saved text: the tab is no longer dirty
      await waitUntil(async () => !(await page.locator('.tab.active.dirty').count()), 'the editor to be clean after Undo');
    },
  },
  {
    name: 'a problem written to the file by another program shows "· 2 problems", and goes when the file is restored',
    run: async ({ page, workspace: ws }) => {
      const file = path.join(ws, 'work-packages.yaml');
      const saved = fs.readFileSync(file, 'utf8');
      try {
        // two problems: an unknown dependency and a lock key without a namespace
        fs.writeFileSync(file, saved.replace('depends_on: [wp-contract]', 'depends_on: [wp-contrakt]').replace('keys: []', 'keys: ["items"]'));
        await waitForStatus(page, '2 waves · 3 packages · 2 problems');
        await waitUntil(async () => (await problemCounts(page)).errors === 2, 'two errors in the Problems count');
      } finally {
        fs.writeFileSync(file, saved);
      }
      await waitForStatus(page, '2 waves · 3 packages');
      await waitForTree(page, TREE);
    },
  },
];
