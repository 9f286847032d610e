/**
 * A plan's analysis for the `waves` command: never the end of the process. The CLI
 * has no size cap, but analysing a plan takes 40–80 times its size in memory (50 MB of plan:
 * 2–4 GB). A plan that could take three quarters of Node's heap that way (`workerBytes`: 40 MB
 * with Node's usual 4.3 GB) is analysed in the worker thread the editor uses (dist/planWorker.js,
 * beside this bundle): when that runs out of memory the command says so — how large the plan is
 * and how to give Node more — instead of dying. Smaller plans, every real one among them, are
 * analysed on this thread (the worker's start and the copy of its result back cost about a
 * second on a 27 MB plan).
 */
import * as fs from 'fs';
import * as path from 'path';
import { getHeapStatistics, setFlagsFromString } from 'v8';
import { analyzePlan, type AnalyzeOptions, type PlanAnalysis } from '../core/plan/analyze';
import { AnalysisPool } from '../plan/analysisPool';
import { capOf } from '../core/plan/defaults';

/** Memory an analysis may take, per byte of plan, at most (measured: 40× with every field, 80× compact). */
const BYTES_PER_BYTE = 80;

/** Plans this large or larger (could take three quarters of the heap) are analysed in the worker thread. */
export function workerBytes(heapLimit = getHeapStatistics().heap_size_limit): number {
  return Math.floor((heapLimit * 0.75) / BYTES_PER_BYTE);
}

/**
 * V8's collector set for a command that analyses plans and exits (`waves validate`, `waves
 * graph`; never the engine's long runs nor the editor): the young generation stays at its size
 * (V8 doubles it, up to 2 × 16 MB, while much survives, as most of a plan's data does), and the
 * old one may grow by a quarter between full collections instead of up to twice (its live set
 * peaks at about 40 MB in the read of a large plan). `waves validate` of the generated
 * 3,000-package plan: peak 97 MB with these, 127 MB with V8's defaults, the same CPU time
 * (ADR 0029). Both are heap-sizing heuristics read at each collection, so they take effect when
 * set after start-up; nothing else changes.
 */
function tuneHeapForAnalysis(bytes: number): void {
  // Above a few MB the heap is hundreds of MB and the extra full collections cost more than the
  // memory is worth (30,000 packages took 1.5× as long): V8's own heuristics (its defaults).
  const small = bytes <= TUNED_MAX_BYTES;
  setFlagsFromString(`--semi-space-growth-factor=${small ? 1 : 2}`);
  setFlagsFromString(`--heap-growing-percent=${small ? 25 : 0}`);
}

/** V8's own heap sizing again, once the analysis is done: what the command does next (the coupling check) keeps V8's defaults. */
function endHeapTuning(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
  setFlagsFromString('--heap-growing-percent=0');
}

/** Plans up to this size get `tuneHeapForAnalysis`'s settings (the 3,000-package plan is 1.9 MB). */
export const TUNED_MAX_BYTES = 8 * 1024 * 1024;

/** False in a build without the heap tuning (`WAVES_BUILD_WITHOUT=heap-tuning`, for `npm run bench validate`). */
declare const WAVES_HEAP_TUNING: boolean | undefined;

/**
 * `analyzeForCli` with V8's heap tuned for it (`tuneHeapForAnalysis`) and set back to V8's own
 * sizing when it is done (`endHeapTuning`), whatever happens: `validate` and `graph`.
 */
export async function analyzeTunedForCli(text: string, options: AnalyzeOptions = {}): Promise<PlanAnalysis | { error: string }> {
  if (typeof WAVES_HEAP_TUNING !== 'undefined' && !WAVES_HEAP_TUNING) return analyzeForCli(text, options);
  tuneHeapForAnalysis(text.length);
  try {
    return await analyzeForCli(text, options);
  } finally {
    endHeapTuning();
  }
}

export async function analyzeForCli(text: string, options: AnalyzeOptions = {}): Promise<PlanAnalysis | { error: string }> {
  const script = path.join(__dirname, 'planWorker.js');
  if (text.length < workerBytes() || !fs.existsSync(script)) return analyzePlan(text, options);
  const pool = new AnalysisPool(script);
  try {
    return await pool.analyze(text, capOf(options.maxParallel));
  } catch (err) {
    const mb = (n: number, digits = 0) => `${(n / 1_048_576).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })} MB`;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `failed (${err instanceof Error ? err.message : String(err)})`;
    return {
      error:
        `the analysis of this ${mb(Buffer.byteLength(text), 1)} plan ${why}: Node may use ${mb(getHeapStatistics().heap_size_limit)} here, ` +
        'and a plan takes 40–80 times its size while it is analysed. Give Node more with NODE_OPTIONS=--max-old-space-size=<MB>.',
    };
  } finally {
    pool.dispose();
  }
}
