/**
 * `waves convert <file|folder> [--out path] [--force] [--format F] [--tag T]`: a task list from
 * another tool (spec-kit, Kiro / cc-sdd, Taskmaster, beads, OpenSpec; GSD and Spec Kitty, one
 * task a file: a folder, or one of its files and its siblings) written as a `work-packages.yaml`
 * beside it, then checked as `waves validate` checks a plan. Never overwrites a file without
 * --force. Exit 0 when the plan written has no error, 1 when the source could not be read as a
 * plan or the plan written has errors, 2 on usage errors and unreadable files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzePlan } from '../core/plan/analyze';
import { toReport } from '../core/plan/planReport';
import { convertPlan } from '../core/formats/conversion';
import { FOREIGN_FORMATS, formatName, type ForeignFormat } from '../core/formats/foreignPlan';
import { parseArgs, UsageError } from './args';
import { isFolder, positionedDiagnostics, readForeign } from './foreignPlans';
import { humanReport, type Io } from './io';

export async function convertCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['out', 'force', 'format', 'tag'], ['out', 'format', 'tag']);
  if (args.length !== 1) throw new UsageError('convert takes exactly one task list file or folder');
  const format = flags.get('format') as string | undefined;
  if (format !== undefined && !FOREIGN_FORMATS.includes(format as ForeignFormat)) throw new UsageError(`--format must be one of ${FOREIGN_FORMATS.join(', ')}, not "${format}"`);
  const file = args[0];
  const folder = isFolder(file);
  const read = readForeign(io, file, { format: format as ForeignFormat | undefined, tag: flags.get('tag') as string | undefined });
  if ('error' in read) {
    io.err(`waves: ${read.error}\n`);
    return 2;
  }
  const out = (flags.get('out') as string | undefined) ?? path.join(folder ? file : path.dirname(file), 'work-packages.yaml');
  // A task list's own file is never written over; a folder's other files (its earlier converted plan) may be, with --force.
  if (read.sources.some((f) => path.resolve(out) === path.resolve(f))) throw new UsageError('--out must not be a file being converted');

  const result = read.result;
  io.out(positionedDiagnostics(read));
  for (const note of result.notes) io.err(`waves: ${file}: ${note}\n`);
  if (result.format === null || result.plan.packages.length === 0) {
    io.err(`waves: ${file}: nothing to convert${result.format ? ` (read as ${formatName(result.format)})` : ''}; no plan written\n`);
    return 1;
  }
  if (fs.existsSync(out) && !flags.has('force')) {
    io.err(`waves: ${out} exists already; not overwritten (--force overwrites it, --out writes elsewhere)\n`);
    return 1;
  }
  const { yaml, implied, guessed } = convertPlan(result, { planFile: path.resolve(out), source: path.resolve(file), tag: flags.get('tag') as string | undefined });
  try {
    fs.writeFileSync(out, yaml);
  } catch (err) {
    io.err(`waves: cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 2;
  }
  io.out(
    `waves: wrote ${out}: ${result.plan.packages.length} packages from ${formatName(result.format)} ${file}` +
      ` (${implied} implied dependencies and ${guessed} guessed write scopes marked in comments: review them)\n`,
  );
  const analysis = analyzePlan(yaml);
  io.out(humanReport(toReport(out, analysis)));
  return analysis.valid ? 0 : 1;
}
