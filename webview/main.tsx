/**
 * The DAG panel's webview. It keeps only UI state; the host owns the data and sends the
 * plan after our `ready`. Messages follow src/protocol.ts.
 */
import '@xyflow/react/dist/style.css';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { createRequester, isHostMessage, PROTOCOL_VERSION, type PlanMessage, type WebviewMessage, type WebviewRequest } from '../src/protocol';
import { App } from './App';
import { StatusStore } from './statusStore';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const requester = createRequester<WebviewRequest>((m) => vscode.postMessage(m), { timeoutMs: 15_000 });
const store = new StatusStore();
const root = createRoot(document.getElementById('root')!);
let plan: PlanMessage | undefined;
let lastSeq = 0;

const log = (level: 'warn' | 'error', message: string) => vscode.postMessage({ type: 'log', level, message: message.slice(0, 8000) });

function open(packageId: string): void {
  requester.request({ type: 'openPackage', packageId }).catch((err: Error) => log('warn', `openPackage ${packageId}: ${err.message}`));
}

function render(): void {
  root.render(<App plan={plan} store={store} open={open} />);
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = event.data;
  if (!isHostMessage(message)) return;
  switch (message.type) {
    case 'plan':
      if (message.seq <= lastSeq) return; // stale
      plan = message;
      lastSeq = message.seq;
      store.reset(message.nodes);
      render();
      break;
    case 'status':
      if (message.seq <= lastSeq) return; // stale
      if (message.seq !== lastSeq + 1) {
        // A gap: ask for the whole plan again rather than show a wrong status.
        vscode.postMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
        return;
      }
      lastSeq = message.seq;
      store.apply(message.deltas);
      break;
    case 'reply':
      requester.handleReply(message);
      break;
  }
});
window.addEventListener('error', (e) => log('error', `${e.message} (${e.filename}:${e.lineno})`));

render();
vscode.postMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
