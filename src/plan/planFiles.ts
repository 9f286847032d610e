/**
 * Which files are plans, for the editor: a module of its own (no plan analysis in it), so the
 * parts built on first use (ADR 0020) can name plan files without bundling the analysis again.
 */
import type * as vscode from 'vscode';

/** File names that are plans: `work-packages.yaml` and `<name>.work-packages.yaml`. */
export const PLAN_GLOB = '**/{work-packages.yaml,*.work-packages.yaml}';
export const PLAN_SELECTOR: vscode.DocumentSelector = [{ pattern: PLAN_GLOB }];

/**
 * File names that may be another tool's task list — spec-kit, Kiro / cc-sdd and OpenSpec
 * `tasks.md`, Taskmaster `tasks.json`, beads `issues.jsonl` — shown as plans, read-only, when
 * their text is one (src/core/formats).
 */
export const FOREIGN_GLOB = '**/{tasks.md,*.tasks.md,tasks.json,*.tasks.json,issues.jsonl}';
/** The task files of folders read as one plan (GSD `*-PLAN.md`, Spec Kitty `WP*.md`): hover and lenses on them. */
export const FOLDER_TASK_GLOB = '**/{*-PLAN.md,PLAN.md,WP*.md}';
export const FOREIGN_SELECTOR: vscode.DocumentSelector = [{ pattern: FOREIGN_GLOB }, { pattern: FOLDER_TASK_GLOB }];
/**
 * Files of the task lists kept one task a file, a folder a plan: GSD's `*-PLAN.md` (the phase
 * folder is the plan), Spec Kitty's `WP*.md` under a feature's `tasks/` and the feature's state
 * files (`status.events.jsonl`, `status.json`, `lanes.json`); its `tasks.md`, a FOREIGN_GLOB name,
 * is one too once the feature is read (`tasksMdFolderOf`).
 */
export const FOLDER_MEMBER_GLOB = '**/{*-PLAN.md,PLAN.md,WP*.md,status.events.jsonl,status.json,lanes.json}';
/** Every file the plan registry looks at: plans, task lists of other tools and the files of folder task lists. */
export const FOUND_GLOB = '**/{work-packages.yaml,*.work-packages.yaml,tasks.md,*.tasks.md,tasks.json,*.tasks.json,issues.jsonl,*-PLAN.md,PLAN.md,WP*.md,status.events.jsonl,status.json,lanes.json}';

/** Plans and task lists of other tools: what navigation (hover, CodeLens, go to definition) serves. */
export const FOUND_SELECTOR: vscode.DocumentSelector = [{ pattern: PLAN_GLOB }, { pattern: FOREIGN_GLOB }, { pattern: FOLDER_TASK_GLOB }];

/** Whether a file name (no folder) is one of FOREIGN_GLOB's. */
export function isForeignName(base: string): boolean {
  return base === 'tasks.md' || base.endsWith('.tasks.md') || base === 'tasks.json' || base.endsWith('.tasks.json') || base === 'issues.jsonl';
}

/**
 * Whether a file of a FOREIGN_GLOB name may be a task list by its path and first bytes — cheap,
 * before the readers' bundle is loaded: never VS Code's own `.vscode/tasks.json`; a `.json` or
 * `.jsonl` that is no JSON object; a `.md` with no task box (`- [ ]`) outside `.kiro/` and
 * `openspec/` (whose paths name the format). Only what the readers would refuse anyway is
 * refused: a file that passes may still be none.
 */
export function mayBeTaskList(path: string, text: string): boolean {
  const p = path.replace(/\\/g, '/');
  if (/(^|\/)\.vscode\//.test(p)) return false;
  const base = p.slice(p.lastIndexOf('/') + 1).toLowerCase();
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (base.endsWith('.json') || base.endsWith('.jsonl')) return start.startsWith('{') || /(^|\/)\.(taskmaster|beads)\//.test(p);
  if (/(^|\/)(\.kiro|openspec)\//.test(p) || start.startsWith('{')) return true;
  return /^\s*[-*] \[[ xX-]\]/m.test(text) || /^#{2,6}\s+(?:\*\*|\[)?T\d/m.test(text); // a task box, or a task written as a heading (`### T001: …`)
}

const LANES = new Set(['planned', 'doing', 'for_review', 'done']);
const KITTY_STATE = new Set(['status.events.jsonl', 'status.json', 'lanes.json']);

/**
 * The folder a file is read with as one plan, by its path only: a GSD `*-PLAN.md` (or `PLAN.md`)
 * → its phase folder; a Spec Kitty `WP*.md` in a feature's `tasks/` (or a lane folder under it)
 * → the feature folder; a Spec Kitty state file → its folder (a feature when it has `tasks/`).
 * Null for any other file. Paths with `/`.
 */
export function folderPlanOf(path: string): { folder: string; format: 'gsd' | 'spec-kitty' } | null {
  const parts = path.replace(/\\/g, '/').split('/');
  const base = parts[parts.length - 1];
  const up = (n: number) => parts.slice(0, parts.length - n).join('/');
  if (parts.length < 2) return null;
  if (/^WP\d+\b[^/]*\.md$/i.test(base)) {
    const parent = parts[parts.length - 2];
    if (parent === 'tasks' && parts.length >= 3) return { folder: up(2), format: 'spec-kitty' };
    if (LANES.has(parent) && parts[parts.length - 3] === 'tasks' && parts.length >= 4) return { folder: up(3), format: 'spec-kitty' };
    return null;
  }
  if (KITTY_STATE.has(base)) return { folder: up(1), format: 'spec-kitty' };
  if (base.endsWith('-PLAN.md') || base === 'PLAN.md') return { folder: up(1), format: 'gsd' };
  return null;
}

/**
 * The folder a `tasks.md` is of, by its path: a Spec Kitty feature's `tasks.md` (beside `tasks/`)
 * is read with the feature's work packages, but a `tasks.md` is as often a task list of its own
 * (spec-kit, Kiro, OpenSpec): whether it is the feature's is known from its folder — read as one
 * plan or not (planRegistry.ts). Null for any other file. Paths with `/`.
 */
export function tasksMdFolderOf(path: string): string | null {
  const parts = path.replace(/\\/g, '/').split('/');
  return parts.length >= 2 && parts[parts.length - 1] === 'tasks.md' ? parts.slice(0, -1).join('/') : null;
}

/** A Spec Kitty feature's own file beside its `tasks/`, by its name: `tasks.md` or a state file. */
export function isKittyFeatureFile(path: string): boolean {
  const base = path.slice(path.replace(/\\/g, '/').lastIndexOf('/') + 1);
  return base === 'tasks.md' || KITTY_STATE.has(base);
}

/** Whether a file's first bytes may be a GSD or Spec Kitty task file (front matter) — checked before the readers' bundle is loaded. */
export function mayBeFolderTask(text: string): boolean {
  return /^\uFEFF?---[ \t]*\r?\n/.test(text);
}

/**
 * The file a package of a plan entry is written in: the entry's own, or — a folder read as one
 * plan (GSD, Spec Kitty) — the file of the folder the package is in. Here, not in the registry,
 * so the parts built on first use (the DAG panel) name it without bundling the registry.
 */
export function packageUri(entry: { readonly uri: vscode.Uri; readonly files?: readonly unknown[]; readonly foreign?: { readonly packages: readonly { readonly file?: string }[] } }, index: number): vscode.Uri {
  const file = entry.files ? entry.foreign?.packages[index]?.file : undefined;
  return file ? entry.uri.with({ path: file }) : entry.uri;
}
