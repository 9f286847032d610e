/**
 * Activation cost, as the extension host measures it, and the size of each bundle.
 * Production build; the demo workspace in code-server; VS Code's own "Running Extensions"
 * view gives the activation time (the time `activate()` took, plus loading the code).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stderr);
  const sizes = ['dist/extension.js', 'dist/cli.js', 'dist/webview/main.js', 'dist/webview/main.css'].map((f) => {
    const bytes = fs.readFileSync(path.join(root, f));
    const gzip = spawnSync('gzip', ['-9', '-c'], { input: bytes, maxBuffer: 1 << 26 }).stdout.length;
    return `| \`${f}\` | ${(bytes.length / 1024).toFixed(0)} KiB | ${(gzip / 1024).toFixed(0)} KiB |`;
  });

  const cs = await import(path.join(root, 'scripts', 'code-server.mjs'));
  const helpers = await import(path.join(root, 'test', 'vscode', 'scenario', 'helpers.mjs'));
  const tools = cs.ensureTools({ quiet: true });
  const times: string[] = [];
  for (let r = 0; r < runs; r++) {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-bench-ws-'));
    fs.cpSync(path.join(root, 'examples', 'demo'), ws, { recursive: true });
    const server = await cs.startCodeServer({ tools, name: 'bench' });
    const browser = await chromium.launch({
      executablePath: tools.chromium,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(server.folderUrl(ws, [['extensionDevelopmentPath', server.remoteUri(root)], ['skipWelcome', 'true']]));
      await helpers.waitForWorkbench(page);
      await helpers.runCommand(page, 'workbench.action.showRuntimeExtensions', 'Developer: Show Running Extensions');
      const row = page.locator('.monaco-list-row', { hasText: /Wave Orchestrator|wave-orchestrator\.wave-orchestrator/ }).first();
      const time = row.locator('.activation-time').first();
      await time.waitFor({ timeout: 30_000 });
      times.push(((await time.textContent()) ?? '').trim());
    } finally {
      await browser.close();
      await server.stop();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  }
  spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root }); // back to the development build

  console.log('### Activation (code-server 4.139.1, demo workspace, production build)\n');
  console.log(`Activation time reported by VS Code's Running Extensions view, ${runs} fresh starts: ${times.join(', ')}\n`);
  console.log('### Bundle sizes (production build)\n');
  console.log('| bundle | size | gzip -9 |');
  console.log('|---|---:|---:|');
  for (const s of sizes) console.log(s);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
