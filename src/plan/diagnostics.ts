import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic } from '../core/plan/model';
import { isParent } from '../core/plan/subPlans';
import type { SubPlanDisk } from '../core/plan/nestedPlan';
import { Disposable } from '../util/lifecycle';
import { readRegularFileSync } from '../util/regularFile';
import { workTreeOf } from '../util/workTree';
import { toRange, toSeverity } from './convert';
import type { PlanAnalysis } from '../core/plan/analyze';
import { maxBytesOf, maxParallelOf, planAnalysis } from './entryAnalysis';
import { PLAN_SELECTOR, type PlanEntry, type PlanRegistry } from './planRegistry';

export const DIAGNOSTIC_SOURCE = 'waves';

/** Publishes the engine's diagnostics of every plan to the Problems panel. */
export class PlanDiagnostics extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('waves'));

  /** The sub-plan files (real paths) the last publish read or looked for: a change to one publishes again. */
  private subPlanFiles = new Set<string>();
  private again: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly registry: PlanRegistry) {
    super();
    this.register(registry.onDidChange(() => this.publish()));
    // A sub-plan is no plan of the registry's (any name): its edits, saves and removal are followed here.
    const touched = (uri: vscode.Uri) => {
      if (uri.scheme === 'file' && this.subPlanFiles.has(uri.fsPath)) this.soon();
    };
    this.register(vscode.workspace.onDidChangeTextDocument((e) => touched(e.document.uri)));
    this.register(vscode.workspace.onDidCloseTextDocument((d) => touched(d.uri)));
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}'));
    this.register(watcher.onDidChange(touched));
    this.register(watcher.onDidCreate(touched));
    this.register(watcher.onDidDelete(touched));
    this.register({ dispose: () => clearTimeout(this.again) });
    this.publish();
  }

  private soon(): void {
    clearTimeout(this.again);
    this.again = setTimeout(() => this.publish(), 200);
  }

  private publish(): void {
    const seen = new Set<string>();
    const subPlanFiles = new Set<string>();
    for (const entry of this.registry.plans) {
      // A folder read as one plan (GSD, Spec Kitty): each file's diagnostics on it, in its own lines.
      for (const { uri, analysis } of entry.files ?? [entry]) {
        seen.add(uri.toString());
        this.collection.set(uri, analysis.diagnostics.map((d) => toVscodeDiagnostic(analysis, d)));
      }
    }
    // Plans of plans: each sub-plan read (its open text, else the disk) and checked inside its parent; its problems in its own file.
    for (const entry of this.registry.plans) {
      if (entry.foreign || entry.files || entry.uri.scheme !== 'file' || !entry.analysis.plan.packages.some(isParent)) continue;
      for (const p of nestedOf(entry, subPlanFiles)) {
        const uri = p.parent ? vscode.Uri.file(p.key) : entry.uri;
        seen.add(uri.toString());
        const all = [...p.analysis.diagnostics, ...p.nesting];
        this.collection.set(uri, all.map((d) => toVscodeDiagnostic(p.analysis, d)));
      }
    }
    this.subPlanFiles = subPlanFiles;
    this.collection.forEach((uri) => {
      if (!seen.has(uri.toString())) this.collection.delete(uri);
    });
  }
}

/** A plan's entry with its sub-plans (the top plan first); each sub-plan file read or looked for is added to `files`. */
function nestedOf(entry: PlanEntry, files: Set<string>) {
  const real = (file: string): string => {
    try {
      return fs.realpathSync(file);
    } catch {
      // not there: its own path names it (a missing sub-plan is said at its parent)
      return path.resolve(file);
    }
  };
  const maxBytes = maxBytesOf(entry.uri);
  const top = real(entry.uri.fsPath);
  const root = real(workTreeOf(path.dirname(top))?.root ?? path.dirname(top));
  const disk: SubPlanDisk = {
    realpath: (abs) => {
      files.add(abs);
      try {
        const found = fs.realpathSync(abs);
        files.add(found);
        return { real: found };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return { why: code === 'ENOENT' ? 'no such file' : code ?? String(err) };
      }
    },
    read: (file) => {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
      if (open) return open.getText().length > maxBytes ? { error: `the sub-plan ${vscode.workspace.asRelativePath(file)} is over the ${(maxBytes / 1_048_576).toFixed(1)} MB the editor analyses (setting waves.plan.maxSizeMB)` } : { text: open.getText() };
      try {
        const size = fs.statSync(file).size;
        if (size > maxBytes) return { error: `the sub-plan ${vscode.workspace.asRelativePath(file)} is over the ${(maxBytes / 1_048_576).toFixed(1)} MB the editor analyses (setting waves.plan.maxSizeMB)` };
        const text = readRegularFileSync(file).toString('utf8');
        return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
      } catch (err) {
        return { error: `cannot read the sub-plan ${vscode.workspace.asRelativePath(file)}: ${err instanceof Error ? err.message : String(err)}` };
      }
    },
    shown: (abs) => vscode.workspace.asRelativePath(abs),
  };
  const { analyzeNested, subPlanReader } = planAnalysis();
  return analyzeNested({ key: top, file: entry.label, text: entry.analysis.text, analysis: entry.analysis }, subPlanReader(root, disk), { maxParallel: maxParallelOf(entry.uri) });
}

function toVscodeDiagnostic(analysis: PlanAnalysis, d: CoreDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(analysis.lines, d.range), d.message, toSeverity(d.severity));
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = d.code;
  if (d.code === 'unknown-field') diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  return diagnostic;
}

/**
 * Quick fixes: the engine computes each fix as text edits on the text it analysed; they are
 * offered only while that text is still the document's.
 */
export class PlanQuickFixes extends Disposable implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly registry: PlanRegistry) {
    super();
    this.register(vscode.languages.registerCodeActionsProvider(PLAN_SELECTOR, this, PlanQuickFixes.metadata));
  }

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const entry = this.registry.get(document.uri);
    if (!entry || entry.analysis.text !== document.getText()) return [];
    const { analysis } = entry;
    const actions: vscode.CodeAction[] = [];
    for (const shown of context.diagnostics) {
      if (shown.source !== DIAGNOSTIC_SOURCE) continue;
      const core = analysis.diagnostics.find((d) => d.code === shown.code && toRange(analysis.lines, d.range).isEqual(shown.range));
      for (const fix of core?.fixes ?? []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [shown];
        action.isPreferred = fix.preferred;
        action.edit = new vscode.WorkspaceEdit();
        for (const edit of fix.edits) action.edit.replace(document.uri, toRange(analysis.lines, edit.range), edit.newText);
        actions.push(action);
      }
    }
    return actions;
  }
}
