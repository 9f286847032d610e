/**
 * The DAG panel's webview. It keeps only UI state (viewport, selection, expanded waves,
 * filter — in `setState`, so hide/show and reloads keep them); the host owns the data and
 * sends the plan after our `ready`. Messages follow src/protocol/messages.ts.
 */
import '@xyflow/react/dist/style.css';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { isHostMessage, PROTOCOL_VERSION, type PlanMessage, type WebviewMessage } from '../src/protocol';
import { createRequester } from '../src/protocol/requester';
import { App, scopeKey, type SavedState } from './App';
import type { Rpc } from './rpc';
import { elapsed, StatusStore } from './statusStore';
import { TimelineStore } from './timelineStore';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const requester = createRequester((m) => vscode.postMessage(m), { timeoutMs: 15_000 });
const store = new StatusStore();
const timeline = new TimelineStore();
const root = createRoot(document.getElementById('root')!);
let plan: PlanMessage | undefined;
let lastSeq = 0;
let saved: SavedState = (vscode.getState() as SavedState | undefined) ?? {};

const log = (level: 'warn' | 'error', message: string) => vscode.postMessage({ type: 'log', level, message: message.slice(0, 8000) });

const rpc: Rpc = {
  details: (packageId) => requester.request({ type: 'packageDetails', packageId }),
  action: async (packageId, action) => {
    await requester.request({ type: 'packageAction', packageId, action });
  },
  candidate: async (packageId, candidate, action) => {
    await requester.request({ type: 'candidateAction', packageId, candidate, action });
  },
  exportDag: async (format) => {
    await requester.request({ type: 'exportDag', format }).catch((err: Error) => log('warn', `exportDag: ${err.message}`));
  },
  proposal: async (action) => {
    // The host answers once the action is under way (Request Changes and Discard ask the person first).
    await requester.request({ type: 'proposalAction', action });
  },
  revealInWaves: async (packageId) => {
    await requester.request({ type: 'revealInWaves', packageId }).catch((err: Error) => log('warn', `revealInWaves: ${err.message}`));
  },
  exportTimeline: async () => {
    await requester.request({ type: 'exportTimeline' }).catch((err: Error) => log('warn', `exportTimeline: ${err.message}`));
  },
  openGroup: async (path) => {
    await requester.request({ type: 'openGroup', path });
  },
};

function save(patch: Partial<SavedState>): void {
  saved = { ...saved, ...patch, planUri: plan?.planUri ?? saved.planUri };
  vscode.setState(saved);
}

function render(): void {
  root.render(<App plan={plan} store={store} timeline={timeline} rpc={rpc} saved={saved} save={save} />);
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = event.data;
  if (!isHostMessage(message)) return;
  switch (message.type) {
    case 'plan':
      if (message.seq <= lastSeq) return; // stale
      if (plan && plan.planUri !== message.planUri) saved = {};
      // Another sub-plan opened: its own viewport, selection and expanded waves.
      if (plan && scopeKey(plan) !== scopeKey(message)) saved = { planUri: saved.planUri, view: saved.view };
      plan = message;
      lastSeq = message.seq;
      if (saved.planUri !== message.planUri || saved.group !== scopeKey(message)) save({ planUri: message.planUri, group: scopeKey(message) });
      // A plan of plans: the leaves below its groups count their progress.
      store.reset([...message.nodes, ...(message.below ?? [])]);
      render();
      break;
    case 'status':
    case 'timeline':
      // Statuses and the run timeline's rows share one sequence.
      if (message.seq <= lastSeq) return; // stale
      if (message.seq !== lastSeq + 1) {
        // A gap: ask for the whole plan again rather than show a wrong status.
        vscode.postMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
        return;
      }
      lastSeq = message.seq;
      if (message.type === 'status') {
        store.apply(message.deltas);
        // The integration guard's state changed: the bar shows it.
        if (message.integration !== undefined && plan) {
          plan = { ...plan, integration: message.integration };
          render();
        }
      } else timeline.apply(message);
      break;
    case 'reply':
      requester.handleReply(message);
      break;
  }
});
window.addEventListener('error', (e) => log('error', `${e.message} (${e.filename}:${e.lineno})`));

// Elapsed times tick here, in the DOM only: no React render, no graph work.
setInterval(() => {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLElement>('.elapsed[data-started]')) {
    if (el.dataset.started && !el.dataset.ended) el.textContent = elapsed(el.dataset.started, null, now);
  }
}, 1000);

render();
vscode.postMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
