/** `waves report`: the run's report (report.md, or report.json with --json), read only. */
import { readReport, readRun } from '../engine';
import { parseArgs } from './args';
import { type Io } from './io';

import { loadPlan, planArg, rel } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves report

export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json'], []);
  const loaded = await loadPlan(io, planArg(args, 'report'), false);
  if (typeof loaded === 'number') return loaded;
  const read = readRun(loaded.repo, loaded.featureId);
  if (read.kind === 'none') {
    io.err(`waves: no report: ${loaded.featureId} has not been run yet (no ${rel(read.file)})\n`);
    return 1;
  }
  if (read.kind === 'bad') {
    io.err(`waves: no report: the run state ${rel(read.file)} cannot be used: ${read.detail}\n`);
    return 1;
  }
  const report = readReport(loaded.repo, read.state, flags.has('json') ? 'json' : 'markdown');
  if (!report.ok) {
    const why =
      report.why === 'running'
        ? 'the run is still going; its report is written when it ends'
        : 'the run ended without writing one (it was stopped before its end)';
    io.err(`waves: no report for run ${read.state.runId} (${rel(report.file)}): ${why}. \`waves status ${loaded.shown}\` shows where it is.\n`);
    return 1;
  }
  io.out(report.text.endsWith('\n') ? report.text : `${report.text}\n`);
  return 0;
}
