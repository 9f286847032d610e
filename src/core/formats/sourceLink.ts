/**
 * Where a converted package came from: `waves convert` writes into each package's `inputs` (the
 * one free-form field of the plan format, so the plan stays valid for every reader of the format)
 *
 *     inputs:
 *       converted_from: { file: "tasks.md", format: "spec-kit", tasks: ["T001"] }
 *
 * — the task list (relative to the plan's folder, inside it), its format, the Taskmaster tag read
 * (`tag`), and the tasks the package carries out. The round trip (tick.ts) and the checkout guard
 * read it here. Pure.
 */
import type { PlanPackage } from '../plan/model';
import type { ForeignFormat } from './foreignModel';
import { FOREIGN_FORMATS } from './foreignPlan';

export const SOURCE_KEY = 'converted_from';

export interface SourceLink {
  /** Relative to the plan's folder, `/` separators, never leaving it. */
  file: string;
  format: ForeignFormat;
  tag?: string;
  tasks: string[];
}

/** The link a package's `inputs` carry; null when none, or when it is not one (a path out of the plan's folder included). */
export function sourceLinkOf(pkg: Pick<PlanPackage, 'inputs'>): SourceLink | null {
  const inputs = pkg.inputs;
  if (!isRecord(inputs) || !Object.hasOwn(inputs, SOURCE_KEY)) return null;
  const link = inputs[SOURCE_KEY];
  if (!isRecord(link)) return null;
  const { file, format, tag, tasks } = link;
  if (typeof file !== 'string' || !staysInside(file)) return null;
  if (typeof format !== 'string' || !(FOREIGN_FORMATS as readonly string[]).includes(format)) return null;
  if (!Array.isArray(tasks) || !tasks.every((t) => typeof t === 'string' && t !== '')) return null;
  return { file, format: format as ForeignFormat, ...(typeof tag === 'string' ? { tag } : {}), tasks: tasks as string[] };
}

/** The task lists the plan's packages came from, each once, in plan order. */
export function sourceFilesOf(packages: readonly Pick<PlanPackage, 'inputs'>[]): string[] {
  return [...new Set(packages.map((p) => sourceLinkOf(p)?.file).filter((f): f is string => f !== undefined))];
}

/**
 * A folder read as one plan (GSD, Spec Kitty) as the one text its conversion is remembered by
 * (its hash): each file as read, in order, `path\0text`, joined by `\0`.
 */
export function folderSourceText(files: readonly { readonly path: string; readonly text: string }[]): string {
  return files.map((f) => `${f.path}\0${f.text}`).join('\0');
}

/** A relative path that stays inside its folder: not absolute, no drive, no `..` part. */
export function staysInside(file: string): boolean {
  if (file === '' || /^[\\/]/.test(file) || /^[A-Za-z]:/.test(file) || file.includes('\0')) return false;
  return !file.split(/[\\/]/).includes('..');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
