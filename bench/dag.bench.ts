/**
 * The DAG panel in Chromium (the production bundle, HTML and CSP), side by side with React
 * Flow's plain rendering of the same plans (bench/dagPlainReactFlow.tsx): first paint of
 * 1,000- and 5,000-package plans, one status change to the DOM and to the next frame, a
 * burst of 200 changes, frames per second while panning. Prints a markdown table.
 * Figures vary ±30 % between runs on a shared 2-core machine with software rendering.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { analyzePlan } from '../src/core/plan/analyze';
import { buildPlanView } from '../src/core/dag/panelModel';
import type { PlanMessage } from '../src/protocol';
import { buildPanel, servePanel } from './dagBuild';
import { generatePlan } from './generate';

const root = path.resolve(__dirname, '..');
const plainDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dag-bench-'));
/** Both bundles are measured as shipped: minified production builds. */
const ours = path.join(plainDir, 'panel');
const theme = path.join(root, 'test', 'webview', 'vscode-dark-theme.css');

async function main(): Promise<void> {
  await esbuild.build({
    entryPoints: { plain: path.join(root, 'bench', 'dagPlainReactFlow.tsx') },
    bundle: true, minify: true, outdir: plainDir, platform: 'browser', format: 'iife', target: 'chrome120', jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' }, logLevel: 'warning',
  });
  await buildPanel(ours);
  // React Flow alone on a page of its own, beside the panel.
  const { origin, server } = await servePanel(ours, theme, (pathname, send) => {
    if (pathname === '/plain') {
      send('text/html', `<!DOCTYPE html><html><head><link rel="stylesheet" href="/plain.css"></head><body style="margin:0"><div id="root"></div><script src="/plain.js"></script></body></html>`);
      return true;
    }
    if (!pathname.startsWith('/plain.')) return false;
    const file = path.join(plainDir, path.basename(pathname));
    if (!fs.existsSync(file)) return false;
    send(file.endsWith('.js') ? 'text/javascript' : 'text/css', fs.readFileSync(file));
    return true;
  });
  const browser = await chromium.launch({ executablePath: process.env.WAVES_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });

  const plans = new Map<number, PlanMessage>();
  for (const n of [1000, 5000]) {
    plans.set(n, { ...buildPlanView(analyzePlan(generatePlan(n, { compact: true })), 'work-packages.yaml'), planUri: `file:///bench/${n}.yaml`, runId: null, seq: 1 });
  }

  const rows: string[][] = [];
  // DAG_BENCH_ONLY=panel skips React Flow's plain rendering (minutes at 5,000 nodes).
  const variants = (['panel', 'plain'] as const).filter((v) => !process.env.DAG_BENCH_ONLY || process.env.DAG_BENCH_ONLY === v);
  for (const variant of variants) {
    for (const n of [1000, 5000]) {
      console.error(`dag bench: ${variant}, ${n} packages`);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on('crash', () => console.error(`dag bench: the page crashed (${variant}, ${n})`));
      // tsx compiles the functions passed to evaluate with keepNames: give the page its helper.
      await page.addInitScript(`window.__name = (f) => f; window.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });`);
      await page.goto(`${origin}${variant === 'panel' ? '/' : '/plain'}`);
      if (variant === 'panel') await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-dark'));
      const paint = await page.evaluate(async (plan) => {
        const t0 = performance.now();
        window.postMessage(plan, '*');
        await new Promise<void>((resolve) => {
          const check = () => (document.querySelectorAll('.react-flow__node').length ? resolve() : requestAnimationFrame(check));
          check();
        });
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, plans.get(n)!);
      const domNodes = await page.evaluate(() => document.querySelectorAll('.react-flow__node').length);

      // One status change of a drawn package (panel at 5,000: the summary's counts).
      const single = await page.evaluate(async (planIds) => {
        // Change packages that are drawn (a change off screen has nothing to show).
        const drawn = [...document.querySelectorAll<HTMLElement>('.react-flow__node-package, .react-flow__node-default')].map((e) => e.dataset.id!);
        const ids = drawn.length ? drawn : planIds;
        const dom: number[] = [];
        const frame: number[] = [];
        let seq = 1;
        for (let k = 0; k < 30; k++) {
          const id = ids[k % ids.length];
          const t0 = performance.now();
          const changed = new Promise<void>((resolve) => {
            setTimeout(resolve, 10_000); // a change that never shows is reported as ≥ 10 s
            const mo = new MutationObserver(() => {
              mo.disconnect();
              resolve();
            });
            mo.observe(document.querySelector('.react-flow__nodes')!, { subtree: true, childList: true, characterData: true, attributes: true });
          });
          window.postMessage({ type: 'status', seq: ++seq, deltas: [{ id, status: Math.floor(k / ids.length) % 2 ? 'verifying' : 'running', attempts: 1, startedAt: null, endedAt: null, exitCode: null }] }, '*');
          await changed;
          dom.push(performance.now() - t0);
          await new Promise((r) => requestAnimationFrame(() => r(undefined)));
          frame.push(performance.now() - t0);
        }
        const burstStart = performance.now();
        const deltas = planIds.slice(0, 200).map((id, i) => ({ id, status: 'succeeded', attempts: 1, startedAt: null, endedAt: null, exitCode: i }));
        const burstChanged = new Promise<void>((resolve) => {
          const mo = new MutationObserver(() => {
            mo.disconnect();
            resolve();
          });
          mo.observe(document.querySelector('.react-flow__nodes')!, { subtree: true, childList: true, characterData: true, attributes: true });
        });
        window.postMessage({ type: 'status', seq: ++seq, deltas }, '*');
        await burstChanged;
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
        const burst = performance.now() - burstStart;
        const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
        return { dom: p(dom, 0.5), domP95: p(dom, 0.95), frame: p(frame, 0.5), frameP95: p(frame, 0.95), burst };
      }, plans.get(n)!.waves.flat().slice(0, 200));

      // Panning: drag across the pane for about two seconds, count frames.
      const pane = (await page.locator('.react-flow__pane').boundingBox())!;
      await page.evaluate(() => {
        const w = window as unknown as { __frames: number; __counting: boolean };
        w.__frames = 0;
        w.__counting = true;
        const tick = () => {
          w.__frames++;
          if (w.__counting) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      const t0 = Date.now();
      await page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
      await page.mouse.down();
      for (let k = 0; Date.now() - t0 < 2000; k++) await page.mouse.move(pane.x + pane.width / 2 + 300 * Math.sin(k / 10), pane.y + pane.height / 2 + 200 * Math.cos(k / 10));
      await page.mouse.up();
      const frames = await page.evaluate(() => {
        const w = window as unknown as { __frames: number; __counting: boolean };
        w.__counting = false;
        return w.__frames;
      });
      const fps = frames / ((Date.now() - t0) / 1000);
      rows.push([
        variant === 'panel' ? 'Waves panel' : 'React Flow plain',
        n.toLocaleString('en'),
        String(domNodes),
        `${Math.round(paint)} ms`,
        `${single.dom.toFixed(1)} / ${single.domP95.toFixed(1)} ms`,
        `${single.frame.toFixed(1)} / ${single.frameP95.toFixed(1)} ms`,
        `${single.burst.toFixed(1)} ms`,
        `${fps.toFixed(0)} fps`,
      ]);
      console.error(`dag bench: ${rows.at(-1)!.join(' | ')}`);
      await page.close();
    }
  }
  await browser.close();
  server.close();
  const size = (f: string) => `${Math.round(fs.statSync(path.join(ours, f)).size / 1024)} KB`;
  console.log('## DAG panel in Chromium (software rendering), beside React Flow\'s plain rendering\n');
  console.log(`Panel bundle: main.js ${size('main.js')}, main.css ${size('main.css')} (production build, minified).\n`);
  console.log('| renderer | packages | nodes in DOM | plan → painted | 1 change → DOM (median / p95) | → next frame (median / p95) | 200 changes → frame | panning |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('\nGoals: 1,000 painted ≤ 0.8 s; one change → DOM ≤ 5 ms, next frame p95 ≤ 33 ms; 200 changes ≤ 33 ms; 5,000 painted ≤ 1.5 s, ≥ 20 fps panning.');
  console.log('The panel collapses waves beyond 1,000 packages (summaries with counts by status), so at 5,000 a change updates a summary.');
  fs.rmSync(plainDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
