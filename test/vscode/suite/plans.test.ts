// "Plans found and followed": every plan of the workspace (but none in
// node_modules, .git, .waves or worktree folders), followed on disk, and one active plan.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { PlanRegistry } from '../../../src/plan/planRegistry';
import { Scratch, autoSaveOff, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

const PLAN = (id: string) =>
  `feature:\n  id: ${id}\npackages:\n  - package_id: ${id}-one\n  - package_id: ${id}-two\n    depends_on: [${id}-one]\n`;

/** Records which paths a watcher of the test sees created (the extension's sees the same). */
function createdPaths(): { seen: Set<string>; dispose(): void } {
  const seen = new Set<string>();
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(workspaceRoot(), '**/*'), false, true, true);
  watcher.onDidCreate((u) => seen.add(u.toString()));
  return { seen, dispose: () => watcher.dispose() };
}

/** Waits until the registry has not changed for `quietMs` (at most `timeoutMs`). */
async function waitForQuiet(registry: { onDidChange: vscode.Event<void> }, quietMs: number, timeoutMs = 10_000): Promise<void> {
  let last = Date.now();
  const listener = registry.onDidChange(() => (last = Date.now()));
  try {
    await waitFor(() => Date.now() - last >= quietMs, `the registry to be quiet for ${quietMs} ms`, { timeoutMs });
  } finally {
    listener.dispose();
  }
}

describe('plans', () => {
  before(autoSaveOff.before);
  after(autoSaveOff.after);
  let scratch: Scratch;
  let original: vscode.Uri;
  before(async () => {
    original = vscode.Uri.joinPath(workspaceRoot(), 'work-packages.yaml');
  });
  beforeEach(() => {
    scratch = new Scratch('plans');
  });
  afterEach(async () => {
    await scratch.dispose();
    // whatever a test did, the workspace's own plan is the active one again
    const { registry } = await wavesApi();
    if (registry.active?.uri.toString() !== original.toString()) await registry.setActive(original);
  });

  it('finds a <name>.work-packages.yaml written later, and follows its changes on disk', async () => {
    const { registry } = await wavesApi();
    const uri = await scratch.write('api.work-packages.yaml', PLAN('api'));
    const entry = await waitForPlan({ registry }, uri, 'the new plan in the registry');
    assert.deepEqual(entry.analysis.graph.waves, [['api-one'], ['api-two']]);
    assert.equal(entry.label, vscode.workspace.asRelativePath(uri, false));
    assert.equal(registry.active?.uri.toString(), original.toString(), 'a new plan does not take the active place');
    await scratch.write('api.work-packages.yaml', PLAN('api').replace('    depends_on: [api-one]\n', ''));
    const changed = await waitForPlan({ registry }, uri, 'the change on disk', (e) => e.analysis.graph.waves.length === 1);
    assert.deepEqual(changed.analysis.graph.waves, [['api-one', 'api-two']]);
  });

  it("shows the plan at the folder's root first, before the workspace search has found the others", async () => {
    const { registry } = await wavesApi();
    const nested = await scratch.write('deep/inner/nested.work-packages.yaml', PLAN('nested'));
    await waitForPlan({ registry }, nested, 'the nested plan, searchable');
    // A registry of its own, as activation makes one: what its first change shows.
    const values = new Map<string, unknown>();
    const memento = { get: (k: string, d?: unknown) => values.get(k) ?? d, update: async (k: string, v: unknown) => void values.set(k, v), keys: () => [...values.keys()] } as vscode.Memento;
    const log = vscode.window.createOutputChannel('Waves plans test', { log: true });
    let searched = false;
    let first: { plans: string[]; searched: boolean } | undefined;
    const fresh = new PlanRegistry(memento, log);
    const listener = fresh.onDidChange(() => (first ??= { plans: fresh.plans.map((p) => p.uri.toString()), searched }));
    try {
      await fresh.ready.then(() => (searched = true));
      assert.ok(first, 'the registry changed');
      // The plan files at the folder's root (the workspace's own; a test may have left another).
      const atRoot = (await vscode.workspace.fs.readDirectory(workspaceRoot()))
        .filter(([name, type]) => type & vscode.FileType.File && (name === 'work-packages.yaml' || name.endsWith('.work-packages.yaml')))
        .map(([name]) => vscode.Uri.joinPath(workspaceRoot(), name).toString());
      assert.ok(atRoot.includes(original.toString()));
      assert.deepEqual({ plans: [...first.plans].sort(), searched: first.searched }, { plans: atRoot.sort(), searched: false }, 'first: the root plans alone, before the search ended');
      const all = fresh.plans.map((p) => p.uri.toString());
      assert.ok(all.includes(original.toString()) && all.includes(nested.toString()), `after the search: ${all.join(', ')}`);
      assert.equal(fresh.active?.uri.toString(), original.toString());
    } finally {
      listener.dispose();
      fresh.dispose();
      log.dispose();
    }
  });

  it('a plan swapped for a FIFO is neither read nor followed any more, and the editor goes on (#32)', async () => {
    const { registry } = await wavesApi();
    const uri = await scratch.write('fifo.work-packages.yaml', PLAN('fifo'));
    await waitForPlan({ registry }, uri, 'the plan in the registry');
    // Swapped in one rename, as an agent could: no delete comes first to drop the plan.
    const pipe = `${uri.fsPath}.fifo`;
    execFileSync('mkfifo', [pipe]);
    fs.renameSync(pipe, uri.fsPath);
    const started = Date.now();
    assert.equal(await registry.reanalyze(uri, { fromDisk: true }), undefined, 'not followed');
    assert.ok(Date.now() - started < 5000, `read at once (${Date.now() - started} ms), never waiting on the FIFO`);
    const next = await scratch.write('after.work-packages.yaml', PLAN('after'));
    await waitForPlan({ registry }, next, 'a plan written after the FIFO');
  });

  it('finds a plan that arrives with many new folders at once (a checkout, an unzip)', async () => {
    const { registry } = await wavesApi();
    const writes: Thenable<void>[] = [];
    for (let i = 0; i < 80; i++)
      writes.push(vscode.workspace.fs.writeFile(scratch.uri(`batch/d${i}/notes.txt`), new TextEncoder().encode(`${i}\n`)));
    writes.push(vscode.workspace.fs.writeFile(scratch.uri('batch/d42/deep/work-packages.yaml'), new TextEncoder().encode(PLAN('batch'))));
    await Promise.all(writes);
    const entry = await waitForPlan({ registry }, scratch.uri('batch/d42/deep/work-packages.yaml'), 'the plan among the new folders');
    assert.deepEqual(entry.analysis.graph.waves, [['batch-one'], ['batch-two']]);
  });

  it('never follows plans inside node_modules, .git, .waves or worktree folders', async function () {
    this.timeout(30_000);
    const { registry } = await wavesApi();
    const skipped = ['node_modules/pkg', '.waves/runs', 'feature.worktrees/wp-a', '.worktrees/wp-b', '.git/x'];
    const uris = skipped.map((folder) => scratch.uri(`${folder}/work-packages.yaml`));
    const created = createdPaths();
    try {
      // One folder level at a time, each reported before the next is made: the watcher of a
      // folder starts when its creation is seen, so what is written into a folder made just
      // before may go unreported, and then this test would prove nothing.
      const made = new Set<string>();
      const mkdir = async (uri: vscode.Uri, what: string) => {
        if (made.has(uri.toString())) return;
        made.add(uri.toString());
        await vscode.workspace.fs.createDirectory(uri);
        await waitFor(() => created.seen.has(uri.toString()), `the watcher to report ${what}`, { timeoutMs: 5_000 });
      };
      await mkdir(scratch.root, 'the test folder');
      for (const folder of skipped) {
        const [first, second] = folder.split('/');
        await mkdir(scratch.uri(first), first);
        await mkdir(scratch.uri(`${first}/${second}`), folder);
      }
      for (const uri of uris) await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(PLAN('skipped')));
      await waitFor(() => uris.every((u) => created.seen.has(u.toString())), 'the watcher to report the plans written', {
        timeoutMs: 5_000,
      });
    } finally {
      created.dispose();
    }
    // A plan written after them, in the same folder, shows that the events were handled.
    const sentinel = await scratch.write('sentinel.work-packages.yaml', PLAN('sentinel'));
    await waitForPlan({ registry }, sentinel, 'the plan written last');
    // Nothing is left to come once the registry has been quiet for a while (a negative
    // assertion needs a window; this one is bounded and ends as soon as it is quiet).
    await waitForQuiet(registry, 1_000);
    const followed = registry.plans.map((p) => p.label).filter((l) => l.startsWith(vscode.workspace.asRelativePath(scratch.root, false)));
    assert.deepEqual(followed, [vscode.workspace.asRelativePath(sentinel, false)], 'plans followed in the test folder');
    // and a full search agrees
    await registry.refresh();
    assert.deepEqual(
      uris.filter((u) => registry.get(u)).map((u) => u.toString()),
      [],
    );
  });

  it('the active plan: chosen with setActive, and the first plan again when it is deleted', async () => {
    const { registry } = await wavesApi();
    const uri = await scratch.write('second.work-packages.yaml', PLAN('second'));
    await waitForPlan({ registry }, uri, 'the second plan');
    let changes = 0;
    const listener = registry.onDidChange(() => changes++);
    try {
      await registry.setActive(uri);
      assert.ok(changes > 0, 'setActive fires onDidChange');
      assert.equal(registry.active?.uri.toString(), uri.toString());
      assert.equal(registry.active?.analysis.plan.feature?.id, 'second');
      await vscode.workspace.fs.delete(uri);
      await waitFor(() => registry.active?.uri.toString() === original.toString(), 'the first plan to be active again');
      assert.equal(registry.get(uri), undefined);
    } finally {
      listener.dispose();
    }
  });

  it('a plan added later never becomes active by itself, even one that sorts first (#6)', async () => {
    const { registry } = await wavesApi();
    await registry.setActive(undefined); // no choice of the user: the default plan is active
    assert.equal(registry.active?.uri.toString(), original.toString());
    // At the root, like the active plan, and first by name: the default before this fix.
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'aa.work-packages.yaml');
    try {
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(PLAN('aa')));
      await waitForPlan({ registry }, uri, 'the copied plan');
      await waitForQuiet(registry, 400);
      assert.equal(registry.active?.uri.toString(), original.toString(), 'the active plan stays');
    } finally {
      await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    }
  });

  it('a plan opened in an editor is followed as typed even before it is saved', async () => {
    const { registry } = await wavesApi();
    const uri = await scratch.write('typed.work-packages.yaml', PLAN('typed'));
    await waitForPlan({ registry }, uri, 'the plan');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(doc.lineCount - 1, 0), '  - package_id: typed-three\n    depends_on: [typed-two]\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const entry = await waitForPlan({ registry }, uri, 'the typed package', (e) => e.documentVersion === doc.version);
    assert.deepEqual(entry.analysis.graph.waves, [['typed-one'], ['typed-two'], ['typed-three']]);
  });
});
