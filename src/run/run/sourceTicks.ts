/**
 * `waves.formats.tickSource`: a converted plan's tasks ticked in the task list it came from as
 * its packages succeed (use case tickSource.ts, the same `waves run --tick-source` uses) — as
 * the person's own edit: an open document gets a workspace edit and is saved (one undo step),
 * and never while it has unsaved changes: then the tick waits until the person saves it. A file
 * not open is replaced as the command line does. A proposal of Complete with Agent run from its
 * planning worktree ticks the person's own task list (in their checkout, usually the open
 * workspace folder): its document is found by the file's real path, whichever path it was opened
 * by.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { replaceFile, SourceTickQueue, type EngineEvent, type TickRun } from '../../engine';
import { Disposable } from '../../util/lifecycle';

export class SourceTicks extends Disposable {
  /** One queue per run's engine: its ticks one after another. */
  private readonly queues = new WeakMap<TickRun, SourceTickQueue>();
  /** Ticks that waited for an unsaved document, by its path: tried again when it is saved. */
  private readonly waiting = new Map<string, { run: TickRun; ids: Set<string> }>();

  constructor(
    events: vscode.Event<{ session: { engine: TickRun; planUri: vscode.Uri }; event: EngineEvent }>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(
      events(({ session, event }) => {
        if (event.type !== 'package' || event.status !== 'succeeded') return;
        if (!vscode.workspace.getConfiguration('waves', session.planUri).get<boolean>('formats.tickSource', false)) return;
        void this.tick(session.engine, [event.packageId]);
      }),
    );
    this.register(
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.uri.scheme !== 'file' || this.waiting.size === 0) return;
        const key = realPath(doc.uri.fsPath);
        const waiting = this.waiting.get(key);
        if (!waiting) return;
        this.waiting.delete(key);
        void this.tick(waiting.run, [...waiting.ids]);
      }),
    );
  }

  /** Ticks `ids` after the ticks asked before for this run; resolves when they are ticked, waiting for a save, or said why not. */
  tick(run: TickRun, ids: string[]): Promise<void> {
    let queue = this.queues.get(run);
    if (!queue) {
      queue = new SourceTickQueue(run, (line, level) => this.log[level](`[tick] ${line}`));
      this.queues.set(run, queue);
    }
    return queue.tick(ids, async (file, before, after) => {
      if (await writeAsPerson(file, before, after)) return true;
      const key = realPath(file);
      const entry = this.waiting.get(key) ?? { run, ids: new Set<string>() };
      for (const id of ids) entry.ids.add(id);
      this.waiting.set(key, entry);
      return false;
    });
  }
}

/** An open document: edited and saved, unless it has unsaved changes or is not what was read. A file not open: replaced. */
async function writeAsPerson(file: string, before: string, after: string): Promise<boolean> {
  const real = realPath(file);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && (d.uri.fsPath === file || realPath(d.uri.fsPath) === real));
  if (!doc) return replaceFile(file, before, after);
  if (doc.isDirty || doc.getText() !== before) return false;
  // Only the span that changed: the person's cursor and folds elsewhere stay as they are.
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(start), doc.positionAt(before.length - end)), after.slice(start, after.length - end));
  if (!(await vscode.workspace.applyEdit(edit))) return false;
  return doc.save();
}

/** The file's real path (links resolved), or the path as given when it cannot be resolved. */
function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    // cannot be resolved (gone, a loop): the path as given
    return file;
  }
}
