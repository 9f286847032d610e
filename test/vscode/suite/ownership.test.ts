// "Who owns this file": Explorer decorations, the editor's gutter/ruler marks and
// first-line hover, the status bar, the context-menu commands, the edit warning, unowned
// writes, and all of it following a run-state file and locks.json written by the test.
// Workspace `basic`: wp-contract (contracts/**, wave 1) → wp-api (src/api/**), wp-web (src/web/**).
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { serializeLockTable, type LockEntry } from '../../../src/core/run/lockTable';
import { applyEvent } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunState } from '../../../src/core/run/runState';
import { RunWatch } from '../../../src/run/run/runWatch';
import { planRepo } from '../../fixtures/startRefusals';
import { autoSaveOff, closeEditors, extension, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

const file = (rel: string) => vscode.Uri.joinPath(workspaceRoot(), ...rel.split('/'));
const write = (rel: string, text: string) => vscode.workspace.fs.writeFile(file(rel), new TextEncoder().encode(text));
const NOW = new Date();

/** A run state of feature `demo` in which `running` packages have started. */
function runState(running: string[]): RunState {
  let state = createRunState({ featureId: 'demo', planFile: 'work-packages.yaml', runId: 'run-1', packageIds: ['wp-contract', 'wp-api', 'wp-web'], now: NOW });
  for (const packageId of running) {
    for (const event of [
      { type: 'ready', packageId },
      { type: 'queued', packageId },
      { type: 'started', packageId, attempt: 1, startToken: 'tok', worktree: '/tmp/wt', logFile: '/tmp/wt/agent.log' },
    ] as const) {
      const r = applyEvent(state, event, NOW);
      if (!r.ok) throw new Error(r.error.message);
      state = r.state;
    }
  }
  return state;
}

function lock(key: string, holder: string, minutes: number | null): LockEntry {
  return {
    key,
    kind: 'file',
    featureId: 'demo',
    runId: 'run-1',
    holder,
    acquiredAt: NOW.toISOString(),
    expiresAt: minutes === null ? null : new Date(NOW.getTime() + minutes * 60_000).toISOString(),
  };
}

async function setRun(running: string[]): Promise<void> {
  await write('.waves/runs/demo.json', JSON.stringify(runState(running), null, 2) + '\n');
}

async function setLocks(locks: LockEntry[]): Promise<void> {
  await write('.waves/locks.json', serializeLockTable({ version: 1, locks }));
}

type Step = readonly ['mkdir' | 'rm', string] | readonly ['write', string, string] | readonly ['sleep', number];

/** Makes folders, writes and deletes under the workspace from a separate Node process, in order. */
async function fromAnotherProcess(steps: readonly Step[]): Promise<void> {
  const script = `
    const fs = require('node:fs'), path = require('node:path');
    const [root, steps] = JSON.parse(process.argv[1]);
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (const [op, a, b] of steps) {
      if (op === 'sleep') sleep(a);
      else if (op === 'mkdir') fs.mkdirSync(path.join(root, a), { recursive: true });
      else if (op === 'rm') fs.rmSync(path.join(root, a), { recursive: true, force: true });
      else fs.writeFileSync(path.join(root, a), b);
    }`;
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['-e', script, JSON.stringify([workspaceRoot().fsPath, steps])], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }, (err, _out, stderr) =>
      err ? reject(new Error(`the writer failed: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

function decoration(api: WavesApi, rel: string): vscode.FileDecoration | undefined {
  return api.ownership.files.provideFileDecoration(file(rel)) ?? undefined;
}

/** Waits until the Explorer decoration of `rel` has this badge (undefined: none). */
async function waitForBadge(api: WavesApi, rel: string, badge: string | undefined, what: string): Promise<vscode.FileDecoration | undefined> {
  await waitFor(() => decoration(api, rel)?.badge === badge, `${what} (badge of ${rel} is ${badge}; now ${decoration(api, rel)?.badge})`);
  return decoration(api, rel);
}

/** The theme colour id of a decoration (`ThemeColor.id`, which the 1.93 typings do not declare). */
function colorId(d: vscode.FileDecoration | undefined): string | undefined {
  return (d?.color as unknown as { id?: string } | undefined)?.id;
}

async function hoverText(uri: vscode.Uri, line: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 0));
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

describe('ownership', () => {
  before(autoSaveOff.before);
  after(autoSaveOff.after);
  let api: WavesApi;
  before(async () => {
    api = await wavesApi();
    await api.ownership.model.ready;
  });
  afterEach(async () => {
    await closeEditors();
    for (const rel of ['.waves', 'zz-unowned', 'zz-deep']) {
      await vscode.workspace.fs.delete(file(rel), { recursive: true }).then(undefined, () => undefined);
    }
    await api.ownership.runs.refresh();
    await waitForBadge(api, 'src/api/items.ts', 'W2', 'back to the plan alone');
  });

  it('decorates files and folders in the Explorer from the plan, with theme colours', async () => {
    const d = await waitForBadge(api, 'src/api/items.ts', 'W2', 'the plan indexed');
    assert.equal(d?.tooltip, 'owned by wp-api · wave 2');
    assert.equal(colorId(d), 'waves.ownership.ownedForeground');
    assert.equal(decoration(api, 'src/web/items.tsx')?.tooltip, 'owned by wp-web · wave 2');
    assert.equal(decoration(api, 'contracts/openapi.yaml')?.tooltip, 'owned by wp-contract · wave 1');
    // folders: only where every file under them shares the state
    assert.equal(decoration(api, 'src/api')?.tooltip, 'owned by wp-api · wave 2');
    assert.equal(decoration(api, 'contracts')?.badge, 'W1');
    assert.equal(decoration(api, 'src'), undefined, 'src holds files of two packages');
    assert.equal(decoration(api, 'README.md'), undefined);
    // every colour used is contributed with light, dark and high-contrast defaults
    const colors = (extension().packageJSON as { contributes: { colors: { id: string; defaults: Record<string, string> }[] } }).contributes.colors;
    for (const id of ['owned', 'running', 'locked', 'conflict', 'denied'].map((k) => `waves.ownership.${k}Foreground`)) {
      const c = colors.find((x) => x.id === id);
      assert.ok(c, id);
      assert.deepEqual(Object.keys(c.defaults).sort(), ['dark', 'highContrast', 'highContrastLight', 'light']);
    }
  });

  it('follows a run-state file and locks.json as they change: running, locked, released', async () => {
    await setRun(['wp-contract']);
    await setRun(['wp-api']);
    let d = await waitForBadge(api, 'src/api/items.ts', '►2', 'wp-api running');
    assert.equal(d?.tooltip, 'owned by wp-api · wave 2 · running');
    assert.equal(colorId(d), 'waves.ownership.runningForeground');
    assert.equal(decoration(api, 'src/web/items.tsx')?.badge, 'W2', 'wp-web is not running');

    await setLocks([lock('src/api/*.ts', 'wp-api', 90)]);
    d = await waitForBadge(api, 'src/api/items.ts', 'L', 'the lock');
    assert.match(String(d?.tooltip), /^owned by wp-api · wave 2 · running · locked until \d\d?[:.]\d\d/);
    assert.equal(colorId(d), 'waves.ownership.lockedForeground');

    await setLocks([]);
    await waitForBadge(api, 'src/api/items.ts', '►2', 'the lock released');
    await setLocks([lock('src/api/items.ts', 'wp-api', -1)]);
    await api.ownership.runs.refresh();
    assert.equal(decoration(api, 'src/api/items.ts')?.badge, '►2', 'an expired lock does not count');
  });

  it('a run-state file caught half-written keeps its last good state until it is whole again', async () => {
    await setRun(['wp-api']);
    await waitForBadge(api, 'src/api/items.ts', '►2', 'wp-api running');
    const before = api.ownership.runs.stateFor('demo');
    assert.equal(before?.packages['wp-api']?.status, 'running');
    // What a reader sees in the middle of a write that truncates then writes (no rename).
    await write('.waves/runs/demo.json', '{"version": 2, "featureId": "de');
    await api.ownership.runs.refresh();
    assert.equal(api.ownership.runs.stateFor('demo'), before, 'the last good state stays');
    assert.equal(decoration(api, 'src/api/items.ts')?.badge, '►2');
    await setRun([]);
    await waitForBadge(api, 'src/api/items.ts', 'W2', 'the whole file read again');
    assert.equal(api.ownership.runs.stateFor('demo')?.packages['wp-api']?.status, 'pending');
  });

  // State written by ANOTHER process reaches the Explorer whatever the order of
  // folder creation and writes — no refresh() here: only the watchers and the poll may notice.
  it('another process makes .waves/ and then, a moment later, writes the run and the lock: the Explorer shows them', async () => {
    await fromAnotherProcess([
      ['mkdir', '.waves'],
      ['sleep', 300],
      ['mkdir', '.waves/runs'],
      ['sleep', 300],
      ['write', '.waves/runs/demo.json', JSON.stringify(runState(['wp-api']))],
      ['sleep', 50],
      ['write', '.waves/locks.json', serializeLockTable({ version: 1, locks: [lock('src/api/items.ts', 'wp-api', 90)] })],
    ]);
    await waitForBadge(api, 'src/api/items.ts', 'L', 'the lock written into a new .waves/');
    assert.equal(api.ownership.runs.stateFor('demo')?.packages['wp-api']?.status, 'running');
  });

  it('another process writes the lock first, then the run, each in place: both shown', async () => {
    await fromAnotherProcess([
      ['mkdir', '.waves/runs'],
      ['write', '.waves/locks.json', serializeLockTable({ version: 1, locks: [lock('src/web/**', 'wp-web', 90)] })],
      ['write', '.waves/runs/demo.json', JSON.stringify(runState(['wp-web']))],
    ]);
    await waitForBadge(api, 'src/web/items.tsx', 'L', 'the lock written before the run');
    await waitFor(() => api.ownership.runs.stateFor('demo')?.packages['wp-web']?.status === 'running', 'the run state');
  });

  it('.waves/ deleted and made again by another process: the lock goes, then the new one is shown', async () => {
    const state = [
      ['mkdir', '.waves/runs'],
      ['write', '.waves/runs/demo.json', JSON.stringify(runState(['wp-api']))],
      ['write', '.waves/locks.json', serializeLockTable({ version: 1, locks: [lock('src/api/items.ts', 'wp-api', 90)] })],
    ] as const;
    await fromAnotherProcess([...state]);
    await waitForBadge(api, 'src/api/items.ts', 'L', 'the first lock');
    await fromAnotherProcess([['rm', '.waves']]);
    await waitForBadge(api, 'src/api/items.ts', 'W2', '.waves/ gone: the plan alone');
    await fromAnotherProcess([['rm', '.waves'], ...state]);
    await waitForBadge(api, 'src/api/items.ts', 'L', 'the lock in the new .waves/');
    // and once more, at once: deleted and made again in one go (a new inode under the watch)
    await fromAnotherProcess([['rm', '.waves'], ['mkdir', '.waves/runs'], ['write', '.waves/locks.json', serializeLockTable({ version: 1, locks: [lock('src/web/items.tsx', 'wp-web', 90)] })]]);
    await waitForBadge(api, 'src/web/items.tsx', 'L', 'the lock of the folder made again at once');
    await waitForBadge(api, 'src/api/items.ts', 'W2', 'the old lock and run gone with the old folder');
  });

  it('state written before the watch began is read at its start (as when the window opens during a run)', async () => {
    await fromAnotherProcess([
      ['mkdir', '.waves/runs'],
      ['write', '.waves/runs/demo.json', JSON.stringify(runState(['wp-api']))],
      ['write', '.waves/locks.json', serializeLockTable({ version: 1, locks: [lock('src/api/items.ts', 'wp-api', 90)] })],
    ]);
    const log = vscode.window.createOutputChannel('Waves test: RunWatch', { log: true });
    const fresh = new RunWatch(log);
    try {
      await fresh.ready;
      assert.equal(fresh.stateFor('demo')?.packages['wp-api']?.status, 'running');
      assert.deepEqual(fresh.lockTable().locks.map((l) => l.key), ['src/api/items.ts']);
    } finally {
      fresh.dispose();
      log.dispose();
    }
  });

  it('marks the gutter and overview ruler of a running or locked file, and hovers its first line', async () => {
    const uri = file('src/api/items.ts');
    await vscode.window.showTextDocument(uri);
    const plain = await hoverText(uri, 0);
    assert.match(plain, /Owned by `wp-api` \(wave 2\) through \[`src\/api\/\*\*`\]\(file:\/\/\/.*work-packages\.yaml#L\d+\)/);
    assert.equal(await hoverText(uri, 1).then((t) => /Owned by/.test(t)), false, 'only the first line');
    assert.equal(api.ownership.editor.shown.get(uri.toString()), undefined, 'owned only: no gutter mark');

    await setRun(['wp-api']);
    await waitFor(() => api.ownership.editor.shown.get(uri.toString()) === 'running', 'the running gutter mark');
    await setLocks([lock('src/api/items.ts', 'wp-api', null)]);
    await waitFor(() => api.ownership.editor.shown.get(uri.toString()) === 'locked', 'the locked gutter mark');
    const text = await hoverText(uri, 0);
    assert.match(text, /locked by a running package/);
    assert.match(text, /Locked by `wp-api` \(feature `demo`\) until released, lock `src\/api\/items\.ts`/);
    assert.match(text, /Read by `wp-contract`, `wp-api`/);
    // The one status-bar item names the active file's owner after the plan's words, and its tooltip says the rest.
    await waitFor(() => / · \$\(lock\) wp-api$/.test(api.views.statusBar.text), () => `the status bar naming the owner (it says ${api.views.statusBar.text})`);
    assert.equal(api.ownership.commands.fileOwner(uri)?.text, '$(lock) wp-api');
  });

  it('"Who Owns This File?" in the Explorer and editor context menus answers for a file', async () => {
    const menus = (extension().packageJSON as { contributes: { menus: Record<string, { command: string }[]> } }).contributes.menus;
    assert.ok(menus['explorer/context'].some((m) => m.command === 'waves.whoOwnsFile'));
    assert.ok(menus['editor/context'].some((m) => m.command === 'waves.whoOwnsFile'));
    const answer = await vscode.commands.executeCommand<{ owners: string[]; readers: string[]; summary: string }>('waves.whoOwnsFile', file('src/web/items.tsx'));
    assert.deepEqual(answer.owners, ['wp-web']);
    assert.deepEqual(answer.readers, ['wp-contract', 'wp-web']);
    assert.equal(answer.summary, 'src/web/items.tsx: owned by wp-web · wave 2 · read by wp-contract, wp-web');
    // from the editor: the active file
    await vscode.window.showTextDocument(file('contracts/openapi.yaml'));
    const fromEditor = await vscode.commands.executeCommand<{ owners: string[] }>('waves.whoOwnsFile');
    assert.deepEqual(fromEditor.owners, ['wp-contract']);
  });

  it('"Reveal Files Owned by Package" lists the package\'s real files in the Ownership view', async () => {
    await api.ownership.model.ready;
    const files = await vscode.commands.executeCommand<string[]>('waves.revealOwnedFiles', 'wp-api');
    assert.deepEqual(files, ['src/api/items.ts']);
    const roots = api.ownership.tree.getChildren();
    assert.deepEqual(
      roots.map((n) => api.ownership.tree.getTreeItem(n).label),
      ['wp-contract', 'wp-api', 'wp-web'],
    );
    const groups = api.ownership.tree.getChildren(roots[1]).map((n) => api.ownership.tree.getTreeItem(n));
    assert.deepEqual(groups.map((g) => `${String(g.label)}: ${String(g.description)}`), [
      'Writes: 1 file · src/api/**',
      'Reads: 2 files · contracts/**, src/api/**',
      'Denied: 0 files · no globs',
      'Locks: 0',
    ]);
  });

  it('warns once when the user starts editing a file a running agent owns; "Open Its Package" shows it', async () => {
    await setRun(['wp-api', 'wp-web']);
    await waitForBadge(api, 'src/web/items.tsx', '►2', 'both running');
    const warnings: { uri: string; packageId: string; message: string }[] = [];
    const listener = api.ownership.commands.onDidWarn((w) => warnings.push({ uri: w.uri.toString(), packageId: w.packageId, message: w.message }));
    const config = vscode.workspace.getConfiguration('waves.ownership');
    try {
      // turned off: no warning for wp-web's file
      await config.update('warnOnEdit', false, vscode.ConfigurationTarget.Global);
      const web = await vscode.window.showTextDocument(file('src/web/items.tsx'));
      await web.edit((e) => e.insert(new vscode.Position(0, 0), '// x\n'));
      await config.update('warnOnEdit', undefined, vscode.ConfigurationTarget.Global);
      // on (the default): wp-api's file warns, once for several edits
      const apiEditor = await vscode.window.showTextDocument(file('src/api/items.ts'));
      await apiEditor.edit((e) => e.insert(new vscode.Position(0, 0), '// a\n'));
      await apiEditor.edit((e) => e.insert(new vscode.Position(0, 0), '// b\n'));
      await waitFor(() => warnings.length > 0, 'the edit warning');
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.equal(warnings[0].uri, file('src/api/items.ts').toString(), 'no warning for the file edited while turned off');
      assert.equal(warnings[0].packageId, 'wp-api');
      assert.match(warnings[0].message, /^src\/api\/items\.ts is owned by wp-api · wave 2 · running\. An agent may be changing it/);
    } finally {
      listener.dispose();
      await config.update('warnOnEdit', undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('waves.openOwnerPackage', 'wp-api');
    const editor = await waitFor(
      () => (vscode.window.activeTextEditor?.document.uri.path.endsWith('/work-packages.yaml') ? vscode.window.activeTextEditor : undefined),
      'the plan open at the package',
    );
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /wp-api/);
  });

  it('lists files written during a run that no package owns', async () => {
    await setRun(['wp-api']);
    await waitForBadge(api, 'src/api/items.ts', '►2', 'the run');
    await write('zz-unowned/notes.txt', 'written by hand\n');
    await write('src/api/owned.ts', 'export {};\n');
    // Folders made with their file at once (`mkdir -p`): the file may come before the folder's watch.
    await write('zz-deep/a/b/c.txt', 'deep\n');
    try {
      await waitFor(() => api.ownership.model.unownedWrites().some((w) => w.path === 'zz-unowned/notes.txt'), 'the unowned write');
      await waitFor(() => api.ownership.model.unownedWrites().some((w) => w.path === 'zz-deep/a/b/c.txt'), 'the unowned write in new folders');
      assert.equal(api.ownership.model.unownedWrites().some((w) => w.path === 'src/api/owned.ts'), false, 'an owned file is not listed');
      const root = api.ownership.tree.getChildren()[0];
      assert.equal(api.ownership.tree.getTreeItem(root).label, 'Unowned writes during the run');
      assert.deepEqual(api.ownership.tree.getChildren(root).map((n) => api.ownership.tree.getTreeItem(n).label), ['zz-deep/a/b/c.txt', 'zz-unowned/notes.txt']);
    } finally {
      await vscode.workspace.fs.delete(file('src/api/owned.ts'));
    }
  });

  it('follows the plan as it is edited: two packages that collide show a conflict', async () => {
    const plan = file('work-packages.yaml');
    const doc = await vscode.workspace.openTextDocument(plan);
    const editor = await vscode.window.showTextDocument(doc);
    const text = doc.getText();
    const at = text.indexOf('write_allow: ["src/web/**"]');
    assert.ok(at > 0);
    await editor.edit((e) => e.replace(new vscode.Range(doc.positionAt(at), doc.positionAt(at + 'write_allow: ["src/web/**"]'.length)), 'write_allow: ["src/web/**", "src/api/**"]'));
    const d = await waitForBadge(api, 'src/api/items.ts', '×2', 'the conflict');
    assert.equal(d?.tooltip, 'owned by wp-api and wp-web · conflict: wp-api and wp-web may run in parallel');
    assert.equal(colorId(d), 'waves.ownership.conflictForeground');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitForBadge(api, 'src/api/items.ts', 'W2', 'the edit reverted');
  });

  it("a plan in a repository nested in the workspace folder: its scopes and locks start at that repository, as the engine's do", async () => {
    assert.ok(fs.existsSync(path.join(workspaceRoot().fsPath, '.git')), 'the workspace folder is a repository of its own');
    const { plan } = planRepo(path.join(workspaceRoot().fsPath, 'zz-nested'), 'nested-owner');
    await write('zz-nested/one/a.txt', 'a\n');
    await write('zz-nested/other.txt', 'other\n');
    const uri = vscode.Uri.file(plan);
    try {
      await waitForPlan(api, uri, 'the nested plan in the registry', (e) => e.analysis.valid);
      await api.registry.setActive(uri);
      // `one/**` is the nested repository's one/, not the workspace folder's.
      const d = await waitForBadge(api, 'zz-nested/one/a.txt', 'W1', "the nested plan's scope");
      assert.equal(d?.tooltip, 'owned by wp-one · wave 1');
      assert.equal(decoration(api, 'zz-nested/other.txt'), undefined);
      assert.equal(api.ownership.model.relative(file('zz-nested/one/a.txt')), 'one/a.txt');
      assert.equal(api.ownership.model.relative(file('src/api/items.ts')), undefined, "outside the plan's repository");
      await waitFor(() => api.ownership.model.filesOf('wp-one', 'write').files.join() === 'one/a.txt', `the package's files listed from its repository (now ${api.ownership.model.filesOf('wp-one', 'write').files.join(', ')})`);
      // Its locks are that repository's (`.waves/locks.json` beside its plan, where its runs take them).
      await write('zz-nested/.waves/locks.json', serializeLockTable({ version: 1, locks: [{ ...lock('one/a.txt', 'wp-one', 90), featureId: 'nested-owner' }] }));
      await api.ownership.runs.refresh();
      await waitForBadge(api, 'zz-nested/one/a.txt', 'L', "the nested repository's lock");
    } finally {
      await api.registry.setActive(file('work-packages.yaml'));
      await vscode.workspace.fs.delete(file('zz-nested'), { recursive: true }).then(undefined, () => undefined);
    }
  });
});
