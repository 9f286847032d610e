/**
 * Plan analysis off the extension host's thread (#15): one worker thread (`dist/planWorker.js`,
 * made on first use, made again after a crash) that analyses large plans while the host stays
 * responsive. Requests are answered in order; a failed worker rejects what it held, and the
 * caller analyses on its own thread instead.
 */
import { Worker } from 'node:worker_threads';
import { fromPortable, type PlanAnalysis } from '../core/plan/analyze';
import type { AnalysisReply, AnalysisRequest } from './analysisWorker';

export class AnalysisPool {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, { text: string; resolve: (a: PlanAnalysis) => void; reject: (e: Error) => void }>();

  constructor(private readonly script: string) {}

  /** The plan's analysis, made in the worker thread. */
  analyze(text: string, maxParallel: number): Promise<PlanAnalysis> {
    const worker = this.ensure();
    const id = ++this.seq;
    return new Promise<PlanAnalysis>((resolve, reject) => {
      this.waiting.set(id, { text, resolve, reject });
      worker.postMessage({ id, text, maxParallel } satisfies AnalysisRequest);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (reply: AnalysisReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (reply.ok) waiter.resolve(fromPortable(waiter.text, reply.result));
      else waiter.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the plan analysis worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  dispose(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
