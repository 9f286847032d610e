// "a restart of the editor while a package awaits review keeps the wait and the
// comments", on the installed .vsix: with the review gate on, Run Plan until wp-api awaits review
// (wp-docs, its dependent, pending); two comments on its diff (Show Changes); Developer: Reload
// Window — the window's engine goes with its extension host. The new window: wp-api still awaits
// review (the status bar, the Waves view and the run state on disk), wp-docs has not started, the
// two threads are on wp-api's diff again with their words; Waves: Approve Package merges wp-api
// (no engine drives the run any more: the approval resumes it) and only then does wp-docs run.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  addComment,
  extensionLog,
  openWavesView,
  pickQuickItem,
  putCursorOn,
  reloadWindow,
  runCommand,
  runStateOf,
  waitForRow,
  waitForStatus,
  waitForWorkbench,
  waitUntil,
} from './helpers.mjs';
import { runToReview } from './review.scenario.mjs';

const FEATURE = 'review-demo';
const WORDS = ['Name constants in upper case: MAX_SIZE.', 'Say why 500 ms is enough.'];

// The review scenario's workspace and settings: the review gate on, the scripted agent without walls.
export { machineSettings, settings, workspace } from './review.scenario.mjs';

const stateOf = (ws) => runStateOf(ws, FEATURE);
const threadsOf = (ws) => JSON.parse(fs.readFileSync(path.join(ws, '.waves', 'runs', FEATURE, 'review.json'), 'utf8')).threads;

/** Show Changes of wp-api from the palette; returns once both threads are drawn on its diff with their words. */
async function showThreads(page) {
  await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
  await runCommand(page, 'waves.showChanges', 'Waves: Show Changes', { opensQuickInput: true });
  await pickQuickItem(page, 'wp-api');
  await page.locator('.multiDiffEditor .editor.modified .view-line', { hasText: 'maxsize' }).first().waitFor({ timeout: 20_000 });
  for (const words of WORDS) await page.locator('.review-widget', { hasText: words }).first().waitFor({ timeout: 20_000 });
}

let head = '';

export const tests = [
  {
    name: 'Run Plan with the review gate: wp-api awaits review; two comments on its diff',
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws }) => {
      head = (await runToReview({ page, workspace: ws })).packages['wp-api'].headSha;
      await runCommand(page, 'waves.showChanges', 'Waves: Show Changes', { opensQuickInput: true });
      await pickQuickItem(page, 'wp-api');
      await putCursorOn(page, 'maxsize');
      await addComment(page, WORDS[0]);
      await putCursorOn(page, 'timeoutMs');
      await addComment(page, WORDS[1]);
      // Kept beside the run once the store's write lands (the input box closes before it).
      const stored = await waitUntil(() => (threadsOf(ws).length === 2 ? threadsOf(ws) : null), 'both threads in review.json');
      assert.deepEqual(stored.map((t) => [t.file, t.startLine, t.anchorCommit, t.comments[0].body]), [
        ['api/limits.ts', 2, head, WORDS[0]],
        ['api/limits.ts', 3, head, WORDS[1]],
      ]);
    },
  },
  {
    name: 'Developer: Reload Window: wp-api still awaits review, wp-docs has not started, the threads are on its diff again',
    timeoutMs: 150_000,
    run: async ({ page, cs, workspace: ws, screenshot, log }) => {
      assert.ok(head, 'the first test saw wp-api await review');
      const before = stateOf(ws);
      const reconciled = (extensionLog(cs).match(/\[reconcile\] review-demo: /g) ?? []).length;
      await reloadWindow(page);
      await waitForWorkbench(page);
      // The new window reads the run on disk and decides about it (activation builds the reconciler for a run awaiting review).
      const decided = await waitUntil(() => [...extensionLog(cs).matchAll(/\[reconcile\] review-demo: (.*)/g)].slice(reconciled)[0], 'the run reconciled after the reload', { timeoutMs: 60_000 });
      log(`reconciled after the reload: ${decided[1]}`);
      assert.equal(decided[1].trim(), 'awaiting-review — wp-api awaits your review', 'the run waits for the person, not finished');
      await waitForStatus(page, /1 awaiting your review/, { timeoutMs: 30_000 });
      await openWavesView(page);
      await waitForRow(page, 'wp-api', /awaiting review/, 'the wp-api row awaiting review');
      const rows = await waitForRow(page, 'wp-docs', /^(?!.*(?:queued|running|verifying|awaiting|succeeded))/, 'the wp-docs row not started');
      log(`the Waves view after the reload: ${rows.map((r) => `${r.label} — ${r.description}`).join(' | ')}`);
      // The run state on disk: the same wait, nothing started, nothing merged.
      const after = stateOf(ws);
      assert.equal(after.runId, before.runId, 'the same run');
      assert.equal(after.packages['wp-api'].status, 'awaiting-review');
      assert.equal(after.packages['wp-api'].headSha, head);
      assert.equal(after.packages['wp-api'].attempts, 1);
      assert.equal(after.packages['wp-docs'].status, 'pending');
      assert.equal(after.packages['wp-docs'].attempts, 0, 'wp-docs did not start');
      assert.equal(after.integration?.tipSha, before.integration?.tipSha, 'nothing merged');
      // The threads, kept beside the run, are drawn again on wp-api's diff with their words.
      await showThreads(page);
      assert.deepEqual(threadsOf(ws).map((t) => [t.startLine, t.status, t.comments.map((c) => c.body)]), [[2, 'open', [WORDS[0]]], [3, 'open', [WORDS[1]]]]);
      await screenshot('review-after-reload');
      assert.equal(stateOf(ws).packages['wp-docs'].attempts, 0, 'wp-docs still waits');
    },
  },
  {
    name: 'Approve after the reload merges wp-api; only then does wp-docs run',
    timeoutMs: 150_000,
    run: async ({ page, workspace: ws }) => {
      // The diff on screen names the package: Approve acts on it. No engine drives the run since
      // the reload: the approval is queued in the run's folder and a resume carries it out.
      await runCommand(page, 'waves.approvePackage', 'Waves: Approve Package');
      const s = await waitUntil(() => (stateOf(ws)?.packages['wp-docs'].status === 'awaiting-review' ? stateOf(ws) : null), 'wp-docs ran after the approval', { timeoutMs: 90_000 });
      assert.equal(s.packages['wp-api'].status, 'succeeded', 'wp-api merged');
      assert.equal(s.packages['wp-api'].attempts, 1, 'wp-api was not run again');
      assert.equal(s.packages['wp-docs'].attempts, 1);
      await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
      await runCommand(page, 'waves.approvePackage', 'Waves: Approve Package', { opensQuickInput: true });
      await pickQuickItem(page, 'wp-docs');
      await waitForStatus(page, /Run succeeded · 2\/2 succeeded/, { timeoutMs: 60_000 });
      fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
    },
  },
];
