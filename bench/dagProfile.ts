/**
 * Where the DAG panel's time goes: Chromium's CPU profiler (CDP) around the first paint of a
 * generated plan and around 30 single status changes, on an unminified production build (so
 * functions keep their names). Prints the top functions by self time and Chromium's own
 * script / style / layout totals. Not part of `npm run bench` (no .bench.ts suffix):
 *   node --import tsx bench/dagProfile.ts [packages=1000] [--save=/tmp/dag.cpuprofile] [--screenshot=/tmp/dag.png]
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type CDPSession } from 'playwright-core';
import { analyzePlan } from '../src/core/plan/analyze';
import { buildPlanView } from '../src/core/dag/panelModel';
import { renderDagHtml } from '../src/dag/html';
import type { PlanMessage } from '../src/protocol';
import { buildPanel } from './dagBuild';
import { generatePlan } from './generate';

const root = path.resolve(__dirname, '..');
const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const save = process.argv.find((a) => a.startsWith('--save='))?.slice(7);
const shot = process.argv.find((a) => a.startsWith('--screenshot='))?.slice(13);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function top(profile: Profile, count = 25): string {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((s, i) => {
    const cf = byId.get(s)!.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : ''}`;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, count);
  return [`  total sampled ${(total / 1000).toFixed(0)} ms`, ...rows.map(([k, t]) => `  ${(t / 1000).toFixed(1).padStart(8)} ms  ${k}`)].join('\n');
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: m } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return Object.fromEntries(m.map((x) => [x.name, x.value]));
}

function diff(a: Record<string, number>, b: Record<string, number>): string {
  return ['ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration', 'TaskDuration']
    .map((k) => `${k.replace('Duration', '')} ${((b[k] - a[k]) * 1000).toFixed(0)} ms`)
    .join(', ');
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dag-profile-'));
  await buildPanel(dir, { minify: false });
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      const html = renderDagHtml({ cspSource: origin, scriptUri: `${origin}/main.js`, styleUri: `${origin}/main.css`, codiconUri: `${origin}/codicon.css`, nonce: 'benchnonce0123456789abcdefghijklm' });
      return res.writeHead(200, { 'content-type': 'text/html' }).end(html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css">\n</head>`));
    }
    const file = url.pathname === '/theme.css' ? path.join(root, 'test', 'webview', 'vscode-dark-theme.css') : path.join(dir, path.basename(url.pathname));
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: process.env.WAVES_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const plan: PlanMessage = { ...buildPlanView(analyzePlan(generatePlan(n, { compact: true })), 'work-packages.yaml'), planUri: `file:///bench/${n}.yaml`, runId: null, seq: 1 };
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript(`window.__name = (f) => f; window.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });`);
  // Registered before the webview's own listener: when a message is dequeued.
  await page.addInitScript(`window.addEventListener('message', () => (window.__arrived = performance.now()));`);
  await page.goto(origin);
  await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-dark'));
  await page.evaluate((p) => ((window as unknown as { __plan: unknown }).__plan = p), plan);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });

  let m0 = await metrics(cdp);
  await cdp.send('Profiler.start');
  const paint = await page.evaluate(async () => {
    const t0 = performance.now();
    window.postMessage((window as unknown as { __plan: unknown }).__plan, '*');
    await new Promise<void>((resolve) => {
      const check = () => (document.querySelectorAll('.react-flow__node').length ? resolve() : requestAnimationFrame(check));
      check();
    });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  });
  let { profile } = (await cdp.send('Profiler.stop')) as { profile: Profile };
  let m1 = await metrics(cdp);
  console.log(`first paint of ${n} packages: ${paint.toFixed(0)} ms (${diff(m0, m1)}); nodes in DOM: ${await page.locator('.react-flow__node').count()}`);
  console.log(top(profile));
  if (save) fs.writeFileSync(save, JSON.stringify(profile));
  if (shot) await page.screenshot({ path: shot });
  if (process.env.DAG_INSPECT) console.log(await page.evaluate(process.env.DAG_INSPECT));

  m0 = await metrics(cdp);
  await cdp.send('Profiler.start');
  const single = await page.evaluate(async () => {
    const ids = [...document.querySelectorAll<HTMLElement>('.react-flow__node-package, .react-flow__node-summary')].map((e) => e.dataset.id!);
    const out: number[] = [];
    const queued: number[] = [];
    const work: number[] = [];
    const w = window as unknown as { __arrived: number };
    let seq = 1;
    for (let k = 0; k < 30; k++) {
      const id = ids[k % ids.length];
      const t0 = performance.now();
      const changed = new Promise<void>((resolve) => {
        const mo = new MutationObserver(() => (mo.disconnect(), resolve()));
        mo.observe(document.querySelector('.react-flow__nodes')!, { subtree: true, childList: true, characterData: true, attributes: true });
      });
      window.postMessage({ type: 'status', seq: ++seq, deltas: [{ id, status: k % 2 ? 'verifying' : 'running', attempts: 1, startedAt: null, endedAt: null, exitCode: null }] }, '*');
      await changed;
      const t1 = performance.now();
      out.push(t1 - t0);
      queued.push(w.__arrived - t0);
      work.push(t1 - w.__arrived);
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[15];
    return { total: median(out), queued: median(queued), work: median(work) };
  });
  ({ profile } = (await cdp.send('Profiler.stop')) as { profile: Profile });
  m1 = await metrics(cdp);
  console.log(
    `\n30 single status changes: median ${single.total.toFixed(1)} ms to the DOM: ${single.queued.toFixed(1)} ms until the message is dequeued (the previous frame renders first), ${single.work.toFixed(1)} ms from there (${diff(m0, m1)})`,
  );
  console.log(top(profile));
  if (save) fs.writeFileSync(save.replace(/(\.cpuprofile)?$/, '-status.cpuprofile'), JSON.stringify(profile));
  await browser.close();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
