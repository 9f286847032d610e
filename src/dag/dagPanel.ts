import { webcrypto } from 'crypto';
import * as vscode from 'vscode';
import { buildPlanView } from '../core/graphView';
import { revealPackage } from '../plan/commands';
import type { PlanRegistry } from '../plan/planRegistry';
import {
  replyTo,
  validateWebviewMessage,
  type HostMessage,
  type WebviewMessage,
  type WebviewRequest,
} from '../protocol';
import { Disposable } from '../util/lifecycle';
import { makeNonce, renderDagHtml } from './html';

export const DAG_VIEW_TYPE = 'waves.dag';

/**
 * The DAG panel of the active plan: one webview panel, restored after a reload. The host
 * owns the data and sends it after the webview says `ready`; everything the webview sends
 * is validated before it is acted on.
 */
export class DagPanelManager extends Disposable implements vscode.WebviewPanelSerializer {
  private panel: DagPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly registry: PlanRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(DAG_VIEW_TYPE, this));
    this.register(vscode.commands.registerCommand('waves.showDag', () => this.show()));
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DAG_VIEW_TYPE, 'Waves DAG', vscode.ViewColumn.Active, this.options());
    this.adopt(panel);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = this.options();
    this.adopt(panel);
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    const dag = new DagPanel(panel, this.extensionUri, this.registry, this.log);
    this.panel = dag;
    dag.onDidDispose(() => {
      if (this.panel === dag) this.panel = undefined;
    });
  }

  override dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}

/** An error reply with a stable code. */
function fail(request: WebviewRequest, message: string, code: string): HostMessage {
  return { type: 'reply', inReplyTo: request.requestId, ok: false, error: { message, code } };
}

class DagPanel extends Disposable {
  private seq = 0;
  private ready = false;
  private readonly disposeEmitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly registry: PlanRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const webview = panel.webview;
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'waves.svg');
    webview.html = renderDagHtml({
      cspSource: webview.cspSource,
      scriptUri: asset('main.js'),
      styleUri: asset('main.css'),
      codiconUri: asset('codicon.css'),
      nonce: makeNonce((bytes) => webcrypto.getRandomValues(bytes)),
    });
    this.register(webview.onDidReceiveMessage((raw) => void this.receive(raw)));
    this.register(registry.onDidChange(() => this.sendPlan()));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.disposeEmitter.fire();
    super.dispose();
    this.panel.dispose();
  }

  private post(message: HostMessage): void {
    void this.panel.webview.postMessage(message).then(undefined, (err) => this.log.warn('Could not post to the DAG panel', err));
  }

  private sendPlan(): void {
    if (!this.ready) return;
    const entry = this.registry.active;
    this.panel.title = entry ? `Waves DAG — ${entry.analysis.plan.feature?.id ?? entry.label}` : 'Waves DAG';
    if (!entry) return;
    this.post({ ...buildPlanView(entry.analysis, entry.label), seq: ++this.seq });
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      this.log.warn(`Ignored a malformed message from the DAG panel: ${checked.error}`);
      if (checked.requestId !== undefined) {
        this.post({ type: 'reply', inReplyTo: checked.requestId, ok: false, error: { message: checked.error, code: 'invalid-message' } });
      }
      return;
    }
    const message: WebviewMessage = checked.message;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendPlan();
        return;
      case 'log':
        this.log[message.level === 'warn' ? 'warn' : message.level](`[DAG panel] ${message.message}`);
        return;
      default:
        this.post(await this.answer(message));
    }
  }

  private async answer(request: WebviewRequest): Promise<HostMessage> {
    try {
      switch (request.type) {
        case 'openPackage': {
          const entry = this.registry.active;
          if (!entry || !entry.analysis.graph.indexOf.has(request.packageId)) {
            return fail(request, `No package \`${request.packageId}\` in the active plan`, 'unknown-package');
          }
          await revealPackage(this.registry, { uri: entry.uri, packageId: request.packageId });
          return replyTo(request, null);
        }
        case 'revealFile': {
          const entry = this.registry.active;
          const folder = entry && vscode.workspace.getWorkspaceFolder(entry.uri);
          if (!folder) return fail(request, 'No workspace folder for the active plan', 'no-folder');
          const uri = vscode.Uri.joinPath(folder.uri, ...request.path.split('/'));
          try {
            await vscode.workspace.fs.stat(uri);
          } catch {
            return fail(request, `\`${request.path}\` does not exist yet`, 'not-found');
          }
          await vscode.window.showTextDocument(uri, { preview: true });
          return replyTo(request, null);
        }
        case 'runPackage':
        case 'runWave':
        case 'cancelPackage':
          return fail(request, 'Running packages is not available yet', 'not-available');
      }
    } catch (err) {
      this.log.error(`DAG panel request ${request.type} failed`, err);
      return fail(request, err instanceof Error ? err.message : String(err), 'failed');
    }
  }
}
