// Planned claims as a person meets them: with a shared coordinator — a real
// PostgreSQL cluster started here — another feature's approved plan claims what this plan
// writes and locks, so the plan's entries carry two warnings; the one on the lock key offers a
// quick fix (Ctrl+.) that releases that feature's claims after a modal that says whose they
// are; the warnings go. `waves.coordinator` is machine-scoped: code-server's extension host
// reads it from the settings of the machine it runs on (Machine/settings.json).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { closeQuickInput, findInPalette, notificationTexts, openWavesView, paletteEntry, problemCounts, treeLines, waitForWorkbench, waitUntil, wavesTreeRows } from './helpers.mjs';

export const workspace = 'basic';
export const settings = { 'workbench.colorTheme': 'Default Dark Modern', 'files.autoSave': 'off' };

/**
 * A helper process (tsx: the project's own modules) that starts a throwaway cluster, prints its
 * URL, registers billing's planned claims for a workspace on `register <path>`, and removes the
 * cluster when its stdin closes.
 */
function coordinatorHelper(repo) {
  const code = `
    const load = async (p) => { const m = await import(p); return m.default ?? m; };
    const { startCluster } = await load('./test/coordinator/postgres.ts');
    const { registerPlannedClaims } = await load('./src/engine/coordinator/plannedClaims.ts');
    const { analyzePlan } = await load('./src/core/plan/analyze.ts');
    const cluster = await startCluster(process.cwd());
    process.stdout.write('url ' + cluster.url + '\\n');
    // billing's wp-items writes under src/api/items and locks the route wp-api locks.
    const plan = analyzePlan(['schema_version: 1', 'feature:', '  id: billing', 'packages:', '  - package_id: wp-items', '    title: Items',
      '    locks:', '      keys: ["api:get /v1/items"]', '    scope:', '      write_allow: ["src/api/items/**"]', ''].join('\\n')).plan;
    let buffered = '';
    process.stdin.on('data', async (chunk) => {
      buffered += chunk;
      for (let i; (i = buffered.indexOf('\\n')) >= 0; ) {
        const line = buffered.slice(0, i); buffered = buffered.slice(i + 1);
        const ws = line.replace(/^register /, '');
        const r = await registerPlannedClaims(ws, { url: cluster.url, driver: 'Ana Lopez' }, { featureId: 'billing', planId: '20261120-billing', plan });
        process.stdout.write('registered ' + JSON.stringify(r) + '\\n');
      }
    });
    process.stdin.on('end', () => { cluster.remove(); process.exit(0); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters = [];
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  const line = async (prefix) => {
    await waitUntil(() => out.split('\n').some((l) => l.startsWith(prefix)), `the coordinator helper's "${prefix}" line (so far: ${out})`, { timeoutMs: 120_000 });
    return out.split('\n').find((l) => l.startsWith(prefix)).slice(prefix.length + 1);
  };
  return {
    url: () => line('url'),
    register: async (ws) => {
      child.stdin.write(`register ${ws}\n`);
      return JSON.parse(await line('registered'));
    },
    close: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.stdin.end();
    }),
  };
}

export const tests = [
  {
    name: "another feature's planned claims: warnings on the plan, a quick fix that releases them after saying whose they are",
    timeoutMs: 180_000,
    run: async ({ page, cs, repo, workspace: ws, screenshot }) => {
      const helper = coordinatorHelper(repo);
      try {
        const url = await helper.url();
        await waitForWorkbench(page);
        // No coordinator set: the palette does not offer its command.
        await page.locator('.explorer-folders-view .monaco-list-row[aria-label="work-packages.yaml"]').first().waitFor({ timeout: 30_000 });
        await findInPalette(page, 'waves.showDag', 'Waves: Show DAG');
        await page.locator('.quick-input-widget input.input').fill(">Waves: Release a Feature's Planned Claims");
        await page.waitForTimeout(500);
        assert.equal(await paletteEntry(page, 'waves.releasePlannedClaims').count(), 0, 'not offered without a coordinator');
        await closeQuickInput(page);
        fs.mkdirSync(path.join(cs.userDataDir, 'Machine'), { recursive: true });
        fs.writeFileSync(path.join(cs.userDataDir, 'Machine', 'settings.json'), JSON.stringify({ 'waves.coordinator': url }, null, 2));
        const registered = await helper.register(ws);
        assert.equal(registered.ok, true, JSON.stringify(registered));
        await findInPalette(page, 'waves.releasePlannedClaims', "Waves: Release a Feature's Planned Claims");
        await closeQuickInput(page);

        // The plan's two entries that meet billing's claims: warnings, as the status bar counts them.
        await page.locator('.explorer-folders-view .monaco-list-row[aria-label="work-packages.yaml"]').first().click();
        await waitUntil(async () => (await problemCounts(page)).warnings === 2, 'two warnings from billing\'s planned claims', { timeoutMs: 30_000 });
        // The Ownership view lists them under "Planned by other features" (expanded here), with who approved them.
        await openWavesView(page);
        const plannedRow = page.locator('.sidebar .monaco-list[aria-label="Ownership"] .monaco-list-row', { hasText: 'Planned by other features' }).first();
        await plannedRow.waitFor({ timeout: 30_000 });
        await plannedRow.click();
        await page.keyboard.press('ArrowRight');
        await waitUntil(async () => treeLines(await wavesTreeRows(page, { view: 'Ownership' })).some((l) => /^ {2}billing — 1 write scope, 1 lock key · approved by Ana Lopez on /.test(l)), 'billing under Planned by other features', { timeoutMs: 15_000 });
        await screenshot('ownership');
        await page.keyboard.press('Control+Shift+M');
        const keyWarning = page.locator('.markers-panel .monaco-list-row', { hasText: 'lock key api:GET /v1/items meets the same planned by feature billing' }).first();
        await keyWarning.waitFor({ timeout: 15_000 });
        // Its quick fix, from the keyboard: the warning opens at its entry, Ctrl+. lists the fixes there.
        await keyWarning.dblclick();
        await page.waitForTimeout(300);
        await page.keyboard.press('Control+.');
        const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Release the planned claims of feature billing…' }).first();
        await fix.waitFor({ timeout: 15_000 });
        await screenshot('quick-fix');
        await page.keyboard.press('Enter');

        // Confirmed first, saying whose claims they are.
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ timeout: 15_000 });
        const text = (await dialog.textContent()) ?? '';
        assert.match(text, /release the planned claims of billing\?/);
        assert.match(text, /Approved by Ana Lopez on .* \(session 20261120-billing\)/);
        await screenshot('confirm');
        await dialog.locator('.monaco-button', { hasText: 'Release Claims' }).focus();
        await page.keyboard.press('Enter');

        // What happened, in the notifications (the center: a toast may not show right after a modal).
        await waitUntil(async () => (await problemCounts(page)).warnings === 0, 'the warnings gone with the claims', { timeoutMs: 30_000 });
        await page.locator('.statusbar-item[id="status.notifications"]').first().click();

        let said = [];
        await waitUntil(async () => (said = await notificationTexts(page)).some((t) => /released the planned claims of billing: 1 package — 1 write scope, 1 lock key; approved by Ana Lopez/.test(t)), 'the release said', { timeoutMs: 15_000 }).catch((e) => {
          throw new Error(`${e.message}; notifications: ${JSON.stringify(said)}`);
        });
        await screenshot('released');
      } finally {
        await helper.close();
      }
    },
  },
];
