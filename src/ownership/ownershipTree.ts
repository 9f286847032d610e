import * as vscode from 'vscode';
import type { IndexedPackage, ScopeKind } from '../core/ownership/ownership';
import { OWNERSHIP_COLORS } from '../core/ownership/ownershipState';
import { plural } from '../core/util/plural';
import { ownerText, plannedCountsText, plannedFeatureText, type PlannedFeature, type RegisteredPackage, type RegisteredRun } from '../core/coordinator/sharedCoordinator';
import { isSilent, workerRow, workerTooltipMarkdown, type WorkerSeen } from '../core/present/workerText';
import type { OwnershipModel } from './ownershipModel';
import { Disposable } from '../util/lifecycle';

export const OWNERSHIP_VIEW_ID = 'waves.ownership';
/** A group lists at most this many files; a note says how many more there are. */
const MAX_LISTED = 500;

type Node = PackageNode | GroupNode | FileNode | LockNode | UnownedNode | NoteNode | OthersNode | ForeignRunNode | ForeignPackageNode | PlannedNode | PlannedFeatureNode | WorkersNode | WorkerNode;

/** The repository's pull workers (ADR 0037; a shared coordinator's `waves_workers`). */
interface WorkersNode {
  readonly kind: 'workers';
  readonly id: string;
}
interface WorkerNode {
  readonly kind: 'worker';
  readonly id: string;
  readonly parent: WorkersNode;
  readonly worker: WorkerSeen;
}

/** Other drivers of the repository (a shared coordinator's registry, `waves.coordinator`). */
interface OthersNode {
  readonly kind: 'others';
  readonly id: string;
}
interface ForeignRunNode {
  readonly kind: 'foreign-run';
  readonly id: string;
  readonly parent: OthersNode;
  readonly run: RegisteredRun;
}
interface ForeignPackageNode {
  readonly kind: 'foreign-package';
  readonly id: string;
  readonly parent: ForeignRunNode;
  readonly run: RegisteredRun;
  readonly pkg: RegisteredPackage;
}

/** Other features' approved plans that claim what they will write and lock (a shared coordinator's planned claims). */
interface PlannedNode {
  readonly kind: 'planned';
  readonly id: string;
}
interface PlannedFeatureNode {
  readonly kind: 'planned-feature';
  readonly id: string;
  readonly parent: PlannedNode;
  readonly feature: PlannedFeature;
}

interface PackageNode {
  readonly kind: 'package';
  readonly id: string;
  readonly pkg: IndexedPackage;
}
type GroupKind = ScopeKind | 'locks';
interface GroupNode {
  readonly kind: 'group';
  readonly id: string;
  readonly parent: PackageNode | UnownedNode;
  readonly group: GroupKind;
}
interface FileNode {
  readonly kind: 'file';
  readonly id: string;
  readonly parent: GroupNode | UnownedNode;
  readonly path: string;
  readonly description?: string;
}
interface LockNode {
  readonly kind: 'lock';
  readonly id: string;
  readonly parent: GroupNode;
  readonly key: string;
  readonly holder: string;
  readonly expiresAt: string | null;
}
interface UnownedNode {
  readonly kind: 'unowned';
  readonly id: string;
}
interface NoteNode {
  readonly kind: 'note';
  readonly id: string;
  readonly parent: GroupNode | UnownedNode | OthersNode | undefined;
  readonly label: string;
}

const GROUP_LABEL: Record<GroupKind, string> = { write: 'Writes', read: 'Reads', deny: 'Denied', locks: 'Locks' };
const GROUP_ICON: Record<GroupKind, string> = { write: 'edit', read: 'eye', deny: 'circle-slash', locks: 'lock' };

/**
 * The Ownership section of the Waves side bar: per package of the active plan, its write,
 * read and deny scopes resolved to the workspace's real files (counts, expandable) and its
 * live locks with holder and expiry; above them, the files changed during the run that no
 * package owns. `waves.revealOwnedFiles` reveals a package's files here.
 */
export class OwnershipTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Node>;
  private packages: PackageNode[] = [];
  private readonly unownedNode: UnownedNode = { kind: 'unowned', id: 'unowned' };
  private readonly othersNode: OthersNode = { kind: 'others', id: 'others' };
  private readonly plannedNode: PlannedNode = { kind: 'planned', id: 'planned' };
  private readonly workersNode: WorkersNode = { kind: 'workers', id: 'workers' };

  constructor(private readonly model: OwnershipModel) {
    super();
    this.view = this.register(vscode.window.createTreeView(OWNERSHIP_VIEW_ID, { treeDataProvider: this, showCollapseAll: true }));
    this.register(model.onDidChange(() => this.rebuild()));
    this.register(
      vscode.commands.registerCommand('waves.revealOwnedFiles', (arg?: string | { packageId?: string; pkg?: IndexedPackage }) =>
        this.revealOwnedFiles(typeof arg === 'string' ? arg : (arg?.packageId ?? arg?.pkg?.id)),
      ),
    );
    this.rebuild();
  }

  private rebuild(): void {
    this.packages = (this.model.ownerIndex?.packages ?? []).map((pkg) => ({ kind: 'package', id: `pkg:${pkg.id}`, pkg }));
    this.view.description = this.model.plan?.label;
    this.changed.fire(undefined);
  }

  getParent(node: Node): Node | undefined {
    return node.kind === 'package' || node.kind === 'unowned' || node.kind === 'others' || node.kind === 'planned' || node.kind === 'workers' ? undefined : node.parent;
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const unowned = this.model.unownedWrites().length > 0 ? [this.unownedNode] : [];
      const others = this.model.foreignRuns().length > 0 || this.model.coordinatorProblem() ? [this.othersNode] : [];
      const planned = this.model.plannedFeatures().length > 0 ? [this.plannedNode] : [];
      const workers = this.model.workers().length > 0 ? [this.workersNode] : [];
      if (this.packages.length === 0) return [...others, ...workers, ...planned, { kind: 'note', id: 'none', parent: undefined, label: 'No packages with file scopes in the active plan' }];
      return [...others, ...workers, ...planned, ...unowned, ...this.packages];
    }
    switch (node.kind) {
      case 'package':
        return (['write', 'read', 'deny', 'locks'] as const).map((group) => ({ kind: 'group', id: `${node.id}/${group}`, parent: node, group }));
      case 'group':
        return this.groupChildren(node);
      case 'unowned':
        return this.model.unownedWrites().map((w) => ({ kind: 'file', id: `unowned/${w.path}`, parent: node, path: w.path, description: w.change }));
      case 'others': {
        const problem = this.model.coordinatorProblem();
        const runs: Node[] = this.model.foreignRuns().map((run) => ({ kind: 'foreign-run', id: `others/${run.featureId}`, parent: node, run }));
        return problem ? [{ kind: 'note', id: 'others#problem', parent: node, label: problem }, ...runs] : runs;
      }
      case 'workers':
        return this.model.workers().map((worker) => ({ kind: 'worker', id: `workers/${worker.name}`, parent: node, worker }));
      case 'planned':
        return this.model.plannedFeatures().map((feature) => ({ kind: 'planned-feature', id: `planned/${feature.featureId}`, parent: node, feature }));
      case 'foreign-run':
        return node.run.packages.map((pkg) => ({ kind: 'foreign-package', id: `${node.id}/${pkg.id}`, parent: node, run: node.run, pkg }));
      default:
        return [];
    }
  }

  private groupChildren(node: GroupNode): Node[] {
    const pkg = (node.parent as PackageNode).pkg;
    if (node.group === 'locks') {
      return this.model.locksOf(pkg.id).map((l) => ({ kind: 'lock', id: `${node.id}/${l.key}`, parent: node, key: l.key, holder: l.holder, expiresAt: l.expiresAt }));
    }
    const { files } = this.model.filesOf(pkg.id, node.group);
    const listed: Node[] = files.slice(0, MAX_LISTED).map((path) => ({ kind: 'file', id: `${node.id}/${path}`, parent: node, path }));
    if (files.length > MAX_LISTED) listed.push({ kind: 'note', id: `${node.id}#more`, parent: node, label: `… and ${files.length - MAX_LISTED} more` });
    return listed;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'package':
        return this.packageItem(node);
      case 'group':
        return this.groupItem(node);
      case 'file': {
        const uri = this.model.uriOf(node.path);
        const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.resourceUri = uri; // the file's icon and its Explorer decoration
        item.description = node.description;
        if (uri) item.command = { command: 'vscode.open', title: 'Open File', arguments: [uri] };
        item.contextValue = 'waves.ownership.file';
        return item;
      }
      case 'lock': {
        const until = node.expiresAt === null ? 'until released' : `until ${new Date(node.expiresAt).toLocaleTimeString()}`;
        const item = new vscode.TreeItem(node.key, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = `held by ${node.holder} ${until}`;
        item.iconPath = new vscode.ThemeIcon('lock', new vscode.ThemeColor(OWNERSHIP_COLORS.locked));
        item.tooltip = `${node.key}: locked by ${node.holder} ${until}`;
        return item;
      }
      case 'unowned': {
        const count = this.model.unownedWrites().length;
        const item = new vscode.TreeItem('Unowned writes during the run', vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = plural(count, 'file');
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor(OWNERSHIP_COLORS.conflict));
        item.tooltip = 'Files changed in the workspace while the run is active that no package of the plan may write.';
        item.accessibilityInformation = { label: `Unowned writes during the run: ${plural(count, 'file')}` };
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        const problem = node.parent?.kind === 'others';
        item.iconPath = problem ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('info');
        if (problem) item.tooltip = `${node.label}\nThe files in .waves/ are shown as they are; other drivers are not.`;
        return item;
      }
      case 'others': {
        const runs = this.model.foreignRuns();
        const item = new vscode.TreeItem('Other drivers', vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = this.model.coordinatorProblem() ? 'coordinator out of reach' : plural(runs.length, 'run');
        item.iconPath = new vscode.ThemeIcon('organization');
        item.tooltip = 'Runs of this repository driven from other clones, as the shared coordinator (waves.coordinator) has them.';
        return item;
      }
      case 'foreign-run': {
        const { run } = node;
        const item = new vscode.TreeItem(`${run.featureId}`, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = `${ownerText({ driver: run.driver, host: run.host })} · ${plural(run.packages.length, 'package')} under way`;
        item.iconPath = new vscode.ThemeIcon('account');
        item.contextValue = 'waves.ownership.foreignRun';
        item.tooltip = `${run.featureId}: driven by ${ownerText(run)}, last heartbeat ${new Date(run.heartbeatAt).toLocaleTimeString()}`;
        item.accessibilityInformation = { label: `${run.featureId}, driven by ${ownerText(run)}, ${plural(run.packages.length, 'package')} under way` };
        return item;
      }
      case 'workers':
        return this.workersItem(node);
      case 'worker':
        return workerItem(node);
      case 'planned': {
        const count = this.model.plannedFeatures().length;
        const item = new vscode.TreeItem('Planned by other features', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.description = plural(count, 'feature');
        item.iconPath = new vscode.ThemeIcon('milestone');
        item.tooltip = "Approved plans of other features that claim what their packages will write and lock (the shared coordinator's planned claims). A plan that meets one gets a warning; one with the same lock key does not run while the claim stands.";
        return item;
      }
      case 'planned-feature': {
        const { feature } = node;
        const item = new vscode.TreeItem(feature.featureId, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = `${plannedCountsText(feature)} · approved by ${ownerText({ driver: feature.driver, host: feature.host })}`;
        item.iconPath = new vscode.ThemeIcon('milestone');
        item.contextValue = 'waves.ownership.plannedFeature';
        item.tooltip = `${plannedFeatureText(feature)}\nReleasing them (the inline action) is for claims whose planning session is gone.`;
        item.accessibilityInformation = { label: `Planned by ${plannedFeatureText(feature)}` };
        return item;
      }
      case 'foreign-package': {
        const { run, pkg } = node;
        const item = new vscode.TreeItem(pkg.id, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = `${pkg.status} · writes ${pkg.writes.join(', ') || 'nothing'}`;
        item.iconPath = new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor(OWNERSHIP_COLORS.locked));
        item.contextValue = 'waves.ownership.foreignPackage';
        item.tooltip = `${pkg.id} (feature ${run.featureId}) is ${pkg.status} — ${ownerText(run)}\nMay write: ${pkg.writes.join(', ') || 'nothing'}`;
        return item;
      }
    }
  }

  private packageItem(node: PackageNode): vscode.TreeItem {
    const { pkg } = node;
    const written = this.model.filesOf(pkg.id, 'write');
    const locks = this.model.locksOf(pkg.id).length;
    const status = this.model.statusOf.get(pkg.id);
    // The files its write scope covers today (whether or not it has written them yet).
    const files = `owns ${written.complete ? '' : '≥ '}${plural(written.files.length, 'file')}`;
    const parts = [files, locks > 0 && plural(locks, 'lock'), status && status !== 'pending' && status].filter(Boolean) as string[];
    const item = new vscode.TreeItem(pkg.id, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.description = parts.join(' · ');
    const running = status === 'running' || status === 'verifying';
    item.iconPath = locks > 0
      ? new vscode.ThemeIcon('lock', new vscode.ThemeColor(OWNERSHIP_COLORS.locked))
      : running
        ? new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor(OWNERSHIP_COLORS.running))
        : new vscode.ThemeIcon('package');
    item.tooltip = `${pkg.id}${pkg.pkg.title ? ` — ${pkg.pkg.title}` : ''}\n${pkg.wave !== null ? `wave ${pkg.wave} · ` : ''}${parts.join(' · ')}`;
    item.accessibilityInformation = { label: `${pkg.id}, ${pkg.wave !== null ? `wave ${pkg.wave}, ` : ''}${parts.join(', ')}` };
    item.contextValue = 'waves.ownership.package';
    return item;
  }

  private workersItem(node: WorkersNode): vscode.TreeItem {
    const workers = this.model.workers();
    const draining = workers.filter((w) => w.draining).length;
    const silent = workers.filter((w) => isSilent(w, w.leaseMs)).length;
    const parts = [plural(workers.length, 'worker'), draining > 0 && `${draining} draining`, silent > 0 && `${silent} silent`, this.model.coordinatorProblem() && 'as last read: coordinator out of reach'].filter(Boolean) as string[];
    const item = new vscode.TreeItem('Workers', vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.description = parts.join(' · ');
    item.iconPath = new vscode.ThemeIcon('server-environment');
    item.tooltip = "The repository's pull workers (waves worker), as the shared coordinator (waves.coordinator) has them: each claims the packages whose agent it runs and whose labels it has. Drain one to stop it claiming new packages.";
    item.accessibilityInformation = { label: `Workers: ${parts.join(', ')}` };
    return item;
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const pkg = (node.parent as PackageNode).pkg;
    let count: string;
    if (node.group === 'locks') count = String(this.model.locksOf(pkg.id).length);
    else {
      const globs = node.group === 'write' ? pkg.pkg.scope.writeAllow : node.group === 'read' ? pkg.pkg.scope.readAllow : pkg.pkg.scope.deny;
      // Counting reads and denials scans the file list: only for packages the user opened.
      const { files, complete } = this.model.filesOf(pkg.id, node.group);
      count = `${complete ? '' : '≥ '}${plural(files.length, 'file')} · ${globs.map((g) => g.value).join(', ') || 'no globs'}`;
    }
    const item = new vscode.TreeItem(GROUP_LABEL[node.group], vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.description = count;
    item.iconPath = new vscode.ThemeIcon(GROUP_ICON[node.group]);
    item.accessibilityInformation = { label: `${GROUP_LABEL[node.group]}: ${count}` };
    return item;
  }

  /** Reveals a package's written files here (asks which package when none is given); returns them. */
  async revealOwnedFiles(packageId?: string): Promise<string[] | undefined> {
    let id = packageId;
    if (!id) {
      const picks = this.packages.map((p) => ({
        label: p.pkg.id,
        description: plural(this.model.filesOf(p.pkg.id, 'write').files.length, 'file'),
        detail: p.pkg.pkg.scope.writeAllow.map((g) => g.value).join(', ') || 'no write scope',
      }));
      if (picks.length === 0) {
        void vscode.window.showInformationMessage('The active plan has no packages.');
        return undefined;
      }
      id = (await vscode.window.showQuickPick(picks, { title: 'Reveal Files Owned by Package', placeHolder: 'Package' }))?.label;
      if (!id) return undefined;
    }
    const node = this.packages.find((p) => p.pkg.id === id);
    if (!node) {
      void vscode.window.showWarningMessage(`The active plan has no package ${id}.`);
      return undefined;
    }
    const group: GroupNode = { kind: 'group', id: `${node.id}/write`, parent: node, group: 'write' };
    try {
      await this.view.reveal(node, { select: false, focus: false, expand: true });
      await this.view.reveal(group, { select: true, focus: true, expand: true });
    } catch {
      // the view may be hidden in a layout without it; the files are still returned
    }
    return this.model.filesOf(id, 'write').files;
  }
}

/** A pull worker's row: its name; on which machine, what it runs, its heartbeat (or silence), draining; the whole in its tooltip. */
function workerItem(node: WorkerNode): vscode.TreeItem {
  const { worker } = node;
  const row = workerRow(worker, worker.leaseMs);
  const silent = isSilent(worker, worker.leaseMs);
  const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = row.description;
  const colour = silent ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined;
  item.iconPath = new vscode.ThemeIcon(worker.draining ? 'debug-pause' : 'server-process', colour);
  // package.json's view/item/context offers Drain on the one, Undrain on the other.
  item.contextValue = worker.draining ? 'waves.ownership.workerDraining' : 'waves.ownership.worker';
  // Escaped text only (workerTooltipMarkdown): no command links, no HTML.
  item.tooltip = new vscode.MarkdownString(workerTooltipMarkdown(worker, worker.leaseMs));
  item.accessibilityInformation = { label: row.accessible };
  return item;
}
