/**
 * The run timeline of the DAG panel in Chromium (the production bundle, HTML and CSP),
 * beside the DAG's figures (bench/dag.bench.ts): a 1,000-package run — every package with its
 * phases, every 7th retried, every 11th waiting for a lock — first paint of the Timeline view,
 * one package's new marks to the DOM and to the next frame, the live tick (bars growing, the
 * now line) and frames per second while scrolling. Prints a markdown table. Figures vary
 * ±30 % between runs on a shared 2-core machine with software rendering.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { analyzePlan } from '../src/core/plan/analyze';
import { buildPlanView } from '../src/core/dag/panelModel';
import type { PlanMessage, TimelineMessage } from '../src/protocol';
import { generatedMarks } from '../test/fixtures/timelineRun';
import { buildPanel, servePanel } from './dagBuild';
import { generatePlan } from './generate';

const root = path.resolve(__dirname, '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'timeline-bench-'));
const theme = path.join(root, 'test', 'webview', 'vscode-dark-theme.css');

async function main(): Promise<void> {
  await buildPanel(out);
  const { origin, server } = await servePanel(out, theme);
  const browser = await chromium.launch({ executablePath: process.env.WAVES_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });

  const n = 1000;
  const analysis = analyzePlan(generatePlan(n, { compact: true }));
  const plan: PlanMessage = { ...buildPlanView(analysis, 'work-packages.yaml'), planUri: `file:///bench/${n}.yaml`, runId: 'r-bench', seq: 1 };
  const ids = analysis.graph.waves.flat();
  const t0 = Date.now() - 3 * 3600_000;
  const marks = generatedMarks(ids, Math.ceil(n / Math.max(1, analysis.graph.waves.length)), t0, 8);
  const timeline: TimelineMessage = {
    type: 'timeline',
    seq: 2,
    full: true,
    cap: 8,
    live: true,
    updatedAt: new Date().toISOString(),
    rows: ids.map((id) => ({ id, phases: marks[id]!, status: 'succeeded', attempts: 1, startedAt: null, endedAt: null })),
  };

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // tsx compiles the functions passed to evaluate with keepNames: give the page its helper.
  await page.addInitScript(`window.__name = (f) => f; window.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });`);
  await page.goto(`${origin}/`);
  await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-dark'));
  await page.evaluate((m) => window.postMessage(m, '*'), plan);
  await page.locator('.react-flow__node').first().waitFor();
  await page.evaluate((m) => window.postMessage(m, '*'), timeline);

  // First paint of the Timeline view: the tab pressed → rows in the DOM → two frames.
  const paint = await page.evaluate(async () => {
    const t = performance.now();
    document.querySelector<HTMLButtonElement>('[role="tab"]:nth-child(2)')!.click();
    await new Promise<void>((resolve) => {
      const check = () => (document.querySelectorAll('.tl-row .seg').length ? resolve() : requestAnimationFrame(check));
      check();
    });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t;
  });
  const domRows = await page.evaluate(() => document.querySelectorAll('.tl-row').length);

  // One package's new marks (a delta) to the DOM and the next frame, 30 times.
  const update = await page.evaluate(async (rows) => {
    const dom: number[] = [];
    const frame: number[] = [];
    let seq = 2;
    const canvas = document.querySelector('.tl-canvas')!;
    for (let k = 0; k < 30; k++) {
      const row = rows[k % rows.length]!;
      const at = new Date(Date.now() - 1000 * (30 - k)).toISOString();
      const t = performance.now();
      const changed = new Promise<void>((resolve) => {
        setTimeout(resolve, 10_000);
        const mo = new MutationObserver(() => {
          mo.disconnect();
          resolve();
        });
        mo.observe(canvas, { subtree: true, childList: true, attributes: true });
      });
      window.postMessage({ type: 'timeline', seq: ++seq, full: false, cap: 8, live: true, updatedAt: at, rows: [{ ...row, phases: [...row.phases, { at, phase: 'running', attempt: 9 }] }] }, '*');
      await changed;
      dom.push(performance.now() - t);
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      frame.push(performance.now() - t);
    }
    const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
    return { dom: p(dom, 0.5), domP95: p(dom, 0.95), frame: p(frame, 0.5), frameP95: p(frame, 0.95) };
  }, timeline.rows.slice(0, 10));

  // The live tick: the longest task while the view re-draws each second (bars grow, now line moves), over 3 s.
  const tick = await page.evaluate(async () => {
    let longest = 0;
    const po = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
    });
    po.observe({ type: 'longtask', buffered: false });
    await new Promise((r) => setTimeout(r, 3000));
    po.disconnect();
    return longest;
  });

  // Scrolling from top to bottom for about two seconds: frames counted.
  const scroll = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>('.tl-scroll')!;
    let frames = 0;
    const t = performance.now();
    await new Promise<void>((resolve) => {
      const step = () => {
        frames++;
        el.scrollTop += 120;
        if (performance.now() - t > 2000 || el.scrollTop + el.clientHeight >= el.scrollHeight) resolve();
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    return (frames * 1000) / (performance.now() - t);
  });

  await browser.close();
  server.close();
  const ms = (x: number) => `${Math.round(x)} ms`;
  console.log('## Run timeline (DAG panel, Chromium)\n');
  console.log('| packages | first paint | rows in DOM | one package\'s marks → DOM (p50 / p95) | → next frame (p50 / p95) | longest task while live | scrolling fps |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| ${n} | ${ms(paint)} | ${domRows} | ${ms(update.dom)} / ${ms(update.domP95)} | ${ms(update.frame)} / ${ms(update.frameP95)} | ${tick ? ms(tick) : '< 50 ms'} | ${Math.round(scroll)} |`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
