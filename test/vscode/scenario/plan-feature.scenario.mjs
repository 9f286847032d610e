// As a person does it in a real browser: `Waves: Plan a Feature…` from the palette
// with a feature description (here the path of a file that describes it, whose `test-agent:`
// line scripts the stand-in agent: a plan whose two parallel packages overlap, repaired from the
// repair prompt), then the proposal in the DAG panel: its approval bar says valid and waiting,
// Run Plan is disabled; Request Changes… sends the person's comments for a revise round (a
// package added); a click on Approve enables Run Plan.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, waitForWorkbench, waitUntil, webviewFrame } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const AGENT = path.join(REPO, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');

export const workspace = 'basic';
export const settings = { 'waves.agent': [process.execPath, AGENT, '--prompt', '${promptFile}'] };

export const tests = [
  {
    name: 'Plan a Feature: the command → the proposal in the DAG with its approval bar → Request Changes… → Approve → Run Plan enabled',
    run: async ({ page, workspace: ws, screenshot }) => {
      await waitForWorkbench(page);
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws, encoding: 'utf8' });
      const description = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-feature-')), 'feature.md');
      fs.writeFileSync(description, 'Users page\n\ntest-agent: plan overlap\n');
      await runCommand(page, 'waves.planFeature', 'Waves: Plan a Feature…', { opensQuickInput: true });
      assert.match((await page.locator('.quick-input-widget').textContent()) ?? '', /Describe the feature/);
      await page.keyboard.type(description);
      await page.keyboard.press('Enter');

      const frame = webviewFrame(page);
      const bar = frame.locator('.proposal-bar', { hasText: 'waiting for your approval' });
      await bar.waitFor({ timeout: 60_000 });
      assert.match((await bar.textContent()) ?? '', /Proposed plan users-page \(plans\/users-page\/, 2 rounds\)/);
      await waitUntil(async () => (await page.locator('.tab', { hasText: 'proposal.md' }).count()) > 0, 'proposal.md open beside the DAG');
      const runPlan = frame.locator('[data-proposal-action="runPlan"]');
      assert.equal(await runPlan.isDisabled(), true, 'Run Plan is disabled before approval');
      assert.match((await runPlan.getAttribute('title')) ?? '', /approve the plan first/);
      // the DAG: three waves, the overlap repaired (no conflict edge)
      await frame.locator('.react-flow__node', { hasText: 'wp-integration' }).first().waitFor({ timeout: 10_000 });
      assert.equal(((await frame.locator('.summary-text').first().textContent()) ?? '').trim(), '3 waves · 4 packages', 'no conflict left');
      await screenshot('proposal');

      // Request Changes…: the comments go back to the agent for another round (a revise round).
      await frame.locator('[data-proposal-action="requestChanges"]').click();
      await page.locator('.quick-input-widget:not(.quick-input-widget-closing)').waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await page.locator('.quick-input-widget').textContent()) ?? '', /What should the planning agent change\?/);
      await page.keyboard.type('Please add package wp-admin for the admin screens');
      await page.keyboard.press('Enter');
      await frame.locator('.proposal-bar', { hasText: '3 rounds' }).filter({ hasText: 'waiting for your approval' }).waitFor({ timeout: 60_000 });
      await frame.locator('.react-flow__node', { hasText: 'wp-admin' }).first().waitFor({ timeout: 15_000 });
      assert.equal(((await frame.locator('.summary-text').first().textContent()) ?? '').trim(), '3 waves · 5 packages');

      await frame.locator('[data-proposal-action="approve"]').click();
      await frame.locator('.proposal-bar', { hasText: ': approved' }).waitFor({ timeout: 15_000 });
      await waitUntil(async () => !(await runPlan.isDisabled()), 'Run Plan enabled after Approve');
      assert.equal(await frame.locator('[data-proposal-action="approve"]').isDisabled(), true);
      await screenshot('approved');
      // The person's branch and files: untouched.
      assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws, encoding: 'utf8' }), head);
      assert.equal(fs.existsSync(path.join(ws, 'plans')), false);
      const state = JSON.parse(fs.readFileSync(path.join(ws, '.waves', 'plans', 'users-page', 'state.json'), 'utf8'));
      assert.equal(state.status, 'approved');
      fs.rmSync(`${ws}.worktrees`, { recursive: true, force: true });
    },
  },
];
