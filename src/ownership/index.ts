import * as vscode from 'vscode';
import type { PlanRegistry } from '../plan/planRegistry';
import type { RunWatch } from '../run/run/runWatch';
import { OwnershipTree } from './ownershipTree';
import { OwnershipEditorDecorations, OwnershipFileDecorations } from './decorations';
import { OwnershipCommands } from './ownershipCommands';
import { OwnershipModel } from './ownershipModel';

/** The ownership parts, as the extension's test API exposes them. */
export interface OwnershipParts {
  /** The run watch these parts follow (built and owned by `src/run`). */
  readonly runs: RunWatch;
  readonly model: OwnershipModel;
  readonly files: OwnershipFileDecorations;
  readonly editor: OwnershipEditorDecorations;
  readonly commands: OwnershipCommands;
  readonly tree: OwnershipTree;
}

/** Builds every ownership surface over the run watch it is given; each part is a disposable of the result (the watch is not). */
export function createOwnership(extensionUri: vscode.Uri, registry: PlanRegistry, runs: RunWatch, log: vscode.LogOutputChannel): OwnershipParts & vscode.Disposable {
  const model = new OwnershipModel(registry, runs, log);
  const parts = {
    runs,
    model,
    files: new OwnershipFileDecorations(model),
    editor: new OwnershipEditorDecorations(model, extensionUri),
    commands: new OwnershipCommands(model),
    tree: new OwnershipTree(model),
  };
  const all = [parts.tree, parts.commands, parts.editor, parts.files, model];
  return { ...parts, dispose: () => all.forEach((d) => d.dispose()) };
}
