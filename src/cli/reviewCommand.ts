/**
 * `waves review`: the run's packages with their open review comments; a comments file
 * sent as a package's revision (`--request-changes`), or a package awaiting review approved
 * (`--approve`) — each through the front door's `submitReview`, then, when no process drives
 * the run, resumed here as `waves run --resume` does. Every comment is checked before anything
 * is sent; the comments are kept as threads in the review store either way. Exit codes: 0 done,
 * 1 the resumed run did not succeed, 2 usage errors and every refusal (nothing was sent).
 */
import { randomUUID } from 'node:crypto';
import { packageFacts, reviewHeadline } from '../core/present/packageFacts';
import { sanitize } from '../core/present/terminalText';
import { OwnerIndex } from '../core/ownership/ownership';
import {
  commentsToSend,
  excerptOf,
  linesText,
  markSent,
  openThreads,
  parseCommentsFile,
  routeToOwner,
  type FileComment,
  type ReviewThread,
} from '../core/review/review';
import { decisionRefusal } from '../core/review/reviewGate';
import type { RunState } from '../core/run/runState';
import { ReviewStore, ReviewStoreError, commentAuthor, currentThreads, fileAtCommit, readRun, submitReview } from '../engine';
import { parseArgs, UsageError } from './args';
import type { Io } from './io';
import { shellQuote } from '../core/hosts/hostList';
import { checkRunFlags, loadPlan, repeatedFlags, runFlags, type LoadedPlan } from './runArgs';

/**
 * The flags `waves run --resume` is given when the review resumes the run here: every option of
 * `waves run`'s table (core/run/runOptions.ts), each with its value or alone as `waves run` takes it.
 */
const RUN_VALUED: readonly string[] = runFlags(true);
const RUN_SWITCHES: readonly string[] = runFlags().filter((f) => !RUN_VALUED.includes(f));

export async function reviewCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json', 'comments', 'request-changes', 'approve', 'no-run', ...RUN_VALUED, ...RUN_SWITCHES], ['comments', ...RUN_VALUED], repeatedFlags());
  if (args.length < 1 || args.length > 2) throw new UsageError('review takes a plan file and optionally a package id');
  const [file, packageId] = args as [string, string | undefined];
  const requesting = flags.has('request-changes');
  const approving = flags.has('approve');
  if (requesting && approving) throw new UsageError('--request-changes and --approve go one at a time');
  if (requesting !== flags.has('comments')) throw new UsageError('--request-changes needs --comments FILE (and --comments goes with --request-changes)');
  if (approving && !packageId) throw new UsageError('--approve needs the package to approve');
  // The run's options the resume is given, checked as waves run checks them, before anything is sent.
  checkRunFlags(flags);

  const loaded = await loadPlan(io, file, false);
  if (typeof loaded === 'number') return loaded;
  const read = readRun(loaded.repo, loaded.featureId);
  if (read.kind !== 'ok') {
    io.err(`waves: nothing to review: ${read.kind === 'none' ? `${loaded.featureId} has not been run` : `the run state cannot be used (${read.detail})`}\n`);
    return 2;
  }
  const { state } = read;
  if (packageId !== undefined && !state.packages[packageId]) {
    io.err(`waves: ${packageId} is not a package of run ${state.runId} (${Object.keys(state.packages).join(', ')})\n`);
    return 2;
  }
  const store = new ReviewStore(loaded.repo, loaded.featureId);
  if (requesting) return requestChanges(io, loaded, state, store, String(flags.get('comments')), packageId, flags);
  if (approving) {
    const submitted = await submitReview(loaded.repo, loaded.featureId, { packageId: packageId!, kind: 'approve' });
    if (!submitted.ok) {
      io.err(`waves: ${sanitize(submitted.reason)}\n`);
      return 2;
    }
    io.out(`${packageId} approved${submitted.delivered === 'driver' ? ': the run\'s driver merges it' : ''}\n`);
    return submitted.delivered === 'state' ? resume(io, loaded, flags) : 0;
  }
  return list(io, loaded, state, store, packageId, flags.has('json'));
}

/**
 * `waves pick <plan> <package> <candidate>` (best of n, `pick: person`): the person's pick through
 * the front door's `submitReview`, as an approval goes. When no process drives the run, it is
 * resumed here on a terminal; without one (or with --no-run) the pick is recorded and the command
 * that carries it out said. Exit 0 whenever the pick was recorded (a run resumed here: the run's
 * own code), 2 when it was refused.
 */
export async function pickCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['no-run', ...RUN_VALUED, ...RUN_SWITCHES], [...RUN_VALUED], repeatedFlags());
  if (args.length !== 3) throw new UsageError('pick takes a plan file, a package id and a candidate number');
  const [file, packageId, k] = args as [string, string, string];
  if (!/^[1-8]$/.test(k)) throw new UsageError(`the candidate is a number from 1 to 8, not "${k}"`);
  checkRunFlags(flags);
  const loaded = await loadPlan(io, file, false);
  if (typeof loaded === 'number') return loaded;
  const submitted = await submitReview(loaded.repo, loaded.featureId, { packageId, kind: 'pick', candidate: Number(k) });
  if (!submitted.ok) {
    io.err(`waves: ${sanitize(submitted.reason)}\n`);
    return 2;
  }
  io.out(`candidate ${k} of ${packageId} picked${submitted.delivered === 'driver' ? ": the run's driver merges it" : ''}\n`);
  if (submitted.delivered === 'driver') return 0;
  // Nobody at a terminal to see a resumed run through (and to pick what it may ask next): recorded, the command said.
  if (!flags.has('no-run') && !(process.stdin.isTTY && process.stderr.isTTY)) {
    io.out(`no process drives the run: to merge it, run ${resumeCommand(loaded, flags)}\n`);
    return 0;
  }
  return resume(io, loaded, flags);
}

// ---------------------------------------------------------------------------------------
// The list

async function list(io: Io, loaded: LoadedPlan, state: RunState, store: ReviewStore, only: string | undefined, json: boolean): Promise<number> {
  const threads = await threadsNow(state, store, io);
  const ids = only ? [only] : Object.keys(state.packages);
  // The package's facts from where `waves status` and the report read them (core/present/packageFacts.ts).
  const packages = ids.map((id) => {
    const facts = packageFacts(state, id);
    return { packageId: id, status: facts.status, attempts: facts.attempts, revisions: facts.revisions, threads: openThreads(threads, id), facts };
  });
  const unrouted = only ? [] : openThreads(threads, null);
  if (json) {
    const shown = packages.map(({ facts: _facts, ...p }) => p);
    io.out(JSON.stringify({ featureId: state.featureId, runId: state.runId, packages: shown, ...(unrouted.length ? { unrouted } : {}) }) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const p of packages) {
    lines.push(reviewHeadline(p.facts, p.threads.length));
    for (const t of p.threads) lines.push(...threadLines(t));
  }
  if (unrouted.length) {
    lines.push('on the integration branch, not given to a package yet:');
    for (const t of unrouted) lines.push(...threadLines(t));
  }
  io.out(lines.map(sanitize).join('\n') + '\n');
  return 0;
}

function threadLines(t: ReviewThread): string[] {
  const where = t.startLine === 0 ? `${t.file}` : `${t.file}:${t.startLine === t.endLine ? t.startLine : `${t.startLine}-${t.endLine}`}`;
  const marks = [t.sentIn !== undefined && `sent with attempt ${t.sentIn}`, t.addressed && 'its lines changed since', t.outdated && `outdated: ${linesText(t.startLine, t.endLine)} ${t.outdated}`].filter(Boolean);
  const [first, ...more] = t.comments.map((c) => c.body.replace(/\s+/g, ' ').trim());
  return [`  ${where}${marks.length ? ` (${marks.join('; ')})` : ''}: ${first ?? ''}`, ...more.map((m) => `    ↳ ${m}`)];
}

/** The store's threads as both front ends show them (`currentThreads`); the read's problems on stderr. */
async function threadsNow(state: RunState, store: ReviewStore, io: Io): Promise<ReviewThread[]> {
  const { threads, problems } = await currentThreads(store, state);
  for (const p of problems) io.err(`waves: ${sanitize(p)}\n`);
  return threads;
}

// ---------------------------------------------------------------------------------------
// Request changes

async function requestChanges(io: Io, loaded: LoadedPlan, state: RunState, store: ReviewStore, commentsFile: string, packageId: string | undefined, flags: Map<string, string | true>): Promise<number> {
  let text: string;
  try {
    text = io.readFile(commentsFile);
  } catch (err) {
    io.err(`waves: cannot read ${commentsFile}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const parsed = parseCommentsFile(text, commentsFile);
  const errors = [...parsed.errors];
  const from = packageId ? 'branch' : 'integration';
  const commit = packageId ? state.packages[packageId]!.headSha : state.integration?.tipSha ?? null;
  if (!commit) {
    io.err(`waves: ${packageId ? `${packageId} has no commit to comment on yet` : 'the run has no integration branch yet'}: nothing was sent\n`);
    return 2;
  }
  const index = new OwnerIndex(loaded.analysis);
  // Each comment: its package (named, or its file's owner) and its excerpt at the commit reviewed.
  const placed: { c: FileComment; packageId: string; excerpt: string }[] = [];
  for (const c of parsed.comments) {
    const at = `${commentsFile}:${c.source}`;
    let owner = packageId;
    if (!owner) {
      const route = routeToOwner(index, c.file);
      if (route.kind === 'ask') {
        errors.push(`${at}: ${route.why === 'several' ? `${c.file} may be written by ${route.candidates.join(' and ')}: give the package (waves review … <plan> <package>)` : `${c.file} is outside every package's write scope: no package can change it`}`);
        continue;
      }
      owner = route.packageId;
    } else {
      const slot = index.packageOf(owner)?.slot;
      if (slot === undefined || !index.lookup(c.file).owners.includes(slot)) {
        errors.push(`${at}: ${c.file} is outside ${owner}'s write scope: its agent could not change it`);
        continue;
      }
    }
    const content = await fileAtCommit(loaded.repo, commit, c.file);
    const excerpt = c.startLine === 0 ? { ok: true as const, excerpt: '' } : content === '' ? { ok: false as const, why: `${c.file} does not exist` } : excerptOf(content, c.startLine, c.endLine);
    if (!excerpt.ok) {
      errors.push(`${at}: ${excerpt.why} at ${commit.slice(0, 12)}`);
      continue;
    }
    placed.push({ c, packageId: owner, excerpt: excerpt.excerpt });
  }
  for (const id of new Set(placed.map((p) => p.packageId))) {
    const why = decisionRefusal(state, { packageId: id, kind: 'changes', comments: [], from });
    if (why) errors.push(`${commentsFile}: ${why}`);
  }
  if (errors.length) {
    for (const e of errors) io.err(`waves: ${sanitize(e)}\n`);
    io.err(`waves: nothing was sent: correct ${errors.length === 1 ? 'it' : 'them'} and try again\n`);
    return 2;
  }

  // Kept as threads first: whatever the engine answers, nothing written is lost.
  const now = new Date().toISOString();
  const author = commentAuthor();
  const threads: ReviewThread[] = placed.map(({ c, packageId: id, excerpt }) => ({
    id: randomUUID(),
    packageId: id,
    file: c.file,
    startLine: c.startLine,
    endLine: c.endLine,
    anchorCommit: commit,
    excerpt,
    comments: [{ id: randomUUID(), body: c.body, author, at: now }],
    status: 'open',
    ...(from === 'integration' ? { from } : {}),
  }));
  try {
    await store.update((ts) => [...ts, ...threads]);
  } catch (err) {
    io.err(`waves: ${err instanceof ReviewStoreError ? err.message : `the comments could not be kept: ${String(err)}`}; nothing was sent\n`);
    return 2;
  }

  let resumeNeeded = false;
  for (const id of new Set(placed.map((p) => p.packageId))) {
    const mine = threads.filter((t) => t.packageId === id);
    const { comments } = commentsToSend(mine, id);
    const submitted = await submitReview(loaded.repo, loaded.featureId, { packageId: id, kind: 'changes', comments, from });
    if (!submitted.ok) {
      io.err(`waves: ${sanitize(submitted.reason)} (the comments are kept: waves review ${loaded.shown} ${id})\n`);
      return 2;
    }
    const attempt = state.packages[id]!.attempts + 1;
    await store.update((ts) => markSent(ts, new Set(mine.map((t) => t.id)), attempt));
    io.out(`${id}: ${comments.length} comment${comments.length === 1 ? '' : 's'} sent for attempt ${attempt} (from its ${from === 'branch' ? 'branch' : 'integration tip'})${submitted.delivered === 'driver' ? '; the run\'s driver starts it' : ''}\n`);
    if (submitted.delivered === 'state') resumeNeeded = true;
  }
  return resumeNeeded ? resume(io, loaded, flags) : 0;
}

// ---------------------------------------------------------------------------------------
// The resume

/** The run flags given here, as `waves run --resume` takes them. */
function forwarded(flags: Map<string, string | true>): string[] {
  return [...RUN_VALUED.flatMap((f) => (flags.has(f) ? [`--${f}`, String(flags.get(f))] : [])), ...RUN_SWITCHES.filter((f) => flags.has(f)).map((f) => `--${f}`)];
}

/** The command that carries out what was recorded: `waves run --resume` with the run flags given here, quoted for a shell. */
function resumeCommand(loaded: LoadedPlan, flags: Map<string, string | true>): string {
  return `waves run --resume ${[...forwarded(flags), loaded.shown].map(shellQuote).join(' ')}`;
}

/** No process drives the run: resumed here as `waves run --resume` (unless --no-run). */
async function resume(io: Io, loaded: LoadedPlan, flags: Map<string, string | true>): Promise<number> {
  const forward = forwarded(flags);
  if (flags.has('no-run')) {
    io.out(`recorded; to carry it out: ${resumeCommand(loaded, flags)}\n`);
    return 0;
  }
  io.out('no process drives the run: resuming it here\n');
  return (await import('./runCommand')).runCommand(['--resume', ...forward, loaded.shown], io);
}
