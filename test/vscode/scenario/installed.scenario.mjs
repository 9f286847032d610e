// The packaged extension, installed from its .vsix into a clean VS Code (code-server), as a
// user gets it. Run by scripts/test-vscode.mjs after the suite; each entry counts as a test.
// A scenario file exports `tests` ([{ name, run(ctx), timeoutMs? }]) and optionally
// `workspace` (folder under test/vscode/workspaces, default 'basic'), `trust` (true: workspace
// trust on, so the workspace opens in restricted mode), `settings` (extra user settings) and
// `install` ('cli', the default: `code-server --install-extension` before the start;
// 'in-workbench': not installed beforehand, the scenario installs ctx.vsix itself, `installed` empty).
// ctx: { page, cs, workspace, vsix, installed, manifest, extensionId, screenshot(label), log }
import { strict as assert } from 'node:assert';
import {
  assertActivatedCleanly, closeQuickInput, findInPalette, runCommand, waitForWorkbench, waitUntil,
} from './helpers.mjs';

export const workspace = 'basic';

/** Commands of the manifest that the palette should list (no commandPalette `when` hides them). */
function paletteCommands(manifest) {
  const hidden = new Set(
    (manifest.contributes?.menus?.commandPalette ?? []).filter((m) => m.when).map((m) => m.command),
  );
  return (manifest.contributes?.commands ?? [])
    .filter((c) => !hidden.has(c.command))
    .map((c) => ({ id: c.command, title: c.category ? `${c.category}: ${c.title}` : c.title }));
}

export const tests = [
  {
    name: 'the .vsix installs and --list-extensions shows it',
    run: ({ installed, extensionId, manifest }) => {
      assert.ok(
        installed.includes(`${extensionId}@${manifest.version}`),
        `expected ${extensionId}@${manifest.version} in ${JSON.stringify(installed)}`,
      );
    },
  },
  {
    name: 'the workbench opens the workspace and shows work-packages.yaml',
    run: async ({ page }) => {
      await waitForWorkbench(page);
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'work-packages.yaml' }).first()
        .waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'the extension activates on the plan without an error',
    run: async ({ page, cs, extensionId }) => {
      await assertActivatedCleanly(page, cs, extensionId);
    },
  },
  {
    name: 'its commands are listed in the command palette with their titles',
    run: async ({ page, manifest }) => {
      const commands = paletteCommands(manifest);
      assert.ok(commands.length > 0, 'the manifest contributes commands');
      for (const { id, title } of commands) {
        await findInPalette(page, id, title);
        await closeQuickInput(page);
      }
    },
  },
  {
    name: 'the Extensions view lists it as installed (through the palette)',
    run: async ({ page, manifest, screenshot }) => {
      await runCommand(page, 'workbench.extensions.action.installedExtensions', 'Extensions: Show Installed Extensions');
      const item = page.locator('.extensions-viewlet .extension-list-item', { hasText: manifest.displayName }).first();
      await item.waitFor({ timeout: 20_000 });
      assert.match(await item.locator('.name').first().textContent(), new RegExp(manifest.displayName));
      await screenshot('extensions-view');
    },
  },
  {
    name: 'its view container opens from the activity bar and shows its view',
    run: async ({ page, manifest, screenshot }) => {
      const container = manifest.contributes.viewsContainers.activitybar[0];
      const view = manifest.contributes.views[container.id][0];
      const icon = page.locator(`.activitybar .action-item a.action-label[aria-label^="${container.title}"]`).first();
      await icon.waitFor({ timeout: 15_000 });
      await icon.click();
      // with a single view the pane header is hidden and the side bar title names container and view
      const title = page.locator('.sidebar .composite.title');
      await waitUntil(async () => new RegExp(container.title, 'i').test((await title.textContent()) ?? ''),
        `side bar title "${container.title}"`);
      await page.locator(`.sidebar .pane-header[aria-label^="${view.name}"]`).first().waitFor({ state: 'attached', timeout: 15_000 });
      await page.locator('.sidebar .pane-body').first().waitFor({ timeout: 15_000 });
      await screenshot('view-container');
    },
  },
];
