/**
 * The run in the editor: a package's status changes in the run-state file
 * (`.waves/runs/<feature>.json`, written atomically as the engine writes it) → the Waves
 * view's row, the status bar and the DAG node show it. Measured through the real extension
 * host: code-server with the extension under development on a git copy of the demo workspace
 * whose run state comes from a real headless run (`waves run` with the demo agent); the bench
 * then flips wp-docs between `failed` and `succeeded` in that file. The time of each write is
 * taken in this process just before it; the time each surface shows the new status is taken
 * in the page by a MutationObserver (the DAG's inside its webview frame), both wall clocks of
 * this machine. p50/p95 over BENCH_RUNS changes (default 40). Then a burst: 200 writes a second
 * for BENCH_BURST_MS (default 2000): how often the status bar changed meanwhile, and how long
 * after the last write every surface shows it, and the extension host's longest event-loop
 * delay meanwhile (src/util/lagProbe.ts, on when the host's environment names its file).
 *
 * Run: npm run bench runStatus
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Frame, type Page } from 'playwright-core';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 40);
const burstMs = Number(process.env.BENCH_BURST_MS ?? 2000);
let burst: { writes: number; ms: number; updates: number; final: number; finals: string; lag: { maxMs: number; p99Ms: number } | undefined } | undefined;
const PKG = 'wp-docs';

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A surface: its frame and the signature of what it shows about wp-docs (text and classes). */
interface Surface {
  name: string;
  frame: Frame;
  /** Page-side source of a function returning the signature. */
  sig: string;
}

const STATUS_SIG = `() => { const el = document.querySelector('.statusbar-item[id$=".waves.status"]'); return el ? el.textContent + '|' + el.className : ''; }`;
const TREE_SIG = `() => { const row = [...document.querySelectorAll('.sidebar .monaco-list[aria-label="Waves"] .monaco-list-row')].find((r) => r.querySelector('.label-name')?.textContent?.trim() === '${PKG}'); return row ? row.textContent + '|' + [...row.querySelectorAll('[class*="codicon-"]')].map((e) => e.className).join(',') : ''; }`;
const DAG_SIG = `() => { const n = document.querySelector('.react-flow__node[data-id="${PKG}"]'); return n ? n.textContent + '|' + n.className + '|' + [...n.querySelectorAll('[class]')].map((e) => e.className).join(',') : ''; }`;

/** The page-side slot of a surface's observer and hit time (the tree and the status bar share a frame). */
const slot = (s: Surface) => JSON.stringify(s.name);

/** Arms a MutationObserver in the frame that records Date.now() when the signature becomes `target`. */
async function arm(s: Surface, target: string): Promise<void> {
  // A string, not a function: the bench runs through tsx, whose helpers (__name) the page lacks.
  await s.frame.evaluate(`(() => {
    const sig = ${s.sig};
    const target = ${JSON.stringify(target)};
    const key = ${slot(s)};
    window.__wavesObs ??= {};
    window.__wavesHit ??= {};
    window.__wavesObs[key]?.disconnect();
    window.__wavesHit[key] = null;
    function check() {
      if (window.__wavesHit[key] == null && sig() === target) {
        window.__wavesHit[key] = Date.now();
        window.__wavesObs[key]?.disconnect();
      }
    }
    window.__wavesObs[key] = new MutationObserver(check);
    window.__wavesObs[key].observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    check();
  })()`);
}

async function hit(s: Surface, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const t = (await s.frame.evaluate(`window.__wavesHit?.[${slot(s)}] ?? null`)) as number | null;
    if (t !== null) return t;
    if (Date.now() > until) throw new Error(`${s.name} did not show the change within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sigOf(s: Surface): Promise<string> {
  return (await s.frame.evaluate(`(${s.sig})()`)) as string;
}

async function dagFrame(page: Page): Promise<Frame> {
  const until = Date.now() + 30_000;
  for (;;) {
    for (const f of page.frames()) {
      if (await f.evaluate("!!document.querySelector('.react-flow__node')").catch(() => false)) return f;
    }
    if (Date.now() > until) throw new Error('no DAG webview frame');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-bench-run-'));
  const ws = path.join(tmp, 'acme');
  fs.cpSync(path.join(root, 'examples', 'demo'), ws, { recursive: true });
  const git = ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false'];
  run('git', ['init', '-q', '-b', 'main'], ws);
  run('git', ['add', '-A'], ws);
  run('git', [...git, 'commit', '-q', '-m', 'demo'], ws);
  run(process.execPath, ['esbuild.mjs'], root);
  const waves = path.join(root, 'bin', 'waves.js');
  const { demoAgentArgv } = await import(path.join(root, 'examples', 'demo-agent', 'settings.mjs'));
  run(process.execPath, [waves, 'approve', '--yes', 'work-packages.yaml'], ws);
  run(process.execPath, [waves, 'run', '--agent-argv', JSON.stringify(demoAgentArgv({ extra: ['--sleep-ms', '0-0'] })), 'work-packages.yaml'], ws);
  const stateFile = path.join(ws, '.waves', 'runs', 'user-profiles.json');
  const base = JSON.parse(fs.readFileSync(stateFile, 'utf8'));

  const write = (status: 'failed' | 'succeeded' | 'cancelled', i: number): number => {
    const s = structuredClone(base);
    s.packages[PKG].status = status;
    s.packages[PKG].lastError = status === 'succeeded' ? null : `bench change ${i}`;
    s.updatedAt = new Date().toISOString();
    const t0 = Date.now();
    fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(s, null, 2));
    fs.renameSync(`${stateFile}.tmp`, stateFile);
    return t0;
  };

  const cs = await import(path.join(root, 'scripts', 'code-server.mjs'));
  const helpers = await import(path.join(root, 'test', 'vscode', 'scenario', 'helpers.mjs'));
  const tools = cs.ensureTools({ quiet: true });
  // The extension host's event-loop delay, measured inside it (src/util/lagProbe.ts).
  const lagFile = path.join(tmp, 'host-lag.json');
  const server = await cs.startCodeServer({
    tools,
    name: 'bench-run-status',
    env: { WAVES_BENCH_LAG_FILE: lagFile },
  });
  const readLag = async (): Promise<{ maxMs: number; p99Ms: number; count: number } | undefined> => {
    // A fresh report (written every 100 ms): wait for the next one.
    const before = fs.existsSync(lagFile) ? fs.statSync(lagFile).mtimeMs : 0;
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (fs.existsSync(lagFile) && fs.statSync(lagFile).mtimeMs > before) return JSON.parse(fs.readFileSync(lagFile, 'utf8'));
    }
    return undefined;
  };
  const browser = await chromium.launch({
    executablePath: tools.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const samples: Record<string, number[]> = { 'Waves view row': [], 'status bar': [], 'DAG node': [], 'all three': [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(server.folderUrl(ws, [['extensionDevelopmentPath', server.remoteUri(root)], ['skipWelcome', 'true']]));
    await helpers.waitForWorkbench(page);
    await helpers.waitForStatus(page, /Run succeeded · 6\/6 succeeded/, { timeoutMs: 60_000 });
    await helpers.runCommand(page, 'waves.plan.focus', 'Waves: Focus on Waves View');
    await helpers.runCommand(page, 'waves.showDag', 'Waves: Show DAG');
    const surfaces: Surface[] = [
      { name: 'Waves view row', frame: page.mainFrame(), sig: TREE_SIG },
      { name: 'status bar', frame: page.mainFrame(), sig: STATUS_SIG },
      { name: 'DAG node', frame: await dagFrame(page), sig: DAG_SIG },
    ];
    // What each surface shows for each status: wait until it settles after a change.
    const settled = async (s: Surface) => {
      let last = await sigOf(s);
      for (let stable = 0; stable < 5; ) {
        await new Promise((r) => setTimeout(r, 200));
        const now = await sigOf(s);
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      return last;
    };
    const sigs = new Map<string, { failed: string; succeeded: string; cancelled: string }>();
    write('failed', -1);
    await helpers.waitForStatus(page, /Run failed/, { timeoutMs: 20_000 });
    const failedSigs = await Promise.all(surfaces.map(settled));
    write('cancelled', -2);
    await helpers.waitForStatus(page, /cancelled/i, { timeoutMs: 20_000 });
    const cancelledSigs = await Promise.all(surfaces.map(settled));
    write('succeeded', -3);
    await helpers.waitForStatus(page, /Run succeeded/, { timeoutMs: 20_000 });
    const okSigs = await Promise.all(surfaces.map(settled));
    surfaces.forEach((s, i) => {
      if (new Set([failedSigs[i], cancelledSigs[i], okSigs[i]]).size !== 3) {
        throw new Error(`${s.name} does not show failed, cancelled and succeeded apart: ${JSON.stringify([failedSigs[i], cancelledSigs[i], okSigs[i]])}`);
      }
      sigs.set(s.name, { failed: failedSigs[i], succeeded: okSigs[i], cancelled: cancelledSigs[i] });
    });

    for (let i = 0; i < runs; i++) {
      const failed = i % 2 === 0;
      for (const s of surfaces) await arm(s, failed ? sigs.get(s.name)!.failed : sigs.get(s.name)!.succeeded);
      const t0 = write(failed ? 'failed' : 'succeeded', i);
      const times: number[] = [];
      for (const s of surfaces) {
        const t = (await hit(s)) - t0;
        samples[s.name].push(t);
        times.push(t);
      }
      samples['all three'].push(Math.max(...times));
      await new Promise((r) => setTimeout(r, 250)); // let the debouncers go idle
    }

    // A burst: 200 writes a second (failed, succeeded, ...) for BURST_MS, then one `cancelled`,
    // which nothing in the burst showed. Counted in the page: how often the status bar changed
    // meanwhile (the extension host kept showing the run), then how long after the last write
    // every surface shows it.
    for (const s of surfaces) await arm(s, sigs.get(s.name)!.cancelled);
    await page.evaluate(`(() => {
      window.__wavesUpdates = 0;
      const el = document.querySelector('.statusbar-item[id$=".waves.status"]');
      new MutationObserver(() => window.__wavesUpdates++).observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    fs.writeFileSync(`${lagFile}.reset`, '');
    for (let i = 0; i < 50 && fs.existsSync(`${lagFile}.reset`); i++) await new Promise((r) => setTimeout(r, 20));
    const burstStart = Date.now();
    let writes = 0;
    while (Date.now() - burstStart < burstMs) {
      write(writes % 2 === 0 ? 'failed' : 'succeeded', writes);
      writes++;
      // On a 5 ms timeline (not 5 ms after each write: the writes take time too).
      await new Promise((r) => setTimeout(r, Math.max(0, burstStart + writes * 5 - Date.now())));
    }
    const burstEnd = Date.now();
    const last = write('cancelled', writes++);
    const updates = (await page.evaluate('window.__wavesUpdates')) as number;
    const finals: number[] = [];
    for (const s of surfaces) finals.push((await hit(s, 30_000)) - last);
    const lag = await readLag();
    burst = { writes, ms: burstEnd - burstStart, updates, final: Math.max(...finals), finals: surfaces.map((s, i) => `${s.name} ${finals[i]} ms`).join(', '), lag };
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`### Run status → editor (code-server 4.139.1, demo workspace, development build, ${os.cpus().length} cores, load ${load})\n`);
  console.log(`A package's status flipped in the run-state file (atomic rename) until each surface shows it, through the real extension host; ${runs} changes.\n`);
  console.log('| surface | p50 | p95 | max |');
  console.log('|---|---:|---:|---:|');
  for (const [name, v] of Object.entries(samples)) console.log(`| ${name} | ${percentile(v, 50)} ms | ${percentile(v, 95)} ms | ${Math.max(...v)} ms |`);
  if (burst) {
    const perSecond = Math.round((burst.writes / burst.ms) * 1000);
    const lag = burst.lag ? `the extension host's longest event-loop delay ${burst.lag.maxMs} ms (p99 ${burst.lag.p99Ms} ms)` : "the extension host's event-loop delay was not reported";
    console.log(`\nBurst: ${burst.writes} writes in ${burst.ms} ms (${perSecond}/s); the status bar changed ${burst.updates} times meanwhile; every surface showed the last write ${burst.final} ms after it (${burst.finals}); ${lag}.`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
