#!/usr/bin/env node
// The pictures of the Getting Started walkthrough, taken from the real extension in
// code-server on a fresh git copy of the demo workspace (its agent the stand-in demo agent),
// each step done as a person does it from the palette:
//   plan.png (the plan and the Waves view), dag.png (Show DAG), agent.png (Select Coding Agent),
//   approve.png (Approve Verification Commands…), run.png (Run Plan, mid-run), finish.png (the
//   run succeeded).
//   node scripts/screenshot-walkthrough.mjs [out-dir]    (default media/walkthrough/)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureTools, startCodeServer } from './code-server.mjs';
import { makeDemoCopy } from '../examples/demo-agent/settings.mjs';
import { closeQuickInput, runCommand, waitForStatus, waitForWorkbench } from '../test/vscode/scenario/helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? path.join(REPO, 'media', 'walkthrough'));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-shot-walk-'));
const ws = path.join(root, 'acme-notes');
makeDemoCopy(ws, { extra: ['--sleep-ms', '4000-6000'] });
if (spawnSync(process.execPath, [path.join(REPO, 'esbuild.mjs')], { cwd: REPO, stdio: 'ignore' }).status !== 0) throw new Error('the build failed');

const tools = ensureTools({ quiet: true });
const { chromium } = createRequire(path.join(REPO, 'package.json'))('playwright-core');
const cs = await startCodeServer({ tools, name: 'screenshot-walkthrough', settings: { 'workbench.colorTheme': 'Default Dark Modern', 'waves.run.confirm': false } });
const browser = await chromium.launch({
  executablePath: tools.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const dag = (page) => page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
fs.mkdirSync(outDir, { recursive: true });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shot = async (name) => {
    const file = path.join(outDir, name);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
  };
  await page.goto(cs.folderUrl(ws, [['extensionDevelopmentPath', cs.remoteUri(REPO)], ['skipWelcome', 'true']]));
  await waitForWorkbench(page);
  await waitForStatus(page, /4 waves · 6 packages/, { timeoutMs: 60_000 });
  await runCommand(page, 'waves.plan.focus', 'Waves: Focus on Waves View');
  await runCommand(page, 'workbench.view.explorer', 'View: Show Explorer');
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'work-packages.yaml' }).first().click();
  await page.waitForTimeout(1500);
  await runCommand(page, 'waves.plan.focus', 'Waves: Focus on Waves View');
  await page.waitForTimeout(800);
  await shot('plan.png');

  await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
  await dag(page).locator('.react-flow__node').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(800);
  await shot('dag.png');

  await runCommand(page, 'waves.selectAgent', 'Waves: Select Coding Agent', { opensQuickInput: true });
  await page.waitForTimeout(500);
  await shot('agent.png');
  await closeQuickInput(page);

  await runCommand(page, 'waves.approveVerification', 'Waves: Approve Verification Commands…');
  const approve = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Approve$/ });
  await approve.waitFor({ timeout: 30_000 });
  await shot('approve.png');
  await approve.click();

  await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
  await waitForStatus(page, /Wave 2\/4 · 3 running/, { timeoutMs: 90_000 });
  await dag(page).locator('.react-flow__controls-fitview').first().click({ timeout: 5_000 }).catch(() => {});
  await page.waitForTimeout(600);
  await shot('run.png');

  await waitForStatus(page, /Run succeeded/, { timeoutMs: 180_000 });
  await page.waitForTimeout(1500);
  await shot('finish.png');
} finally {
  await browser.close();
  await cs.stop();
  fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
}
