// Helpers for the suites in test/vscode/suite (bundled into each suite file).
// Suites use the mocha BDD globals (describe/it/before...): do not import 'mocha'.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DagPanel } from '../../src/dag/dagPanel';
import { discardPlanning, type PlanningResult } from '../../src/engine';
import type { WavesApi } from '../../src/extension';
import type { PlanEntry } from '../../src/plan/planRegistry';
import { PROTOCOL_VERSION, type HostMessage, type PlanMessage } from '../../src/protocol';

export const EXTENSION_ID = 'wave-orchestrator.wave-orchestrator';

/** Polls cond() until it returns a truthy value or timeoutMs passes; returns that value. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  what: string | (() => string),
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
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}${last ? ` (last error: ${String(last)})` : ''}`);
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
export { pidAlive } from '../fixtures/pids';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return folder.uri;
}

// ---------------------------------------------------------------------------------------
// Plans, diagnostics and scratch files (used by the suites)

/** The extension's API (`activate`'s result), once its first scan of the workspace is done. */
export async function wavesApi(): Promise<WavesApi> {
  const api = (await extension().activate()) as WavesApi | undefined;
  if (!api?.registry) throw new Error('activate() returned no { registry }');
  await api.registry.ready;
  return api;
}

/** A diagnostic as one comparable line: `13:17-13:24 error dependency-unknown` (0-based). */
export function describeDiagnostic(d: vscode.Diagnostic): string {
  const severity = ['error', 'warning', 'info', 'hint'][d.severity];
  const code = typeof d.code === 'object' ? d.code.value : d.code;
  return `${describeRange(d.range)} ${severity} ${String(code)}`;
}

export function describeRange(r: vscode.Range): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

/** The diagnostics of source `waves` on a file, as sorted lines (see describeDiagnostic). */
export function wavesDiagnostics(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'waves')
    .map(describeDiagnostic)
    .sort(compareLines);
}

/** Sorts `line:col-…` strings by position (numerically), then by the rest. */
function compareLines(a: string, b: string): number {
  const key = (s: string) =>
    s
      .split(/[:\- ]/)
      .slice(0, 4)
      .map(Number);
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < 4; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return a.localeCompare(b);
}

/** Waits until the `waves` diagnostics of a file are exactly `expected` (any order). */
export async function waitForDiagnostics(uri: vscode.Uri, expected: string[], what: string, timeoutMs = 10_000): Promise<void> {
  const want = [...expected].sort(compareLines);
  try {
    await waitFor(() => JSON.stringify(wavesDiagnostics(uri)) === JSON.stringify(want), what, { timeoutMs });
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n  expected: ${JSON.stringify(want, null, 1)}\n  actual:   ${JSON.stringify(wavesDiagnostics(uri), null, 1)}`,
    );
  }
}

/**
 * The range of `needle` in `text` (its `occurrence`-th, 0-based), or with `part`, of the first
 * `part` inside that needle: `rangeOf(text, 'depends_on: [wp-y]', { part: 'wp-y' })`.
 */
export function rangeOf(text: string, needle: string, { occurrence = 0, part }: { occurrence?: number; part?: string } = {}): vscode.Range {
  let at = -1;
  for (let k = 0; k <= occurrence; k++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" (occurrence ${occurrence}) is not in the text`);
  }
  let length = needle.length;
  if (part !== undefined) {
    const inner = needle.indexOf(part);
    if (inner < 0) throw new Error(`"${part}" is not in "${needle}"`);
    at += inner;
    length = part.length;
  }
  const position = (offset: number) => {
    const before = text.slice(0, offset);
    const line = before.split(/\r\n|\r|\n/).length - 1;
    const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
    return new vscode.Position(line, offset - lineStart);
  };
  return new vscode.Range(position(at), position(at + length));
}

/**
 * A fresh folder in the test workspace for one test's files, named so that its plans sort
 * after the workspace's own `work-packages.yaml` (which stays the active plan). `dispose()`
 * reverts and closes the editors of its files, deletes the files one by one (so the file
 * watcher reports each plan as deleted) and then the folder.
 */
export class Scratch {
  readonly root: vscode.Uri;
  private static count = 0;

  constructor(name: string) {
    this.root = vscode.Uri.joinPath(workspaceRoot(), `zz-${name}-${process.pid}-${++Scratch.count}`);
  }

  uri(relative: string): vscode.Uri {
    return vscode.Uri.joinPath(this.root, relative);
  }

  async write(relative: string, text: string): Promise<vscode.Uri> {
    const uri = this.uri(relative);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    return uri;
  }

  /** Writes a file and shows it in an editor, as a person opening it would. */
  async open(relative: string, text: string): Promise<{ uri: vscode.Uri; doc: vscode.TextDocument }> {
    const uri = await this.write(relative, text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    return { uri, doc };
  }

  async read(relative: string): Promise<string> {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(this.uri(relative)));
  }

  async dispose(): Promise<void> {
    const mine = (u: vscode.Uri) => u.toString().startsWith(this.root.toString() + '/');
    await closeEditors(mine);
    let files: [string, vscode.FileType][] = [];
    try {
      files = await vscode.workspace.fs.readDirectory(this.root);
    } catch {
      return; // never created
    }
    for (const [name, type] of files) {
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(this.root, name), { recursive: type === vscode.FileType.Directory });
    }
    await vscode.workspace.fs.delete(this.root, { recursive: true });
  }
}

/**
 * For a `describe` block whose tests write plans: autosave off for the block (see
 * `autoSaveOff`), and a fresh `Scratch` folder for each test, removed after it.
 * Returns the current test's scratch.
 */
export function useScratch(name: string): () => Scratch {
  before(autoSaveOff.before);
  after(autoSaveOff.after);
  let current: Scratch | undefined;
  beforeEach(() => {
    current = new Scratch(name);
  });
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useScratch: the scratch folder exists only while a test runs');
    return current;
  };
}

/** Reverts (never saves) and closes every editor whose document matches. */
export async function closeEditors(match: (uri: vscode.Uri) => boolean = () => true): Promise<void> {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (!(input instanceof vscode.TabInputText) || !match(input.uri)) continue;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === input.uri.toString());
      if (doc?.isDirty) {
        await vscode.window.showTextDocument(doc, { viewColumn: group.viewColumn, preview: false });
        await vscode.commands.executeCommand('workbench.action.files.revert');
      }
      await vscode.window.tabGroups.close(tab);
    }
  }
}

/**
 * Turns `files.autoSave` off for the suite's duration (code-server, like VS Code for the Web,
 * defaults to `afterDelay`: an edit would be saved after a second, and tests of the unsaved
 * text would race the save). Use as `before(autoSaveOff.before)` / `after(autoSaveOff.after)`.
 */
export const autoSaveOff = {
  previous: undefined as string | undefined,
  async before(): Promise<void> {
    const files = vscode.workspace.getConfiguration('files');
    autoSaveOff.previous = files.inspect<string>('autoSave')?.globalValue;
    await files.update('autoSave', 'off', vscode.ConfigurationTarget.Global);
  },
  async after(): Promise<void> {
    await vscode.workspace.getConfiguration('files').update('autoSave', autoSaveOff.previous, vscode.ConfigurationTarget.Global);
  },
};

/** Waits until the registry holds `uri` and `accept(entry)` holds (default: any entry). */
export async function waitForPlan(
  api: Pick<WavesApi, 'registry'>,
  uri: vscode.Uri,
  what: string,
  accept: (entry: PlanEntry) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<PlanEntry> {
  let last: PlanEntry | undefined;
  return waitFor(
    () => {
      last = api.registry.get(uri);
      return last && accept(last) ? last : undefined;
    },
    () => `${what} (the registry holds ${last ? `${last.analysis.plan.packages.length} package(s)${last.foreign ? ` read as ${last.foreign.format}` : ''}` : 'no entry'} for it)`,
    { timeoutMs },
  );
}

/** The scripted agent (test/fixtures/agents/scripted-agent.mjs) as `waves.agent` at `target` (the workspace's by default); `undefined` there again with `useScriptedAgent(null)`. */
export async function useScriptedAgent(use: boolean | null = true, target: vscode.ConfigurationTarget = vscode.ConfigurationTarget.Workspace): Promise<void> {
  const agent = path.join(extension().extensionPath, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
  await vscode.workspace.getConfiguration('waves').update('agent', use ? [process.execPath, agent, '--prompt', '${promptFile}'] : undefined, target);
}

/** `files` (paths relative to `repo`) written into a new git repository on `main` and committed; returns the real path of its `work-packages.yaml`. */
export function committedPlanRepo(repo: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    fs.writeFileSync(path.join(repo, name), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'plan');
  return fs.realpathSync(path.join(repo, 'work-packages.yaml'));
}

/** Discards the planning sessions a suite made (their worktrees and branches, and their runs') and stops following their plans. */
export async function discardSessions(api: Pick<WavesApi, 'registry'>, made: readonly PlanningResult[]): Promise<void> {
  for (const r of made) {
    await discardPlanning(r.repo, r.state.id).catch(() => undefined);
    api.registry.forget(vscode.Uri.file(r.planFile));
  }
}

/** Says `ready` to a DAG panel (as its webview does) and waits for a plan message that passes `test`. */
export async function nextPlan(panel: DagPanel, test: (p: PlanMessage) => boolean, what = 'a plan message with the proposal', timeoutMs = 15_000): Promise<PlanMessage> {
  const seen: HostMessage[] = [];
  const sub = panel.onDidPost((m) => seen.push(m));
  try {
    await panel.handleMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
    return await waitFor(() => seen.filter((m): m is PlanMessage => m.type === 'plan').reverse().find(test), what, { timeoutMs });
  } finally {
    sub.dispose();
  }
}

/** A button of a DAG panel's approval bar, as its webview sends it (the host validates it as any message): the panel's reply. */
export async function pressProposal(panel: DagPanel, action: string, requestId: number, timeoutMs = 15_000): Promise<Extract<HostMessage, { type: 'reply' }>> {
  const seen: HostMessage[] = [];
  const sub = panel.onDidPost((m) => seen.push(m));
  try {
    await panel.handleMessage({ type: 'proposalAction', requestId, action });
    return await waitFor(() => seen.find((m): m is Extract<HostMessage, { type: 'reply' }> => m.type === 'reply' && m.inReplyTo === requestId), `the reply to ${action} (${requestId})`, { timeoutMs });
  } finally {
    sub.dispose();
  }
}
