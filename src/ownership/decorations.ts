import * as vscode from 'vscode';
import { OWNERSHIP_MEANING, type OwnershipKind } from '../core/ownership/ownershipState';
import { code, escapeMarkdown } from '../core/present/planStatusText';
import { Disposable } from '../util/lifecycle';
import type { OwnershipModel, OwnershipReport } from './ownershipModel';

/**
 * Explorer badges, tooltips and colours: one `FileDecorationProvider` over the model.
 * Folders are answered from the model's folder states (a state only when every file under
 * the folder shares it), so nothing is propagated by VS Code.
 */
export class OwnershipFileDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>());
  readonly onDidChangeFileDecorations = this.changed.event;

  constructor(private readonly model: OwnershipModel) {
    super();
    this.register(model.onDidChange(() => this.changed.fire(undefined)));
    this.register(vscode.window.registerFileDecorationProvider(this));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const state = this.model.stateOf(uri);
    if (!state) return undefined;
    const decoration = new vscode.FileDecoration(state.badge, state.tooltip, new vscode.ThemeColor(state.colorId));
    decoration.propagate = false;
    return decoration;
  }
}

/** The states that mark an editor: an agent may be writing the file. */
const EDITOR_KINDS: readonly OwnershipKind[] = ['running', 'locked'];

/**
 * In the editor: for a file owned by a running package or locked, a gutter icon on the first
 * line and a mark along the overview ruler (one decoration type per state and place); a
 * hover on the first line of any file the plan says something about.
 */
export class OwnershipEditorDecorations extends Disposable implements vscode.HoverProvider {
  private readonly gutter = new Map<OwnershipKind, vscode.TextEditorDecorationType>();
  private readonly ruler = new Map<OwnershipKind, vscode.TextEditorDecorationType>();

  constructor(
    private readonly model: OwnershipModel,
    extensionUri: vscode.Uri,
  ) {
    super();
    for (const kind of EDITOR_KINDS) {
      const icon = (theme: string) => vscode.Uri.joinPath(extensionUri, 'media', `ownership-${kind}-${theme}.svg`);
      this.gutter.set(
        kind,
        this.register(
          vscode.window.createTextEditorDecorationType({
            light: { gutterIconPath: icon('light'), gutterIconSize: '80%' },
            dark: { gutterIconPath: icon('dark'), gutterIconSize: '80%' },
          }),
        ),
      );
      this.ruler.set(
        kind,
        this.register(
          vscode.window.createTextEditorDecorationType({
            overviewRulerColor: new vscode.ThemeColor(`waves.ownership.${kind}Foreground`),
            overviewRulerLane: vscode.OverviewRulerLane.Left,
          }),
        ),
      );
    }
    this.register(model.onDidChange(() => this.decorateAll()));
    this.register(vscode.window.onDidChangeVisibleTextEditors(() => this.decorateAll()));
    // An edit above the first line would move or stretch the mark: put it back on line 1.
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.shown.has(e.document.uri.toString()) && e.contentChanges.some((c) => c.range.start.line === 0)) this.decorateAll();
      }),
    );
    this.register(vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'vscode-remote' }], this));
    this.decorateAll();
  }

  /** The kind each visible editor shows (for tests): uri → kind, or none. */
  readonly shown = new Map<string, OwnershipKind>();

  private decorateAll(): void {
    this.shown.clear();
    for (const editor of vscode.window.visibleTextEditors) {
      const state = this.model.stateOf(editor.document.uri);
      const kind = state && EDITOR_KINDS.includes(state.kind) ? state.kind : undefined;
      const whole = new vscode.Range(0, 0, Math.max(editor.document.lineCount - 1, 0), 0);
      for (const k of EDITOR_KINDS) {
        editor.setDecorations(this.gutter.get(k)!, k === kind ? [{ range: new vscode.Range(0, 0, 0, 0), hoverMessage: undefined }] : []);
        editor.setDecorations(this.ruler.get(k)!, k === kind ? [whole] : []);
      }
      if (kind) this.shown.set(editor.document.uri.toString(), kind);
    }
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (position.line !== 0) return undefined;
    const report = this.model.report(document.uri);
    if (!report?.state) return undefined;
    const md = new vscode.MarkdownString(ownershipMarkdown(report));
    return new vscode.Hover(md, document.lineAt(0).range);
  }
}

/** The hover and "Who Owns This File?" text: owners with their scope line (a link), locks. */
export function ownershipMarkdown(report: OwnershipReport): string {
  const { facts, entry, state } = report;
  const lines: string[] = [];
  if (state) lines.push(`**Wave Orchestrator** · ${escapeMarkdown(OWNERSHIP_MEANING[state.kind])}`, '');
  const scopeLink = (slot: number, kind: 'write' | 'deny') => {
    const glob = report.globOf(slot, kind);
    if (!glob) return '';
    const line = entry.analysis.lines.position(glob.range.start).line + 1;
    const target = entry.uri.with({ fragment: `L${line}` });
    return ` through [${code(glob.value)}](${target.toString()}) (${escapeMarkdown(entry.label)}, line ${line})`;
  };
  for (const p of report.owners) {
    const status = facts.owners.find((o) => o.id === p.id)?.status;
    const extra = [p.wave !== null ? `wave ${p.wave}` : 'no wave', status].filter(Boolean).join(' · ');
    lines.push(`- Owned by ${code(p.id)} (${extra})${scopeLink(p.slot, 'write')}`);
  }
  for (const [a, b] of facts.conflicts) lines.push(`- Conflict: ${code(a)} and ${code(b)} may run in parallel and both write here`);
  for (const p of report.deniedTo) lines.push(`- In the write scope of ${code(p.id)} but denied to it${scopeLink(p.slot, 'deny')}`);
  for (const lock of facts.locks) {
    const until = lock.expiresAt === null ? 'until released' : `until ${new Date(lock.expiresAt).toLocaleString()}`;
    lines.push(`- Locked by ${code(lock.holder)} (feature ${code(lock.featureId)}) ${until}, lock ${code(lock.key)}`);
  }
  if (report.readers.length > 0) {
    const names = report.readers.slice(0, 8).map((p) => code(p.id));
    lines.push(`- Read by ${names.join(', ')}${report.readers.length > 8 ? ` and ${report.readers.length - 8} more` : ''}`);
  }
  return lines.join('\n');
}
