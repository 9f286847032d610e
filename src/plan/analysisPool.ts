/**
 * Plan analysis off the extension host's thread: one worker thread (`dist/planWorker.js`,
 * made on first use, made again after a crash) that analyses large plans while the host stays
 * responsive. One request at a time goes to the worker; the others wait here, and a waiting
 * request of a plan that is asked about again is dropped (`Superseded`): a person typing in a
 * large plan never waits behind analyses of texts already gone. A failed worker rejects what it
 * held, and the caller analyses on its own thread instead. The CLI uses it too (src/cli/bigPlanAnalysis.ts).
 * Task lists of other tools (src/core/formats) are analysed here the same way (`analyzeForeign`).
 */
import { Worker } from 'node:worker_threads';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { ForeignAnalysis } from '../core/formats/foreignAnalysis';
import type { AnalysisReply, AnalysisRequest } from './analysisWorker';

/** Plan analysis (`dist/planAnalysis.js` in the editor, ADR 0029): loaded already when a reply comes (the registry's warm-up). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on first use
const planAnalysis = (): typeof import('../core/plan/analyze') => require('../core/plan/analyze');

/** A request dropped because a newer one of the same plan came before it started. */
export class Superseded extends Error {}

interface Request {
  id: number;
  key: string | undefined;
  text: string;
  maxParallel: number;
  /** A task list of another tool: its file name (src/core/formats); absent for a plan. */
  foreign?: string;
  /** A folder read as one plan (`foreign` is its path): its files. */
  files?: { path: string; text: string }[];
  resolve: (a: PlanAnalysis | null) => void;
  reject: (e: Error) => void;
}

export class AnalysisPool {
  private worker: Worker | undefined;
  private seq = 0;
  /** The request the worker is analysing. */
  private current: Request | undefined;
  private readonly queue: Request[] = [];

  constructor(private readonly script: string) {}

  /** The plan's analysis, made in the worker thread. `key` names the plan: a newer request of it drops an older one still waiting. */
  analyze(text: string, maxParallel: number, key?: string): Promise<PlanAnalysis> {
    return this.ask(text, maxParallel, key, undefined) as Promise<PlanAnalysis>;
  }

  /** A task list of another tool (`fileName` says which format it may be) analysed as the editor shows it; null when it is none (`analyzeForeign`). */
  analyzeForeign(text: string, fileName: string, maxParallel: number, key?: string): Promise<ForeignAnalysis | null> {
    return this.ask(text, maxParallel, key, fileName) as Promise<ForeignAnalysis | null>;
  }

  /** A folder kept one task a file (GSD, Spec Kitty) analysed as one plan; null when it is none (`analyzeForeignFolder`). */
  analyzeForeignFolder(folder: string, files: { path: string; text: string }[], maxParallel: number, key?: string): Promise<ForeignAnalysis | null> {
    return this.ask('', maxParallel, key, folder, files) as Promise<ForeignAnalysis | null>;
  }

  private ask(text: string, maxParallel: number, key: string | undefined, foreign: string | undefined, files?: { path: string; text: string }[]): Promise<PlanAnalysis | null> {
    return new Promise<PlanAnalysis | null>((resolve, reject) => {
      if (key !== undefined) {
        const older = this.queue.findIndex((r) => r.key === key);
        if (older !== -1) this.queue.splice(older, 1)[0].reject(new Superseded(`a newer analysis of ${key} was asked for`));
      }
      this.queue.push({ id: ++this.seq, key, text, maxParallel, ...(foreign !== undefined ? { foreign } : {}), ...(files ? { files } : {}), resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.current || this.queue.length === 0) return;
    const request = this.queue.shift()!;
    const worker = this.ensure();
    this.current = request;
    worker.ref(); // a request under way keeps the process alive (the CLI waits on nothing else)
    worker.postMessage({ id: request.id, text: request.text, maxParallel: request.maxParallel, ...(request.foreign !== undefined ? { foreign: request.foreign } : {}), ...(request.files ? { files: request.files } : {}) } satisfies AnalysisRequest);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (reply: AnalysisReply) => {
      const request = this.current;
      if (!request || request.id !== reply.id) return;
      this.current = undefined;
      worker.unref();
      // (A foreign analysis keeps its `foreign` part through the rebuild: fromPortable spreads it.)
      if (reply.ok) request.resolve(reply.result === null ? null : planAnalysis().fromPortable(request.text, reply.result));
      else request.reject(new Error(reply.error));
      this.next();
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const request = this.current;
      this.current = undefined;
      request?.reject(err);
      this.next(); // the others on a new worker
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the plan analysis worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  dispose(): void {
    const worker = this.worker;
    this.worker = undefined;
    const held = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = undefined;
    for (const request of held) request.reject(new Superseded('the analysis pool was disposed'));
    void worker?.terminate();
  }
}
