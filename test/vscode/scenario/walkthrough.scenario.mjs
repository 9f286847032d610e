// The Getting Started walkthrough opens on first install, each step completes from
// the real action, and its pictures are the ones shipped. A fresh code-server as a person gets
// it (the Welcome page at start, walkthroughs open on install) with the extension NOT installed
// beforehand: VS Code opens an extension's walkthrough when it is installed in a running
// window (the install event), not for one installed from the command line before the start —
// and only once the Welcome page's service is alive, so `workbench.startupEditor: welcomePage`
// (VS Code's default; the tests' default is 'none') is part of a first install. The .vsix is
// installed as a person installs one: the Extensions view, its `...` menu, `Install from VSIX...`
// and the file dialog, path typed. Where the keyboard focus is matters: VS Code 1.139 opens the
// walkthrough with `inactive: layoutService.hasFocus(Parts.EDITOR_PART)` (WalkthroughsService.
// registerExtensionWalkthroughContributions), and an `inactive` open of the editor already active
// in its group (the Welcome page) is not shown at all (EditorGroupView.doOpenEditor: `active:
// this.count === 0 || !options.inactive`; doShowEditor only shows when active). So with the focus
// in the Welcome page the walkthrough is registered ("New" on the Welcome page) but not brought
// up; from the Extensions view, where the install happens, it opens.
// Workspace 'empty': no plan yet, so the first step is not done before its action.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  pickQuickItem, runCommand, runStateOf, waitForStatus, waitForWorkbench, waitUntil,
} from './helpers.mjs';

export const workspace = 'empty';
export const install = 'in-workbench';
export const settings = {
  'workbench.welcomePage.walkthroughs.openOnInstall': true,
  'workbench.startupEditor': 'welcomePage',
};

const WALKTHROUGH_ID = 'gettingStarted';

/** The walkthrough of the manifest, and the ids the Getting Started page gives it and its steps. */
function walkthroughOf({ manifest, extensionId }) {
  const w = manifest.contributes.walkthroughs.find((x) => x.id === WALKTHROUGH_ID);
  assert.ok(w, `package.json contributes the walkthrough ${WALKTHROUGH_ID}`);
  const category = `${extensionId}#${w.id}`;
  return { ...w, category, stepId: (id) => `${category}#${id}` };
}

/** The Getting Started page showing this walkthrough (its title heading, visible). */
function walkthroughTitle(page, w) {
  return page.locator(`.gettingStartedContainer h2.category-title[x-category-title-for="${w.category}"]`);
}

/**
 * Brings the walkthrough back to the front as a person does: its `Welcome` tab if still open,
 * else `Welcome: Open Walkthrough...` and its entry.
 */
async function showWalkthrough(page, w) {
  const title = walkthroughTitle(page, w);
  if (await title.isVisible()) return;
  const tab = page.locator('.editor-group-container .tab', { hasText: /^Welcome/ }).first();
  if (await tab.count()) {
    await tab.click();
    if (await title.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
  }
  // the tab is gone, or shows the Welcome page's start instead
  await runCommand(page, 'welcome.showAllWalkthroughs', 'Welcome: Open Walkthrough...', { opensQuickInput: true });
  await pickQuickItem(page, w.title);
  await title.waitFor({ timeout: 20_000 });
}

/**
 * Closes the Getting Started editor (its tab's close button, a click: no palette needed) and
 * waits until no Getting Started page is shown. The page moves the keyboard focus by itself after
 * a step is selected (GettingStartedPage.selectStep: `setTimeout(() => step.focus(), 250)`), which
 * closes a command palette opened meanwhile; a closed page's pending focus lands nowhere. The
 * step's real action then runs from a palette nothing takes the focus from.
 */
async function leaveWalkthrough(page) {
  const tabs = page.locator('.editor-group-container .tab', { hasText: /^Welcome/ });
  const shown = page.locator('.gettingStartedContainer:visible');
  await waitUntil(async () => {
    if ((await tabs.count()) === 0 && (await shown.count()) === 0) return true;
    const tab = tabs.first();
    if (await tab.count()) {
      await tab.hover();
      await tab.locator('.tab-actions .action-label').first().click({ timeout: 3_000 });
    }
    return false;
  }, 'the Getting Started editor closed', { timeoutMs: 20_000, intervalMs: 250 });
}

/** Step id -> done, as the Getting Started page shows it (the step's checkbox). */
async function stepStates(page, w) {
  await showWalkthrough(page, w);
  const boxes = page.locator(`.gettingStartedContainer .getting-started-step [data-done-step-id^="${w.category}#"]`);
  const states = await boxes.evaluateAll((els) => els.map((el) => ({
    id: el.getAttribute('data-done-step-id'),
    checked: el.getAttribute('aria-checked') === 'true',
    complete: el.classList.contains('complete'),
  })));
  const out = {};
  for (const s of states) {
    assert.equal(s.checked, s.complete, `${s.id}: aria-checked and the complete class disagree`);
    out[s.id.slice(w.category.length + 1)] = s.checked;
  }
  return out;
}

/** Asserts exactly the steps in `done` are shown done (waits for the page to catch up). */
async function expectDone(page, w, done) {
  const want = Object.fromEntries(w.steps.map((s) => [s.id, done.includes(s.id)]));
  let shown = {};
  try {
    await waitUntil(async () => {
      shown = await stepStates(page, w);
      return JSON.stringify(shown) === JSON.stringify(want);
    }, `steps done: ${done.join(', ') || 'none'}`, { timeoutMs: 20_000, intervalMs: 250 });
  } catch (e) {
    throw new Error(`${e.message}\n  expected: ${JSON.stringify(want)}\n  shown:    ${JSON.stringify(shown)}`);
  }
}

/** In the simple file dialog (a quick input), types a full path and accepts it. */
async function typePathInFileDialog(page, file) {
  const input = page.locator('.quick-input-widget input.input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first();
  // The dialog fills in its start folder after it shows: typing before that is overwritten, so
  // type until the path stays and its file is listed, then accept; the dialog closes on it.
  await waitUntil(async () => {
    if ((await input.inputValue()) !== file) await input.fill(file);
    await row.waitFor({ timeout: 3_000 });
    if ((await input.inputValue()) !== file) return false;
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 3_000 });
    return true;
  }, `the file dialog to take ${file}`, { timeoutMs: 45_000 });
}

const done = []; // steps done so far, in this file's order
/** The demo's window and folder, from step "demo" to step "finish". */
let demoWindow;

export const tests = [
  {
    name: 'a fresh workbench shows the Welcome page, without the extension',
    run: async ({ page, installed, cs }) => {
      await waitForWorkbench(page);
      assert.deepEqual(installed, [], 'nothing installed before the start');
      assert.deepEqual(fs.readdirSync(cs.extensionsDir).filter((d) => d.startsWith('wave-orchestrator.')), []);
      // the Welcome page, done drawing: its list of walkthroughs shown
      await page.locator('.gettingStartedContainer button.getting-started-category').first().waitFor({ timeout: 30_000 });
    },
  },
  {
    name: 'Install from VSIX... in the Extensions view (path typed in the file dialog) installs it and opens its walkthrough',
    timeoutMs: 240_000,
    run: async (ctx) => {
      const { page, vsix, manifest, screenshot } = ctx;
      const w = walkthroughOf(ctx);
      assert.equal(await walkthroughTitle(page, w).count(), 0, 'the walkthrough is not showing before the install');
      await page.locator('.activitybar .action-item a[aria-label^="Extensions"]').first().click();
      const sidebar = page.locator('.part.sidebar');
      await sidebar.locator('.extensions-viewlet').waitFor({ timeout: 30_000 });
      await sidebar.locator('.title-actions .action-label.codicon-toolbar-more, .title-actions .action-label.codicon-more').first().click();
      await page.locator('.monaco-menu .action-item', { hasText: /^Install from VSIX/ }).first().click();
      await page.locator('.quick-input-widget:not(.quick-input-widget-closing)').waitFor({ timeout: 10_000 });
      await screenshot('install-dialog');
      await typePathInFileDialog(page, vsix);
      // the focus is back where the install was asked for, not in the editor area (see the top),
      // unless the walkthrough is already up (a quick install): opening it focuses the editor
      const after = await page.evaluate((category) => ({
        part: document.activeElement?.closest('.part')?.id,
        walkthrough: [...document.querySelectorAll('.gettingStartedContainer h2.category-title')]
          .some((h) => h.getAttribute('x-category-title-for') === category && h.offsetParent !== null),
      }), w.category);
      assert.ok(after.part === 'workbench.parts.sidebar' || after.walkthrough, `the focus after the dialog: ${JSON.stringify(after)}`);
      // opened by VS Code itself on the install event: nothing else asked for it
      await walkthroughTitle(page, w).waitFor({ timeout: 120_000 });
      assert.equal(((await walkthroughTitle(page, w).textContent()) ?? '').trim(), w.title);
      assert.equal(((await page.locator('.editor-group-container.active .tab.active').textContent()) ?? '').trim(), 'Welcome', 'the active tab');
      const titles = await page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id^="${w.category}#"] .step-title`)
        .allTextContents();
      assert.deepEqual(titles.map((t) => t.trim()), w.steps.map((s) => s.title), 'its steps, in order');
      await waitUntil(() => fs.readdirSync(ctx.cs.extensionsDir).some((d) => d === `${ctx.extensionId}-${manifest.version}`),
        'the extension in the extensions folder');
      await screenshot('opened-on-install');
      await expectDone(page, w, []);
    },
  },
  {
    name: 'its pictures are the shipped files, and the page shows each loaded',
    timeoutMs: 180_000,
    run: async (ctx) => {
      const { page, repo, cs, extensionId, manifest } = ctx;
      const w = walkthroughOf(ctx);
      const shipped = fs.readdirSync(path.join(repo, 'media', 'walkthrough')).sort();
      const named = w.steps.map((s) => s.media?.image);
      assert.ok(named.every((f) => typeof f === 'string' && f.startsWith('media/walkthrough/')), `every step has a picture in media/walkthrough: ${JSON.stringify(named)}`);
      assert.deepEqual([...named].map((f) => path.basename(f)).sort(), shipped, 'every picture is used, and no stale one lies beside them');
      const installedDir = path.join(cs.extensionsDir, `${extensionId}-${manifest.version}`);
      for (const f of named) {
        const bytes = fs.readFileSync(path.join(installedDir, f));
        assert.ok(bytes.subarray(1, 4).toString() === 'PNG', `${f}: a PNG in the installed extension`);
        assert.ok(bytes.equals(fs.readFileSync(path.join(repo, f))), `${f}: the installed copy is the repository's`);
      }
      await showWalkthrough(page, w);
      for (const s of w.steps) {
        // a person selects the step: its picture shows beside the list. (The page focuses the
        // step again 250 ms later, GettingStartedPage.selectStep's `setTimeout(() => focus())`,
        // which closes a command palette opened meanwhile: the step tests leave the page first.)
        await page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id="${w.stepId(s.id)}"]`).click();
        const file = path.basename(s.media.image);
        const img = await waitUntil(async () => {
          const imgs = await page.locator('.gettingStartedContainer .getting-started-media img').evaluateAll((els) =>
            els.map((el) => ({ src: el.currentSrc || el.src, alt: el.alt, complete: el.complete, width: el.naturalWidth, visible: el.offsetParent !== null })));
          return imgs.find((i) => i.visible && i.complete && i.width > 0 && decodeURIComponent(i.src).includes(`media/walkthrough/${file}`));
        }, `the picture ${file} loaded for step ${s.id}`, { timeoutMs: 30_000, intervalMs: 250 });
        assert.equal(img.alt, s.media.altText);
      }
      await ctx.screenshot('pictures');
    },
  },
  {
    name: 'step "plan" completes from Waves: Create Plan from Template, and only then',
    timeoutMs: 180_000,
    run: async (ctx) => {
      const { page, workspace: ws } = ctx;
      const w = walkthroughOf(ctx);
      await expectDone(page, w, done);
      await leaveWalkthrough(page);
      await runCommand(page, 'waves.createPlan', 'Waves: Create Plan from Template', { opensQuickInput: true });
      await page.keyboard.press('Enter'); // the default feature id
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
      await waitUntil(() => fs.existsSync(path.join(ws, 'work-packages.yaml')), 'work-packages.yaml on disk');
      await waitForStatus(page, '3 waves · 4 packages', { timeoutMs: 60_000 });
      done.push('plan');
      await expectDone(page, w, done);
    },
  },
  {
    name: 'step "problems" completes from Waves: Show DAG, and only then',
    timeoutMs: 180_000,
    run: async (ctx) => {
      const { page } = ctx;
      const w = walkthroughOf(ctx);
      await expectDone(page, w, done);
      await leaveWalkthrough(page);
      await runCommand(page, 'waves.showDag', 'Waves: Show DAG');
      await page.locator('.editor-group-container .tab', { hasText: /DAG/ }).first().waitFor({ timeout: 30_000 });
      done.push('problems');
      await expectDone(page, w, done);
    },
  },
  {
    name: 'step "agent" completes from Waves: Select Coding Agent with an agent picked, and only then',
    timeoutMs: 180_000,
    run: async (ctx) => {
      const { page, workspace: ws } = ctx;
      const w = walkthroughOf(ctx);
      await expectDone(page, w, done);
      await leaveWalkthrough(page);
      await runCommand(page, 'waves.selectAgent', 'Waves: Select Coding Agent', { opensQuickInput: true });
      await pickQuickItem(page, 'Codex CLI (headless)');
      const settingsFile = path.join(ws, '.vscode', 'settings.json');
      await waitUntil(() => fs.existsSync(settingsFile) && /"waves\.agent"\s*:\s*"codex"/.test(fs.readFileSync(settingsFile, 'utf8')),
        `waves.agent set to codex in ${settingsFile}`);
      done.push('agent');
      await expectDone(page, w, done);
    },
  },
  {
    name: 'step "approve" completes from Waves: Approve Verification Commands… answered Approve, and only then',
    timeoutMs: 180_000,
    run: async (ctx) => {
      const { page, screenshot } = ctx;
      const w = walkthroughOf(ctx);
      await expectDone(page, w, done);
      // The walkthrough stays shown, to read the step while the question is open; the page may
      // still move the focus just after it was brought up (see leaveWalkthrough), closing the
      // palette before its entry runs. The command has run once its question shows: only
      // until then is the palette opened again.
      const dialog = page.locator('.monaco-dialog-box');
      await waitUntil(async () => {
        if (await dialog.isVisible()) return true;
        await runCommand(page, 'waves.approveVerification', 'Waves: Approve Verification Commands…');
        return dialog.waitFor({ timeout: 5_000 }).then(() => true, () => false);
      }, 'the question of Waves: Approve Verification Commands…', { timeoutMs: 60_000, intervalMs: 250 });
      assert.match((await dialog.textContent()) ?? '', /npm test/, 'the exact commands are shown');
      await screenshot('approve-question');
      assert.equal((await stepStates(page, w)).approve, false, 'not done while the question is open');
      await dialog.locator('.monaco-button', { hasText: /^Approve$/ }).first().click();
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      done.push('approve');
      await expectDone(page, w, done);
    },
  },
  {
    name: 'step "demo" completes from Waves: Try the Demo Plan (Offline)… into a temporary folder, which opens in a new window',
    timeoutMs: 240_000,
    run: async (ctx) => {
      const { page, screenshot } = ctx;
      const w = walkthroughOf(ctx);
      await expectDone(page, w, done);
      await leaveWalkthrough(page);
      await runCommand(page, 'waves.tryDemo', 'Waves: Try the Demo Plan (Offline)…', { opensQuickInput: true });
      const popup = page.context().waitForEvent('page', { timeout: 120_000 });
      await pickQuickItem(page, 'A Temporary Folder'); // `$(clock) A Temporary Folder`: the codicon renders as an icon
      const demo = await popup;
      try {
        await demo.waitForURL(/folder=[^&]*acme-notes/, { timeout: 60_000 });
        const folder = decodeURIComponent(/folder=([^&]*)/.exec(demo.url())[1]);
        assert.ok(fs.existsSync(path.join(folder, 'work-packages.yaml')), `the demo plan in ${folder}`);
        assert.ok(fs.existsSync(path.join(folder, '.git')), `${folder} is a git repository`);
        await waitForWorkbench(demo);
        await waitForStatus(demo, /4 waves · 6 packages/, { timeoutMs: 60_000 });
        demoWindow = { page: demo, folder };
      } catch (e) {
        await demo.close();
        throw e;
      }
      await page.bringToFront();
      done.push('demo');
      await expectDone(page, w, done);
      await screenshot('steps-done');
    },
  },
  {
    name: 'step "finish" completes from Waves: Finish Run after the demo ran in its window (answered Fast-Forward), and only then',
    timeoutMs: 300_000,
    run: async (ctx) => {
      assert.ok(demoWindow, 'the demo window of the step before');
      const { page: demo, folder } = demoWindow;
      const w = walkthroughOf(ctx);
      try {
        await demo.bringToFront();
        // The same person's walkthrough in the demo's window: everything before done, not "finish".
        await expectDone(demo, w, done);
        await leaveWalkthrough(demo);
        // Run Plan as a person does it on the demo: its questions answered (the forecast's Run,
        // then the approval of the demo's verification commands), until the run has started.
        await runCommand(demo, 'waves.runPlan', 'Waves: Run Plan');
        const dialog = demo.locator('.monaco-dialog-box');
        const runFile = () => fs.existsSync(path.join(folder, '.waves', 'runs')) && fs.readdirSync(path.join(folder, '.waves', 'runs')).some((f) => f.endsWith('.json'));
        await waitUntil(async () => {
          if (await dialog.isVisible()) {
            await dialog.locator('.monaco-button', { hasText: /^(Run|Approve and Run)$/ }).first().click();
            await dialog.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
          }
          return runFile() && !(await dialog.isVisible());
        }, 'the demo run started', { timeoutMs: 60_000, intervalMs: 250 });
        await waitForStatus(demo, /Run succeeded · 6\/6 succeeded/, { timeoutMs: 180_000 });
        assert.equal((await stepStates(demo, w)).finish, false, 'not done by the run itself');
        await leaveWalkthrough(demo);
        await runCommand(demo, 'waves.finishRun', 'Waves: Finish Run (Fast-Forward to the Integration Branch)');
        await dialog.waitFor({ timeout: 30_000 });
        assert.match((await dialog.textContent()) ?? '', /Fast-forward main to/);
        await dialog.locator('.monaco-button', { hasText: /^Fast-Forward$/ }).first().click();
        await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
        // main is fast-forwarded to the run's integration branch: it holds the six packages' work
        const head = () => execFileSync('git', ['-C', folder, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
        const feature = fs.readdirSync(path.join(folder, '.waves', 'runs')).find((f) => f.endsWith('.json')).replace(/\.json$/, '');
        const integration = runStateOf(folder, feature)?.integration?.branch;
        assert.ok(integration, `the run's integration branch in the run state of ${feature}`);
        await waitUntil(() => head() === execFileSync('git', ['-C', folder, 'rev-parse', integration], { encoding: 'utf8' }).trim(),
          `main fast-forwarded to ${integration}`);
        done.push('finish');
        await expectDone(demo, w, done);
        await demo.screenshot({ path: path.join(ctx.repo, 'test-results', 'scenario-walkthrough-finish-done.png') });
      } finally {
        await demo.close();
        demoWindow = undefined;
      }
    },
  },
];
