// Helpers for UI scenarios: drive the code-server workbench in Chromium as a person would.
// Scenario files (test/vscode/scenario/*.scenario.mjs) get a Playwright `page` already showing
// the workspace with the packaged extension installed; see scripts/test-vscode.mjs.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';

/** Waits until the workbench is usable: DOM present and the Explorer lists the workspace files
 * (that needs the remote file system, so the server connection is up). */
export async function waitForWorkbench(page, { timeoutMs = 60_000 } = {}) {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: timeoutMs });
}

/** Opens the command palette (F1) and returns its input. */
export async function openPalette(page, { timeoutMs = 15_000 } = {}) {
  // A quick input on its way out (inert, `-closing`) still shows but takes no typing, then hides:
  // it is waited out and the palette opened anew (typing into it timed out, the palette never open).
  await page.locator('.quick-input-widget.quick-input-widget-closing, .quick-input-widget[inert]').waitFor({ state: 'hidden', timeout: timeoutMs });
  const input = page.locator('.quick-input-widget:not(.quick-input-widget-closing):not([inert]) input.input');
  if (!(await input.isVisible())) await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  return input;
}

export async function closeQuickInput(page) {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) {
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  }
}

/** The palette entry for a command id (shown once its extension's contributions are registered). */
export function paletteEntry(page, id) {
  return page.locator(`.quick-input-list .quick-input-list-entry[data-quick-input-id="${id}"]`).first();
}

/**
 * Finds a command in the palette by typing its title, retrying while commands register (they
 * show up a few seconds after the Explorer). Leaves the palette open with the entry listed.
 */
export async function findInPalette(page, id, title, { attempts = 10, perAttemptMs = 3_000 } = {}) {
  const entry = paletteEntry(page, id);
  for (let attempt = 1; ; attempt++) {
    try {
      const input = await openPalette(page);
      // The palette can close between its opening and the typing (a view or an editor taking the
      // focus, as a tree row's opening does a moment later): the typing is bounded and tried again.
      await input.fill(`>${title}`, { timeout: perAttemptMs });
      await entry.waitFor({ timeout: perAttemptMs });
      return entry;
    } catch (e) {
      if (attempt >= attempts) {
        const shown = await page.locator('.quick-input-list .quick-input-list-entry').evaluateAll(
          (els) => els.slice(0, 10).map((el) => el.getAttribute('data-quick-input-id') ?? el.textContent),
        ).catch(() => []);
        throw new Error(`command ${id} ("${title}") not in the palette after ${attempts} tries; listed: ${JSON.stringify(shown)}`);
      }
      await closeQuickInput(page); // reopening re-reads the registered commands
    }
  }
}

/** Runs a command through the palette as a person would: F1, type the title, move the
 * selection to the entry with that command id (arrow keys), Enter. With
 * `opensQuickInput: true` (a command that asks with a quick pick or an input box), it
 * returns once the palette has made way for the command's own quick input. */
export async function runCommand(page, id, title, opts = {}) {
  const entry = await findInPalette(page, id, title, opts);
  const row = entry.locator('xpath=ancestor-or-self::div[contains(concat(" ", @class, " "), " monaco-list-row ")][1]');
  for (let i = 0; i < 20; i++) {
    const cls = (await row.getAttribute('class').catch(() => '')) ?? '';
    if (/\bfocused\b/.test(cls)) break;
    await page.keyboard.press('ArrowDown');
  }
  const cls = (await row.getAttribute('class').catch(() => '')) ?? '';
  if (!/\bfocused\b/.test(cls)) throw new Error(`could not select palette entry ${id}`);
  await page.keyboard.press('Enter');
  if (opts.opensQuickInput) {
    await entry.waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator('.quick-input-widget:not(.quick-input-widget-closing)').waitFor({ state: 'visible', timeout: 10_000 });
    return;
  }
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Developer: Reload Window from the palette; returns once the new window's workbench is there.
 * The navigation is watched from before the palette opens (a reload can be quick) and waited
 * for from the Enter on (a window with a running terminal takes a while to let go of it). */
export async function reloadWindow(page, { timeoutMs = 90_000 } = {}) {
  let navigated = false;
  const onNavigated = (frame) => { if (frame === page.mainFrame()) navigated = true; };
  page.on('framenavigated', onNavigated);
  try {
    await runCommand(page, 'workbench.action.reloadWindow', 'Developer: Reload Window');
    await waitUntil(() => navigated, 'the window to reload', { timeoutMs });
  } finally {
    page.off('framenavigated', onNavigated);
  }
  await page.waitForLoadState('domcontentloaded');
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
}

/** The content frame of the active webview (two iframes deep). */
export function webviewFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Texts of the notifications currently shown (toasts and the notification center). */
export async function notificationTexts(page) {
  return page.locator('.notification-list-item-message').allTextContents();
}

/** A notification with `text`: its toast, or (a toast can go straight to the centre) the notification centre's row. */
export async function notification(page, text) {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  if (!(await toast.isVisible().catch(() => false))) {
    await waitUntil(async () => (await page.locator('.notification-toast', { hasText: text }).count()) > 0 || (await page.locator('.statusbar-item[id="status.notifications"]').count()) > 0, 'the notifications item');
    if (!(await toast.isVisible().catch(() => false))) await page.locator('.statusbar-item[id="status.notifications"]').first().click();
  }
  const item = page.locator('.notifications-list-container .monaco-list-row, .notification-toast', { hasText: text }).first();
  await item.waitFor({ timeout: 15_000 });
  return item;
}

/** Waits for cond() (sync or async) to be truthy, polling; throws with `what` on timeout. */
export async function waitUntil(cond, what, { timeoutMs = 15_000, intervalMs = 100 } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message ?? last})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------- Wave Orchestrator's own UI

/** The extension's status-bar item (id `<publisher>.<name>.waves.status`). */
export function wavesStatus(page) {
  return page.locator('.statusbar-item[id$=".waves.status"]');
}

/** Its visible text, e.g. `2 waves · 3 packages · 1 problem` ('' while hidden or absent). */
export async function wavesStatusText(page) {
  const item = wavesStatus(page);
  if ((await item.count()) === 0 || !(await item.first().isVisible())) return '';
  return ((await item.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Waits until the status-bar text matches `expected` (a string: equal; a RegExp: matches). */
export async function waitForStatus(page, expected, { timeoutMs = 20_000 } = {}) {
  const ok = (t) => (expected instanceof RegExp ? expected.test(t) : t === expected);
  let last = '';
  try {
    await waitUntil(async () => ok((last = await wavesStatusText(page))), `the Waves status bar to read ${expected}`, { timeoutMs });
  } catch (e) {
    throw new Error(`${e.message}; it reads "${last}"`);
  }
  return last;
}

/** The run state of `featureId` in the workspace `ws` as it is on disk (`.waves/runs/<feature>.json`); null while there is none. */
export function runStateOf(ws, featureId) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ws, '.waves', 'runs', `${featureId}.json`), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Run Plan from the palette once the status bar names the plan (`summary`), as a person starts
 * it; waits for `last` of feature `featureId` to succeed and asserts that every package did and
 * that the run holds exactly `ids`. Returns the run state.
 */
export async function runPlanToSuccess(page, ws, { summary, featureId, last, ids }) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await waitForStatus(page, summary, { timeoutMs: 60_000 });
  await runCommand(page, 'waves.runPlan', 'Waves: Run Plan');
  const done = await waitUntil(() => (runStateOf(ws, featureId)?.packages[last]?.status === 'succeeded' ? runStateOf(ws, featureId) : null), 'the run to end', { timeoutMs: 90_000 });
  assert.deepEqual(Object.keys(done.packages).sort(), [...ids].sort());
  assert.ok(Object.values(done.packages).every((p) => p.status === 'succeeded'), JSON.stringify(Object.values(done.packages).map((p) => [p.packageId, p.status, p.lastError])));
  return done;
}

/** Opens the Waves side bar (activity bar icon) unless it is already showing. */
export async function openWavesView(page, { title = 'Waves' } = {}) {
  const sidebarTitle = page.locator('.sidebar .composite.title');
  const showing = async () => (await page.locator('.sidebar').isVisible()) && new RegExp(title).test((await sidebarTitle.textContent().catch(() => '')) ?? '');
  if (await showing()) return;
  const icon = page.locator(`.activitybar .action-item a.action-label[aria-label^="${title}"]`).first();
  await icon.waitFor({ timeout: 15_000 });
  await icon.click();
  await waitUntil(showing, `the ${title} side bar`);
}

/**
 * The rows of the Waves tree as the DOM shows them: `{ level, label, description, icon }`,
 * icon being the codicon name (`layers`, `package`, `error`…). Only rendered rows, and only
 * those of the `waves.plan` view's own tree (VS Code labels a view's tree with the view's
 * name), not of the Ownership view below it.
 */
export async function wavesTreeRows(page, { view = 'Waves' } = {}) {
  return page.locator(`.sidebar .pane-body .monaco-list[aria-label="${view}"] .monaco-list-row[role="treeitem"]`).evaluateAll((rows) =>
    rows
      .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
      .map((row) => {
        const icon = row.querySelector('.custom-view-tree-node-item-icon');
        const codicon = icon ? [...icon.classList].find((c) => c.startsWith('codicon-') && c !== 'codicon-colored') : undefined;
        return {
          level: Number(row.getAttribute('aria-level')),
          label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
          description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
          icon: codicon ? codicon.slice('codicon-'.length) : row.querySelector('.monaco-icon-label.file-icon') ? 'file' : '',
        };
      }),
  );
}

/** `Wave 1 (1 package) > wp-contract: API contract` lines, for readable comparisons. */
export function treeLines(rows) {
  return rows.map((r) => `${'  '.repeat(Math.max(0, r.level - 1))}${r.label}${r.description ? ` — ${r.description}` : ''}`);
}

/** Waits until the Waves tree (or the tree of the view named `view`) shows exactly `expected` (see treeLines). */
export async function waitForTree(page, expected, { timeoutMs = 20_000, view = 'Waves' } = {}) {
  let last = [];
  try {
    await waitUntil(async () => {
      last = treeLines(await wavesTreeRows(page, { view }));
      return JSON.stringify(last) === JSON.stringify(expected);
    }, 'the Waves tree', { timeoutMs });
  } catch (e) {
    // What the list looked like, to tell a collapsed row from a list too short to draw the rest.
    const seen = await page.locator(`.sidebar .pane-body .monaco-list[aria-label="${view}"]`).first()
      .evaluate((list) => ({
        height: list.clientHeight,
        expanded: [...list.querySelectorAll('.monaco-list-row[role="treeitem"]')].map((r) => r.getAttribute('aria-expanded')),
      }))
      .catch(() => 'no list');
    throw new Error(`${e.message}\n  expected: ${JSON.stringify(expected, null, 1)}\n  shown:    ${JSON.stringify(last, null, 1)}\n  list:     ${JSON.stringify(seen)}`);
  }
}

/**
 * In an open quick pick, moves the selection with the arrow keys to the entry whose label is
 * exactly `label` and presses Enter, as a person would.
 */
export async function pickQuickItem(page, label, { timeoutMs = 15_000 } = {}) {
  const list = page.locator('.quick-input-widget .quick-input-list');
  await list.locator('.monaco-list-row').first().waitFor({ timeout: timeoutMs });
  // a row's first .label-name is its label (a detail line has one too)
  const rowLabels = () => list.locator('.monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => ({ label: r.querySelector('.label-name')?.textContent?.trim() ?? '', focused: r.classList.contains('focused') })));
  const focusedLabel = async () => (await rowLabels()).find((r) => r.focused)?.label;
  const labels = (await rowLabels()).map((r) => r.label);
  if (!labels.includes(label)) throw new Error(`no quick pick entry "${label}"; entries: ${JSON.stringify(labels)}`);
  for (let i = 0; i <= labels.length && (await focusedLabel()) !== label; i++) await page.keyboard.press('ArrowDown');
  if ((await focusedLabel()) !== label) throw new Error(`could not move the selection to "${label}"`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The file name of the active editor tab ('' when none). */
export async function activeTabLabel(page) {
  const tab = page.locator('.editor-group-container.active .tab.active').first();
  return (await tab.count()) ? ((await tab.getAttribute('data-resource-name')) ?? '') : '';
}

/** The `Ln 12, Col 5` item of the status bar, as { line, column, selected }. */
export async function cursorPosition(page) {
  const text = (await page.locator('.statusbar-item[id="status.editor.selection"]').first().textContent().catch(() => '')) ?? '';
  const m = /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(text);
  return m ? { line: Number(m[1]), column: Number(m[2]), selected: Number(m[3] ?? 0) } : null;
}

/** Error and warning counts of the Problems item of the status bar (`⊗ 1 ⚠ 0`). */
export async function problemCounts(page) {
  const text = (await page.locator('.statusbar-item[id="status.problems"]').first().textContent()) ?? '';
  const [errors = NaN, warnings = NaN] = (text.match(/\d+/g) ?? []).map(Number);
  return { errors, warnings, text: text.trim() };
}

/** Every "Wave Orchestrator" output log of this code-server (each extension host's, reloads included). */
export function extensionLog(cs) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Wave Orchestrator.log') out.push(fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(cs.userDataDir, 'logs'));
  return out.join('\n');
}

/** Waits until the Waves view's row `label` has a description matching `pattern`; returns the rows. */
export async function waitForRow(page, label, pattern, what, { timeoutMs = 20_000 } = {}) {
  let rows = [];
  try {
    await waitUntil(async () => {
      rows = await wavesTreeRows(page);
      return rows.some((r) => r.label === label && pattern.test(r.description));
    }, what, { timeoutMs });
  } catch (e) {
    throw new Error(`${e.message}; rows shown: ${JSON.stringify(rows.map((r) => `${r.label} — ${r.description}`))}`);
  }
  return rows;
}

/** remoteexthost.log of every extension host this code-server started (reloads included). */
export function extensionHostLog(cs) {
  const logs = path.join(cs.userDataDir, 'logs');
  if (!fs.existsSync(logs)) return '';
  let text = '';
  for (const session of fs.readdirSync(logs).sort()) {
    const dir = path.join(logs, session);
    for (const host of fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith('exthost')).sort() : []) {
      const f = path.join(dir, host, 'remoteexthost.log');
      if (fs.existsSync(f)) text += fs.readFileSync(f, 'utf8');
    }
  }
  return text;
}

/**
 * Waits until the extension host has activated the extension, then checks that a
 * `workspaceContains` event did it and that neither the host's log nor a notification reports
 * an error about it.
 */
export async function assertActivatedCleanly(page, cs, extensionId) {
  const activated = `ExtensionService#_doActivateExtension ${extensionId}`;
  const log = await waitUntil(() => {
    const text = extensionHostLog(cs);
    return text.includes(activated) ? text : '';
  }, `"${activated}" in the extension host log`, { timeoutMs: 30_000, intervalMs: 250 });
  const line = log.split('\n').find((l) => l.includes(activated));
  assert.match(line, /activationEvent: 'workspaceContains:/, `activated, but not by workspaceContains: ${line}`);
  // activation errors are logged by the host and raised as notifications
  const errors = log.split('\n').filter((l) => l.includes(extensionId) && /\[error\]|failed/i.test(l));
  assert.deepEqual(errors, [], 'errors about the extension in remoteexthost.log');
  const notes = (await notificationTexts(page)).filter((t) => /wave/i.test(t));
  assert.deepEqual(notes, [], 'notifications about the extension');
}

// ---------------------------------------------------------------- the review loop

/** The first line showing `text` on the modified (right) side of the multi-file diff editor, clicked into. */
export async function putCursorOn(page, text) {
  const line = page.locator('.multiDiffEditor .editor.modified .view-line', { hasText: text }).first();
  await line.waitFor({ timeout: 20_000 });
  // A thread drawn just before moves the lines below it: click once the line stays where it is.
  let before = null;
  await waitUntil(async () => {
    const box = JSON.stringify(await line.boundingBox());
    const still = box === before;
    before = box;
    return still;
  }, `the line showing ${text} to stay in place`, { timeoutMs: 10_000, intervalMs: 200 });
  await line.click();
}

/** Waves: Comment on the Selected Lines…, the words typed, Enter: a thread on the cursor's line. */
export async function addComment(page, words) {
  await runCommand(page, 'waves.review.commentOnLines', 'Waves: Comment on the Selected Lines…', { opensQuickInput: true });
  await page.keyboard.type(words);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  // The thread is drawn on the diff (the lines below it move down).
  await page.locator('.review-widget', { hasText: words }).first().waitFor({ timeout: 20_000 });
}

/** Drags the side bar's edge to `x`, as a person widens it to read the rows' words. */
export async function widenSideBar(page, x) {
  for (const sash of await page.locator('.monaco-sash.vertical').all()) {
    const box = await sash.boundingBox();
    if (!box || box.x < 250 || box.x > 450) continue;
    await page.mouse.move(box.x + box.width / 2, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(x, box.y + 200, { steps: 8 });
    await page.mouse.up();
    return;
  }
}
