// "close VS Code at any moment without losing anything": on the installed .vsix,
// Waves: Run Plan from the palette starts a run whose first agent (the scripted test agent)
// takes a while; Developer: Reload Window in the middle takes the extension host (and its
// engine) away while the terminal keeps the runner; the new window reconciles the run —
// adopts the live runner, re-attaches its terminal by pid, collects it and starts nothing by
// itself (the person's Resume runs the rest) — and the run completes with no
// attempt run twice.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extensionLog, notification, openWavesView, reloadWindow, runCommand, runStateOf, waitForRow, waitForStatus, waitForWorkbench, waitUntil } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FEATURE = 'reload-demo';

export const workspace = 'run-reload';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
};

const stateOf = (ws) => runStateOf(ws, FEATURE);

let runnerPid = 0;

export const tests = [
  {
    name: 'Waves: Run Plan from the palette starts the slow agent in a terminal',
    timeoutMs: 150_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 30_000 });
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      const state = await waitUntil(() => {
        const s = stateOf(ws);
        return s?.packages?.['wp-slow']?.status === 'running' && s.packages['wp-slow'].pid ? s : null;
      }, 'wp-slow running', { timeoutMs: 30_000 });
      runnerPid = state.packages['wp-slow'].pid;
      await waitForStatus(page, /Wave 1\/2 · 1 running/, { timeoutMs: 15_000 });
      // The Waves view redraws the package's row and its wave's progress.
      await openWavesView(page);
      // Under a full suite's load the view's first draw after it opens can take most of 20 s: more room here.
      await waitForRow(page, 'wp-slow', /· running/, 'the wp-slow row running', { timeoutMs: 45_000 });
      await waitForRow(page, 'Wave 1', /0\/1 done · 1 running/, "wave 1's progress", { timeoutMs: 45_000 });
      await page.locator('.terminal-tabs-entry, .single-terminal-tab', { hasText: 'wp-slow' }).first().waitFor({ timeout: 15_000 }).catch(() => {});
      await screenshot('running');
    },
  },
  {
    name: 'Developer: Reload Window mid-run: the run is adopted (its terminal re-attached when VS Code revives it) and completes with each agent run once',
    timeoutMs: 150_000,
    run: async ({ page, cs, workspace: ws, screenshot, log }) => {
      assert.ok(runnerPid > 0, 'the first test saw the runner');
      await reloadWindow(page);
      // The new window reconciles the run: adopted when the terminal kept its runner, else offered.
      const decided = await waitUntil(() => /\[reconcile\] reload-demo: (adopt|offer) — wp-slow(?: \((?:runner pid (\d+)|exited)\))?/.exec(extensionLog(cs)), 'the run reconciled after the reload', { timeoutMs: 60_000 });
      const attempt1 = path.join(ws, '.waves', 'runs', FEATURE, stateOf(ws).runId, 'wp-slow', '1');
      log(`reconciled: ${decided[1]}; attempt 1 holds ${fs.readdirSync(attempt1).join(', ')}; exit.json ${fs.existsSync(path.join(attempt1, 'exit.json')) ? fs.readFileSync(path.join(attempt1, 'exit.json'), 'utf8') : 'none'}`);
      if (decided[1] === 'adopt' && decided[2]) {
        assert.equal(Number(decided[2]), runnerPid, 'the same runner');
      } else if (decided[1] === 'offer') {
        // Offered: nothing restarted by itself; the person clicks Resume.
        const toast = await notification(page, 'stopped before it finished');
        await screenshot('offered');
        assert.ok(!fs.existsSync(path.join(ws, '.waves', 'runs', FEATURE, stateOf(ws).runId, 'wp-slow', '2')), 'nothing restarted before Resume');
        await toast.locator('.monaco-button', { hasText: 'Resume' }).click();
      }
      await waitForStatus(page, /Wave 1\/2 · 1 running/, { timeoutMs: 30_000 });
      if (decided[1] === 'adopt') {
        // Adopted: the window only watches and collects. When wp-slow ends, nothing more
        // starts by itself: the person is told, and Resume runs the rest.
        await waitUntil(() => stateOf(ws)?.packages['wp-slow'].status === 'succeeded', 'wp-slow collected', { timeoutMs: 90_000 });
        const toast = await notification(page, 'nothing more starts until you resume the run');
        await screenshot('collected');
        assert.equal(stateOf(ws).packages['wp-after'].attempts, 0, 'wp-after did not start by itself');
        await toast.locator('.monaco-button', { hasText: 'Resume' }).click();
      }
      const done = await waitUntil(() => {
        const s = stateOf(ws);
        return s && Object.values(s.packages).every((r) => r.status === 'succeeded') ? s : null;
      }, 'every package succeeded', { timeoutMs: 90_000 });
      await waitForStatus(page, /Run succeeded · 2\/2 succeeded/, { timeoutMs: 20_000 });
      await openWavesView(page);
      await waitForRow(page, 'wp-after', /· succeeded after/, 'the wp-after row succeeded');
      await waitForRow(page, 'wp-slow', /· succeeded after/, 'the wp-slow row succeeded');
      await waitForRow(page, 'Wave 2', /1\/1 done$/, "wave 2's progress");
      await screenshot('finished');
      // VS Code brings a terminal back after a reload only when its session persisted (code-server
      // does not always): when the runner's terminal is back, the extension has re-attached it by pid.
      const revived = await page.locator('.terminal-tabs-entry, .single-terminal-tab', { hasText: 'wp-slow' }).count();
      log(`after the reload the terminal of wp-slow was ${revived ? 'revived' : 'not revived'} by VS Code`);
      if (decided[1] === 'adopt' && decided[2] && revived) {
        await waitUntil(() => /re-attached the terminal "wave 1 · wp-slow" of wp-slow/.test(extensionLog(cs)), 'its terminal re-attached by pid', { timeoutMs: 30_000 });
      }
      const show = (file) => execFileSync('git', ['show', `${done.integration.branch}:${file}`], { cwd: ws, encoding: 'utf8' });
      // No attempt ran twice: each attempt folder's agent started once (meta.json by O_EXCL), and
      // wp-after, which started after the reload, ran in one attempt.
      assert.equal(done.packages['wp-after'].attempts, 1);
      assert.equal(show('after/runs.txt'), 'ran\n');
      log(`wp-slow: ${done.packages['wp-slow'].attempts} attempt(s); slow/runs.txt ${JSON.stringify(show('slow/runs.txt'))}`);
      if (decided[1] === 'adopt') {
        assert.equal(done.packages['wp-slow'].attempts, 1, 'the adopted agent was not run again');
        assert.equal(show('slow/runs.txt'), 'ran\n');
      }
      // The worktrees live beside the temp workspace: remove them with it.
      fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
    },
  },
];
