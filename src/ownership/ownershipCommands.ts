import * as vscode from 'vscode';
import type { PathState } from '../core/ownership/ownershipState';
import type { PackageRef } from '../plan/packageShown';
import { Disposable } from '../util/lifecycle';
import type { OwnershipModel, OwnershipReport } from './ownershipModel';

/** What "Who Owns This File?" answers (also its return value, for tests and other commands). */
export interface WhoOwnsAnswer {
  path: string;
  owners: string[];
  readers: string[];
  deniedTo: string[];
  locks: { holder: string; key: string; expiresAt: string | null }[];
  summary: string;
}

/** A warning shown when the user starts editing a file an agent may be writing. */
export interface EditWarning {
  uri: vscode.Uri;
  message: string;
  packageId: string;
}

const OPEN_PACKAGE = 'Open Its Package';

/** What the one status-bar item says of the active file's owner (`PlanStatusBar`). */
export interface FileOwnerShown {
  /** `$(lock) wp-api`. */
  text: string;
  /** The file's ownership in words (Markdown). */
  tooltip: string;
  /** The same for a screen reader. */
  accessible: string;
}

/**
 * The active file's owner for the status bar (`fileOwner`), the edit warning, and the commands
 * `waves.whoOwnsFile` and `waves.openOwnerPackage`.
 */
export class OwnershipCommands extends Disposable {
  /** Files warned about, with the state they were in: warn again only when it changes. */
  private readonly warned = new Map<string, string>();
  private readonly warnedEmitter = this.register(new vscode.EventEmitter<EditWarning>());
  /** Fires when an edit warning is shown (tests listen). */
  readonly onDidWarn = this.warnedEmitter.event;
  /** Fires when what `fileOwner` says may have changed: the ownership model changed. */
  readonly onDidChangeOwners: vscode.Event<void>;

  constructor(private readonly model: OwnershipModel) {
    super();
    this.onDidChangeOwners = model.onDidChange;
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
    this.register(vscode.commands.registerCommand('waves.whoOwnsFile', (uri?: vscode.Uri) => this.whoOwns(uri)));
    this.register(
      vscode.commands.registerCommand('waves.openOwnerPackage', (packageId?: string) => this.openPackage(packageId)),
    );
  }

  /** What the status bar says of the file's owner, or undefined when no package of a plan owns, reads, denies or locks it. */
  fileOwner(uri: vscode.Uri | undefined): FileOwnerShown | undefined {
    const state = uri && this.model.stateOf(uri);
    if (!state) return undefined;
    const owners = state.facts.owners.map((o) => o.id);
    const who = owners.length === 0 ? (state.facts.locks[0]?.holder ?? state.facts.deniedTo[0]) : owners.join(', ');
    return { text: `${ICONS[state.kind]} ${who}`, tooltip: state.tooltip, accessible: `this file ${state.tooltip}` };
  }

  private async whoOwns(uri?: vscode.Uri): Promise<WhoOwnsAnswer | undefined> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target) {
      void vscode.window.showInformationMessage('Who Owns This File? Open a file or choose one in the Explorer first.');
      return undefined;
    }
    const report = this.model.report(target);
    if (!report) {
      const plan = this.model.plan;
      void vscode.window.showInformationMessage(
        plan ? `${vscode.workspace.asRelativePath(target)} is outside the repository (or folder) of the plan ${plan.label}, where its scopes start.` : 'There is no plan in this workspace.',
      );
      return undefined;
    }
    const answer = toAnswer(report);
    const buttons = report.owners.slice(0, 3).map((p) => `Open ${p.id}`);
    void vscode.window.showInformationMessage(answer.summary, ...buttons).then((choice) => {
      if (choice) void this.openPackage(choice.slice('Open '.length));
    });
    return answer;
  }

  private async openPackage(packageId?: string): Promise<void> {
    const entry = this.model.plan;
    if (!entry || !packageId) return;
    const ref: PackageRef = { uri: entry.uri, packageId };
    await vscode.commands.executeCommand('waves.revealPackage', ref);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const key = e.document.uri.toString();
    const state = this.model.stateOf(e.document.uri);
    if (!state || (state.kind !== 'running' && state.kind !== 'locked')) {
      this.warned.delete(key);
      return;
    }
    if (this.warned.get(key) === state.key) return;
    this.warned.set(key, state.key);
    if (!vscode.workspace.getConfiguration('waves.ownership', e.document.uri).get<boolean>('warnOnEdit', true)) return;
    const packageId = writerOf(state);
    if (!packageId) return;
    const message = `${vscode.workspace.asRelativePath(e.document.uri)} is ${state.tooltip}. An agent may be changing it: your edits can collide with its work.`;
    this.warnedEmitter.fire({ uri: e.document.uri, message, packageId });
    void vscode.window.showWarningMessage(message, OPEN_PACKAGE).then((choice) => {
      if (choice === OPEN_PACKAGE) void this.openPackage(packageId);
    });
  }
}

const ICONS: Record<PathState['kind'], string> = {
  locked: '$(lock)',
  running: '$(sync~spin)',
  conflict: '$(warning)',
  denied: '$(circle-slash)',
  owned: '$(package)',
};

/** The package that may be writing: the lock's holder, else the running owner. */
function writerOf(state: PathState): string | undefined {
  const running = state.facts.owners.find((o) => o.status === 'running' || o.status === 'verifying');
  return state.facts.locks[0]?.holder ?? running?.id ?? state.facts.owners[0]?.id;
}

function toAnswer(report: OwnershipReport): WhoOwnsAnswer {
  const who = report.state?.tooltip ?? (report.readers.length > 0 ? 'owned by no package' : 'owned by no package of the plan');
  const readers = report.readers.map((p) => p.id);
  const readWords = readers.length === 0 ? '' : ` · read by ${readers.slice(0, 5).join(', ')}${readers.length > 5 ? ` and ${readers.length - 5} more` : ''}`;
  return {
    path: report.relativePath,
    owners: report.owners.map((p) => p.id),
    readers,
    deniedTo: report.deniedTo.map((p) => p.id),
    locks: report.facts.locks.map((l) => ({ holder: l.holder, key: l.key, expiresAt: l.expiresAt })),
    summary: `${report.relativePath}: ${who}${readWords}`,
  };
}
