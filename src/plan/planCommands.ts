import * as vscode from 'vscode';
import type { PlanPackage } from '../core/plan/model';
import { countsText, packageName, placeOf, planCounts } from '../core/present/planStatusText';
import { FEATURE_ID_PATTERN, planFileName, starterPlan, suggestFeatureId, titleFromId } from '../core/plan/template';
import { packageIcon, VIEW_ID, type PackageRef } from './packageShown';
import { toRange } from './convert';
import type { PlanEntry, PlanRegistry } from './planRegistry';

export interface PlanCommandDeps {
  registry: PlanRegistry;
  log: vscode.LogOutputChannel;
}

const PLAN_FILE = 'work-packages.yaml';

/**
 * Registers the plan commands: `waves.selectPlan`, `waves.revealPackage`, `waves.refresh`,
 * `waves.showLog`, `waves.focusView` and `waves.createPlan`. The caller owns the result.
 */
export function registerPlanCommands({ registry, log }: PlanCommandDeps): vscode.Disposable[] {
  /** A command whose failure is logged and told to the user, never swallowed. */
  const command = (id: string, run: (...args: unknown[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (err) {
        log.error(`Command ${id} failed`, err);
        const choice = await vscode.window.showErrorMessage(`Wave Orchestrator: ${errorMessage(err)}`, 'Show Log');
        if (choice === 'Show Log') log.show();
        return undefined;
      }
    });

  return [
    command('waves.selectPlan', () => selectPlan(registry)),
    command('waves.revealPackage', async (arg) => {
      const ref = asPackageRef(arg) ?? (await pickPackage(registry));
      if (ref) await revealPackage(registry, ref);
    }),
    command('waves.refresh', () =>
      vscode.window.withProgress({ location: { viewId: VIEW_ID }, title: 'Looking for plans' }, () => registry.refresh()),
    ),
    command('waves.showLog', () => log.show()),
    command('waves.focusView', () => vscode.commands.executeCommand(`${VIEW_ID}.focus`)),
    command('waves.createPlan', () => createPlan(registry, log)),
  ];
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------
// Select Plan

interface PlanItem extends vscode.QuickPickItem {
  entry: PlanEntry;
}

const openPlanButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Open Plan' };

/** Choose the active plan: the one the status bar, the tree's first node and runs use. */
async function selectPlan(registry: PlanRegistry): Promise<void> {
  await registry.ready;
  const plans = registry.plans;
  if (plans.length === 0) {
    await offerCreatePlan('There is no plan in this workspace.');
    return;
  }
  const active = registry.active;
  const items: PlanItem[] = plans.map((entry) => ({
    entry,
    label: entry.label,
    // A blank icon keeps the labels aligned with the active plan's check mark.
    iconPath: new vscode.ThemeIcon(entry === active ? 'check' : 'blank'),
    description: [entry.analysis.plan.feature?.id, entry === active && 'active'].filter(Boolean).join(' · '),
    detail: countsText(planCounts(entry.analysis)),
    buttons: [openPlanButton],
  }));

  const picked = await new Promise<PlanItem | undefined>((resolve) => {
    const pick = vscode.window.createQuickPick<PlanItem>();
    pick.title = 'Select Plan';
    pick.placeholder = 'The active plan is the one the status bar shows and runs use';
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.items = items;
    pick.activeItems = items.filter((i) => i.entry === active);
    pick.onDidTriggerItemButton((e) => {
      vscode.window.showTextDocument(e.item.entry.uri).then(undefined, (err: unknown) => {
        void vscode.window.showErrorMessage(`Could not open ${e.item.entry.label}: ${errorMessage(err)}`);
      });
    });
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
  if (picked && picked.entry !== active) await registry.setActive(picked.entry.uri);
}

async function offerCreatePlan(message: string): Promise<void> {
  const create = 'Create Plan from Template';
  if ((await vscode.window.showInformationMessage(message, create)) === create) {
    await vscode.commands.executeCommand('waves.createPlan');
  }
}

// ---------------------------------------------------------------------------------------
// Go to Package

/** A `PackageRef` from a command argument: a tree node, a ref, or `{ uri: string, … }`. */
function asPackageRef(arg: unknown): PackageRef | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const { uri, packageId, index, preserveFocus } = arg as Record<string, unknown>;
  let parsed: vscode.Uri | undefined;
  if (uri instanceof vscode.Uri) parsed = uri;
  else if (typeof uri === 'string') parsed = vscode.Uri.parse(uri);
  else if (uri && typeof uri === 'object' && typeof (uri as vscode.Uri).scheme === 'string') parsed = vscode.Uri.from(uri as vscode.Uri);
  if (!parsed || (typeof packageId !== 'string' && typeof index !== 'number')) return undefined;
  return {
    uri: parsed,
    packageId: typeof packageId === 'string' ? packageId : '',
    index: typeof index === 'number' ? index : undefined,
    preserveFocus: preserveFocus === true,
  };
}

interface PackageItem extends vscode.QuickPickItem {
  ref?: PackageRef;
}

/** Quick pick of the active plan's packages, grouped by wave. */
async function pickPackage(registry: PlanRegistry): Promise<PackageRef | undefined> {
  await registry.ready;
  const entry = registry.active;
  if (!entry) {
    await offerCreatePlan('There is no plan in this workspace.');
    return undefined;
  }
  const { analysis } = entry;
  if (analysis.plan.packages.length === 0) {
    void vscode.window.showInformationMessage(`${entry.label} has no packages yet.`);
    return undefined;
  }
  // Packages in wave order, plan order within a wave; those without a wave last.
  const groups = new Map<number, PlanPackage[]>();
  for (const p of analysis.plan.packages) {
    const wave = placeOf(analysis, p).wave ?? Number.MAX_SAFE_INTEGER;
    const group = groups.get(wave);
    if (group) group.push(p);
    else groups.set(wave, [p]);
  }
  const items: PackageItem[] = [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([wave, packages]) => [
      { label: wave === Number.MAX_SAFE_INTEGER ? 'No wave' : `Wave ${wave}`, kind: vscode.QuickPickItemKind.Separator },
      ...packages.map(
        (p): PackageItem => ({
          label: packageName(p),
          description: p.title,
          iconPath: packageIcon(analysis, p),
          ref: { uri: entry.uri, packageId: p.id, index: p.index },
        }),
      ),
    ]);
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Go to Package',
    placeHolder: `A package of ${entry.label}`,
    matchOnDescription: true,
  });
  return picked?.ref;
}

/**
 * Open the plan with the package's id selected, centred in the editor. The analysis used is
 * that of the text being shown (re-analysed now if the registry has not caught up yet).
 */
export async function revealPackage(registry: PlanRegistry, ref: PackageRef): Promise<void> {
  const document = await vscode.workspace.openTextDocument(ref.uri);
  let entry = registry.get(ref.uri);
  if (!entry || entry.analysis.text !== document.getText()) entry = await registry.reanalyze(ref.uri);
  if (!entry) {
    await vscode.window.showTextDocument(document, { preserveFocus: ref.preserveFocus });
    return;
  }
  const packages = entry.analysis.plan.packages;
  // By position when it still holds that id (tells duplicates apart), else by id.
  const atIndex = ref.index !== undefined ? packages[ref.index] : undefined;
  const pkg =
    atIndex?.id === ref.packageId ? atIndex : ref.packageId ? packages.find((p) => p.id === ref.packageId) : undefined;
  if (!pkg) {
    void vscode.window.showWarningMessage(`${entry.label} has no package ${ref.packageId ? `"${ref.packageId}"` : `#${(ref.index ?? 0) + 1}`} any more.`);
    await vscode.window.showTextDocument(document, { preserveFocus: ref.preserveFocus });
    return;
  }
  const range = toRange(entry.analysis.lines, pkg.idRange);
  const editor = await vscode.window.showTextDocument(document, { selection: range, preserveFocus: ref.preserveFocus });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
}

// ---------------------------------------------------------------------------------------
// Create Plan from Template

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return false;
    throw err;
  }
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    const open = 'Open Folder';
    if ((await vscode.window.showInformationMessage('Open a folder first: the plan is created in it.', open)) === open) {
      await vscode.commands.executeCommand('workbench.action.files.openFolder');
    }
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to create the plan in' });
}

/**
 * Write the starter plan into a workspace folder and make it the active plan. An existing
 * `work-packages.yaml` is never overwritten: the user opens it or names a second plan.
 */
async function createPlan(registry: PlanRegistry, log: vscode.LogOutputChannel): Promise<void> {
  const folder = await pickFolder();
  if (!folder) return;
  const standard = vscode.Uri.joinPath(folder.uri, PLAN_FILE);
  let target = (_featureId: string) => standard;

  if (await exists(standard)) {
    const open = 'Open Existing Plan';
    const another = 'Create Another Plan';
    const choice = await vscode.window.showInformationMessage(
      `${vscode.workspace.asRelativePath(standard)} already exists.`,
      {
        modal: true,
        detail: `Wave Orchestrator never overwrites a plan. Open it, or create a second plan next to it, named <feature id>.${PLAN_FILE}.`,
      },
      open,
      another,
    );
    if (choice === open) {
      await vscode.window.showTextDocument(standard);
      return;
    }
    if (choice !== another) return;
    target = (featureId) => vscode.Uri.joinPath(folder.uri, planFileName(featureId));
  }

  const featureId = await vscode.window.showInputBox({
    title: 'Create Plan from Template',
    prompt: 'Feature id: names the plan, its worktrees and results',
    value: suggestFeatureId(folder.name),
    ignoreFocusOut: true,
    validateInput: async (value) => {
      if (!FEATURE_ID_PATTERN.test(value)) {
        return 'Start with a letter or digit; then letters, digits, ".", "_", ":" or "-" (at most 128 characters)';
      }
      const uri = target(value);
      if (uri !== standard && (await exists(uri))) return `${planFileName(value)} already exists; choose another id`;
      return undefined;
    },
  });
  if (featureId === undefined) return;

  const uri = target(featureId);
  if (await exists(uri)) {
    // Created in the meantime (by another window, git…): still never overwrite.
    void vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(uri)} already exists; nothing was written.`);
    return;
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(starterPlan(featureId, titleFromId(featureId))));
  log.info(`Created the plan ${uri.toString(true)}`);
  // A pinned tab, not a preview: the user is about to edit it.
  await vscode.window.showTextDocument(uri, { preview: false });
  if (await registry.reanalyze(uri)) await registry.setActive(uri);
}
