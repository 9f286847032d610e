// Best of n, pick: person, from the keyboard, on the installed .vsix: Run Plan; wp-api's three
// candidates run to their end and wp-api awaits the pick (wp-docs waits); Waves: Pick Candidate
// from the palette lists the green candidates side by side (agent, files changed, time); arrow
// keys and Enter pick candidate 3; it is merged and wp-docs runs after it. The screenshot of the
// list is README's picture of the pick.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickQuickItem, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil } from './helpers.mjs';

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
    name: 'Run Plan: the three candidates run to their end; Pick Candidate from the palette, the list side by side, candidate 3 by the keyboard; merged, wp-docs after it',
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 30_000 });
      await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
      const waiting = await waitUntil(() => awaiting(runStateOf(ws, FEATURE)), 'wp-api awaiting the pick', { timeoutMs: 60_000 });
      assert.deepEqual(waiting.packages['wp-api'].candidates.map((c) => c.status), ['failed', 'verifying', 'verifying']);
      assert.equal(waiting.packages['wp-docs'].attempts, 0, 'its dependent waits for the pick');
      await runCommand(page, 'waves.pickCandidate', 'Waves: Pick Candidate', { opensQuickInput: true });
      const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await waitUntil(async () => (await rows.count()) === 2, 'the two green candidates listed');
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
