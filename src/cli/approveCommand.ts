/** `waves approve`: the plan's verification commands shown, escaped, and approved as exactly that list on this machine. */
import { visibleText } from '../core/present/visibleText';
import { approveShown, personalApprovals, verificationOf } from '../engine';
import { parseArgs } from './args';
import { askYesNo, type Io } from './io';

import { loadPlan, planArg, unsafeNote } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves approve

export async function approveCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['yes'], []);
  const file = planArg(args, 'approve');
  const loaded = await loadPlan(io, file, true);
  if (typeof loaded === 'number') return loaded;
  const { steps, commands, approved } = verificationOf(loaded);
  if (steps.length === 0) {
    io.out(`${file} has no verification commands: nothing to approve\n`);
    return 0;
  }
  io.out(
    `These commands run with your shell (${process.env.SHELL || (process.platform === 'win32' ? 'cmd' : '/bin/sh')}) in each package's tree after its agent:\n`,
  );
  // Shown escaped (visibleText); approved is the exact list.
  for (const s of steps) io.out(`  ${visibleText(s.packageId)} · ${visibleText(s.name)}: ${visibleText(s.command)}\n`);
  io.out(unsafeNote(steps.flatMap((s) => [s.packageId, s.name, s.command])));
  if (approved) {
    io.out('already approved\n');
    return 0;
  }
  if (!flags.has('yes')) {
    if (!(process.stdin.isTTY && process.stderr.isTTY)) {
      io.err(`waves: not approved: no terminal to ask on; run \`waves approve --yes ${file}\` to approve exactly this list\n`);
      return 1;
    }
    if (!(await askYesNo('Approve exactly these commands for this plan? [y/N] '))) {
      io.out('not approved\n');
      return 1;
    }
  }
  const done = await approveShown(loaded.file, commands);
  if (!done.ok) {
    io.err(`waves: not approved: ${file} changed since the list above was read; run \`waves approve ${file}\` again to see it now\n`);
    return 1;
  }
  io.out(`approved: \`waves run ${file}\` will run them (a changed list asks again); your approval is kept in ${personalApprovals()}, not in the repository\n`);
  return 0;
}

