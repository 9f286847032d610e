/**
 * Plans of plans in the editor (ADR 0035): the sub-plans of every plan the registry follows, read
 * (a sub-plan's unsaved text when open, else the disk, at most `waves.plan.maxSizeMB`) and checked
 * inside their parents, kept current: again when the registry changes and when a sub-plan is
 * edited, saved, created or removed. A sub-plan is no plan of the registry's (it may have any
 * name). The Problems panel (diagnostics.ts) and the Waves view read them here.
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { NestedPlan, SubPlanDisk } from '../core/plan/nestedPlan';
import { nestTree, type NestTree } from '../core/plan/nestTree';
import { isParent } from '../core/plan/subPlans';
import { plannedSubPlanFile } from '../core/run/runPaths';
import { Disposable } from '../util/lifecycle';
import { readRegularFileSync } from '../util/regularFile';
import { planRootsOf, realpathOrWhy } from '../util/workTree';
import { maxBytesOf, maxParallelOf, planAnalysis } from './entryAnalysis';
import type { PlanEntry, PlanRegistry } from './planRegistry';

export class NestedPlans extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** After the registry's own change, and after a sub-plan's (debounced). */
  readonly onDidChange = this.changed.event;
  /** Each followed plan with a parent: it and its sub-plans, the top plan first (by the plan's URI). */
  private byPlan = new Map<string, NestedPlan<PlanAnalysis>[]>();
  /** The sub-plan files (paths, real and as written) the last reading read or looked for. */
  private files = new Set<string>();
  private again: ReturnType<typeof setTimeout> | undefined;
  /** The kept sub-plans of `{by: agent}` parents the last reading looked for, and whether each was there. */
  private planned = new Map<string, boolean>();
  /** Each followed plan's sub-plan analyses of the last reading, by text: a reading analyses only what changed. */
  private known = new Map<string, Map<string, PlanAnalysis>>();

  constructor(
    private readonly registry: PlanRegistry,
    private readonly log?: vscode.LogOutputChannel,
    runs?: { readonly onDidChangeRuns: vscode.Event<void> },
  ) {
    super();
    this.register(registry.onDidChange(() => this.read()));
    // A planner's sub-plan kept (or its file deleted to plan again) during a run: read again once
    // the run says something changed. File watchers miss files made in `.waves/` too often to rely on.
    if (runs) this.register(runs.onDidChangeRuns(() => [...this.planned].some(([file, was]) => fs.existsSync(file) !== was) && this.soon()));
    const touched = (uri: vscode.Uri) => {
      if (uri.scheme === 'file' && this.files.has(uri.fsPath)) this.soon();
    };
    this.register(vscode.workspace.onDidChangeTextDocument((e) => touched(e.document.uri)));
    this.register(vscode.workspace.onDidCloseTextDocument((d) => touched(d.uri)));
    // Files made, removed or renamed in the editor (the Explorer, a workspace edit): said at once; changes from elsewhere reach the watcher.
    const each = (uris: readonly vscode.Uri[]) => uris.forEach(touched);
    this.register(vscode.workspace.onDidCreateFiles((e) => each(e.files)));
    this.register(vscode.workspace.onDidDeleteFiles((e) => each(e.files)));
    this.register(vscode.workspace.onDidRenameFiles((e) => each(e.files.flatMap((f) => [f.oldUri, f.newUri]))));
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}'));
    this.register(watcher.onDidChange(touched));
    this.register(watcher.onDidCreate(touched));
    this.register(watcher.onDidDelete(touched));
    this.register({ dispose: () => clearTimeout(this.again) });
    this.read(false);
  }

  /** The plan and its sub-plans, the top plan first; undefined when the plan names none. */
  of(entry: PlanEntry): NestedPlan<PlanAnalysis>[] | undefined {
    return this.byPlan.get(entry.uri.toString());
  }

  /** Where the plan's packages run (`nestTree`), worked out once per reading; undefined when the plan names no sub-plan. */
  treeOf(entry: PlanEntry): NestTree | undefined {
    const plans = this.of(entry);
    if (!plans) return undefined;
    let tree = this.trees.get(plans);
    if (!tree) this.trees.set(plans, (tree = nestTree(plans)));
    return tree;
  }

  private readonly trees = new WeakMap<readonly NestedPlan<PlanAnalysis>[], NestTree>();

  private soon(): void {
    clearTimeout(this.again);
    this.again = setTimeout(() => this.read(), 200);
  }

  private read(fire = true): void {
    const byPlan = new Map<string, NestedPlan<PlanAnalysis>[]>();
    const files = new Set<string>();
    const known = new Map<string, Map<string, PlanAnalysis>>();
    const planned = new Map<string, boolean>();
    for (const entry of this.registry.plans) {
      if (entry.foreign || entry.files || entry.uri.scheme !== 'file' || !entry.analysis.plan.packages.some(isParent)) continue;
      const key = entry.uri.toString();
      // The analyses hold the run's cap: another `waves.maxParallel` analyses again.
      const memoKey = `${key}\u0000${maxParallelOf(entry.uri)}`;
      const memo = this.known.get(memoKey) ?? new Map<string, PlanAnalysis>();
      known.set(memoKey, memo);
      try {
        byPlan.set(key, nestedOf(entry, files, memo, planned));
      } catch (err) {
        // A fault of this code (never of the plan): said on the plan, and the other plans are read.
        const why = err instanceof Error ? err.message : String(err);
        this.log?.error(`[sub-plans] ${entry.label}: ${err instanceof Error ? (err.stack ?? why) : why}`);
        byPlan.set(key, [faulted(entry, why)]);
      }
    }
    this.byPlan = byPlan;
    this.files = files;
    this.known = known;
    this.planned = planned;
    if (fire) this.changed.fire();
  }
}

/** A plan whose sub-plans could not be read for a fault of this code: itself, with the fault at its start. */
function faulted(entry: PlanEntry, why: string): NestedPlan<PlanAnalysis> {
  const message = `Internal error reading this plan's sub-plans (please report it): ${why}`;
  return { file: entry.label, key: entry.uri.fsPath, analysis: entry.analysis, parent: null, depth: 0, nesting: [{ severity: 'error', code: 'internal-error', message, range: { start: 0, end: 0 }, packageId: null }], valid: false };
}

/**
 * A plan's entry with its sub-plans (the top plan first); each sub-plan file read or looked for is
 * added to `files`, and each kept sub-plan of a `{by: agent}` parent looked for to `planned` (with
 * whether it was there); `known`: analyses by text, kept current.
 */
function nestedOf(entry: PlanEntry, files: Set<string>, known: Map<string, PlanAnalysis>, planned: Map<string, boolean>): NestedPlan<PlanAnalysis>[] {
  const maxBytes = maxBytesOf(entry.uri);
  const { top, root } = planRootsOf(entry.uri.fsPath);
  const disk: SubPlanDisk = {
    realpath: (abs) => {
      files.add(abs);
      const found = realpathOrWhy(abs);
      if ('real' in found) files.add(found.real);
      return found;
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
  const { analyzeNested, plannedReader, subPlanReader } = planAnalysis();
  // A `{by: agent}` parent's sub-plan, once its planner's was kept in a run.
  const feature = entry.analysis.plan.feature?.id;
  const keptFile = (id: string) => {
    const file = plannedSubPlanFile(root, feature!, id);
    planned.set(file, fs.existsSync(file));
    return file;
  };
  const reader = plannedReader(feature ? keptFile : undefined, disk);
  return analyzeNested({ key: top, file: entry.label, text: entry.analysis.text, analysis: entry.analysis }, subPlanReader(root, disk), { maxParallel: maxParallelOf(entry.uri), ...(reader ? { planned: reader } : {}) }, known);
}

