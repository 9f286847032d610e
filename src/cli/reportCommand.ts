/** `waves report`: the run's report (report.md, or report.json with --json) and its timeline (a Gantt; `--timeline FILE`: SVG), read only. */
import * as fs from 'node:fs';
import { packageFacts, pickWaitLine } from '../core/present/packageFacts';
import { timelineOfRun } from '../core/present/timeline';
import { timelineGantt } from '../core/present/timelineGantt';
import { timelineSvg } from '../core/present/timelineSvg';
import { readReport, readRun } from '../engine';
import { sanitize } from '../core/present/terminalText';
import { parseArgs } from './args';
import { type Io } from './io';

import { loadPlan, planArg, rel } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves report

export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json', 'timeline'], ['timeline']);
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
  const json = flags.has('json');
  // The timeline is drawn from the run state, so a run still going has one too.
  const timeline = timelineOfRun(loaded.analysis, read.state, Date.now());
  const svgFile = flags.get('timeline');
  if (typeof svgFile === 'string') {
    try {
      fs.writeFileSync(svgFile, timelineSvg(timeline, { title: `${loaded.featureId} · run ${read.state.runId}` }));
    } catch (err) {
      io.err(`waves: could not write the timeline to ${svgFile}: ${(err as Error).message}\n`);
      return 1;
    }
    io.err(`waves: timeline written to ${svgFile}\n`);
  }
  const gantt = () => timelineGantt(timeline, { columns: process.stdout.columns || 100, ascii: process.env.TERM === 'dumb' });
  const report = readReport(loaded.repo, read.state, json ? 'json' : 'markdown');
  if (!report.ok) {
    const why =
      report.why === 'running'
        ? 'the run is still going; its report is written when it ends'
        : 'the run ended without writing one (it was stopped before its end)';
    if (!json) io.out(gantt());
    io.err(`waves: no report for run ${read.state.runId} (${rel(report.file)}): ${why}. \`waves status ${loaded.shown}\` shows where it is.\n`);
    // Best of n: what the run waits for, the person's pick, with the command that picks.
    for (const id of Object.keys(read.state.packages)) {
      const line = pickWaitLine(packageFacts(read.state, id), loaded.shown);
      if (line) io.err(`waves: ${sanitize(line)}\n`);
    }
    return 1;
  }
  io.out(report.text.endsWith('\n') ? report.text : `${report.text}\n`);
  if (!json) io.out(`\n## Timeline\n\n\`\`\`\n${gantt()}\`\`\`\n`);
  return 0;
}
