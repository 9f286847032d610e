/**
 * A folder kept one task a file, read as one plan in the editor (ADR 0030): which folder a file
 * belongs to (a GSD phase folder, a Spec Kitty feature), and its files as read for the registry
 * (planRegistry.ts), the open documents' unsaved text where there is some.
 */
import * as vscode from 'vscode';
import type { PlanAnalysis } from '../core/plan/analyze';
import { folderPlanOf } from './planFiles';

/** The URI schemes plans are read from. */
export const PLAN_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);

/** The folder read as one plan that the file would belong to (a GSD phase folder, a Spec Kitty feature), by its path; undefined for other files. */
export function folderUriOf(uri: vscode.Uri): vscode.Uri | undefined {
  if (!PLAN_SCHEMES.has(uri.scheme)) return undefined;
  const of = folderPlanOf(uri.path);
  return of ? uri.with({ path: of.folder }) : undefined;
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

/**
 * The files of a folder read as one plan, as `waves validate <folder>` lists them: a Spec Kitty
 * feature (it has `tasks/`) its `tasks/` files, those of its lane folders and its state files;
 * a GSD phase folder its own files. Markdown and state files are read (an open document's text
 * when it has unsaved changes), the others only named (a `SUMMARY.md` says a GSD plan is done).
 */
export async function readFolderFiles(folder: vscode.Uri, log: Pick<vscode.LogOutputChannel, 'warn'>): Promise<FolderFileRead[]> {
  const list = async (dir: vscode.Uri) => {
    try {
      return (await vscode.workspace.fs.readDirectory(dir)).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([name, type]) => ({ uri: vscode.Uri.joinPath(dir, name), name, type }));
    } catch {
      return [];
    }
  };
  const own = await list(folder);
  const tasks = own.find((e) => e.name === 'tasks' && e.type & vscode.FileType.Directory);
  let uris: vscode.Uri[];
  if (tasks) {
    const inTasks = await list(tasks.uri);
    const lanes = await Promise.all(inTasks.filter((e) => e.type & vscode.FileType.Directory && ['planned', 'doing', 'for_review', 'done'].includes(e.name)).map((e) => list(e.uri)));
    uris = [...inTasks, ...lanes.flat()].filter((e) => e.type & vscode.FileType.File).map((e) => e.uri);
    uris.push(...own.filter((e) => e.type & vscode.FileType.File && folderPlanOf(e.uri.path)?.format === 'spec-kitty').map((e) => e.uri));
  } else uris = own.filter((e) => e.type & vscode.FileType.File).map((e) => e.uri);
  const out: FolderFileRead[] = [];
  for (const uri of uris.slice(0, 5000)) {
    const member = folderPlanOf(uri.path) !== null;
    if (!member && !/\.md$/i.test(uri.path)) {
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
