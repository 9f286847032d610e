/**
 * A plan's analysis for the `waves` command: never the end of the process (issue #15). The CLI
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
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { analyzePlan, type AnalyzeOptions, type PlanAnalysis } from '../core/plan/analyze';
import { AnalysisPool } from '../plan/analysisPool';
import { DEFAULT_MAX_PARALLEL } from '../core/plan/defaults';

/** Memory an analysis may take, per byte of plan, at most (measured: 40× with every field, 80× compact). */
const BYTES_PER_BYTE = 80;

/** Plans this large or larger (could take three quarters of the heap) are analysed in the worker thread. */
export function workerBytes(heapLimit = getHeapStatistics().heap_size_limit): number {
  return Math.floor((heapLimit * 0.75) / BYTES_PER_BYTE);
}

/**
 * V8's collector set for a command that analyses plans and exits (`waves validate`, `waves
 * graph`; never the engine's long runs nor the editor). For a plan of `YOUNG_MIN_BYTES` and more
 * the young generation first grows once to semi-spaces of `YOUNG_SEMI_SPACE` (`growYoungGeneration`);
 * then it stays at that size (V8 doubles it, up to 2 × 16 MB, while much survives, as most of a
 * plan's data does), and the old one may grow by a quarter between full collections instead of
 * up to twice (its live set peaks at about 40 MB in the read of a large plan). Issue #18: `waves
 * validate` of the generated 3,000-package plan peaked at 169 MB resident with V8's defaults, 116
 * MB with these, and took no more CPU time. Both are heap-sizing heuristics read at each
 * collection, so they take effect when set after start-up (unlike `--max-semi-space-size`, which
 * does not); nothing else changes.
 */
function tuneHeapForAnalysis(bytes: number): void {
  // Above a few MB the heap is hundreds of MB and the extra full collections cost more than the
  // memory is worth (30,000 packages took 1.5× as long): V8's own heuristics (its defaults).
  const small = bytes <= TUNED_MAX_BYTES;
  if (small && bytes >= YOUNG_MIN_BYTES) growYoungGeneration(YOUNG_SEMI_SPACE);
  setFlagsFromString(`--semi-space-growth-factor=${small ? 1 : 2}`);
  setFlagsFromString(`--heap-growing-percent=${small ? 25 : 0}`);
}

/**
 * The semi-space a large plan's analysis gets. Issue #37: at V8's first 1–2 MB, `waves validate` of
 * the generated 3,000-package plan made 65 scavenges, about a fifth of its time. Grown to 4 MB it
 * took 0.95× the time; with the direct read's packed sites beside it, 26 scavenges and 0.87–0.92×
 * the time at the same peak; at 8 MB no faster and 10 MB more. See docs/performance.md.
 */
export const YOUNG_SEMI_SPACE = 4 * 1024 * 1024;
/** Plans this large or larger get `YOUNG_SEMI_SPACE` (the generated 1,000-package plan is 650 KB). */
export const YOUNG_MIN_BYTES = 256 * 1024;

/** The young generation's size: both semi-spaces, as `v8.getHeapSpaceStatistics` counts them. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Grows the young generation to semi-spaces of `semiSpace` bytes now, as V8 would once enough
 * survives: V8 sizes it at start-up only (`--min-semi-space-size` cannot be set later), but it
 * grows it by `--semi-space-growth-factor` at a scavenge once as much has survived as the
 * semi-space holds. So: that factor for one step, scavenges (the bundle's own young objects
 * survive each) until it has grown, at most three, and `gc` hidden again. Where V8 offers none of
 * this the young generation stays as it is: slower, never wrong.
 */
export function growYoungGeneration(semiSpace: number): void {
  const size = youngGenerationBytes();
  if (size === 0 || size >= 2 * semiSpace) return;
  setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as ((options: { type: 'minor' }) => void) | undefined;
    setFlagsFromString(`--semi-space-growth-factor=${Math.ceil((2 * semiSpace) / size)}`);
    for (let i = 0; gc && i < 3 && youngGenerationBytes() < 2 * semiSpace; i++) gc({ type: 'minor' });
  } catch {
    // No new context here (a policy, a permission model): the young generation stays as it is.
  } finally {
    setFlagsFromString('--no-expose-gc');
    setFlagsFromString('--semi-space-growth-factor=2'); // V8's default (`endHeapTuning`), until the caller sets its own
  }
}

/**
 * V8's own heap sizing again, once the analysis is done: what the command does next keeps V8's
 * defaults, and the engine's code cache (made under them: V8 refuses a cache made under other
 * flags) fits when the command loads the engine after the analysis (`validate`'s coupling check).
 */
function endHeapTuning(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
  setFlagsFromString('--heap-growing-percent=0');
}

/** Plans up to this size get `tuneHeapForAnalysis`'s settings (the 3,000-package plan is 1.9 MB). */
export const TUNED_MAX_BYTES = 8 * 1024 * 1024;

/**
 * `analyzeForCli` with V8's heap tuned for it (`tuneHeapForAnalysis`) and set back to V8's own
 * sizing when it is done (`endHeapTuning`), whatever happens: `validate` and `graph`.
 */
export async function analyzeTunedForCli(text: string, options: AnalyzeOptions = {}): Promise<PlanAnalysis | { error: string }> {
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
    return await pool.analyze(text, options.maxParallel ?? DEFAULT_MAX_PARALLEL);
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
