/**
 * The Waves view's rows (wavesTree.ts): their kinds, their stable ids, and a plan's waves and
 * packages as rows.
 */
import type { PlanPackage } from '../core/plan/model';
import {
  isOnCriticalPath,
  packageName,
  packageProblems,
  placeOf,
  problemsBySeverity,
  tooLargeMessage,
  type AnalysisView,
  type NoWaveReason,
  type PackagePlace,
} from '../core/present/planStatusText';
import type { PackageRef } from '../plan/packageShown';
import { packageUri } from '../plan/planFiles';
import type { PlanEntry } from '../plan/planRegistry';

/**
 * The tree: plan → wave → package. With a single plan the plan level is left out and its
 * waves are the roots (the view's description names the plan).
 */
export type WavesNode = PlanNode | WaveNode | PackageNode | CandidateNode | PlannerNode | NoteNode;

/**
 * Plans of plans planned at run time: a `{by: agent}` parent's planner, its first row (ADR 0035).
 * `uri` and `packageId` are the plan at the top and the planner's id in its run, as the run
 * commands (Show Prompt, Open Terminal) take them.
 */
export interface PlannerNode {
  readonly kind: 'planner';
  readonly id: string;
  readonly parent: PackageNode;
  readonly uri: PlanEntry['uri'];
  readonly packageId: string;
}

/** Best of n: one candidate of a package's last set, under its package's row. */
export interface CandidateNode {
  readonly kind: 'candidate';
  readonly id: string;
  readonly parent: PackageNode;
  readonly candidate: number;
}

export interface PlanNode {
  readonly kind: 'plan';
  readonly id: string;
  readonly entry: PlanEntry;
  readonly active: boolean;
}

export interface WaveNode {
  readonly kind: 'wave';
  readonly id: string;
  /** Its plan's row, none with a single plan's waves as roots, or a parent's row: its sub-plan's waves. */
  readonly parent: PlanNode | PackageNode | undefined;
  readonly entry: PlanEntry;
  /** 1-based wave, or null for the group of packages that have none. */
  readonly wave: number | null;
  readonly packages: PackageNode[];
}

export interface PackageNode extends PackageRef {
  readonly kind: 'package';
  readonly id: string;
  readonly parent: WaveNode;
  readonly entry: PlanEntry;
  readonly pkg: PlanPackage;
  readonly place: PackagePlace;
}

/** A line of explanation where a plan has nothing to list. */
export interface NoteNode {
  readonly kind: 'note';
  readonly id: string;
  readonly parent: PlanNode | PackageNode | undefined;
  readonly entry: PlanEntry;
  readonly label: string;
}

/** What a screen reader says for a package: the icon's meaning in words. */
export function packageAccessibleLabel(analysis: AnalysisView, p: PlanPackage, place: PackagePlace): string {
  const problems = packageProblems(analysis, p);
  return [
    packageName(p),
    p.title,
    place.wave === null ? 'no wave' : `wave ${place.wave}`,
    isOnCriticalPath(analysis, p) && 'on the critical path',
    problems.errors + problems.warnings > 0 && problemsBySeverity(problems),
  ]
    .filter(Boolean)
    .join(', ');
}

/** Stable ids: the same package keeps its id while the user types, so expansion survives. */
export function planId(entry: PlanEntry): string {
  return `plan:${entry.uri.toString()}`;
}

/** `base`: the plan's URI, or for a sub-plan its parent row's id (one sub-plan may be shown under two parents). */
export function waveId(base: string, wave: number | null): string {
  return `${base}#wave:${wave ?? 'none'}`;
}

export function packageNodeId(wave: WaveNode, p: PlanPackage, place: PackagePlace): string {
  if (!p.id) return `${wave.id}/pkg#${p.index}`;
  return place.reason === 'duplicate-id' ? `${wave.id}/pkg:${p.id}#${p.index}` : `${wave.id}/pkg:${p.id}`;
}

/** The children of one plan: its waves, then the packages without a wave. */
export function planChildren(entry: PlanEntry, parent: PlanNode | PackageNode | undefined): (WaveNode | NoteNode)[] {
  const base = parent?.kind === 'package' ? `${parent.id}>sub` : entry.uri.toString();
  const { analysis } = entry;
  if (analysis.plan.packages.length === 0) {
    const label =
      tooLargeMessage(analysis) !== undefined
        ? 'Too large to analyse in the editor (setting waves.plan.maxSizeMB): `waves validate` checks it'
        : 'No packages to show: open the plan to see its problems';
    return [{ kind: 'note', id: `${base}#empty`, parent, entry, label }];
  }
  const waves: WaveNode[] = analysis.graph.waves.map((_, k) => ({
    kind: 'wave',
    id: waveId(base, k + 1),
    parent,
    entry,
    wave: k + 1,
    packages: [],
  }));
  let noWave: WaveNode | undefined;
  for (const pkg of analysis.plan.packages) {
    const place = placeOf(analysis, pkg);
    let wave: WaveNode;
    if (place.wave !== null) wave = waves[place.wave - 1];
    else wave = noWave ??= { kind: 'wave', id: waveId(base, null), parent, entry, wave: null, packages: [] };
    wave.packages.push({
      kind: 'package',
      id: packageNodeId(wave, pkg, place),
      parent: wave,
      entry,
      pkg,
      place,
      uri: packageUri(entry, pkg.index), // a folder read as one plan: the file the package is in
      packageId: pkg.id,
      index: pkg.index,
    });
  }
  return noWave ? [...waves, noWave] : waves;
}

export const NO_WAVE_SHORT: Record<NoWaveReason, string> = {
  cycle: 'dependency cycle',
  'no-id': 'missing id',
  'duplicate-id': 'duplicate id',
};

/** Why the packages of the "No wave" group have none: each reason once, in order. */
export function noWaveReasons(group: WaveNode): NoWaveReason[] {
  return [...new Set(group.packages.map((n) => n.place.reason).filter((r): r is NoWaveReason => r !== undefined))];
}

