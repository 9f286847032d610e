/**
 * `waves.formats.tickSource`: a converted plan's tasks ticked in the task list it came from as
 * its packages succeed (use case tickSource.ts, the same `waves run --tick-source` uses) — as
 * the person's own edit: an open document gets a workspace edit and is saved (one undo step),
 * and never while it has unsaved changes: then the tick waits until the person saves it. A file
 * not open is replaced as the command line does.
 */
import * as vscode from 'vscode';
import { replaceFile, tickSourceTasks, type EngineEvent, type RunEngine, type TickSourceOutcome } from '../engine';
import { Disposable } from '../util/lifecycle';

type Engine = Pick<RunEngine, 'repoRoot' | 'planFile' | 'analysis'>;

export class SourceTicks extends Disposable {
  private chain: Promise<unknown> = Promise.resolve();
  /** Ticks that waited for an unsaved document, by its path: tried again when it is saved. */
  private readonly waiting = new Map<string, { engine: Engine; ids: Set<string> }>();

  constructor(
    events: vscode.Event<{ session: { engine: Engine; planUri: vscode.Uri }; event: EngineEvent }>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(
      events(({ session, event }) => {
        if (event.type !== 'package' || event.status !== 'succeeded') return;
        if (!vscode.workspace.getConfiguration('waves', session.planUri).get<boolean>('formats.tickSource', false)) return;
        this.tick(session.engine, [event.packageId]);
      }),
    );
    this.register(
      vscode.workspace.onDidSaveTextDocument((doc) => {
        const waiting = this.waiting.get(doc.uri.fsPath);
        if (!waiting) return;
        this.waiting.delete(doc.uri.fsPath);
        this.tick(waiting.engine, [...waiting.ids]);
      }),
    );
  }

  /** One tick after another: each reads what the one before wrote. Resolves when `ids` are ticked (or said why not). */
  tick(engine: Engine, ids: string[]): Promise<unknown> {
    this.chain = this.chain
      .then(async () => {
        let unsaved: string | null = null;
        const outcome = await tickSourceTasks({
          repoRoot: engine.repoRoot,
          planFile: engine.planFile,
          plan: engine.analysis.plan,
          packageIds: ids,
          write: async (file, before, after) => {
            const ok = await writeAsPerson(file, before, after);
            if (!ok) unsaved = file;
            return ok;
          },
        });
        if (unsaved) {
          const entry = this.waiting.get(unsaved) ?? { engine, ids: new Set<string>() };
          for (const id of ids) entry.ids.add(id);
          this.waiting.set(unsaved, entry);
        }
        this.tell(outcome);
      })
      .catch((err: unknown) => this.log.warn(`[tick] tasks not ticked: ${err instanceof Error ? err.message : String(err)}`));
    return this.chain;
  }

  private tell(o: TickSourceOutcome | null): void {
    if (!o) return;
    if (o.ticked.length) this.log.info(`[tick] ticked ${o.ticked.join(', ')} in ${o.file}`);
    if (o.note) this.log.warn(`[tick] ${o.note}`);
  }
}

/** An open document: edited and saved, unless it has unsaved changes or is not what was read. A file not open: replaced. */
async function writeAsPerson(file: string, before: string, after: string): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
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
