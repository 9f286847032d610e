/**
 * Where the plan registry (planRegistry.ts) finds plans in the workspace: which files it looks
 * at, the exclusion globs (`waves.plans.exclude` and those always excluded), the plan files at
 * each folder's root, and the search of paths just created, which the file watcher may miss.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { covers } from '../core/plan/glob';
import { proposedPlanIdOf, proposedPlanLabel } from '../core/planning/planningSession';
import { FOUND_GLOB, isForeignName } from './planFiles';
import { PLAN_SCHEMES } from './folderPlans';

const ALWAYS_EXCLUDED = ['**/node_modules/**', '**/.git/**', '**/.waves/**', '**/*.worktrees/**', '**/.worktrees/**'];
/** More paths created at once than this: search the whole workspace instead of each. */
const MAX_CREATED_PATHS = 50;

export function isPlanUri(uri: vscode.Uri): boolean {
  if (!PLAN_SCHEMES.has(uri.scheme)) return false;
  const base = path.posix.basename(uri.path);
  return base === 'work-packages.yaml' || base.endsWith('.work-packages.yaml');
}

/** Whether the file may be a task list of another tool (read-only, shown when its text is one). */
export function isForeignUri(uri: vscode.Uri): boolean {
  return PLAN_SCHEMES.has(uri.scheme) && isForeignName(path.posix.basename(uri.path));
}

/** Whether the registry looks at the file: a plan, or maybe a task list of another tool. */
export function isFoundUri(uri: vscode.Uri): boolean {
  return isPlanUri(uri) || isForeignUri(uri);
}

export function readExcludes(): string[] {
  return [...ALWAYS_EXCLUDED, ...vscode.workspace.getConfiguration('waves').get<string[]>('plans.exclude', [])];
}

/** The exclusions as one glob for `findFiles`. */
export function excludeGlob(excludeGlobs: readonly string[]): string {
  return `{${excludeGlobs.join(',')}}`;
}

/**
 * Whether the plan search skips this path (the same globs, relative to its workspace folder).
 * Called for every path created in the workspace: no settings read here.
 */
export function isExcluded(excludeGlobs: readonly string[], uri: vscode.Uri): boolean {
  const relative = folderRelative(uri);
  return relative !== undefined && excludeGlobs.some((glob) => covers(glob, relative));
}

/** A path relative to its workspace folder, or undefined outside every folder. */
export function folderRelative(uri: vscode.Uri): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return folder ? path.posix.relative(folder.uri.path, uri.path) : undefined;
}

/** The plan files directly in each workspace folder, as the search would find them (none where a folder cannot be listed). */
export async function plansAtRoots(excluded: (uri: vscode.Uri) => boolean): Promise<vscode.Uri[]> {
  const lists = await Promise.all(
    (vscode.workspace.workspaceFolders ?? []).map(async (folder) => {
      try {
        const names = await vscode.workspace.fs.readDirectory(folder.uri);
        return names.flatMap(([name, type]) => {
          const uri = vscode.Uri.joinPath(folder.uri, name);
          return type & vscode.FileType.File && isFoundUri(uri) && !excluded(uri) ? [uri] : [];
        });
      } catch {
        // a folder gone while listed: no plans in it
        return [];
      }
    }),
  );
  return lists.flat();
}

/** The files the registry looks at under the paths created since the last time (`keys`: their URIs); `exclude`: the exclusions' glob as it is now. */
export async function searchCreated(keys: readonly string[], exclude: () => string, log: vscode.LogOutputChannel): Promise<vscode.Uri[]> {
  let found: vscode.Uri[] = [];
  if (keys.length > MAX_CREATED_PATHS) {
    try {
      found = await vscode.workspace.findFiles(FOUND_GLOB, exclude());
    } catch (err) {
      log.error('Could not search the workspace for new plans', err);
    }
  } else {
    // The top-most paths only: a folder created with its subfolders is searched once. Each on
    // its own: a folder gone again while it is searched (the search fails) costs the others nothing.
    const tops = keys.filter((key) => !keys.some((other) => other !== key && key.startsWith(`${other}/`)));
    for (const key of tops) {
      const uri = vscode.Uri.parse(key);
      const stat = await vscode.workspace.fs.stat(uri).then(
        (s) => s,
        () => undefined, // gone again
      );
      if (!stat || !(stat.type & vscode.FileType.Directory)) continue;
      try {
        found.push(...(await vscode.workspace.findFiles(new vscode.RelativePattern(uri, FOUND_GLOB), exclude())));
      } catch (err) {
        const gone = await vscode.workspace.fs.stat(uri).then(
          () => false,
          () => true,
        );
        if (!gone) log.error(`Could not search ${planLabel(uri)} for plans`, err);
      }
    }
  }
  return found;
}

/** A plan's name in the views: its path in the workspace, or — a proposed plan in its planning worktree — `proposed: <id>`. */
export function planLabel(uri: vscode.Uri): string {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const proposed = uri.scheme === 'file' ? proposedPlanIdOf(uri.fsPath, folders) : null;
  if (proposed) return proposedPlanLabel(proposed);
  return vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}
