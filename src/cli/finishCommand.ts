/**
 * `waves finish`: the finish offer (the integration branch onto the person's branch, fast-forward
 * only, nothing of theirs overwritten). `waves clean`: the run's worktrees removed where that is
 * safe, as Clean Up Worktrees does in the editor.
 */
import { countsAsWork } from '../core/present/progressModel';
import { sanitize } from '../core/present/terminalText';
import type { RunState } from '../core/run/runState';
import { cleanUpWorktrees, fastForwardTo, finishOffer, readRun } from '../engine';
import { parseArgs } from './args';
import { askYesNo, type Io } from './io';

import { loadPlan, planArg } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves finish

/** The plan's repository and its run's state, or the exit code after saying why there is none. */
async function runOf(io: Io, file: string, what: string): Promise<{ repo: string; featureId: string; state: RunState; joins: ReadonlySet<string> } | number> {
  const loaded = await loadPlan(io, file, false);
  if (typeof loaded === 'number') return loaded;
  const { repo, featureId } = loaded;
  const read = readRun(repo, featureId);
  if (read.kind !== 'ok') {
    io.err(`waves: nothing to ${what}: ${read.kind === 'none' ? `${featureId} has not been run` : `the run state cannot be used (${read.detail})`}\n`);
    return 1;
  }
  // A plan of plans: its parents, each its sub-plan's join (counted as every front end counts a run).
  const joins = new Set(loaded.nested && 'joins' in loaded.nested ? Object.keys(loaded.nested.joins) : []);
  return { repo, featureId, state: read.state, joins };
}

export async function finishCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['yes'], []);
  const file = planArg(args, 'finish');
  const run = await runOf(io, file, 'finish');
  if (typeof run === 'number') return run;
  const { repo, featureId, state, joins } = run;
  const finish = await finishOffer(repo, state);
  if (finish.kind === 'nothing') {
    io.err(`waves: ${finish.why}\n`);
    return 1;
  }
  // The packages that did the work, as the run's end and `waves status` count them: a parent only joins its sub-plan's.
  const counted = (id: string) => countsAsWork(id, state.packages[id], joins);
  const lines = [
    `${finish.integrationBranch} (${finish.tip.slice(0, 12)}) holds ${finish.merged.filter(([id]) => counted(id)).length} of ${Object.keys(state.packages).filter(counted).length} packages of run ${state.runId}:`,
  ];
  for (const [id, m] of finish.merged)
    lines.push(
      `  merged  ${id}${m.commit ? ` (${m.commit.slice(0, 12)})` : ''}${m.files.length ? ` — ${m.files.length} file${m.files.length === 1 ? '' : 's'}` : ''}${joins.has(id) ? ' — its sub-plan\'s join' : ''}`,
    );
  for (const id of finish.notMerged)
    lines.push(`  not merged  ${id} (${state.packages[id]!.status}${state.merges[id] ? `, merge ${state.merges[id]!.status}` : ''})`);
  if (finish.commits) {
    const list = finish.commits;
    const where = finish.branch ?? 'HEAD';
    lines.push(list.length ? `${list.length} commit${list.length === 1 ? '' : 's'} not on ${where}:` : `${where} has every commit of it`);
    for (const c of list.slice(0, 30)) lines.push(`  ${c}`);
    if (list.length > 30) lines.push(`  … and ${list.length - 30} more`);
  }
  io.out(lines.map(sanitize).join('\n') + '\n');

  if (!finish.offer) {
    io.out(`no fast-forward: ${finish.blocked}\n`);
    return finish.upToDate ? 0 : 1;
  }
  const { offer } = finish;
  io.out(`${offer.reason}\n`);
  if (!flags.has('yes')) {
    if (!(process.stdin.isTTY && process.stderr.isTTY)) {
      io.out(`to do it: \`waves finish --yes ${file}\`\n`);
      return 0;
    }
    if (!(await askYesNo(`Fast-forward ${offer.target} to ${finish.integrationBranch}? [y/N] `))) {
      io.out('left as it is\n');
      return 0;
    }
  }
  const done = await fastForwardTo(repo, featureId, offer);
  if (!done.ok) {
    io.err(`waves: ${done.why}\n`);
    return 1;
  }
  io.out(`${offer.target} fast-forwarded to ${done.to.slice(0, 12)}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------
// waves clean

/**
 * Removes the run's worktrees that are clean and merged (the integration tree once your branch
 * holds it; never forced), and says each one kept and why. Exit 0, 1 when there is no run.
 */
export async function cleanCommand(argv: readonly string[], io: Io): Promise<number> {
  const { args } = parseArgs(argv, [], []);
  const run = await runOf(io, planArg(args, 'clean'), 'clean up');
  if (typeof run === 'number') return run;
  const result = await cleanUpWorktrees(run.repo, run.state);
  const lines = [`removed ${result.removed.length} worktree${result.removed.length === 1 ? '' : 's'}`, ...result.removed.map((p) => `  removed  ${p}`)];
  for (const k of result.kept) lines.push(`  kept  ${k.path}: ${k.why}`);
  io.out(lines.map(sanitize).join('\n') + '\n');
  return 0;
}
