/**
 * Run actions as CodeLenses on a plan file, next to the plan's own `wave N · k dependents`
 * lens: `Run Plan` (or `Cancel Run` while one goes) on the first package, `Run Wave N` on the
 * first package of each wave, `Run Package` on each package — each only where it can act now
 * (`whyNot`), and none at all in Restricted Mode or with `waves.codeLens.enabled` off. A lens
 * runs the same command as the palette, with the plan and its target as argument.
 */
import * as vscode from 'vscode';
import { toRange } from '../../plan/convert';
import { PLAN_SELECTOR, type PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import type { LiveRuns } from './liveRuns';
import type { RunFacts } from './runFacts';

export class RunLenses extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly registry: PlanRegistry,
    private readonly controller: Pick<RunFacts, 'whyNot'>,
    live: LiveRuns,
  ) {
    super();
    this.register(vscode.languages.registerCodeLensProvider(PLAN_SELECTOR, this));
    const fire = () => this.changed.fire();
    this.register(registry.onDidChange(fire));
    this.register(live.onDidChangeRuns(fire));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(fire));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.codeLens.enabled')) fire();
      }),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted) return [];
    if (!vscode.workspace.getConfiguration('waves', document.uri).get<boolean>('codeLens.enabled', true)) return [];
    const entry = this.registry.get(document.uri);
    // Lenses of the text on disk only: a run reads the saved plan, and positions must match.
    if (!entry || entry.analysis.text !== document.getText()) return [];
    const { analysis } = entry;
    const c = this.controller;
    const uri = entry.uri;
    const lenses: vscode.CodeLens[] = [];
    const packages = analysis.plan.packages.filter((p) => p.id && analysis.graph.indexOf.has(p.id));
    const first = packages[0];
    if (!first) return [];
    const at = (range: { start: number; end: number }) => toRange(analysis.lines, range);

    if (c.whyNot('runPlan', entry) === null) {
      lenses.push(new vscode.CodeLens(at(first.idRange), { title: '$(play) Run Plan', tooltip: 'Run every package of this plan (Waves: Run Plan)', command: 'waves.runPlan', arguments: [uri] }));
    } else if (c.whyNot('cancelRun', entry) === null) {
      lenses.push(new vscode.CodeLens(at(first.idRange), { title: '$(debug-stop) Cancel Run', tooltip: 'Cancel the run of this plan (Waves: Cancel Run)', command: 'waves.cancelRun', arguments: [uri] }));
    }
    const waveShown = new Set<number>();
    for (const p of packages) {
      const wave = analysis.graph.wave[analysis.graph.indexOf.get(p.id)!];
      const range = at(p.idRange);
      if (wave !== null && wave !== undefined && !waveShown.has(wave)) {
        waveShown.add(wave);
        if (c.whyNot('runWave', entry, { wave }) === null)
          lenses.push(new vscode.CodeLens(range, { title: `$(play) Run Wave ${wave}`, tooltip: `Run the packages of wave ${wave}`, command: 'waves.runWave', arguments: [{ uri, wave }] }));
      }
      if (c.whyNot('runPackage', entry, { packageId: p.id }) === null)
        lenses.push(new vscode.CodeLens(range, { title: '$(play) Run Package', tooltip: `Run ${p.id} alone`, command: 'waves.runPackage', arguments: [{ uri, packageId: p.id }] }));
    }
    return lenses;
  }
}
