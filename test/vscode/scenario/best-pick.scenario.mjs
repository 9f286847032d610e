// Best of n, pick: person, from the keyboard, on the installed .vsix: Run Plan; wp-api's three
// candidates run to their end and wp-api awaits the pick (wp-docs waits); the DAG panel's details
// of wp-api list its candidates, Pick and Show Changes on each green one (README's picture of the
// DAG details); the notification that wp-api awaits the pick has Pick…, which lists the green
// candidates side by side (agent, files changed, time) — the list Waves: Pick Candidate shows
// from the palette, README's picture of the pick; arrow keys and Enter pick candidate 3; it is
// merged and wp-docs runs after it.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { notificationTexts, pickQuickItem, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil, webviewFrame } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FEATURE = 'pick-demo';

export const workspace = 'best-pick';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.run.confirm': false,
};

const awaiting = (s) => {
  const a = s?.packages['wp-api'];
  return a && a.status === 'running' && !a.chosen && a.candidates?.length === 3 && a.candidates.every((c) => ['failed', 'verifying'].includes(c.status)) ? s : null;
};

export const tests = [
  {
    name: "Run Plan: the three candidates run to their end; the DAG details list them; the notification's Pick…, the list side by side, candidate 3 by the keyboard; merged, wp-docs after it",
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 30_000 });
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      const waiting = await waitUntil(() => awaiting(runStateOf(ws, FEATURE)), 'wp-api awaiting the pick', { timeoutMs: 60_000 });
      assert.deepEqual(waiting.packages['wp-api'].candidates.map((c) => c.status), ['failed', 'verifying', 'verifying']);
      assert.equal(waiting.packages['wp-docs'].attempts, 0, 'its dependent waits for the pick');
      // The DAG panel's details of wp-api: its candidates, Pick and Show Changes on each green one.
      await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
      const frame = webviewFrame(page);
      await frame.locator('.react-flow__node[data-id="wp-api"]').click({ timeout: 20_000 });
      const candidates = frame.locator('.details ul.candidates li.candidate');
      await waitUntil(async () => (await candidates.count()) === 3, 'the three candidates in the details', { timeoutMs: 20_000 });
      const lines = await candidates.allTextContents();
      assert.match(lines[0], /^Candidate 1 · custom · failed/, lines.join(' | '));
      assert.ok(/^Candidate 2 · custom · green/.test(lines[1]) && /^Candidate 3 · custom · green/.test(lines[2]), lines.join(' | '));
      assert.equal(await frame.locator('.details [data-candidate-action="pick"]:enabled').count(), 2);
      await screenshot('dag-candidates');
      // The notification that wp-api awaits the pick (a warning's toast hides after a while: the notification center keeps it).
      // Its toast is let arrive first: a palette open as it comes loses its keys to it.
      await waitUntil(async () => (await page.locator('.notification-toast', { hasText: 'wp-api awaits your pick' }).count()) > 0, 'the toast', { timeoutMs: 10_000 }).catch(() => undefined);
      await runCommand(page, 'notifications.showList', 'Notifications: Show Notifications');
      await waitUntil(async () => (await notificationTexts(page)).some((t) => t.includes('wp-api awaits your pick')), 'the notification that wp-api awaits its pick', { timeoutMs: 30_000 });
      // Its Pick…: the green candidates side by side (the list Waves: Pick Candidate shows from the palette).
      await page.locator('.notifications-list-container .monaco-list-row', { hasText: 'wp-api awaits your pick' }).locator('.monaco-button', { hasText: 'Pick…' }).click();
      const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      // The candidates' list, not the palette's rows still shown from Show Notifications (a loaded machine: seen once).
      await waitUntil(async () => (await rows.count()) === 2 && (await rows.filter({ hasText: 'Candidate' }).count()) === 2, 'the two green candidates listed', { timeoutMs: 20_000 });
      const texts = await rows.allTextContents();
      assert.ok(texts[0].includes('Candidate 2') && texts[1].includes('Candidate 3'), texts.join(' | '));
      assert.ok(texts.every((t) => /custom · 1 file changed/.test(t)), texts.join(' | '));
      await screenshot('compare');
      await pickQuickItem(page, 'Candidate 3');
      const done = await waitUntil(() => (runStateOf(ws, FEATURE)?.packages['wp-docs']?.status === 'succeeded' ? runStateOf(ws, FEATURE) : null), 'the run to end', { timeoutMs: 60_000 });
      assert.deepEqual(done.packages['wp-api'].chosen, { candidate: 3, why: 'your pick' });
      assert.deepEqual(done.packages['wp-api'].candidates.map((c) => c.status), ['failed', 'cancelled', 'succeeded']);
      const merged = execFileSync('git', ['show', `${done.integration.branch}:api/limits.ts`], { cwd: ws, encoding: 'utf8' });
      assert.match(merged, /MAX_ITEMS/);
    },
  },
];
