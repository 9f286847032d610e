/**
 * The worker thread that analyses large plans off the extension host's thread (#15): text in,
 * the portable part of the analysis out (`toPortable`; the host rebuilds the graph and the line
 * index with `fromPortable`). Bundled to `dist/planWorker.js`; built-ins and `src/core` only.
 */
import { parentPort } from 'node:worker_threads';
import { analyzePlan, toPortable } from '../core/plan/analyze';

export interface AnalysisRequest {
  id: number;
  text: string;
  maxParallel: number;
}

export type AnalysisReply = { id: number; ok: true; result: ReturnType<typeof toPortable> } | { id: number; ok: false; error: string };

parentPort?.on('message', (request: AnalysisRequest) => {
  let reply: AnalysisReply;
  try {
    reply = { id: request.id, ok: true, result: toPortable(analyzePlan(request.text, { maxParallel: request.maxParallel })) };
  } catch (err) {
    reply = { id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort!.postMessage(reply);
});
