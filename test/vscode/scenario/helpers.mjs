// Helpers for UI scenarios: drive the code-server workbench in Chromium as a person would.
// Scenario files (test/vscode/scenario/*.scenario.mjs) get a Playwright `page` already showing
// the workspace with the packaged extension installed; see scripts/test-vscode.mjs.

/** Waits until the workbench is usable: DOM present and the Explorer lists the workspace files
 * (that needs the remote file system, so the server connection is up). */
export async function waitForWorkbench(page, { timeoutMs = 60_000 } = {}) {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: timeoutMs });
}

/** Opens the command palette (F1) and returns its input. */
export async function openPalette(page, { timeoutMs = 15_000 } = {}) {
  const input = page.locator('.quick-input-widget input.input');
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
    const input = await openPalette(page);
    await input.fill(`>${title}`);
    try {
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
 * selection to the entry with that command id (arrow keys), Enter. */
export async function runCommand(page, id, title, opts) {
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
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The content frame of the active webview (two iframes deep). */
export function webviewFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Texts of the notifications currently shown (toasts and the notification center). */
export async function notificationTexts(page) {
  return page.locator('.notification-list-item-message').allTextContents();
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
