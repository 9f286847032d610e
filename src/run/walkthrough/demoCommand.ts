/**
 * `Waves: Try the Demo Plan (Offline)…` (the Getting Started walkthrough): the demo plan
 * that ships with the extension copied into a folder the person picks (or a temporary one),
 * made a git repository, its `waves.agent` the stand-in demo agent (no coding agent, no
 * network), and opened. The front door's `makeDemoWorkspace` does the work; this asks where.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findOnPath } from '../../core/agents/agentDetect';
import { makeDemoWorkspace } from '../../engine';
import { Disposable } from '../../util/lifecycle';
import { executable } from '../run/agentPicker';
import { registerShown } from '../run/runCommands';
import { explainRestricted } from '../run/runController';

/** What tests pass: where to make it, and whether to open it (a new window ends the test's). */
interface DemoArgs {
  folder?: string;
  open?: boolean;
}

/** A Node.js for the demo agent: this one, unless it is Electron's (then `node` on the PATH). */
function demoNode(): string | null {
  return process.versions.electron ? findOnPath('node', process.env.PATH, executable) : process.execPath;
}

/** `parent/acme-notes-demo`, or `-2`, `-3`… when taken. */
function freeFolder(parent: string): string {
  for (let n = 1; ; n++) {
    const candidate = path.join(parent, n === 1 ? 'acme-notes-demo' : `acme-notes-demo-${n}`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}

export class DemoCommand extends Disposable {
  constructor(
    private readonly extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(registerShown('waves.tryDemo', log, (arg) => this.tryDemo(arg as DemoArgs | undefined)));
  }

  /** Makes the demo workspace and opens it; returns its folder (undefined: cancelled or refused). */
  async tryDemo(args: DemoArgs = {}): Promise<string | undefined> {
    if (!vscode.workspace.isTrusted) {
      // git init and the agent's runs start processes: none in Restricted Mode.
      await explainRestricted();
      return undefined;
    }
    const node = demoNode();
    if (!node) {
      void vscode.window.showErrorMessage('Waves: the demo agent is a Node.js script, and there is no `node` on the PATH. Install Node.js, or choose a coding agent and run your own plan.');
      return undefined;
    }
    const target = args.folder ?? (await this.askWhere());
    if (!target) return undefined;
    const ext = this.extensionUri.fsPath;
    await makeDemoWorkspace({ demo: path.join(ext, 'examples', 'demo'), agent: path.join(ext, 'examples', 'demo-agent', 'agent.mjs'), target, node });
    if (args.open !== false) {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(target), { forceNewWindow: (vscode.workspace.workspaceFolders?.length ?? 0) > 0 });
    }
    return target;
  }

  private async askWhere(): Promise<string | undefined> {
    const pick = await vscode.window.showQuickPick(
      [
        { label: '$(folder) Choose a Folder…', detail: 'the demo goes into a new folder acme-notes-demo inside it', value: 'choose' as const },
        { label: '$(clock) A Temporary Folder', detail: os.tmpdir(), value: 'temp' as const },
      ],
      { title: 'Waves: where should the demo workspace go?', placeHolder: 'A git repository with the demo plan; its agent is a stand-in that needs no network' },
    );
    if (!pick) return undefined;
    if (pick.value === 'temp') return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-demo-')), 'acme-notes');
    const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Make the Demo Here', title: 'Waves: the folder for the demo workspace' });
    return chosen?.[0] ? freeFolder(chosen[0].fsPath) : undefined;
  }
}
