#!/usr/bin/env node
// Takes the README's picture the way a person sees the extension: code-server with the
// extension under development on a fresh copy of the demo workspace, the plan open, the
// Waves view showing. Writes docs/images/demo.png (or the path given).
//   node scripts/screenshot.mjs [out.png]        (WAVES_SHOT_THEME="Default Light Modern" for another theme)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureTools, startCodeServer } from './code-server.mjs';
import { runCommand, waitForWorkbench } from '../test/vscode/scenario/helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(REPO, 'docs', 'images', 'demo.png'));

const run = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
};

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-shot-'));
fs.cpSync(path.join(REPO, 'examples', 'demo'), ws, { recursive: true });
run('git', ['init', '-q'], ws);
run('git', ['add', '-A'], ws);
run('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@example.invalid', 'commit', '-q', '-m', 'demo'], ws);
run(process.execPath, [path.join(REPO, 'esbuild.mjs')], REPO);

const tools = ensureTools({ quiet: true });
const { chromium } = createRequire(path.join(REPO, 'package.json'))('playwright-core');
// WAVES_SHOT_THEME picks another theme, e.g. "Default Light Modern" or "Default High Contrast".
const theme = process.env.WAVES_SHOT_THEME ?? 'Default Dark Modern';
const cs = await startCodeServer({ tools, name: 'screenshot', settings: { 'workbench.colorTheme': theme } });
const browser = await chromium.launch({
  executablePath: tools.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1800, height: 900 } });
  await page.goto(cs.folderUrl(ws, [['extensionDevelopmentPath', cs.remoteUri(REPO)], ['skipWelcome', 'true']]));
  await waitForWorkbench(page);
  await runCommand(page, 'waves.plan.focus', 'Waves: Focus on Waves View');
  await page.locator('.monaco-list-row', { hasText: 'wp-api' }).first().click();
  await page.waitForTimeout(2500); // editor opens, CodeLens and diagnostics settle
  // The DAG opens beside the plan by itself.
  await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
  // the graph is wider than the plan's text: give its group (the second one) more room
  await runCommand(page, 'workbench.action.focusRightGroup', 'View: Focus Right Editor Group');
  for (let i = 0; i < 4; i++) await runCommand(page, 'workbench.action.increaseViewWidth', 'View: Increase Current View Width');
  await page.frameLocator('iframe.webview').frameLocator('iframe#active-frame').locator('.react-flow__node').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500); // fit view settles
  await page.locator('.monaco-list-row', { hasText: 'wp-api' }).first().hover();
  await page.waitForTimeout(1000);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`screenshot: ${out}`);
} finally {
  await browser.close();
  await cs.stop();
  fs.rmSync(ws, { recursive: true, force: true });
}
