#!/usr/bin/env node
// Pictures of a run in the editor, the way a person sees it: code-server with the extension
// under development on a fresh git copy of the demo workspace whose `waves.agent` is the
// stand-in demo agent (examples/demo-agent), `Waves: Run Plan` from the palette, the one-time
// approval of the verification commands, then
//   - docs/images/run-progress.png: mid-run (status bar `Wave 2/4 · 3 running`, the Waves view
//     with each package's status, the DAG with live status, an agent's terminal);
//   - docs/images/run-finished.png: the finished run.
//   node scripts/screenshot-run.mjs [out-dir]
// With --hosts, the same plan spread over this machine and two SSH hosts — real sshd
// instances on 127.0.0.1 (test/hosts/sshd.ts, hence tsx) named build-1 and build-2 in the
// person's `waves.hosts` — and one picture, docs/images/run-hosts.png: mid-run, the Waves view
// and the DAG saying where each package runs, the terminal attached to an attempt on build-1.
//   node --import tsx scripts/screenshot-run.mjs --hosts [out-dir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureTools, startCodeServer } from './code-server.mjs';
import { writeDemoSettings } from '../examples/demo-agent/settings.mjs';
import { pickQuickItem, runCommand, waitForStatus, waitForWorkbench, waitUntil } from '../test/vscode/scenario/helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const withHosts = args.includes('--hosts');
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(REPO, 'docs', 'images'));

const run = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-shot-run-'));
const ws = path.join(root, 'acme-notes');
fs.cpSync(path.join(REPO, 'examples', 'demo'), ws, { recursive: true });
// The agent "works" 8–12 s per package here (2–6 s in `npm start`), time enough to arrange the picture mid-wave.
writeDemoSettings(ws, { extra: ['--sleep-ms', '8000-12000'] });
run('git', ['init', '-q', '-b', 'main'], ws);
run('git', ['add', '-A'], ws);
run('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'Acme Notes: starting point'], ws);
run(process.execPath, [path.join(REPO, 'esbuild.mjs')], REPO);

const tools = ensureTools({ quiet: true });
const { chromium } = createRequire(path.join(REPO, 'package.json'))('playwright-core');
const settings = { 'workbench.colorTheme': 'Default Dark Modern' };
const sshd = [];
let client;
if (withHosts) {
  const { SshClient, startHost } = await import('../test/hosts/sshd.ts');
  client = new SshClient(REPO);
  for (const name of ['build-1', 'build-2']) sshd.push(await startHost(client, name, 2));
}
const cs = await startCodeServer({ tools, name: 'screenshot-run', settings });
if (withHosts) {
  // `waves.hosts` is machine-scoped: code-server's extension host reads it from the settings of the machine it runs on.
  const hosts = [{ name: 'local', maxParallel: 1 }, ...sshd.map((h) => ({ name: h.name, ssh: h.name, sshConfig: client.config, folder: h.folder, maxParallel: 2 }))];
  fs.mkdirSync(path.join(cs.userDataDir, 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(cs.userDataDir, 'Machine', 'settings.json'), JSON.stringify({ 'waves.hosts': hosts }, null, 2));
}
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
  await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
  await dag(page).locator('.react-flow__node').first().waitFor({ timeout: 30_000 });

  await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
  // The one-time approval of the plan's verification commands (a modal).
  const approve = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Approve and Run' });
  await approve.waitFor({ timeout: 30_000 });
  await approve.click();

  await waitForStatus(page, /Wave 2\/4 · 3 running/, { timeoutMs: 60_000 });
  if (withHosts) {
    // The terminal attached to an attempt on build-1 (`waves: <package> #1 on build-1`): Waves: Open Terminal, the package whose row says "on build-1".
    await runCommand(page, 'waves.openTerminal', 'Waves: Open Terminal', { opensQuickInput: true });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: 15_000 });
    const onBuild1 = await rows.evaluateAll((all) => all.find((r) => /running .*on build-1/.test(r.textContent ?? ''))?.querySelector('.label-name')?.textContent?.trim());
    if (!onBuild1) throw new Error(`no package runs on build-1: ${await rows.allTextContents()}`);
    await pickQuickItem(page, onBuild1);
    // tmux attaches and redraws the agent's screen (xterm draws on a canvas here: no text to wait for).
    await page.waitForTimeout(1500);
    await dag(page).locator('.react-flow__controls-fitview').first().click({ timeout: 5_000 }).catch(() => {});
    await page.waitForTimeout(600); // the fit animation
    const now = await page.locator('.statusbar-item[id$=".waves.status"]').first().textContent();
    if (!/Wave 2\/4/.test(now ?? '')) throw new Error(`too late for the picture of wave 2: the status bar reads "${now}"`);
    fs.mkdirSync(outDir, { recursive: true });
    const shot = path.join(outDir, 'run-hosts.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot} (status bar: ${await page.locator('.statusbar-item[id$=".waves.status"]').first().textContent()})`);
    await waitForStatus(page, /Run succeeded/, { timeoutMs: 180_000 });
  } else {
    // wp-api's terminal (`wave 2 · wp-api`, its process the runner) in the panel, as a person opens it.
    await runCommand(page, 'waves.openTerminal', 'Waves: Open Terminal', { opensQuickInput: true });
    await pickQuickItem(page, 'wp-api');
    const terminalText = () => page.locator('.terminal-wrapper.active .xterm-rows').first().textContent({ timeout: 500 }).catch(() => '');
    await waitUntil(async () => /demo agent/.test((await terminalText()) ?? ''), "the agent's output in the terminal", { timeoutMs: 5_000 }).catch(() => {});
    // The panel took room from the DAG: fit the graph to what is left (its Fit View button).
    await dag(page).locator('.react-flow__controls-fitview').first().click({ timeout: 5_000 }).catch(() => {});
    await page.waitForTimeout(600); // the fit animation
    const shown = await page.locator('.statusbar-item[id$=".waves.status"]').first().textContent();
    if (!/Wave 2\/4 · 3 running/.test(shown ?? '')) throw new Error(`too late for the picture of wave 2: the status bar reads "${shown}"`);
    fs.mkdirSync(outDir, { recursive: true });
    const progress = path.join(outDir, 'run-progress.png');
    await page.screenshot({ path: progress });
    console.log(`screenshot: ${progress} (status bar: ${await page.locator('.statusbar-item[id$=".waves.status"]').first().textContent()})`);

    await waitForStatus(page, /Run succeeded/, { timeoutMs: 180_000 });
    await page.waitForTimeout(1500); // the DAG and the tree take the last status
    const finished = path.join(outDir, 'run-finished.png');
    await page.screenshot({ path: finished });
    console.log(`screenshot: ${finished} (status bar: ${await page.locator('.statusbar-item[id$=".waves.status"]').first().textContent()})`);
  }
} finally {
  await browser.close();
  await cs.stop();
  for (const h of sshd) h.remove();
  client?.remove();
  fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
}
