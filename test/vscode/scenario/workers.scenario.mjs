// Pull workers as a person meets them: with a shared coordinator — a real PostgreSQL cluster
// started here — three workers of the repository (one taking work, one draining, one silent for
// ten minutes) are listed in the Ownership view's "Workers", each with its machine, what it runs
// and its heartbeat; the person drains one from the keyboard (its context menu: Shift+F10) and
// lets it take work again from the palette (`Waves: Undrain Worker`, a pick of the draining ones).
// `waves.coordinator` is machine-scoped: set in code-server's Machine/settings.json.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { closeQuickInput, findInPalette, openWavesView, paletteEntry, pickQuickItem, runCommand, treeLines, waitForWorkbench, waitUntil, wavesTreeRows, widenSideBar } from './helpers.mjs';

export const workspace = 'basic';
export const settings = { 'workbench.colorTheme': 'Default Dark Modern', 'files.autoSave': 'off' };

/**
 * A helper process (tsx: the project's own modules) that starts a throwaway cluster, prints its
 * URL, registers three workers for a workspace on `register <path>` (cpu-2 drained, old-1 last
 * heard ten minutes ago), answers `draining <name>` with the row's state, and removes the cluster
 * when its stdin closes.
 */
function coordinatorHelper(repo) {
  const code = `
    const load = async (p) => { const m = await import(p); return m.default ?? m; };
    const { startCluster } = await load('./test/coordinator/postgres.ts');
    const { openCoordinator } = await load('./src/engine/coordinator/openCoordinator.ts');
    const pg = await load('pg');
    const cluster = await startCluster(process.cwd());
    process.stdout.write('url ' + cluster.url + '\\n');
    let queue;
    let buffered = '';
    process.stdin.on('data', async (chunk) => {
      buffered += chunk;
      for (let i; (i = buffered.indexOf('\\n')) >= 0; ) {
        const line = buffered.slice(0, i); buffered = buffered.slice(i + 1);
        if (line.startsWith('register ')) {
          queue = (await openCoordinator(line.slice('register '.length), { url: cluster.url })).queue();
          await queue.register({ name: 'gpu-1', machine: 'rack7.local', agents: ['claude', 'codex'], labels: ['gpu'], slots: 1 });
          await queue.register({ name: 'cpu-2', machine: 'rack7.local', agents: ['codex'], labels: [], slots: 1 });
          await queue.drain('cpu-2');
          await queue.register({ name: 'old-1', machine: 'laptop-bo', agents: ['gemini'], labels: ['macos'], slots: 1 });
          const db = new pg.Client({ connectionString: cluster.url });
          await db.connect();
          await db.query("UPDATE waves_workers SET heartbeat_at = now() - interval '10 minutes' WHERE name = 'old-1'");
          await db.end();
          process.stdout.write('registered\\n');
        } else if (line.startsWith('draining ')) {
          const w = (await queue.workers()).find((x) => x.name === line.slice('draining '.length));
          process.stdout.write('state ' + line.slice('draining '.length) + ' ' + (w ? w.draining : 'none') + '\\n');
        }
      }
    });
    process.stdin.on('end', () => { cluster.remove(); process.exit(0); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const line = async (prefix, from = 0) => {
    const found = () => out.slice(from).split('\n').find((l) => l.startsWith(prefix));
    await waitUntil(() => found() !== undefined, `the coordinator helper's "${prefix}" line (so far: ${out})`, { timeoutMs: 120_000 });
    return found().slice(prefix.length).trim();
  };
  return {
    url: () => line('url'),
    register: async (ws) => {
      child.stdin.write(`register ${ws}\n`);
      await line('registered');
    },
    draining: async (name) => {
      const from = out.length;
      child.stdin.write(`draining ${name}\n`);
      return (await line(`state ${name}`, from)) === 'true';
    },
    close: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.stdin.end();
    }),
  };
}

const ownershipRows = async (page) => treeLines(await wavesTreeRows(page, { view: 'Ownership' }));

export const tests = [
  {
    name: "the repository's pull workers in the Ownership view; one drained from its context menu, then undrained from the palette",
    timeoutMs: 180_000,
    run: async ({ page, cs, repo, workspace: ws, screenshot }) => {
      const helper = coordinatorHelper(repo);
      try {
        const url = await helper.url();
        await waitForWorkbench(page);
        // No coordinator set: the palette does not offer the workers' commands.
        await findInPalette(page, 'waves.showDag', 'Waves: Show DAG');
        await page.locator('.quick-input-widget input.input').fill('>Waves: Drain Worker');
        await page.waitForTimeout(500);
        assert.equal(await paletteEntry(page, 'waves.drainWorker').count(), 0, 'not offered without a coordinator');
        await closeQuickInput(page);
        await helper.register(ws);
        fs.mkdirSync(path.join(cs.userDataDir, 'Machine'), { recursive: true });
        fs.writeFileSync(path.join(cs.userDataDir, 'Machine', 'settings.json'), JSON.stringify({ 'waves.coordinator': url }, null, 2));

        // The Ownership view: "Workers", each worker with its machine, agents, labels and heartbeat.
        await openWavesView(page);
        await widenSideBar(page, 760);
        const workersRow = page.locator('.sidebar .monaco-list[aria-label="Ownership"] .monaco-list-row', { hasText: 'Workers' }).first();
        await workersRow.waitFor({ timeout: 30_000 });
        await waitUntil(async () => (await ownershipRows(page)).some((l) => l.startsWith('  old-1 — ')), 'the three workers listed', { timeoutMs: 30_000 });
        const lines = await ownershipRows(page);
        assert.ok(lines.includes('Workers — 3 workers · 1 draining · 1 silent'), lines.join('\n'));
        assert.ok(lines.some((l) => /^ {2}gpu-1 — on rack7\.local · claude, codex \[gpu\] · heartbeat (under 10|\d0) s ago$/.test(l)), lines.join('\n'));
        assert.ok(lines.some((l) => /^ {2}cpu-2 — on rack7\.local · codex · heartbeat (under 10|\d0) s ago · draining$/.test(l)), lines.join('\n'));
        assert.ok(lines.includes('  old-1 — on laptop-bo · gemini [macos] · silent for 10 min'), lines.join('\n'));
        const icons = Object.fromEntries((await wavesTreeRows(page, { view: 'Ownership' })).map((r) => [r.label, r.icon]));
        assert.deepEqual([icons['gpu-1'], icons['cpu-2'], icons['old-1']], ['server-process', 'debug-pause', 'server-process']);
        // Its tooltip: the whole, on hover.
        await page.locator('.sidebar .monaco-list[aria-label="Ownership"] .monaco-list-row', { hasText: 'old-1' }).first().hover();
        const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Silent: no heartbeat for 10 min' }).first();
        await hover.waitFor({ timeout: 15_000 });
        await screenshot('workers');

        // Drain gpu-1 from the keyboard: cpu-2's row selected, ArrowDown to gpu-1, Shift+F10 opens its context menu, Drain Worker.
        await page.locator('.sidebar .monaco-list[aria-label="Ownership"] .monaco-list-row', { hasText: 'cpu-2' }).first().click();
        const gpuRow = page.locator('.sidebar .monaco-list[aria-label="Ownership"] .monaco-list-row', { hasText: 'gpu-1' }).first();
        await page.keyboard.press('ArrowDown');
        await waitUntil(async () => /\bfocused\b/.test((await gpuRow.getAttribute('class')) ?? ''), 'gpu-1 selected');
        await page.keyboard.press('Shift+F10');
        const drain = page.locator('.context-view .action-item', { hasText: 'Drain Worker' }).first();
        await drain.waitFor({ timeout: 10_000 });
        await screenshot('context-menu');
        await drain.hover();
        await page.keyboard.press('Enter');
        await waitUntil(() => helper.draining('gpu-1'), 'gpu-1 drained in the coordinator', { timeoutMs: 15_000 });
        await waitUntil(async () => (await ownershipRows(page)).some((l) => /^ {2}gpu-1 — .* · draining$/.test(l)), 'gpu-1 shown draining', { timeoutMs: 15_000 });
        // Said in the status bar, nothing asked first (it is reversible).
        await page.locator('.statusbar-item', { hasText: 'gpu-1 is draining: it finishes what it holds and claims nothing new' }).first().waitFor({ timeout: 10_000 });
        await screenshot('drained');

        // Undrain from the palette: a pick of the draining workers.
        await runCommand(page, 'waves.undrainWorker', 'Waves: Undrain Worker', { opensQuickInput: true });
        const picks = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name').allTextContents();
        assert.deepEqual(picks.map((p) => p.trim()).filter((p) => /^(gpu-1|cpu-2|old-1)$/.test(p)).sort(), ['cpu-2', 'gpu-1'], 'only the draining ones');
        await screenshot('undrain-pick');
        await pickQuickItem(page, 'gpu-1');
        await waitUntil(async () => !(await helper.draining('gpu-1')), 'gpu-1 takes work again', { timeoutMs: 15_000 });
        await waitUntil(async () => (await ownershipRows(page)).some((l) => /^ {2}gpu-1 — on rack7\.local · claude, codex \[gpu\] · heartbeat (under 10|\d0) s ago$/.test(l)), 'gpu-1 no longer draining', { timeoutMs: 15_000 });
        await page.locator('.statusbar-item', { hasText: 'gpu-1 takes work again' }).first().waitFor({ timeout: 10_000 });
        await screenshot('undrained');
      } finally {
        await helper.close();
      }
    },
  },
];
