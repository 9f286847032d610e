import * as vscode from 'vscode';
import type { ForeignAnalysis } from '../core/formats/foreignAnalysis';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { Located, PlanPackage } from '../core/plan/model';
import { Disposable } from '../util/lifecycle';
import { toRange } from './convert';
import { FOUND_SELECTOR, isPlanUri, packageUri, type PlanRegistry } from './planRegistry';

/** What the cursor is on: a package's own id, or an id inside some package's depends_on. */
interface IdAt {
  id: string;
  /** The range under the cursor. */
  range: Located<string>['range'];
}

function idAt(analysis: PlanAnalysis, offset: number): IdAt | undefined {
  for (const p of analysis.plan.packages) {
    if (offset < p.range.start || offset > p.range.end) continue; // (a package of another file of a folder is at -1: never here)
    if (p.id && offset >= p.idRange.start && offset <= p.idRange.end) return { id: p.id, range: p.idRange };
    const dep = p.dependsOn.find((d) => offset >= d.range.start && offset <= d.range.end);
    if (dep) return { id: dep.value, range: dep.range };
  }
  return undefined;
}

function packageById(analysis: PlanAnalysis, id: string): PlanPackage | undefined {
  return analysis.plan.packages.find((p) => p.id === id);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Markdown summary of a package, shared by hovers. */
export function describePackage(analysis: PlanAnalysis, p: PlanPackage): vscode.MarkdownString {
  const i = analysis.graph.indexOf.get(p.id);
  const wave = i === undefined ? null : analysis.graph.wave[i];
  const dependents = i === undefined ? [] : analysis.graph.dependents[i].map((j) => analysis.graph.ids[j]);
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escape(p.id)}**${p.title ? ` — ${escape(p.title)}` : ''}\n\n`);
  md.appendMarkdown(`${wave === null ? 'No wave (on or behind a dependency cycle)' : `Wave ${wave}`}`);
  if (analysis.graph.criticalPath.includes(p.id)) md.appendMarkdown(' · on the critical path');
  md.appendMarkdown('\n\n');
  if (p.description) md.appendMarkdown(`${escape(p.description)}\n\n`);
  const list = (label: string, values: string[]) => {
    if (values.length) md.appendMarkdown(`${label}: ${values.map((v) => `\`${v.replace(/`/g, "'")}\``).join(', ')}  \n`);
  };
  const foreign = (analysis as Partial<ForeignAnalysis>).foreign;
  const source = foreign?.packages[p.index];
  if (source) {
    // A task list of another tool: what it states and what is only implied or guessed.
    list('Depends on', source.dependencies.filter((d) => d.kind === 'explicit').map((d) => d.id));
    list('Depends on (implied by order or phase)', source.dependencies.filter((d) => d.kind === 'implied').map((d) => d.id));
  } else list('Depends on', p.dependsOn.map((d) => d.value));
  list('Dependents', dependents);
  list('Writes', p.scope.writeAllow.map((g) => g.value));
  if (source && source.declaredWrites.length === 0) list('Write scope: none declared; its text names', source.writeGuesses.map((g) => g.value));
  list('Denied', p.scope.deny.map((g) => g.value));
  list('Locks', [...p.locks.files, ...p.locks.keys].map((l) => l.value));
  if (foreign) {
    const tasks = (source?.sourceIds ?? [p.id]).map((t) => `\`${t.replace(/`/g, "'")}\``).join(', ');
    md.appendMarkdown(`\nFrom ${source && source.sourceIds.length > 1 ? 'tasks' : 'task'} ${tasks} of a ${foreign.formatName}, read-only.\n`);
  }
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/**
 * Where a package is defined: in this document, or — one file of a folder read as one plan —
 * in the file of the folder it is written in (its range there from that file's own view).
 */
function locationOf(registry: PlanRegistry, uri: vscode.Uri, analysis: PlanAnalysis, p: PlanPackage): vscode.Location | undefined {
  const entry = registry.get(uri);
  const folder = entry?.folder && registry.get(entry.folder);
  if (!folder || p.idRange.start >= 0) return new vscode.Location(uri, toRange(analysis.lines, p.idRange));
  const file = packageUri(folder, p.index);
  const there = registry.get(file)?.analysis;
  const target = there?.plan.packages[p.index];
  return there && target && target.idRange.start >= 0 ? new vscode.Location(file, toRange(there.lines, target.idRange)) : undefined;
}

/** Go to definition, find references and hover on package ids; a CodeLens over each package. */
export class PlanNavigation
  extends Disposable
  implements vscode.DefinitionProvider, vscode.ReferenceProvider, vscode.HoverProvider, vscode.CodeLensProvider
{
  private readonly lensesChanged = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.lensesChanged.event;

  constructor(private readonly registry: PlanRegistry) {
    super();
    this.register(vscode.languages.registerDefinitionProvider(FOUND_SELECTOR, this));
    this.register(vscode.languages.registerReferenceProvider(FOUND_SELECTOR, this));
    this.register(vscode.languages.registerHoverProvider(FOUND_SELECTOR, this));
    this.register(vscode.languages.registerCodeLensProvider(FOUND_SELECTOR, this));
    this.register(registry.onDidChange(() => this.lensesChanged.fire()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.codeLens.enabled')) this.lensesChanged.fire();
      }),
    );
  }

  /** The analysis of exactly this document's text (re-analysed now if the registry lags). */
  private async analysisOf(document: vscode.TextDocument): Promise<PlanAnalysis | undefined> {
    const entry = this.registry.get(document.uri);
    if (entry && entry.analysis.text === document.getText()) return entry.analysis;
    // A file named like a task list that the registry does not follow is none: not read again on every hover.
    if (!entry && !isPlanUri(document.uri)) return undefined;
    return (await this.registry.reanalyze(document.uri))?.analysis;
  }

  async provideDefinition(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Location | undefined> {
    const analysis = await this.analysisOf(document);
    if (!analysis) return undefined;
    const at = idAt(analysis, document.offsetAt(position));
    const target = at && packageById(analysis, at.id);
    return target ? locationOf(this.registry, document.uri, analysis, target) : undefined;
  }

  async provideReferences(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.ReferenceContext,
  ): Promise<vscode.Location[]> {
    const analysis = await this.analysisOf(document);
    if (!analysis) return [];
    const at = idAt(analysis, document.offsetAt(position));
    if (!at) return [];
    const locations: vscode.Location[] = [];
    const definition = packageById(analysis, at.id);
    if (definition && context.includeDeclaration) {
      const at = locationOf(this.registry, document.uri, analysis, definition);
      if (at) locations.push(at);
    }
    for (const p of analysis.plan.packages) {
      for (const d of p.dependsOn) if (d.value === at.id && d.range.start >= 0) locations.push(new vscode.Location(document.uri, toRange(analysis.lines, d.range)));
    }
    return locations;
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const analysis = await this.analysisOf(document);
    if (!analysis) return undefined;
    const at = idAt(analysis, document.offsetAt(position));
    if (!at) return undefined;
    const p = packageById(analysis, at.id);
    const range = toRange(analysis.lines, at.range);
    if (!p) return new vscode.Hover(new vscode.MarkdownString(`\`${at.id}\` is not a package of this plan`), range);
    return new vscode.Hover(describePackage(analysis, p), range);
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration('waves', document.uri).get<boolean>('codeLens.enabled', true)) return [];
    const analysis = await this.analysisOf(document);
    if (!analysis) return [];
    const { graph } = analysis;
    const lenses: vscode.CodeLens[] = [];
    const seen = new Set<string>();
    for (const p of analysis.plan.packages) {
      const i = graph.indexOf.get(p.id);
      if (i === undefined || seen.has(p.id) || p.idRange.start < 0) continue; // (a package of another file of a folder)
      seen.add(p.id);
      const wave = graph.wave[i];
      const dependents = graph.dependents[i];
      const range = toRange(analysis.lines, p.idRange);
      const references = dependents.flatMap((j) => {
        const dependent = packageById(analysis, graph.ids[j]);
        const edge = dependent?.dependsOn.find((d) => d.value === p.id);
        return edge && edge.range.start >= 0 ? [new vscode.Location(document.uri, toRange(analysis.lines, edge.range))] : [];
      });
      lenses.push(
        new vscode.CodeLens(range, {
          title: `${wave === null ? 'no wave (cycle)' : `wave ${wave}`} · ${plural(dependents.length, 'dependent')}`,
          tooltip: dependents.length ? 'Show the packages that depend on this one' : 'No package depends on this one',
          command: dependents.length ? 'editor.action.showReferences' : '',
          arguments: dependents.length ? [document.uri, range.start, references] : undefined,
        }),
      );
    }
    return lenses;
  }
}
