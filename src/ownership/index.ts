import * as vscode from 'vscode';
import type { PlanRegistry } from '../plan/planRegistry';
import { RunWatch } from '../run/runWatch';
import { OwnershipTree } from '../views/ownershipTree';
import { OwnershipEditorDecorations, OwnershipFileDecorations } from './decorations';
import { OwnershipCommands } from './ownershipCommands';
import { OwnershipModel } from './ownershipModel';

/** The ownership parts (issue #8), as the extension's test API exposes them. */
export interface OwnershipParts {
  readonly runs: RunWatch;
  readonly model: OwnershipModel;
  readonly files: OwnershipFileDecorations;
  readonly editor: OwnershipEditorDecorations;
  readonly commands: OwnershipCommands;
  readonly tree: OwnershipTree;
}

/** Builds the run watch and every ownership surface; each part is a disposable of the result. */
export function createOwnership(extensionUri: vscode.Uri, registry: PlanRegistry, log: vscode.LogOutputChannel): OwnershipParts & vscode.Disposable {
  const runs = new RunWatch(log);
  const model = new OwnershipModel(registry, runs, log);
  const parts = {
    runs,
    model,
    files: new OwnershipFileDecorations(model),
    editor: new OwnershipEditorDecorations(model, extensionUri),
    commands: new OwnershipCommands(model),
    tree: new OwnershipTree(model),
  };
  const all = [parts.tree, parts.commands, parts.editor, parts.files, model, runs];
  return { ...parts, dispose: () => all.forEach((d) => d.dispose()) };
}
