// Helpers for the suites in test/vscode/suite (bundled into each suite file).
// Suites use the mocha BDD globals (describe/it/before...): do not import 'mocha'.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'wave-orchestrator.wave-orchestrator';

/** Polls cond() until it returns a truthy value or timeoutMs passes; returns that value. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  what: string,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) {
    const others = vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.'));
    throw new Error(`extension ${EXTENSION_ID} is not loaded (non-builtin extensions: ${others.join(', ') || 'none'})`);
  }
  return ext;
}

/** The first workspace folder (the test workspace the runner opened). */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return folder.uri;
}
