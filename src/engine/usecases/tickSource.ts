/**
 * The round trip of a converted plan, for both front ends: the tasks a package carried out marked
 * done in the task list it was converted from (its `inputs.converted_from`, sourceLink.ts) once it
 * succeeded — ticked as the person would tick them (core/formats/tick.ts), nothing else of the
 * file changed. Only when the person turned it on (`--tick-source`, `waves.formats.tickSource`).
 *
 * The file is the repository's, named by the plan (relative to the plan's folder, never leaving
 * it): it must lie inside the repository (links
 * resolved), outside `.git`, be a regular file and read as the format named; else nothing is
 * written and the reason is said. Who writes is the front end's (`write`): the CLI replaces the
 * file (its mode kept), the editor applies an edit to an open document and never while it has
 * unsaved changes.
 *
 * A planning session's proposal that started from a draft runs from the session's worktree, its
 * links pointing at the copies in the planning folder: a link to one of those copies ticks the
 * person's own task list it was copied from (planning/proposalSources.ts), with the same refusals
 * against the person's checkout; the copy is left as committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PlanPackage } from '../../core/plan/model';
import { formatName } from '../../core/formats/foreignPlan';
import { sourceLinkOf, type SourceLink } from '../../core/formats/sourceLink';
import { tickTasks, TICKABLE_FORMATS } from '../../core/formats/tick';
import { NotRegularFileError, readRegularFile } from '../../util/regularFile';
import { writeAtomic } from '../../store/atomicWrite';
import { personsSourceOf, proposalSourcesOf, type ProposalSources } from '../planning';
import { relativePosix } from '../../util/posixPath';

export interface TickSourceRequest {
  repoRoot: string;
  planFile: string;
  plan: { packages: readonly Pick<PlanPackage, 'id' | 'inputs'>[] };
  /** The packages that succeeded (each tick is idempotent: a task done already stays as it is). */
  packageIds: readonly string[];
  /**
   * Writes the new text over `before` (what was read). `false`: not written now (the person has
   * unsaved changes to it): said, and tried again at the next package. Default: the file replaced.
   */
  write?: (file: string, before: string, after: string) => Promise<boolean>;
  /** The planning session the run's repository is the worktree of (`proposalSourcesOf`); absent: found here. */
  proposal?: ProposalSources | null;
}

export interface TickSourceOutcome {
  file: string;
  ticked: string[];
  /** Why nothing (or not all) was written; null: all written or nothing to do. */
  note: string | null;
}

/** Null when none of the packages carries a task of a task list (`inputs.converted_from`). */
export async function tickSourceTasks(request: TickSourceRequest): Promise<TickSourceOutcome | null> {
  const ids = new Set(request.packageIds);
  // The packages' tasks, by the task list they came from (one, for a plan `waves convert` wrote).
  const bySource = new Map<string, { link: SourceLink; keys: string[] }>();
  for (const p of request.plan.packages) {
    const link = ids.has(p.id) ? sourceLinkOf(p) : null;
    if (!link) continue;
    const key = `${link.file}\0${link.format}\0${link.tag ?? ''}`;
    const entry = bySource.get(key) ?? { link, keys: [] };
    entry.keys.push(...link.tasks);
    bySource.set(key, entry);
  }
  let outcome: TickSourceOutcome | null = null;
  const proposal = bySource.size === 0 ? null : request.proposal !== undefined ? request.proposal : await proposalSourcesOf(request.repoRoot);
  for (const { link, keys } of bySource.values()) {
    const one = await tickOne(request, proposal, link, keys);
    outcome = outcome ? { file: `${outcome.file}, ${one.file}`, ticked: [...outcome.ticked, ...one.ticked], note: [outcome.note, one.note].filter(Boolean).join('; ') || null } : one;
  }
  return outcome;
}

async function tickOne(request: TickSourceRequest, proposal: ProposalSources | null, link: SourceLink, keys: string[]): Promise<TickSourceOutcome> {
  const linked = path.resolve(path.dirname(request.planFile), link.file);
  // A copy in a proposal's planning folder: the person's task list, in the person's checkout.
  const persons = proposal ? personsSourceOf(proposal, linked) : null;
  const file = persons ?? linked;
  const root = persons ? proposal!.checkout : request.repoRoot;
  const shown = persons ?? (relativePosix(root, file) || file);
  const outcome = (ticked: string[], note: string | null): TickSourceOutcome => ({ file: shown, ticked, note });
  const format = link.format;
  if (!TICKABLE_FORMATS.includes(format)) return outcome([], `${shown}: not ticked: ${formatName(format)} keeps its done state elsewhere`);
  const refusal = placeRefusal(root, file);
  if (refusal) return outcome([], `${shown}: not ticked: ${refusal}`);
  let before: string;
  try {
    before = (await readRegularFile(file, { within: root })).toString('utf8');
  } catch (err) {
    const why = err instanceof NotRegularFileError ? err.why : ((err as NodeJS.ErrnoException).code ?? String(err));
    return outcome([], `${shown}: not ticked: ${why}`);
  }
  const result = tickTasks(format, before, keys, link.tag !== undefined ? { tag: link.tag } : {});
  if (!result) return outcome([], null);
  const missing = result.missing.length ? `${result.missing.join(', ')} not found in it` : null;
  if (result.ticked.length === 0) return outcome([], missing && `${shown}: ${missing}`);
  const write = request.write ?? replaceFile;
  if (!(await write(file, before, result.text))) return outcome([], `${shown}: not ticked now: it has unsaved changes (or changed as it was read); tried again when the next package succeeds`);
  return outcome(result.ticked, missing && `${shown}: ${missing}`);
}

/** Why the source may not be written: outside the repository, in `.git`, or a link. Null: it may. */
function placeRefusal(repoRoot: string, file: string): string | null {
  const rel = path.relative(repoRoot, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return 'it is outside the repository';
  if (rel.split(path.sep).includes('.git')) return "it is inside the repository's .git folder";
  try {
    if (fs.lstatSync(file).isSymbolicLink()) return 'it is a symbolic link';
    const real = fs.realpathSync(file);
    const realRoot = fs.realpathSync(repoRoot);
    const realRel = path.relative(realRoot, real);
    if (realRel.startsWith('..') || path.isAbsolute(realRel) || realRel.split(path.sep).includes('.git')) return 'its folder leads outside the repository';
  } catch (err) {
    return `it cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  return null;
}

/** The file replaced by the new text, its mode kept, unless it changed since it was read. */
export async function replaceFile(file: string, before: string, after: string): Promise<boolean> {
  const now = await fs.promises.readFile(file, 'utf8');
  if (now !== before) return false;
  const { mode } = await fs.promises.stat(file);
  await writeAtomic(file, after);
  await fs.promises.chmod(file, mode & 0o7777);
  return true;
}

/** What a queue needs of the run: its repository, plan file and current plan (the engine itself). */
export interface TickRun {
  readonly repoRoot: string;
  readonly planFile: string;
  readonly analysis: { readonly plan: TickSourceRequest['plan'] };
}

/**
 * The ticks of one run, for both front ends: a package that succeeds (`event`) has its tasks
 * ticked, one write after another (each reads what the one before wrote); `settle` ticks every
 * package that succeeded again (idempotent), so a tick missed by a restart is made up for. What
 * was ticked is told as `info`, why not as `warn`.
 */
export class SourceTickQueue {
  private chain: Promise<void> = Promise.resolve();
  /** The planning session the run's repository is the worktree of, found once (null: none). */
  private proposal: Promise<ProposalSources | null> | null = null;

  constructor(
    private readonly run: TickRun,
    private readonly tell: (line: string, level: 'info' | 'warn') => void,
  ) {}

  /** An engine event: a package that succeeded has its tasks ticked. */
  event(e: { type: string; packageId?: string; status?: string }): void {
    if (e.type === 'package' && e.status === 'succeeded' && e.packageId) void this.tick([e.packageId]);
  }

  /** Ticks `packageIds` after the ticks asked before; resolves when they are written or said why not. */
  tick(packageIds: readonly string[], write?: TickSourceRequest['write']): Promise<void> {
    this.proposal ??= proposalSourcesOf(this.run.repoRoot).catch(() => null);
    const proposal = this.proposal;
    this.chain = this.chain
      .then(async () =>
        tickSourceTasks({ repoRoot: this.run.repoRoot, planFile: this.run.planFile, plan: this.run.analysis.plan, packageIds, proposal: await proposal, ...(write ? { write } : {}) }),
      )
      .then((o) => {
        if (o?.ticked.length) this.tell(`ticked ${o.ticked.join(', ')} in ${o.file}`, 'info');
        if (o?.note) this.tell(o.note, 'warn');
      })
      .catch((err: unknown) => this.tell(`tasks not ticked: ${err instanceof Error ? err.message : String(err)}`, 'warn'));
    return this.chain;
  }

  /** Every package that succeeded, ticked; resolves when all writes are over. */
  settle(packages: Readonly<Record<string, { status: string }>>): Promise<void> {
    const done = Object.entries(packages).filter(([, r]) => r.status === 'succeeded').map(([id]) => id);
    return done.length ? this.tick(done) : this.chain;
  }
}
