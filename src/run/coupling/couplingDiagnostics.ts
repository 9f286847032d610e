/**
 * The coupling check in the editor: for each plan open in an editor (or shown in
 * the DAG panel), the engine's `couplingOfPlan` — imports across parallel packages' write
 * scopes, read from the repository with a real parser — after the plan's analysis, debounced,
 * never in its way. Its warnings go to the Problems panel (source `waves`, code `coupling`) with
 * the quick fix that adds the dependency; the DAG panel draws them as coupling edges.
 *
 * Started by the first plan opened in a trusted workspace (couplingStart.ts); the engine
 * (`dist/engine.js`) loads with its first check, never at activation (ADR 0023, ADR 0029).
 * One copy, the activation bundle's: the DAG panel gets `couplingCheck` through `src/onDemand.ts`'s deps.
 */
import * as vscode from 'vscode';
import type { Coupling } from '../../core/ownership/coupling';
import type { PlanAnalysis } from '../../core/plan/analyze';
import type { Diagnostic as CoreDiagnostic } from '../../core/plan/model';
import { toRange } from '../../plan/convert';
import type { PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';

/** After the plan's analysis settles; a save of any file of the repository asks again. */
const DEBOUNCE_MS = 400;

interface Result {
  analysis: PlanAnalysis;
  diagnostics: CoreDiagnostic[];
  couplings: Coupling[];
}

export class CouplingDiagnostics extends Disposable implements vscode.CodeActionProvider {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('waves-coupling'));
  private readonly results = new Map<string, Result>();
  /** Plans the DAG panel shows, checked though no editor shows them. */
  private readonly asked = new Set<string>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly noted = new Set<string>();
  private readonly changed = this.register(new vscode.EventEmitter<string>());
  /** A plan's couplings changed (its URI as a string). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly registry: PlanRegistry,
    selector: vscode.DocumentSelector,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(vscode.languages.registerCodeActionsProvider(selector, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }));
    this.register(registry.onDidChange(() => this.schedule(false)));
    this.register(vscode.workspace.onDidOpenTextDocument(() => this.schedule(false)));
    this.register(vscode.workspace.onDidCloseTextDocument(() => this.schedule(false)));
    // A source file saved may import (or stop importing) another package's file.
    this.register(vscode.workspace.onDidSaveTextDocument((d) => this.schedule(!registry.get(d.uri))));
    this.register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
    this.schedule(false);
  }

  /** The couplings found in a plan (its URI as a string), as of its last check. */
  couplingsOf(uri: string): Coupling[] {
    return this.results.get(uri)?.couplings ?? [];
  }

  /** Checks a plan no editor shows (the DAG panel's). */
  ask(uri: vscode.Uri): void {
    this.asked.add(uri.toString());
    this.schedule(false);
  }

  /** The plans open in an editor or asked about, each checked when its analysis is newer than its result (or always: `again`). */
  private schedule(again: boolean): void {
    if (!vscode.workspace.isTrusted) return;
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    const followed = new Set<string>();
    for (const entry of this.registry.plans) {
      const key = entry.uri.toString();
      if (entry.uri.scheme !== 'file' || entry.foreign || (!open.has(key) && !this.asked.has(key))) continue;
      followed.add(key);
      if (!again && this.results.get(key)?.analysis === entry.analysis) continue;
      clearTimeout(this.timers.get(key));
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          void this.check(entry.uri);
        }, DEBOUNCE_MS),
      );
    }
    // A plan no longer followed (closed, gone) keeps no warning that would go stale.
    for (const key of [...this.results.keys()]) if (!followed.has(key)) this.publish(key, undefined);
  }

  /** One plan checked; never two checks of a plan at once (the later waits, then runs). */
  private async check(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    const before = this.running.get(key);
    const run = (async () => {
      await before;
      const entry = this.registry.get(uri);
      if (!entry) return this.publish(key, undefined);
      const started = Date.now();
      const { couplingOfPlan } = await import('../../engine');
      const scan = await couplingOfPlan(uri.fsPath, entry.analysis);
      for (const note of scan.notes) if (!this.noted.has(note) && this.noted.add(note)) this.log.warn(`${entry.label}: ${note}`);
      if (this.registry.get(uri)?.analysis !== entry.analysis) return; // overtaken: the newer analysis is scheduled
      if (!this.asked.has(key) && !vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) return; // closed meanwhile
      this.log.debug(`Coupling of ${entry.label}: ${scan.diagnostics.length} warning(s), ${scan.parsed} file(s) parsed in ${Date.now() - started} ms`);
      this.publish(key, { analysis: entry.analysis, diagnostics: scan.diagnostics, couplings: scan.couplings });
    })().catch((err) => this.log.error(`The coupling check of ${uri.fsPath} failed: ${err instanceof Error ? err.message : String(err)}`));
    this.running.set(key, run);
    await run;
    if (this.running.get(key) === run) this.running.delete(key);
  }

  private publish(key: string, result: Result | undefined): void {
    const had = this.results.get(key)?.couplings ?? [];
    if (result) this.results.set(key, result);
    else this.results.delete(key);
    const uri = vscode.Uri.parse(key);
    this.collection.set(uri, (result?.diagnostics ?? []).map((d) => toVscode(result!.analysis, d)));
    const now = result?.couplings ?? [];
    if (had.length !== now.length || had.some((c, k) => c.message !== now[k].message)) this.changed.fire(key);
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const result = this.results.get(document.uri.toString());
    if (!result || result.analysis.text !== document.getText()) return [];
    const actions: vscode.CodeAction[] = [];
    for (const shown of context.diagnostics) {
      if (shown.code !== 'coupling') continue;
      const core = result.diagnostics.find((d) => d.message === shown.message && toRange(result.analysis.lines, d.range).isEqual(shown.range));
      for (const fix of core?.fixes ?? []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [shown];
        action.isPreferred = fix.preferred;
        action.edit = new vscode.WorkspaceEdit();
        for (const edit of fix.edits) action.edit.replace(document.uri, toRange(result.analysis.lines, edit.range), edit.newText);
        actions.push(action);
      }
    }
    return actions;
  }
}

function toVscode(analysis: PlanAnalysis, d: CoreDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(analysis.lines, d.range), d.message, vscode.DiagnosticSeverity.Warning);
  diagnostic.source = 'waves';
  diagnostic.code = d.code;
  return diagnostic;
}

let current: CouplingDiagnostics | undefined;

/** Starts the coupling check (once per extension host); what couplingStart.ts calls. */
export function startCoupling(registry: PlanRegistry, selector: vscode.DocumentSelector, log: vscode.LogOutputChannel): vscode.Disposable {
  current ??= new CouplingDiagnostics(registry, selector, log);
  const started = current;
  return { dispose: () => (started.dispose(), current === started && (current = undefined)) };
}

/** The running coupling check, for the DAG panel (undefined before the first plan was opened). */
export function couplingCheck(): CouplingDiagnostics | undefined {
  return current;
}
