/**
 * The worker thread that analyses large plans off the extension host's thread: text in,
 * the portable part of the analysis out (`toPortable`; the host rebuilds the graph and the line
 * index with `fromPortable`). Bundled to `dist/planWorker.js`; built-ins and `src/core` only.
 */
import { parentPort } from 'node:worker_threads';
import { analyzePlan, toPortable } from '../core/plan/analyze';
import { analyzeForeign, analyzeForeignFolder, toPortableForeign } from '../core/formats/foreignAnalysis';

export interface AnalysisRequest {
  id: number;
  text: string;
  maxParallel: number;
  /** A task list of another tool: its file name (the format is told by it and the text). */
  foreign?: string;
  /** A folder read as one plan (GSD, Spec Kitty; `foreign` is its path): its files, listed and read by the host. */
  files?: { path: string; text: string }[];
}

/** `result`: null when a foreign file is no task list. */
export type AnalysisReply = { id: number; ok: true; result: ReturnType<typeof toPortable> | null } | { id: number; ok: false; error: string };

parentPort?.on('message', (request: AnalysisRequest) => {
  let reply: AnalysisReply;
  try {
    if (request.foreign !== undefined) {
      const options = { maxParallel: request.maxParallel };
      const foreign = request.files ? analyzeForeignFolder(request.foreign, request.files, options) : analyzeForeign(request.foreign, request.text, options);
      reply = { id: request.id, ok: true, result: foreign && toPortableForeign(foreign) };
    } else reply = { id: request.id, ok: true, result: toPortable(analyzePlan(request.text, { maxParallel: request.maxParallel })) };
  } catch (err) {
    reply = { id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort!.postMessage(reply);
});
