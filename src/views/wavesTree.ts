import * as vscode from 'vscode';
import { guardStuck, guardText } from '../core/run/integrationGuard';
import { packageRowKey, packageRunAccessible, packageRunNotes, packageRunText, statusIcon, waveRunText } from '../core/present/runStatusText';
import { isActive, type PackageRunRecord, type RunState } from '../core/run/runState';
import { Throttle } from '../core/util/throttle';
import { awaitingPick, candidateOf, isGreen } from '../core/run/candidates';
import { NO_WAVE_WHY, packageName, packageTooltip, planTooltip } from '../core/present/planStatusText';
import { plural } from '../core/util/plural';
import type { PlanEntry, PlanRegistry } from '../plan/planRegistry';
import type { NestedPlans } from '../plan/nestedPlans';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { NestedPlan } from '../core/plan/nestedPlan';
import { fromFirstStart, leavesBelow } from '../core/plan/nestTree';
import { childRunId, plannerRunId, subPlanOf as subPlanOfPackage } from '../core/plan/subPlans';
import { Disposable, KeyedDebouncer } from '../util/lifecycle';
import { errorColor, packageIcon, VIEW_ID, type PackageRef } from '../plan/packageShown';
import { NO_WAVE_SHORT, noWaveReasons, packageAccessibleLabel, planChildren, planId, type CandidateNode, type NoteNode, type PackageNode, type PlanNode, type PlannerNode, type WaveNode, type WavesNode } from './wavesNodes';

/**
 * VS Code's tree view sends the first `onDidChangeTreeData` event of a burst at once and merges
 * the next ones until 200 ms pass without one (the wait restarts with each). Run redraws go out
 * at most once per this many ms, so each is the first of its burst and shows at once.
 *
 * Each redraw is one event of one level: the waves whose rows changed (a wave's redraw draws its
 * rows and their candidates again), or a plan row with its waves. Never a row and its wave close
 * together: the workbench then refreshes the row after the wave has replaced it, fails with
 * "Tree element not found", and drops the whole redraw (a finished package left unshown).
 */
const RUN_REDRAW_MS = 220;

/**
 * VS Code's tree can lose the children of a node it is fetching: a whole-tree refresh clears the
 * extension host's cache of the tree at once, a fetch of an old row's children that reaches it
 * then gets none, and a refresh that comes meanwhile waits for that same fetch. The row stays
 * expanded and empty until the next refresh. So once this long has passed without a whole-tree
 * redraw, an opening of the view or an expansion of ours, the plan rows are redrawn (their waves
 * and rows fetched again): unseen when nothing was lost.
 */
const SETTLE_MS = 600;

/** The run states the tree shows (`LiveRuns`, src/run/run/liveRuns.ts). */
export interface TreeRuns {
  /** `where`: the plan file (the run of its repository). */
  stateFor(featureId: string, where?: vscode.Uri): RunState | undefined;
  /** Open review comments of a package. */
  openComments?(featureId: string, packageId: string): number;
  readonly onDidChangeRuns: vscode.Event<void>;
}

/**
 * The Waves view: every plan of the workspace, its waves and their packages, with problems
 * and the critical path marked. Choosing a package shows it in the plan. While the view is
 * visible it follows the cursor in a plan editor.
 */
export class WavesTree extends Disposable implements vscode.TreeDataProvider<WavesNode> {
  private readonly changed = this.register(new vscode.EventEmitter<WavesNode | WavesNode[] | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<WavesNode>;
  private roots: WavesNode[] = [];
  /** The integration guard's words each plan row shows, by node id. */
  private readonly shownGuard = new Map<string, string>();
  private readonly childrenOf = new Map<string, (WaveNode | NoteNode)[]>();
  /** Plans of plans: a parent's row holds its sub-plan's waves. */
  private readonly subPlanOf = new Map<PackageNode, (WaveNode | NoteNode)[]>();
  /** The entries made for sub-plans (no run of their own is shown: a sub-plan runs as its parent's work). */
  private readonly subEntries = new WeakSet<PlanEntry>();
  /** A sub-plan's entry under a parent row: the top plan whose run carries it out, the parent's id in that run (ADR 0035); its rows under every parent. */
  private readonly subOrigin = new Map<PlanEntry, { top: PlanEntry; prefix: string }>();
  private subRows: PackageNode[] = [];
  /** A `{by: agent}` parent's planner row, first below the parent's (ADR 0035). */
  private readonly plannerOf = new Map<PackageNode, PlannerNode>();
  /** Package nodes of each plan (by uri), to find the one under the cursor. */
  private readonly packagesOf = new Map<string, PackageNode[]>();
  /** What each package row shows of its run (`packageRowKey`): a run change redraws only the rows that differ. */
  private readonly shownRun = new Map<PackageNode, string>();
  /** Waves (with their rows) and plan rows to redraw for runs at the next `runRedraw`. */
  private readonly dueWaves = new Set<WaveNode>();
  private readonly duePlans = new Set<PlanNode>();
  private readonly runRedraw = this.register(new Throttle(RUN_REDRAW_MS, () => this.redrawDue()));
  private activeKey: string | undefined;
  /** The active plan was expanded the first time the view showed (`expandOnFirstShow`). */
  private shownExpanded = false;
  private readonly followCursor: KeyedDebouncer<'cursor'>;
  /** The plan rows redrawn once the tree settles (`SETTLE_MS`). */
  private readonly settle = this.register(new KeyedDebouncer(SETTLE_MS, () => this.redrawPlans()));

  constructor(
    private readonly registry: PlanRegistry,
    private readonly log: vscode.LogOutputChannel,
    private readonly runs?: TreeRuns,
    private readonly nested?: NestedPlans,
  ) {
    super();
    this.view = this.register(vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this, showCollapseAll: true }));
    if (runs) {
      this.register(runs.onDidChangeRuns(() => this.redrawRunRows()));
      // Elapsed times of running packages move on between two status changes.
      const ticker = setInterval(() => {
        if (!this.view.visible) return;
        this.forEachRow((node, record) => {
          if (record && isActive(record.status)) this.dueWaves.add(node.parent);
        });
        if (this.dueWaves.size) this.runRedraw.schedule();
      }, 5000);
      this.register({ dispose: () => clearInterval(ticker) });
    }
    this.followCursor = this.register(new KeyedDebouncer(150, () => void this.revealCursor()));
    // The DAG panel's timeline selects a package here too; internal, not in the palette.
    this.register(
      vscode.commands.registerCommand('waves.selectInWavesView', (ref?: { uri?: unknown; packageId?: unknown }) =>
        this.selectPackage(String(ref?.uri ?? ''), typeof ref?.packageId === 'string' ? ref.packageId : ''),
      ),
    );

    void vscode.commands.executeCommand('setContext', 'waves.loading', true);
    registry.ready.then(
      () => this.setLoaded(),
      () => this.setLoaded(),
    );
    // The nesting is read again on each change of the registry, then says so (and on a sub-plan's own change).
    this.register((nested ?? registry).onDidChange(() => this.rebuild()));
    this.register(vscode.window.onDidChangeTextEditorSelection(() => this.followCursor.schedule('cursor')));
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.followCursor.schedule('cursor')));
    this.register(
      this.view.onDidChangeVisibility((e) => {
        if (e.visible) {
          this.expandOnFirstShow();
          this.followCursor.schedule('cursor');
          this.settle.schedule('plans');
        }
      }),
    );
    this.rebuild();
  }

  private setLoaded(): void {
    if (!this.isDisposed) void vscode.commands.executeCommand('setContext', 'waves.loading', false);
  }

  /** Rebuild the model from the registry (cheap: linear in the packages) and redraw. */
  private rebuild(): void {
    const plans = this.registry.plans;
    const active = this.registry.active;
    this.childrenOf.clear();
    this.packagesOf.clear();
    this.subPlanOf.clear();
    this.plannerOf.clear();
    this.subOrigin.clear();
    this.subRows = [];

    /** The children of a plan, remembering its packages for `revealCursor`; a parent's row, its sub-plan's waves below it. */
    const childrenOfPlan = (entry: PlanEntry, parent: PlanNode | PackageNode | undefined, subPlans?: readonly NestedPlan<PlanAnalysis>[], at = 0) => {
      const children = planChildren(entry, parent);
      const rows = children.flatMap((c) => (c.kind === 'wave' ? c.packages : []));
      const key = entry.uri.toString();
      if (!this.packagesOf.has(key)) this.packagesOf.set(key, rows);
      // A parent its agent plans at run time: its planner's row first below it (the run's id, in the run of the plan at the top).
      if (!entry.foreign) {
        for (const row of rows) {
          if (subPlanOfPackage(row.pkg)?.source.kind !== 'agent') continue;
          const top = this.subOrigin.get(entry)?.top ?? entry;
          this.plannerOf.set(row, { kind: 'planner', id: `${row.id}>planner`, parent: row, uri: top.uri, packageId: plannerRunId(this.runIdOf(row)) });
        }
      }
      subPlans?.forEach((sub, k) => {
        if (sub.parent?.plan !== at) return;
        const row = rows.find((r) => r.packageId === sub.parent!.packageId);
        if (!row) return;
        const subEntry: PlanEntry = { uri: vscode.Uri.file(sub.key), label: sub.file, analysis: sub.analysis, documentVersion: undefined };
        this.subEntries.add(subEntry);
        this.subOrigin.set(subEntry, { top: this.subOrigin.get(entry)?.top ?? entry, prefix: this.runIdOf(row) });
        this.subPlanOf.set(row, childrenOfPlan(subEntry, row, subPlans, k));
        for (const w of this.subPlanOf.get(row)!) if (w.kind === 'wave') this.subRows.push(...w.packages);
      });
      return children;
    };
    // Plan → wave → package, even for a single plan: its row names the file. The active plan
    // comes first and expanded; the others after it, in the registry's order.
    const ordered = active ? [active, ...plans.filter((p) => p !== active)] : [...plans];
    this.roots = ordered.map((entry) => {
      const node: PlanNode = { kind: 'plan', id: planId(entry), entry, active: entry === active };
      this.childrenOf.set(node.id, childrenOfPlan(entry, node, this.nested?.of(entry)));
      return node;
    });

    this.shownRun.clear();
    this.dueWaves.clear();
    this.duePlans.clear();
    this.forEachRow((node, record) => this.shownRun.set(node, this.rowKey(node, record)));

    void vscode.commands.executeCommand('setContext', 'waves.hasPlan', plans.length > 0);
    void vscode.commands.executeCommand('setContext', 'waves.planCount', plans.length);
    this.changed.fire(undefined);
    this.settle.schedule('plans');
    this.expandNewActivePlan(active);
  }

  /** Every plan row with its waves and rows, once the tree has settled (`SETTLE_MS`). */
  private redrawPlans(): void {
    if (!this.view.visible) return; // redrawn on the next opening
    for (const r of this.roots) if (r.kind === 'plan') this.duePlans.add(r);
    if (this.duePlans.size) this.runRedraw.schedule();
  }

  /** Expands a plan row (its first showing, another plan made active), then lets the tree settle. */
  private expandPlan(node: PlanNode): void {
    this.view.reveal(node, { expand: true, select: false, focus: false }).then(
      () => this.settle.schedule('plans'),
      (err: unknown) => this.log.debug('Could not expand the active plan', err),
    );
  }

  /**
   * A plan's first expansion state is only a default: the view remembers the user's. So when
   * another plan becomes active, expand it explicitly.
   */
  private expandNewActivePlan(active: PlanEntry | undefined): void {
    this.expandOnFirstShow();
    const key = active?.uri.toString();
    const changed = this.activeKey !== undefined && key !== this.activeKey;
    this.activeKey = key;
    if (!changed || !this.view.visible) return;
    const node = this.roots.find((r): r is PlanNode => r.kind === 'plan' && r.active);
    if (!node) return;
    this.expandPlan(node);
  }

  /**
   * The first time the view shows with a plan, its active plan is expanded explicitly, not by its
   * Expanded default alone: a CI run once saw the view open on the plan's row alone and stay so.
   */
  private expandOnFirstShow(): void {
    if (this.shownExpanded || !this.view.visible) return;
    const node = this.roots.find((r): r is PlanNode => r.kind === 'plan' && r.active);
    if (!node) return;
    this.shownExpanded = true;
    this.expandPlan(node);
  }

  getChildren(node?: WavesNode): WavesNode[] {
    if (!node) return this.roots;
    switch (node.kind) {
      case 'plan':
        return this.childrenOf.get(node.id) ?? [];
      case 'wave':
        return node.packages;
      case 'package':
        return [
          ...(this.recordOf(node)?.candidates ?? []).map((c): CandidateNode => ({ kind: 'candidate', id: `${node.id}/c${c.candidate}`, parent: node, candidate: c.candidate })),
          ...(this.plannerOf.has(node) ? [this.plannerOf.get(node)!] : []),
          ...(this.subPlanOf.get(node) ?? []),
        ];
      default:
        return [];
    }
  }

  getParent(node: WavesNode): WavesNode | undefined {
    return node.kind === 'plan' ? undefined : node.parent;
  }

  getTreeItem(node: WavesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'plan':
        return this.planItem(node);
      case 'wave':
        return this.waveItem(node);
      case 'package':
        return this.packageItem(node);
      case 'candidate':
        return this.candidateItem(node);
      case 'planner':
        return this.plannerItem(node);
      case 'note': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('info');
        item.command = { command: 'vscode.open', title: 'Open Plan', arguments: [node.entry.files?.[0]?.uri ?? node.entry.uri] };
        return item;
      }
    }
  }

  private planItem(node: PlanNode): vscode.TreeItem {
    const { entry } = node;
    const item = new vscode.TreeItem(
      entry.label,
      node.active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = node.id;
    // A plan codicon (a theme's YAML file icon says nothing here); the resource still brings
    // the Problems decorations of the file onto the label.
    item.resourceUri = entry.uri;
    const several = this.roots.length > 1;
    item.iconPath = new vscode.ThemeIcon(several && node.active ? 'target' : entry.foreign ? 'tasklist' : 'checklist');
    // The integration guard's state, when the plan's run has one.
    const guard = guardText(this.runOf(entry)?.integration);
    this.shownGuard.set(node.id, guard);
    const base = several && node.active ? 'active' : entry.analysis.plan.feature?.id;
    item.description = guard ? `${base ?? ''} · ${guard}` : base;
    item.tooltip = new vscode.MarkdownString(
      planTooltip({ label: entry.label, analysis: entry.analysis, planCount: this.registry.plans.length, links: false }) + (guard ? `\n\n---\n\nIntegration guard: ${guard}${stuckText(this.runOf(entry))}` : ''),
    );
    item.contextValue = node.active ? 'waves.plan.active' : 'waves.plan';
    if (entry.foreign) {
      // A task list of another tool: shown read-only, converted to run (src/extension/foreignPlans).
      item.description = [several && node.active && 'active', entry.foreign.formatName, 'read-only'].filter(Boolean).join(' · ');
      item.tooltip.appendMarkdown(`\n\n---\n\nA ${entry.foreign.formatName}, shown read-only. Convert it to \`work-packages.yaml\` to run it.`);
      item.contextValue = 'waves.plan.foreign';
    }
    return item;
  }

  /** Every package row with its run record (the run read once per plan). */
  private forEachRow(fn: (node: PackageNode, record: PackageRunRecord | undefined) => void): void {
    for (const nodes of this.packagesOf.values()) {
      if (nodes.length && this.subEntries.has(nodes[0]!.entry)) continue; // below, under each parent
      const run = nodes.length ? this.runOf(nodes[0]!.entry) : undefined;
      for (const node of nodes) fn(node, run?.packages[node.packageId]);
    }
    for (const node of this.subRows) fn(node, this.recordOf(node));
  }

  /** A package's id in its plan's run: a sub-plan's package is named under its parent's (ADR 0035). */
  private runIdOf(node: PackageNode): string {
    const origin = this.subOrigin.get(node.entry);
    return origin ? childRunId(origin.prefix, node.packageId) : node.packageId;
  }

  /** A package's record in its plan's run: a sub-plan's package's in the run of the plan at the top. */
  private recordOf(node: PackageNode): PackageRunRecord | undefined {
    const origin = this.subOrigin.get(node.entry);
    return this.runOf(origin?.top ?? node.entry)?.packages[this.runIdOf(node)];
  }

  /** A parent's record timed from the first start below it (its own attempt only joins their work); any other as it is. */
  private timed(node: PackageNode, record: PackageRunRecord | undefined): PackageRunRecord | undefined {
    const top = this.subOrigin.get(node.entry)?.top ?? node.entry;
    const tree = record ? this.nested?.treeOf(top) : undefined;
    const id = this.runIdOf(node);
    if (!record || !tree?.joins[id]) return record;
    return fromFirstStart(record, this.runOf(top)?.packages ?? {}, leavesBelow(tree, id));
  }

  /**
   * A run changed: redraw the package rows whose run looks different, and their waves (for
   * `3/5 done`), not the whole tree: VS Code sends a redrawn row's new item with the refresh
   * itself, where a whole-tree refresh costs a round trip per level before anything changes.
   */
  private redrawRunRows(): void {
    this.forEachRow((node, record) => {
      const key = this.rowKey(node, record);
      if (this.shownRun.get(node) === key) return;
      this.shownRun.set(node, key);
      this.dueWaves.add(node.parent);
    });
    // A plan's row says its integration guard's state: redrawn when that changed.
    for (const r of this.roots) {
      if (r.kind === 'plan' && this.shownGuard.get(r.id) !== guardText(this.runOf(r.entry)?.integration)) this.duePlans.add(r);
    }
    if (this.dueWaves.size || this.duePlans.size) this.runRedraw.schedule();
  }

  /** One event: the plans due, and the waves due that are not under one of them (`RUN_REDRAW_MS`). */
  private redrawDue(): void {
    const plans = [...this.duePlans];
    const waves = [...this.dueWaves].filter((w) => w.parent?.kind !== 'plan' || !this.duePlans.has(w.parent));
    this.duePlans.clear();
    this.dueWaves.clear();
    const due: WavesNode[] = [...plans, ...waves];
    if (due.length) this.changed.fire(due);
  }

  /** What a package row shows of its run and its open review comments. */
  private rowKey(node: PackageNode, record: PackageRunRecord | undefined): string {
    // A parent's planner row is redrawn with its parent's wave: the parent's key carries the planner's.
    const planner = this.plannerOf.get(node);
    const planned = planner ? `|planner ${packageRowKey(this.plannerRecord(planner))}` : '';
    return `${packageRowKey(record)}${planned}|${this.comments(node)}|${this.blamed(node) ? `blamed ${this.runOf(node.entry)?.integration?.guard?.blamed?.outcome ?? ''}` : ''}`;
  }

  /** Whether the package's merge turned its run's integration branch red (the guard blames it). */
  private blamed(node: PackageNode): boolean {
    const guard = this.runOf(node.entry)?.integration?.guard;
    return guard?.status === 'red' && guard.blamed?.packageId === node.packageId;
  }

  private comments(node: PackageNode): number {
    return this.runs?.openComments?.(node.entry.analysis.plan.feature?.id ?? '', node.packageId) ?? 0;
  }

  /** The run state of a plan's feature, when it has one. */
  private runOf(entry: PlanEntry): RunState | undefined {
    if (this.subEntries.has(entry)) return undefined;
    const featureId = entry.analysis.plan.feature?.id;
    return featureId && !entry.foreign ? this.runs?.stateFor(featureId, entry.uri) : undefined;
  }

  private waveItem(node: WaveNode): vscode.TreeItem {
    const count = plural(node.packages.length, 'package');
    const reasons = node.wave === null ? noWaveReasons(node) : [];
    const label = node.wave === null ? `No wave (${reasons.map((r) => NO_WAVE_SHORT[r]).join(', ')})` : `Wave ${node.wave}`;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    // A sub-plan's wave runs as its parent's work, never by itself.
    item.contextValue = node.wave === null || node.entry.foreign || this.subEntries.has(node.entry) ? 'waves.wave' : 'waves.wave.runnable';
    const origin = this.subOrigin.get(node.entry);
    const progress = node.wave === null ? '' : waveRunText(this.runOf(origin?.top ?? node.entry), node.packages.map((p) => this.runIdOf(p)));
    item.description = progress ? `${count} · ${progress}` : count;
    if (node.wave === null) {
      item.iconPath = new vscode.ThemeIcon('error', errorColor);
      item.tooltip = `${count} cannot run: ${reasons.map((r) => NO_WAVE_WHY[r]).join('; ')}. The Problems panel says how to fix it.`;
    } else {
      item.iconPath = new vscode.ThemeIcon('layers');
      item.tooltip =
        node.wave === 1
          ? `Wave 1 · ${count} with no dependencies: ${node.packages.length === 1 ? 'it starts' : 'they start'} at once.`
          : `Wave ${node.wave} · ${count}: each starts as soon as its own dependencies have succeeded; packages of a wave may run at the same time.`;
    }
    return item;
  }

  private packageItem(node: PackageNode): vscode.TreeItem {
    const { analysis } = node.entry;
    const item = new vscode.TreeItem(packageName(node.pkg), vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.pkg.title;
    item.iconPath = packageIcon(analysis, node.pkg);
    item.tooltip = new vscode.MarkdownString(packageTooltip(analysis, node.pkg));
    item.accessibilityInformation = { label: packageAccessibleLabel(analysis, node.pkg, node.place) };
    // A sub-plan's package: shown, not run by itself (its parent's run carries it out).
    const sub = this.subEntries.has(node.entry);
    item.contextValue = node.entry.foreign ? 'waves.foreignPackage' : sub ? 'waves.subPlanPackage' : 'waves.package';
    const record = this.timed(node, this.recordOf(node));
    const run = packageRunText(record, Date.now());
    if (record && run) {
      // The run's status replaces the plan's icon; the plan's problems stay in the tooltip.
      const icon = statusIcon(record);
      item.iconPath = new vscode.ThemeIcon(icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
      const open = this.comments(node);
      item.description = `${node.pkg.title ?? ''} · ${run}${open ? ` · ${plural(open, 'open comment')}` : ''}${this.blamed(node) ? ' · broke the integration check' : ''}`;
      item.accessibilityInformation = { label: `${packageAccessibleLabel(analysis, node.pkg, node.place)}, ${packageRunAccessible(record, Date.now())}` };
      // A sub-plan's package keeps no run actions of its own: they would act on its parent's plan under another id.
      if (!sub) item.contextValue = `waves.package.${record.status}`;
      // The run's news about the package beside the plan's: its usage limit, its question, what it spent.
      const news = packageRunNotes(record);
      const stuck = this.blamed(node) ? stuckText(this.runOf(node.entry)) : '';
      if (news || stuck) item.tooltip = new vscode.MarkdownString(`${packageTooltip(analysis, node.pkg)}\n\n---\n\n${news}${stuck}`);
    }
    // Best of n: its candidates below it.
    if (record?.candidates?.length) item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
    // Plans of plans: its sub-plan's waves below it, the file named; planned by its agent, its planner first.
    const below = this.subPlanOf.get(node);
    if (this.plannerOf.has(node) && !below) {
      item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
      item.description = [item.description, 'planned by its agent at run time'].filter(Boolean).join(' · ');
      item.accessibilityInformation = { label: `${item.accessibilityInformation?.label ?? packageName(node.pkg)}, its work a sub-plan its agent plans at run time` };
    }
    if (below) {
      item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
      const file = below[0]?.entry.label;
      item.description = [item.description, `sub-plan ${file}`].filter(Boolean).join(' · ');
      item.accessibilityInformation = { label: `${item.accessibilityInformation?.label ?? packageName(node.pkg)}, its work a sub-plan, ${file}` };
    }
    const ref: PackageRef = { uri: node.uri, packageId: node.packageId, index: node.index, preserveFocus: true };
    item.command = { command: 'waves.revealPackage', title: 'Go to Package', arguments: [ref] };
    return item;
  }

  /** A planner's record: in the run of the plan at the top. */
  private plannerRecord(node: PlannerNode): PackageRunRecord | undefined {
    const top = this.subOrigin.get(node.parent.entry)?.top ?? node.parent.entry;
    return this.runOf(top)?.packages[node.packageId];
  }

  /** A `{by: agent}` parent's planner: how its planning went, and what the engine does with what it writes. */
  private plannerItem(node: PlannerNode): vscode.TreeItem {
    const parent = node.parent.packageId;
    const record = this.plannerRecord(node);
    const kept = this.subPlanOf.has(node.parent);
    const item = new vscode.TreeItem('Planner', vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    const run = packageRunText(record, Date.now());
    item.description = [kept ? 'its sub-plan is kept' : `plans ${parent}'s work`, run].filter(Boolean).join(' · ');
    const icon = record ? statusIcon(record) : undefined;
    item.iconPath = new vscode.ThemeIcon(icon?.icon ?? 'lightbulb', icon?.color ? new vscode.ThemeColor(icon.color) : undefined);
    // Its prompt and its terminal (or log) as any package's; the run acts on it through its parent.
    item.contextValue = record ? `waves.planner.${record.status}` : 'waves.planner';
    item.tooltip = new vscode.MarkdownString().appendText(
      `${parent}'s agent plans its work when the run reaches it (${node.packageId}): it writes a sub-plan inside ${parent}'s scope and locks. ` +
        'The engine checks it as it checks a sub-plan file (the format, containment, the depth and size limits): a sub-plan refused goes back to its next attempt with the reasons; one kept runs as its parent\'s work. ' +
        `Verification commands not yet approved wait for your approval on Resume.${run ? `\n\n${run}.` : ''}${record?.lastError ? ` ${record.lastError}` : ''}`,
    );
    item.accessibilityInformation = { label: `planner of ${parent}, ${record ? packageRunAccessible(record, Date.now()) : 'not started'}${kept ? ', its sub-plan kept' : ''}` };
    return item;
  }

  /** A candidate of the package's last set: its agent and how its attempt went, the one that went on said so. */
  private candidateItem(node: CandidateNode): vscode.TreeItem {
    const record = this.runOf(node.parent.entry)?.packages[node.parent.packageId];
    const c = candidateOf(record, node.candidate);
    const item = new vscode.TreeItem(`Candidate ${node.candidate}`, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.contextValue = 'waves.candidate';
    if (!c) return item;
    const chosen = record?.chosen?.candidate === c.candidate;
    // A green candidate of a package awaiting the person's pick: Pick Candidate on its row.
    const pickable = !!record && awaitingPick(record) && isGreen(c);
    if (pickable) item.contextValue = 'waves.candidate.green';
    const run = packageRunText(c as PackageRunRecord, Date.now()) || c.status;
    item.description = `${c.agent} · ${run}${chosen ? ' · went on' : pickable ? ' · passed, yours to pick' : ''}`;
    const icon = statusIcon(c as PackageRunRecord);
    item.iconPath = new vscode.ThemeIcon(chosen ? 'star-full' : icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    const why = chosen ? `Went on: ${record?.chosen?.why ?? 'chosen'}.` : pickable ? 'It passed its audit and verification: Pick Candidate merges it, the others end.' : (c.lastError ?? '');
    item.tooltip = new vscode.MarkdownString().appendText(`Candidate ${c.candidate} of ${node.parent.packageId} (${c.agent}), branch ${c.branch ?? '—'}: ${run}.${why ? ` ${why}` : ''}`);
    item.accessibilityInformation = { label: `candidate ${c.candidate}, ${c.agent}, ${packageRunAccessible(c as PackageRunRecord, Date.now())}${chosen ? ', went on' : ''}` };
    return item;
  }

  /** Selects a package of a plan (its URI as a string) in the view, without taking the focus; false when the view does not show it. */
  async selectPackage(uri: string, packageId: string): Promise<boolean> {
    const node = this.packagesOf.get(uri)?.find((n) => n.packageId === packageId);
    if (!node) return false;
    try {
      await this.view.reveal(node, { select: true, focus: false, expand: true });
      return true;
    } catch (err) {
      this.log.debug(`Could not select ${packageId} in the Waves view`, err);
      return false;
    }
  }

  /** When the cursor is inside a package of a plan editor, select that package here. */
  private async revealCursor(): Promise<void> {
    if (!this.view.visible) return;
    const editor = vscode.window.activeTextEditor;
    const entry = editor && this.registry.get(editor.document.uri);
    if (!editor || !entry) return;
    // Only when the analysis is of the text on screen: offsets of older text would mislead.
    const current = entry.documentVersion === editor.document.version || (entry.documentVersion === undefined && !editor.document.isDirty);
    if (!current) return;
    const offset = editor.document.offsetAt(editor.selection.active);
    // (One file of a folder read as one plan: the folder's rows, of the packages in this file.)
    const uri = editor.document.uri.toString();
    const node = this.packagesOf
      .get((entry.folder ?? entry.uri).toString())
      ?.find((n) => n.uri.toString() === uri && offset >= n.pkg.range.start && offset <= n.pkg.range.end);
    if (!node || this.view.selection[0]?.id === node.id) return;
    try {
      await this.view.reveal(node, { select: true, focus: false, expand: false });
    } catch (err) {
      this.log.debug(`Could not reveal ${node.id} in the Waves view`, err);
    }
  }
}

/** The integration guard sends nothing more (the blamed package's retry budget is spent): what happened and what to do, for a tooltip (markdown). */
function stuckText(run: RunState | undefined): string {
  const stuck = guardStuck(run?.integration);
  return stuck ? `\n\n${stuck.said} ${stuck.advice}` : '';
}
