/**
 * The DAG webview bundle in a real Chromium, with the production HTML and CSP: messages in
 * (plan, status) and out (ready, openPackage), rendering, keyboard, theme.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderDagHtml } from '../../src/dag/html';
import { analyzePlan } from '../../src/core/engine';
import { buildPlanView } from '../../src/core/graphView';
import type { HostMessage, PlanMessage } from '../../src/protocol';

const root = path.resolve(__dirname, '..', '..');
const webviewDir = path.join(root, 'dist', 'webview');
const demoPlan = fs.readFileSync(path.join(root, 'examples', 'demo', 'work-packages.yaml'), 'utf8');
const chromiumPath = process.env.WAVES_CHROMIUM ?? '/usr/bin/chromium';

let server: http.Server;
let origin = '';
let browser: Browser;
let page: Page;
let violations: string[] = [];

function planMessage(text: string, seq: number): PlanMessage {
  return { ...buildPlanView(analyzePlan(text), 'work-packages.yaml'), seq };
}

async function post(message: HostMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function posted(): Promise<{ type: string; [k: string]: unknown }[]> {
  return page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
}

async function waitForPosted(predicate: (m: { type: string; [k: string]: unknown }) => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const found = (await posted()).find(predicate);
    if (found) return found;
    await page.waitForTimeout(25);
  }
  throw new Error(`the webview never posted ${what}; it posted ${JSON.stringify(await posted())}`);
}

before(async () => {
  const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const html = renderDagHtml({
        cspSource: origin,
        scriptUri: `${origin}/main.js`,
        styleUri: `${origin}/main.css`,
        codiconUri: `${origin}/codicon.css`,
        nonce: 'testnonce0123456789abcdefghijklmn',
      });
      // VS Code puts its theme variables on the page; so do we, through the same CSP.
      res.end(html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css">\n</head>`));
      return;
    }
    const file =
      url.pathname === '/theme.css' ? path.join(__dirname, 'vscode-dark-theme.css') : path.join(webviewDir, path.basename(url.pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  violations = [];
  page.on('console', (m) => {
    if (m.type() === 'error') violations.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`pageerror: ${e.message}`));
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(`csp: ${v}`));
  // A string, not a function: the test is transpiled, the page must get plain JavaScript.
  await page.addInitScript(`
    window.__posted = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => undefined,
      setState: () => undefined,
    });
  `);
  await page.goto(`${origin}/`);
  await page.evaluate(() => {
    document.body.dataset.vscodeThemeKind = 'vscode-dark';
  });
});

describe('DAG webview', () => {
  it('says ready with the protocol version, and nothing else, before it has a plan', async () => {
    await waitForPosted((m) => m.type === 'ready', 'ready');
    assert.deepEqual(await posted(), [{ type: 'ready', protocolVersion: 1 }]);
    assert.equal(await page.locator('.empty').textContent(), 'Waiting for the plan…');
    assert.deepEqual(violations, []);
  });

  it('draws every package in its wave column, with the critical path marked', async () => {
    await post(planMessage(demoPlan, 1));
    await page.locator('.react-flow__node').nth(5).waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), 6);
    const x = async (id: string) => (await page.locator(`.react-flow__node[data-id="${id}"]`).boundingBox())!.x;
    assert.ok((await x('wp-contracts')) < (await x('wp-db')));
    assert.equal(await x('wp-db'), await x('wp-web'), 'one wave, one column');
    assert.ok((await x('wp-docs')) < (await x('wp-integration')));
    assert.equal(await page.locator('.pkg.critical').count(), 4);
    assert.equal(await page.locator('.react-flow__edge').count(), 8);
    assert.equal(await page.locator('.react-flow__edge.critical').count(), 3);
    assert.match((await page.locator('.bar').textContent()) ?? '', /user-profiles.*4 waves · 6 packages/);
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'test-results', 'webview-dag.png') });
    assert.deepEqual(violations, []);
  });

  it('draws conflicts between parallel packages as their own edges, labelled with the witness', async () => {
    const text = 'packages:\n  - package_id: a\n    scope: { write_allow: ["src/**"] }\n  - package_id: b\n    scope: { write_allow: ["src/b/x.ts"] }\n';
    await post(planMessage(text, 1));
    await page.locator('.react-flow__edge.conflict').waitFor();
    assert.equal(await page.locator('.react-flow__edge.conflict').count(), 1);
    assert.equal(await page.locator('.react-flow__edge-text').first().textContent(), 'src/b/x.ts');
    // one wave, two packages: singular and plural as the status bar says them (#6)
    assert.match((await page.locator('.bar').textContent()) ?? '', /\b1 wave · 2 packages/);
  });

  it('asks the host to open a package on click and on Enter', async () => {
    await post(planMessage(demoPlan, 1));
    await page.locator('.react-flow__node[data-id="wp-api"]').click();
    const clicked = await waitForPosted((m) => m.type === 'openPackage', 'openPackage');
    assert.equal(clicked.packageId, 'wp-api');
    assert.equal(typeof clicked.requestId, 'number');
    await page.locator('.react-flow__node[data-id="wp-web"]').focus();
    await page.keyboard.press('Enter');
    await waitForPosted((m) => m.type === 'openPackage' && m.packageId === 'wp-web', 'openPackage for wp-web');
  });

  it('applies status deltas to the one node, and asks for the plan again on a gap', async () => {
    await post(planMessage(demoPlan, 1));
    const api = page.locator('.react-flow__node[data-id="wp-api"] .pkg-status');
    await api.waitFor();
    assert.equal(await api.textContent(), 'pending');
    await post({
      type: 'status',
      seq: 2,
      deltas: [{ id: 'wp-api', status: 'running', attempts: 1, startedAt: '2026-11-23T01:00:00Z', endedAt: null, exitCode: null }],
    });
    await page.locator('.react-flow__node[data-id="wp-api"] .pkg.status-running').waitFor();
    assert.equal(await api.textContent(), 'running');
    assert.equal(await page.locator('.react-flow__node[data-id="wp-db"] .pkg-status').textContent(), 'pending');
    const readies = (await posted()).filter((m) => m.type === 'ready').length;
    await post({ type: 'status', seq: 9, deltas: [] });
    await waitForPosted(() => true, 'anything');
    const deadline = Date.now() + 3000;
    while ((await posted()).filter((m) => m.type === 'ready').length === readies && Date.now() < deadline) await page.waitForTimeout(25);
    assert.equal((await posted()).filter((m) => m.type === 'ready').length, readies + 1);
  });

  it('ignores a stale plan', async () => {
    await post(planMessage(demoPlan, 5));
    await page.locator('.react-flow__node').nth(5).waitFor();
    await post(planMessage('packages:\n  - package_id: only\n', 4));
    await page.waitForTimeout(200);
    assert.equal(await page.locator('.react-flow__node').count(), 6);
  });

  it('follows the VS Code theme kind, not the OS', async () => {
    await post(planMessage(demoPlan, 1));
    await page.locator('.react-flow').waitFor();
    await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-light'));
    await page.locator('.react-flow.light').waitFor();
    await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-dark'));
    await page.locator('.react-flow.dark').waitFor();
  });
});
