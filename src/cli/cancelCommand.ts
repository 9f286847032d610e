/** `waves cancel`: asks the run's driver to cancel the run or one package — this clone's through `.waves/`, any clone's through the shared coordinator. */
import { CoordinatorError, CoordinatorUnavailableError, askCoordinatedDriverToCancel, askDriverToCancel, readRun } from '../engine';
import { parseArgs } from './args';
import { type Io } from './io';

import { coordinatorFrom, loadPlan, planArg } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves cancel

export async function cancelCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['coordinator', 'coordinator-repository'], ['coordinator', 'coordinator-repository']);
  const coordinator = coordinatorFrom(flags);
  const file = planArg(args, 'cancel', 1);
  const packageId = args[1];
  const loaded = await loadPlan(io, file, false);
  if (typeof loaded === 'number') return loaded;
  const what = packageId === undefined ? 'the run' : packageId;
  const read = readRun(loaded.repo, loaded.featureId);
  if (read.kind === 'ok') {
    if (packageId !== undefined && !Object.hasOwn(read.state.packages, packageId)) {
      io.err(`waves: the run has no package "${packageId}" (its packages: ${Object.keys(read.state.packages).join(', ')})\n`);
      return 2;
    }
    // Driven from this clone: the request goes through its .waves/.
    const asked = await askDriverToCancel(loaded.repo, loaded.featureId, packageId);
    if (asked.ok) {
      io.out(`asked the engine (${asked.driver}) to cancel ${what}; \`waves status ${file}\` shows when it is done\n`);
      return 0;
    }
    if (!coordinator) {
      io.err(`waves: ${asked.why}; nothing to cancel\n`);
      return 1;
    }
  } else if (!coordinator) {
    io.err(
      `waves: nothing to cancel: ${read.kind === 'none' ? `${loaded.featureId} has not been run` : `the run state cannot be used (${read.detail})`}` +
        ` (a run driven from another clone is cancelled with --coordinator)\n`,
    );
    return 1;
  }
  // Through the shared coordinator: the run's driver on whichever clone it is.
  if (packageId !== undefined && !loaded.analysis.plan.packages.some((p) => p.id === packageId)) {
    io.err(`waves: the plan has no package "${packageId}" (its packages: ${loaded.analysis.plan.packages.map((p) => p.id).join(', ')})\n`);
    return 2;
  }
  let asked: Awaited<ReturnType<typeof askCoordinatedDriverToCancel>>;
  try {
    asked = await askCoordinatedDriverToCancel(loaded.repo, loaded.featureId, packageId, coordinator!);
  } catch (err) {
    if (err instanceof CoordinatorUnavailableError || err instanceof CoordinatorError) {
      io.err(`waves: ${err.message}; nothing was asked\n`);
      return 1;
    }
    throw err;
  }
  if (!asked.ok) {
    io.err(`waves: ${asked.why}; nothing to cancel\n`);
    return 1;
  }
  io.out(
    `asked the engine (${asked.driver}) through the coordinator to cancel ${what}; it takes the request within about ${asked.within} s; \`waves status --coordinator … ${file}\` shows its packages under way\n`,
  );
  return 0;
}

