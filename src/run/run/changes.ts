/**
 * Review before merge: a package's changes against its base in VS Code's multi-file diff
 * editor (`vscode.changes`), titled with the audit's verdict. The base side (and the
 * package's side once its worktree is gone) come from git through a read-only
 * `waves-git:` document provider.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PackageRunRecord } from '../../core/run/runState';
import { Disposable } from '../../util/lifecycle';
import { fileAtCommit, packageChanges } from '../../engine';
import { GIT_SCHEME } from './gitScheme';

export { GIT_SCHEME };

/** What a review document is the diff of: a package's changes, or the integration branch's (`pkg` null). */
export interface ReviewTarget {
  feature: string;
  pkg: string | null;
}

/**
 * `waves-git:/<file>?{"repo":…,"ref":…}` — read-only file text at a commit; with `review`, the
 * side of a diff the person comments on (`reviewComments.ts`).
 */
export function gitUri(repo: string, ref: string, file: string, review?: ReviewTarget): vscode.Uri {
  return vscode.Uri.from({ scheme: GIT_SCHEME, path: `/${file}`, query: JSON.stringify(review ? { repo, ref, review } : { repo, ref }) });
}

/** The review a `waves-git:` document is the commented side of, with its repository and commit; undefined for any other. */
export function reviewOf(uri: vscode.Uri): { target: ReviewTarget; repo: string; ref: string } | undefined {
  if (uri.scheme !== GIT_SCHEME) return undefined;
  try {
    const q = JSON.parse(uri.query) as { repo?: unknown; ref?: unknown; review?: { feature?: unknown; pkg?: unknown } };
    const r = q.review;
    if (typeof q.repo !== 'string' || typeof q.ref !== 'string' || !r || typeof r.feature !== 'string' || (r.pkg !== null && typeof r.pkg !== 'string')) return undefined;
    return { target: { feature: r.feature, pkg: r.pkg }, repo: q.repo, ref: q.ref };
  } catch {
    // not a review document URI: not ours
    return undefined;
  }
}

export class GitContentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, this));
  }

  /** The file's text at the commit; '' when it does not exist there (an added or deleted file). */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { repo, ref } = JSON.parse(uri.query) as { repo: string; ref: string };
    return fileAtCommit(repo, ref, uri.path.replace(/^\//, ''));
  }
}

/** What Show Changes reads of a package's record — or of a candidate's, which has the same fields. */
export type ChangesRecord = Pick<PackageRunRecord, 'packageId' | 'baseSha' | 'headSha' | 'branch' | 'worktree' | 'changedFiles' | 'scopeViolations' | 'status' | 'lastError'>;

/** The audit's verdict in a few words. */
export function auditVerdict(record: ChangesRecord): string {
  if (record.scopeViolations.length) return `outside its scope: ${record.scopeViolations.map((v) => v.path).join(', ')}`;
  if (record.status === 'succeeded') return 'in scope, verified and merged';
  if (record.changedFiles.length) return 'in scope';
  return record.lastError ?? record.status;
}

/**
 * Opens the multi-file diff of a package against its base; false (and a message) when there is
 * nothing to show. With `featureId`, the package's side is its commit (a `waves-git:` document
 * the person comments on) whenever it has one; else its worktree's files while it works.
 */
export async function showChanges(repo: string, record: ChangesRecord, featureId?: string): Promise<boolean> {
  if (!record.baseSha) {
    void vscode.window.showInformationMessage(`Waves: ${record.packageId} has not started: no changes to show.`);
    return false;
  }
  const files = await packageChanges(repo, record);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`Waves: ${record.packageId} changed no file against its base (${record.baseSha.slice(0, 8)}).`);
    return false;
  }
  const reviewed = featureId && record.headSha ? { feature: featureId, pkg: record.packageId } : undefined;
  const tree = !reviewed && record.worktree && record.worktree !== repo && fs.existsSync(record.worktree) ? record.worktree : null;
  const head = record.headSha ?? record.branch ?? 'HEAD';
  const resources = files.map((f) => {
    const original = f.change === 'A' || f.change === '?' ? undefined : gitUri(repo, record.baseSha!, f.path);
    const modified = f.change === 'D' ? undefined : tree ? vscode.Uri.file(path.join(tree, f.path)) : gitUri(repo, head, f.path, reviewed);
    return [vscode.Uri.file(path.join(tree ?? repo, f.path)), original, modified] as const;
  });
  const title = `${record.packageId}: ${files.length} file${files.length === 1 ? '' : 's'} against ${record.baseSha.slice(0, 8)}${reviewed ? ` at ${record.headSha!.slice(0, 8)}` : ''} — ${auditVerdict(record)}`;
  await vscode.commands.executeCommand('vscode.changes', title, resources);
  return true;
}

/** The diff of conflicting files between the integration branch and the package's branch. */
export async function showConflicts(repo: string, integrationRef: string, branch: string, files: readonly string[], packageId: string): Promise<void> {
  const resources = files.map((f) => [vscode.Uri.file(path.join(repo, f)), gitUri(repo, integrationRef, f), gitUri(repo, branch, f)] as const);
  await vscode.commands.executeCommand('vscode.changes', `${packageId}: merge conflict with ${integrationRef}`, resources);
}
