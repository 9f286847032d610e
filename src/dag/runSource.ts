/**
 * Where the DAG panel gets run states from. `RunStatusSource` is the part of issue #8's
 * `RunWatch` (src/run/runWatch.ts) the panel uses; until that lands, `RunFileSource`
 * follows `.waves/runs/*.json` itself. Wiring RunWatch in is one line in extension.ts.
 */
import * as vscode from 'vscode';
import type { RunState } from '../core/runState';
import { RUNS_FOLDER, validateRunState } from '../core/runStore';
import { Disposable } from '../util/lifecycle';

export interface RunStatusSource {
  /** The latest valid run state of a feature, if any. */
  stateFor(featureId: string): RunState | undefined;
  /** Fires when any run state may have changed. */
  readonly onDidChangeRuns: vscode.Event<unknown>;
}

/** Reads and follows every `.waves/runs/*.json` of the workspace; invalid files are ignored. */
export class RunFileSource extends Disposable implements RunStatusSource {
  private readonly states = new Map<string, { uri: string; state: RunState }>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeRuns = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(`**/${RUNS_FOLDER}/*.json`));
    this.register(watcher.onDidCreate((u) => void this.read(u)));
    this.register(watcher.onDidChange((u) => void this.read(u)));
    this.register(watcher.onDidDelete((u) => this.forget(u)));
    void vscode.workspace.findFiles(`**/${RUNS_FOLDER}/*.json`, '**/node_modules/**').then((uris) => Promise.all(uris.map((u) => this.read(u))));
  }

  stateFor(featureId: string): RunState | undefined {
    return this.states.get(featureId)?.state;
  }

  private async read(uri: vscode.Uri): Promise<void> {
    try {
      const raw = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
      const checked = validateRunState(raw);
      if (!checked.ok) {
        this.log.warn(`DAG panel: ignored run state ${uri.fsPath}: ${checked.detail}`);
        return;
      }
      this.forget(uri, false);
      this.states.set(checked.state.featureId, { uri: uri.toString(), state: checked.state });
      this.changed.fire();
    } catch (err) {
      // A file being written, or gone: the next event reads it again.
      this.log.debug(`DAG panel: could not read ${uri.fsPath}: ${String(err)}`);
    }
  }

  private forget(uri: vscode.Uri, fire = true): void {
    for (const [id, s] of this.states) if (s.uri === uri.toString()) this.states.delete(id);
    if (fire) this.changed.fire();
  }
}
