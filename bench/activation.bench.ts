/**
 * Activation cost, as the extension host measures it, the first use of the parts loaded on
 * demand, and the size of each bundle (ADR 0020, ADR 0029). `-- --without=<mechanism>`: a build
 * without that start-up mechanism (bench/variant.ts) started in turns with this one;
 * BENCH_BASELINE_DIR=<another checkout, built with --production> that checkout's, the same way.
 * Production build; the demo workspace in code-server; VS Code's own "Running Extensions"
 * view gives the activation time (the time `activate()` took, plus loading the code). Then, in
 * the same fresh start, the first Run Plan or the first Show DAG (they take turns: each start
 * times one of them first, with nothing of the run or the DAG panel loaded yet, then the other):
 * from the palette's Enter to what the person sees — Run Plan's agent picker (the demo has no
 * agent set), Show DAG's first package node in the panel.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { buildWithout, withoutArg } from './variant';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 6);

interface Build {
  name: string;
  /** The folder VS Code loads the extension from. */
  dir: string;
  times: string[];
  firsts: Record<'runPlan' | 'showDag', number[]>;
  seconds: Record<'runPlan' | 'showDag', number[]>;
  logged: Record<'activate' | 'shown' | 'ready' | 'parts', number[]>;
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stderr);
  // `-- --without=<mechanism>`: a build without it, started in turns with this one (bench/variant.ts).
  const without = withoutArg();
  const baseline = process.env.BENCH_BASELINE_DIR;
  const withoutDir = without ? buildWithout(without, { production: true }) : undefined;
  const kib = (dir: string) => `${(fs.statSync(path.join(dir, 'dist', 'extension.js')).size / 1024).toFixed(0)} KiB`;
  const otherSizes = [...(withoutDir ? [`without ${without}: ${kib(withoutDir)}`] : []), ...(baseline ? [`the baseline: ${kib(baseline)}`] : [])];
  const builds: Build[] = [
    { name: 'this build', dir: root },
    ...(withoutDir ? [{ name: `without ${without}`, dir: withoutDir }] : []),
    ...(baseline ? [{ name: `baseline (${baseline})`, dir: path.resolve(baseline) }] : []),
  ].map((b) => ({
    ...b,
    times: [],
    firsts: { runPlan: [], showDag: [] },
    seconds: { runPlan: [], showDag: [] },
    logged: { activate: [], shown: [], ready: [], parts: [] },
  }));
  const bundles = [...fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.js')).map((f) => `dist/${f}`), 'dist/webview/main.js', 'dist/webview/main.css'];
  const sizes = bundles.map((f) => {
    const bytes = fs.readFileSync(path.join(root, f));
    const gzip = spawnSync('gzip', ['-9', '-c'], { input: bytes, maxBuffer: 1 << 26 }).stdout.length;
    return `| \`${f}\` | ${(bytes.length / 1024).toFixed(0)} KiB | ${(gzip / 1024).toFixed(0)} KiB |`;
  });

  const cs = await import(path.join(root, 'scripts', 'code-server.mjs'));
  const helpers = await import(path.join(root, 'test', 'vscode', 'scenario', 'helpers.mjs'));
  const tools = cs.ensureTools({ quiet: true });
  for (let r = 0; r < runs; r++) {
    // With two builds, each fresh start of one is followed by one of the other, which goes first in turn.
    for (const b of r % 2 === 0 ? builds : [...builds].reverse()) await oneStart(b, r);
  }
  spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root }); // back to the development build
  if (withoutDir) fs.rmSync(withoutDir, { recursive: true, force: true });

  for (const b of builds) {
    console.log(`### Activation (code-server 4.139.1, demo workspace, production build): ${b.name}\n`);
    console.log(`Activation time reported by VS Code's Running Extensions view, ${runs} fresh starts: ${b.times.join(', ')}\n`);
    console.log(`Activation median: ${median(b.times.map((t) => Number(/(\d+(?:\.\d+)?)\s*ms/.exec(t)?.[1])).filter((x) => Number.isFinite(x)))} ms\n`);
    const show = (xs: number[]) => (xs.length ? `${xs.map((x) => `${x} ms`).join(', ')} (median ${median(xs)} ms)` : 'not measured');
    console.log('From the palette\'s Enter to what the person sees (fresh start; "first": nothing of it loaded before, "after": the other command ran first):\n');
    console.log('| command | first | after the other |');
    console.log('|---|---|---|');
    console.log(`| Run Plan (its agent picker) | ${show(b.firsts.runPlan)} | ${show(b.seconds.runPlan)} |`);
    console.log(`| Show DAG (its first node drawn) | ${show(b.firsts.showDag)} | ${show(b.seconds.showDag)} |\n`);
    console.log("From the extension's own log of each start (`activate()` alone; then after activation):\n");
    console.log('| | each start | median |');
    console.log('|---|---|---:|');
    const row = (label: string, xs: number[]) => console.log(`| ${label} | ${xs.length ? xs.map((x) => `${x} ms`).join(', ') : 'not logged'} | ${xs.length ? `${median(xs)} ms` : ''} |`);
    row('`activate()`', b.logged.activate);
    row('first plans shown', b.logged.shown);
    row('every plan read ("Plans ready")', b.logged.ready);
    row('the on-demand parts built (first command)', b.logged.parts);
    console.log('');
  }
  console.log('### Bundle sizes (production build)\n');
  console.log('| bundle | size | gzip -9 |');
  console.log('|---|---:|---:|');
  for (const s of sizes) console.log(s);
  if (otherSizes.length) console.log(`\n\`dist/extension.js\` ${otherSizes.join('; ')}.`);

  /** One fresh start of code-server on a copy of the demo, the extension loaded from `b.dir`: its figures go to `b`. */
  async function oneStart(b: Build, r: number): Promise<void> {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-bench-ws-'));
    fs.cpSync(path.join(root, 'examples', 'demo'), ws, { recursive: true });
    const server = await cs.startCodeServer({ tools, name: 'bench' });
    const browser = await chromium.launch({
      executablePath: tools.chromium,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(server.folderUrl(ws, [['extensionDevelopmentPath', server.remoteUri(b.dir)], ['skipWelcome', 'true']]));
      await helpers.waitForWorkbench(page);
      // The view lists the slowest first and draws only the rows in sight: a window tall enough
      // for every row, so a fast activation is not below the fold.
      await page.setViewportSize({ width: 1400, height: 3000 });
      await helpers.runCommand(page, 'workbench.action.showRuntimeExtensions', 'Developer: Show Running Extensions');
      const row = page.locator('.monaco-list-row', { hasText: /Wave Orchestrator|wave-orchestrator\.wave-orchestrator/ }).first();
      const time = row.locator('.activation-time').first();
      await time.waitFor({ timeout: 30_000 });
      // The view may show "Activating..." until the activation ends: its figure is read once it is there.
      let text = '';
      for (let waited = 0; waited <= 30_000; waited += 100) {
        text = ((await time.textContent()) ?? '').trim();
        if (/\d\s*ms/.test(text)) break;
        await page.waitForTimeout(100);
      }
      b.times.push(text);
      // Running Extensions opens as a modal editor: closed first.
      await page.keyboard.press('Escape');
      await page.getByText('Running Extensions').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
      await page.setViewportSize({ width: 1400, height: 900 });
      // The first use of each: Run Plan first on even starts, Show DAG first on odd ones.
      const order = r % 2 === 0 ? (['runPlan', 'showDag'] as const) : (['showDag', 'runPlan'] as const);
      for (const [k, what] of order.entries()) {
        const ms = what === 'runPlan' ? await timeRunPlan(page, helpers) : await timeShowDag(page, helpers);
        (k === 0 ? b.firsts : b.seconds)[what].push(ms);
      }
      // The extension's own log of this start: activate() alone, the first plans shown, every plan read, the on-demand parts built.
      const log = extensionLog(server.userDataDir);
      const pick = (re: RegExp, into: number[]) => {
        const m = re.exec(log);
        if (m) into.push(Number(m[1]));
      };
      pick(/Activated in (\d+) ms/, b.logged.activate);
      pick(/First plans shown (\d+) ms after activation/, b.logged.shown);
      pick(/Plans ready (\d+) ms after activation/, b.logged.ready);
      pick(/Built the run, planning, hosts and DAG panel parts in (\d+) ms/, b.logged.parts);
    } finally {
      await browser.close();
      await server.stop();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  }
}

/** The text of the extension's log in a code-server's user data folder (its one window). */
function extensionLog(userDataDir: string): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Wave Orchestrator.log') found.push(p);
    }
  };
  walk(path.join(userDataDir, 'logs'));
  return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2)) : NaN;
}

type Page = import('playwright-core').Page;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Helpers = any;

/** Finds a command in the palette and selects it; returns the time of the Enter that runs it. */
async function enter(page: Page, helpers: Helpers, id: string, title: string): Promise<number> {
  const entry = await helpers.findInPalette(page, id, title);
  const row = entry.locator('xpath=ancestor-or-self::div[contains(concat(" ", @class, " "), " monaco-list-row ")][1]');
  for (let i = 0; i < 20 && !/\bfocused\b/.test((await row.getAttribute('class')) ?? ''); i++) await page.keyboard.press('ArrowDown');
  const at = performance.now();
  await page.keyboard.press('Enter');
  return at;
}

/** Run Plan: Enter → the agent picker is shown (the demo sets no agent); then Escape. */
async function timeRunPlan(page: Page, helpers: Helpers): Promise<number> {
  const at = await enter(page, helpers, 'waves.runPlan', 'Waves: Run Plan');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'which coding agent' }).waitFor({ state: 'visible', timeout: 30_000 });
  const ms = Math.round(performance.now() - at);
  await helpers.closeQuickInput(page);
  return ms;
}

/** Show DAG: Enter → the panel shows its first package node; then the panel is closed. */
async function timeShowDag(page: Page, helpers: Helpers): Promise<number> {
  const at = await enter(page, helpers, 'waves.showDag', 'Waves: Show DAG');
  await helpers.webviewFrame(page).locator('.react-flow__node').first().waitFor({ state: 'visible', timeout: 30_000 });
  const ms = Math.round(performance.now() - at);
  await helpers.runCommand(page, 'workbench.action.closeActiveEditor', 'View: Close Editor');
  return ms;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
