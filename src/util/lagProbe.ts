/**
 * For `npm run bench runStatus` only: when the extension host's environment names a file in
 * `WAVES_BENCH_LAG_FILE`, how late the host's event loop runs (perf_hooks'
 * `monitorEventLoopDelay`: the longest task shows as the maximum delay) is written there as
 * `{maxMs, p99Ms, count}` every 100 ms; creating `<file>.reset` starts a new measurement.
 * VS Code strips `NODE_OPTIONS` from the extension host, so a preload cannot do this. Without
 * the variable nothing happens.
 */
import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function startLagProbe(file = process.env.WAVES_BENCH_LAG_FILE): { dispose(): void } {
  if (!file) return { dispose: () => undefined };
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const timer = setInterval(() => {
    try {
      if (fs.existsSync(`${file}.reset`)) {
        fs.rmSync(`${file}.reset`, { force: true });
        histogram.reset();
      }
      fs.writeFileSync(file, JSON.stringify({ maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), count: histogram.count }));
    } catch {
      // the bench's folder is gone: nothing to report to
    }
  }, 100);
  timer.unref();
  return {
    dispose: () => {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
