import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic } from '../core/plan/model';
import { Disposable } from '../util/lifecycle';
import { toRange, toSeverity } from './convert';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { NestedPlans } from './nestedPlans';
import { PLAN_SELECTOR, type PlanRegistry } from './planRegistry';

export const DIAGNOSTIC_SOURCE = 'waves';

/** Publishes the engine's diagnostics of every plan, and of the sub-plans they name, to the Problems panel. */
export class PlanDiagnostics extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('waves'));

  constructor(
    private readonly registry: PlanRegistry,
    private readonly nested: NestedPlans,
  ) {
    super();
    // The nesting is read again on each change of the registry, then says so: one publish for both.
    this.register(nested.onDidChange(() => this.publish()));
    this.publish();
  }

  private publish(): void {
    const seen = new Set<string>();
    for (const entry of this.registry.plans) {
      // A folder read as one plan (GSD, Spec Kitty): each file's diagnostics on it, in its own lines.
      for (const { uri, analysis } of entry.files ?? [entry]) {
        seen.add(uri.toString());
        this.collection.set(uri, analysis.diagnostics.map((d) => toVscodeDiagnostic(analysis, d)));
      }
      // Plans of plans: each sub-plan's problems, its own and the nesting's, in its own file; the top plan's nesting in its.
      for (const p of this.nested.of(entry) ?? []) {
        const uri = p.parent ? vscode.Uri.file(p.key) : entry.uri;
        seen.add(uri.toString());
        const all = [...p.analysis.diagnostics, ...p.nesting];
        this.collection.set(uri, all.map((d) => toVscodeDiagnostic(p.analysis, d)));
      }
    }
    this.collection.forEach((uri) => {
      if (!seen.has(uri.toString())) this.collection.delete(uri);
    });
  }
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
