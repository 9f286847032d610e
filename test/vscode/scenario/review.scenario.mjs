// The review loop as a person does it, from the palette and the keyboard, on the
// installed .vsix: with the review gate on, Run Plan; wp-api waits for review (the status bar
// says so) and wp-docs does not start; Waves: Show Changes opens its diff at its commit; two
// comments on its lines (Waves: Comment on the Selected Lines…, typed, Enter);
// Waves: Request Changes; the scripted agent receives exactly those comments (it records the
// prompt's follow-up) and changes the file; Show Changes again shows the change and the two
// threads on the new commit; resolve; Waves: Approve Package; wp-docs runs only then.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addComment, pickQuickItem, putCursorOn, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FEATURE = 'review-demo';

export const workspace = 'review';
export const settings = {
  'waves.agent': [process.execPath, path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs'), '--prompt', '${promptFile}'],
  'waves.review.gate': 'before-merge',
  'waves.run.confirm': false,
};
/** The scripted agent records its prompt's follow-up beside the worktrees, outside walls (a machine-scoped setting). */
export const machineSettings = { 'waves.sandbox.unconfined': true };

const stateOf = (ws) => runStateOf(ws, FEATURE);
/** What the scripted agent recorded of its `n`th attempt's prompt (1-based): the follow-up section, or `none`. */
const recordOf = (ws, n) => {
  const file = path.join(`${ws}.worktrees`, FEATURE, 'review-record.txt');
  return (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split('-- end\n')[n - 1] ?? '';
};

/** Run Plan from the palette until wp-api awaits review (the status bar and the run state say so) and wp-docs has not started; the run state. */
export async function runToReview({ page, workspace: ws }) {
  await waitForWorkbench(page);
  await waitForStatus(page, /2 waves · 2 packages/, { timeoutMs: 30_000 });
  await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
  await waitForStatus(page, /1 awaiting your review/, { timeoutMs: 60_000 });
  const s = await waitUntil(() => (stateOf(ws)?.packages['wp-api'].status === 'awaiting-review' ? stateOf(ws) : null), 'the run state saying so');
  assert.equal(s.packages['wp-docs'].attempts, 0, 'its dependent waits for the review');
  return s;
}

export const tests = [
  {
    name: 'Run Plan with the review gate: wp-api awaits review, wp-docs waits',
    timeoutMs: 90_000,
    run: runToReview,
  },
  {
    name: 'Show Changes, two comments, Request Changes: the agent receives exactly those comments and changes the file',
    timeoutMs: 120_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await runCommand(page, 'waves.showChanges', 'Waves: Show Changes', { opensQuickInput: true });
      await pickQuickItem(page, 'wp-api');
      await putCursorOn(page, 'maxsize');
      await addComment(page, 'Name constants in upper case: MAX_SIZE.');
      await putCursorOn(page, 'timeoutMs');
      await addComment(page, 'Say why 500 ms is enough.');
      // The thread is saved as the command ends: wait for the store to hold both, as a reader of the file would.
      const reviewFile = path.join(ws, '.waves', 'runs', FEATURE, 'review.json');
      const stored = await waitUntil(() => {
        const threads = fs.existsSync(reviewFile) ? JSON.parse(fs.readFileSync(reviewFile, 'utf8')).threads : [];
        return threads.length >= 2 ? threads : null;
      }, 'both threads in review.json', { timeoutMs: 30_000 });
      assert.deepEqual(stored.map((t) => [t.file, t.startLine, t.comments[0].body]), [
        ['api/limits.ts', 2, 'Name constants in upper case: MAX_SIZE.'],
        ['api/limits.ts', 3, 'Say why 500 ms is enough.'],
      ]);
      // Both threads on the diff, each with its header (lines, Resolve).
      for (const t of stored) await page.locator('.review-widget', { hasText: t.comments[0].body }).filter({ hasText: `line ${t.startLine}` }).first().waitFor({ timeout: 20_000 });
      await screenshot('review');
      await putCursorOn(page, 'maxsize');
      await runCommand(page, 'waves.requestChanges', 'Waves: Request Changes');
      assert.equal(recordOf(ws, 1), 'none\n', 'the first attempt had no follow-up');
      const followUp = await waitUntil(() => recordOf(ws, 2), 'the revision recorded its prompt', { timeoutMs: 60_000 });
      const sent = [...followUp.matchAll(/^#### `([^`]+)`:/gm)].map((m) => m[1]);
      assert.deepEqual(sent.sort(), stored.map((t) => t.id).sort(), 'exactly the two threads');
      for (const words of ['Name constants in upper case: MAX_SIZE.', 'Say why 500 ms is enough.', 'export const maxsize = 4096;']) assert.ok(followUp.includes(words), `the prompt carries ${words}`);
      await waitUntil(() => stateOf(ws)?.packages['wp-api'].attempts === 2 && stateOf(ws).packages['wp-api'].status === 'awaiting-review', 'the revision awaiting review', { timeoutMs: 60_000 });
      assert.equal(stateOf(ws).packages['wp-api'].revisions, 1);
    },
  },
  {
    name: 'the new diff shows the change and the threads; resolve; Approve: wp-docs runs only then',
    timeoutMs: 180_000,
    run: async ({ page, workspace: ws, screenshot }) => {
      await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
      await runCommand(page, 'waves.showChanges', 'Waves: Show Changes', { opensQuickInput: true });
      await pickQuickItem(page, 'wp-api');
      await page.locator('.multiDiffEditor .editor.modified .view-line', { hasText: 'MAX_SIZE' }).first().waitFor({ timeout: 20_000 });
      // The threads on the new commit, drawn with their header: line 2 moved to line 3, its line rewritten.
      await page.locator('.review-widget', { hasText: 'sent with attempt 2' }).first().waitFor({ timeout: 20_000 });
      await page.locator('.review-widget', { hasText: 'Say why 500 ms is enough.' }).first().waitFor({ timeout: 20_000 });
      const moved = JSON.parse(fs.readFileSync(path.join(ws, '.waves', 'runs', FEATURE, 'review.json'), 'utf8')).threads;
      assert.deepEqual(moved.map((t) => [t.startLine, t.sentIn, t.anchorCommit]), [[3, 2, stateOf(ws).packages['wp-api'].headSha], [4, 2, stateOf(ws).packages['wp-api'].headSha]]);
      assert.equal(moved[0].addressed, true);
      await screenshot('review-revised');
      await page.locator('.review-widget .action-label[aria-label="Resolve"]').first().click();
      await waitUntil(() => JSON.parse(fs.readFileSync(path.join(ws, '.waves', 'runs', FEATURE, 'review.json'), 'utf8')).threads.some((t) => t.status === 'resolved'), 'a thread resolved');
      assert.equal(stateOf(ws).packages['wp-docs'].attempts, 0, 'wp-docs still waits');
      // The diff on screen names the package: Approve acts on it.
      await runCommand(page, 'waves.approvePackage', 'Waves: Approve Package');
      await waitUntil(() => stateOf(ws)?.packages['wp-docs'].status === 'awaiting-review', 'wp-docs ran after the approval', { timeoutMs: 60_000 });
      // No diff on screen: the packages awaiting review are offered.
      await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
      await runCommand(page, 'waves.approvePackage', 'Waves: Approve Package', { opensQuickInput: true });
      await pickQuickItem(page, 'wp-docs');
      await waitForStatus(page, /Run succeeded · 2\/2 succeeded/, { timeoutMs: 60_000 });
      fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
    },
  },
];
