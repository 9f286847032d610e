#!/usr/bin/env node
// The picture of a proposed plan in the README: code-server with the extension under
// development on a fresh git copy of the demo workspace, `Waves: Plan a Feature…` from the
// palette with the scripted test agent as the planning agent (it writes a plan whose two
// parallel packages overlap, and repairs it from the repair prompt), then the proposal:
// proposal.md, and the DAG panel with its approval bar.
//   - docs/images/plan-proposal.png
//   node scripts/screenshot-plan.mjs [out-dir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureTools, startCodeServer } from './code-server.mjs';
import { runCommand, waitForStatus, waitForWorkbench } from '../test/vscode/scenario/helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? path.join(REPO, 'docs', 'images'));

const run = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-shot-plan-'));
const ws = path.join(root, 'acme-notes');
fs.cpSync(path.join(REPO, 'examples', 'demo'), ws, { recursive: true });
fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
const agent = path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), `${JSON.stringify({ 'waves.agent': [process.execPath, agent, '--prompt', '${promptFile}'] }, null, 2)}\n`);
run('git', ['init', '-q', '-b', 'main'], ws);
run('git', ['add', '-A'], ws);
run('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'Acme Notes: starting point'], ws);
run(process.execPath, [path.join(REPO, 'esbuild.mjs')], REPO);

const tools = ensureTools({ quiet: true });
const { chromium } = createRequire(path.join(REPO, 'package.json'))('playwright-core');
// The scripted agent's instructions (a person would describe the feature; the stand-in needs its script).
const cs = await startCodeServer({ tools, name: 'screenshot-plan', settings: { 'workbench.colorTheme': 'Default Dark Modern' }, env: { WAVES_TEST_AGENT: 'plan overlap' } });
const browser = await chromium.launch({
  executablePath: tools.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const dag = (page) => page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
try {
  const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
  await page.goto(cs.folderUrl(ws, [['extensionDevelopmentPath', cs.remoteUri(REPO)], ['skipWelcome', 'true']]));
  await waitForWorkbench(page);
  await waitForStatus(page, /4 waves · 6 packages/, { timeoutMs: 60_000 });
  await runCommand(page, 'waves.plan.focus', 'Waves: Focus on Waves View');
  await runCommand(page, 'waves.planFeature', 'Waves: Plan a Feature…', { opensQuickInput: true });
  await page.keyboard.type('Share notes with other users: a sharing API and a share dialog');
  await page.keyboard.press('Enter');
  const bar = dag(page).locator('.proposal-bar');
  await bar.waitFor({ timeout: 60_000 });
  await dag(page).locator('.proposal-bar', { hasText: 'waiting for your approval' }).waitFor({ timeout: 30_000 });
  await dag(page).locator('.react-flow__controls-fitview').first().click({ timeout: 5_000 }).catch(() => {});
  await page.waitForTimeout(800); // the fit animation, the notification's last round
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'plan-proposal.png');
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
} finally {
  await browser.close();
  await cs.stop();
  fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
}
