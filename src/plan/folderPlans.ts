/**
 * A folder kept one task a file, read as one plan in the editor (ADR 0030): which folder a file
 * belongs to (a GSD phase folder, a Spec Kitty feature), and its files as read for the registry
 * (planRegistry.ts), the open documents' unsaved text where there is some.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { PlanAnalysis } from '../core/plan/analyze';
import { folderPlanFiles, onlyNamed, type FolderEntry } from '../core/plan/folderListing';
import { folderPlanOf, isKittyFeatureFile, tasksMdFolderOf } from './planFiles';

/** The URI schemes plans are read from. */
export const PLAN_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);

/** The folder read as one plan that the file would belong to (a GSD phase folder, a Spec Kitty feature), by its path; undefined for other files. */
export function folderUriOf(uri: vscode.Uri): vscode.Uri | undefined {
  if (!PLAN_SCHEMES.has(uri.scheme)) return undefined;
  const of = folderPlanOf(uri.path);
  return of ? uri.with({ path: of.folder }) : undefined;
}

/** The folder of a `tasks.md`, which is a Spec Kitty feature's when that folder is read as one plan (`tasksMdFolderOf`); undefined for other files. */
export function tasksMdFolderUriOf(uri: vscode.Uri): vscode.Uri | undefined {
  if (!PLAN_SCHEMES.has(uri.scheme)) return undefined;
  const folder = tasksMdFolderOf(uri.path);
  return folder === null ? undefined : uri.with({ path: folder });
}

/** One file of a folder read as one plan: its analysis as that file shows it (its text, its diagnostics). */
export interface FolderFile {
  readonly uri: vscode.Uri;
  readonly analysis: PlanAnalysis;
  /** Version of the open document read; undefined when read from disk. */
  readonly documentVersion: number | undefined;
}

/** A file of such a folder as read: `member` when it is one of the format's own files (the others are only named). */
export interface FolderFileRead {
  uri: vscode.Uri;
  text: string;
  member: boolean;
  documentVersion: number | undefined;
}

/** The files of a folder read as one plan (`readFolderFiles` reads them), as listed now. */
export async function listFolderFiles(folder: vscode.Uri): Promise<vscode.Uri[]> {
  const list = async (dir: vscode.Uri): Promise<FolderEntry[]> => {
    try {
      return (await vscode.workspace.fs.readDirectory(dir)).filter(([, type]) => type & (vscode.FileType.File | vscode.FileType.Directory)).map(([name, type]) => ({ name, dir: (type & vscode.FileType.Directory) !== 0 }));
    } catch {
      // a folder gone or unreadable: it lists nothing, and the folder is read without it
      return [];
    }
  };
  const name = path.posix.basename(folder.path);
  const listed = new Map<string, FolderEntry[]>();
  let step = folderPlanFiles(name, listed);
  while ('list' in step) {
    const more = await Promise.all(step.list.map((rel) => list(vscode.Uri.joinPath(folder, rel))));
    step.list.forEach((rel, i) => listed.set(rel, more[i]!));
    step = folderPlanFiles(name, listed);
  }
  return step.files.map((f) => vscode.Uri.joinPath(folder, f));
}

/**
 * The files of a folder read as one plan, as `waves validate <folder>` lists them
 * (`folderPlanFiles`): a Spec Kitty feature (it has `tasks/`) its `tasks/` files, those of its
 * lane folders, its state files and `tasks.md`; a GSD phase folder its own files. Markdown and state files
 * are read (an open document's text when it has unsaved changes), the others only named
 * (`onlyNamed`: a `SUMMARY.md` says a GSD plan is done). `listed`: the files as `listFolderFiles` listed them.
 */
export async function readFolderFiles(folder: vscode.Uri, log: Pick<vscode.LogOutputChannel, 'warn'>, listed?: readonly vscode.Uri[]): Promise<FolderFileRead[]> {
  const uris = listed ?? (await listFolderFiles(folder));
  const out: FolderFileRead[] = [];
  for (const uri of uris) {
    const member = folderPlanOf(uri.path) !== null;
    if (onlyNamed(uri.path)) {
      out.push({ uri, text: '', member, documentVersion: undefined });
      continue;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) {
      out.push({ uri, text: doc.getText(), member, documentVersion: doc.version });
      continue;
    }
    try {
      let text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      out.push({ uri, text, member, documentVersion: undefined });
    } catch (err) {
      log.warn(`Could not read ${uri.toString(true)}`, err);
    }
  }
  return out;
}

/**
 * The files a folder read as one plan is shown on (`PlanEntry.files`), of those read: its
 * packages' files (`packageFiles`, in that order), then each other file a diagnostic names
 * (`named`) or — `folder` a Spec Kitty feature — the feature's own files in it (`tasks.md`, the
 * state files), so their problems are shown on them, cleared when fixed, and a change of theirs,
 * unsaved too, reads the folder again.
 */
export function shownFolderFiles(folder: vscode.Uri, read: readonly FolderFileRead[], packageFiles: readonly string[], named: ReadonlySet<string | undefined>, kitty: boolean): FolderFileRead[] {
  const byPath = new Map(read.map((f) => [f.uri.path, f]));
  const own = new Set(packageFiles);
  const first = packageFiles.flatMap((file) => byPath.get(file) ?? []);
  const featureFile = (f: FolderFileRead) => kitty && isKittyFeatureFile(f.uri.path) && path.posix.dirname(f.uri.path) === folder.path;
  return [...first, ...read.filter((f) => !own.has(f.uri.path) && (named.has(f.uri.path) || featureFile(f)))];
}
