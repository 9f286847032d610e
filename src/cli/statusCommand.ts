/**
 * `waves status`: a run's packages, locks and driver from `.waves/` (and the shared
 * coordinator with `--coordinator`). Reads only — no lease, nothing written — so it works
 * while another process drives the run. Each package's facts come from `packageFacts` (as
 * `waves review`'s and the report's do); `--json` carries all of them, with the open review
 * comments and what the report said of its result record.
 */
import * as fs from 'node:fs';
import { guardStuck, guardText } from '../core/run/integrationGuard';
import type { LockEntry } from '../engine';
import { formatClock } from '../core/present/terminalText';
import { formatElapsed, sanitize } from '../core/present/terminalText';
import { elapsedMs, packageFacts, pickWaitLine, statusPackageLines, type StatusPackage } from '../core/present/packageFacts';
import { fromFirstStart, leavesBelow } from '../core/plan/nestTree';
import { countedState, countsAsWork, modelFromState } from '../core/present/progressModel';
import { renderHeader } from '../core/present/terminalProgress';
import { openCounts, parseReviewFile } from '../core/review/review';
import { reviewFile } from '../core/run/runPaths';
import type { RunState } from '../core/run/runState';
import { formatSpend } from '../core/run/spend';
import { isLiveLock } from '../core/run/lockTable';
import { isLiveRun, ownerText } from '../core/coordinator/sharedCoordinator';
import { heartbeatText, isSilent } from '../core/present/workerText';
import type { QueueItem } from '../core/coordinator/workQueue';
import { CoordinatorReader, redactSecrets, type CoordinatorOptions, driverOf, foreignReason, liveLocks, readReport, readRun } from '../engine';
import { parseArgs } from './args';
import { type Io } from './io';

import { coordinatorFrom, loadPlan, planArg, rel, runSpend } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves status

export async function statusCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json', 'coordinator', 'coordinator-repository'], ['coordinator', 'coordinator-repository']);
  const coordinator = coordinatorFrom(flags);
  const loaded = await loadPlan(io, planArg(args, 'status'), false);
  if (typeof loaded === 'number') return loaded;
  const { repo, featureId, analysis } = loaded;
  const now = Date.now();
  const read = readRun(repo, featureId);
  const json = flags.has('json');
  // With a coordinator: this feature's locks are there, and the other drivers of the repository.
  const shared = coordinator ? await sharedStatus(repo, featureId, coordinator, read.kind === 'ok' ? read.state.runId : null) : undefined;
  if (read.kind === 'none') {
    if (json) io.out(JSON.stringify({ featureId, run: null, reason: 'not run yet', ...(shared ? { coordinator: shared.json } : {}) }) + '\n');
    else io.out(`${featureId}: not run yet (no ${rel(read.file)}); start it with \`waves run ${loaded.shown}\`\n${shared ? shared.lines.map((l) => sanitize(l) + '\n').join('') : ''}`);
    return 0;
  }
  if (read.kind === 'bad') {
    io.err(`waves: the run state ${rel(read.file)} cannot be used: ${read.detail}\n`);
    return 1;
  }
  const { state } = read;
  const owner = driverOf(repo, featureId, now);
  const fileLocks = liveLocks(repo, featureId, now);
  const { problems } = fileLocks;
  const locks = shared?.locks ?? fileLocks.locks;
  const waveOf = new Map(analysis.graph.ids.map((id, i) => [id, analysis.graph.wave[i] ?? null]));
  const planChanged = state.planHash !== null && state.planHash !== loaded.hash;
  const foreign = foreignReason(state);
  const flat = [...analysis.graph.ids.filter((id) => state.packages[id]), ...Object.keys(state.packages).filter((id) => !waveOf.has(id))];
  // A plan of plans: as a tree, each parent followed by the packages below it (ADR 0035).
  const joins = loaded.nested && 'joins' in loaded.nested ? loaded.nested.joins : {};
  const { ids, parentOf, depthOf } = asTree(flat, joins);
  const titleOf = new Map(analysis.plan.packages.map((p) => [p.id, p.title ?? null]));
  // Each package's facts from the one place every front end reads them (core/present/packageFacts.ts):
  // what the text below shows, what `waves review` lists and the report says of it — all of it in --json.
  const comments = openComments(repo, featureId);
  const packages = ids.map((id) => {
    const facts = packageFacts(state, id);
    const parent = parentOf.get(id);
    const shown: StatusPackage = {
      ...facts,
      wave: waveOf.get(id) ?? null,
      // A parent is timed from the first start below it: its own attempt only joins their work.
      elapsedMs: elapsedMs(joins[id] ? fromFirstStart(facts, state.packages, leavesBelow({ joins }, id)) : facts, now),
      openComments: comments ? (comments.get(id) ?? 0) : null,
      ...(parent ? { parent, depth: depthOf.get(id)! } : {}),
    };
    return { ...shown, title: titleOf.get(id) ?? null, locks: locks.filter((l) => l.holder === id).map((l) => ({ key: l.key, kind: l.kind, expiresAt: l.expiresAt })) };
  });
  // Best of n: a package awaiting the person's pick is a problem to act on, with the command that picks.
  const picks = packages.filter((p) => p.awaitingPick).map((p) => pickWaitLine(p, loaded.shown));

  if (json) {
    io.out(
      JSON.stringify({
        featureId,
        planFile: state.planFile,
        runId: state.runId,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        planChanged,
        foreign,
        unconfined: state.unconfined === true,
        ...(state.containerWall ? { containerWall: true } : {}),
        spend: runSpend(state),
        readOnly: read.newer,
        owner,
        packages: withReport(packages, reportedResults(repo, state)),
        locks,
        integration: state.integration,
        problems: [...picks, ...problems],
        ...(shared ? { coordinator: shared.json } : {}),
      }) + '\n',
    );
    return 0;
  }

  // A plan of plans: its leaves counted, and a parent that failed itself, as the editor's status bar counts them.
  const joinIds = new Set(Object.keys(joins));
  const model = modelFromState(
    countedState(state, joinIds),
    analysis.graph.ids.filter((id) => countsAsWork(id, state.packages[id], joinIds)).map((id) => ({ id, wave: waveOf.get(id) ?? null })),
  );
  const lines: string[] = [];
  lines.push(`${featureId} · run ${state.runId} · started ${state.createdAt} · updated ${state.updatedAt}`);
  lines.push(renderHeader(model));
  if (!owner) lines.push('driven by: nobody (no engine runs it now)');
  else if (owner.alive)
    lines.push(
      `driven by: pid ${owner.pid} on ${owner.hostname}, alive (heartbeat ${formatElapsed(now - Date.parse(owner.heartbeatAt))} ago)`,
    );
  else
    lines.push(
      `driven by: nobody alive — the lease of pid ${owner.pid} on ${owner.hostname} is stale (${owner.stale}); \`waves run --resume\` takes it over`,
    );
  const spent = runSpend(state);
  if (spent) lines.push(`spent: ${formatSpend(spent)}`);
  if (foreign) lines.push(`this run is not yours here: ${foreign}; nothing drives it here unless you resume it (\`waves run --resume\`)`);
  if (state.unconfined)
    lines.push(
      state.containerWall
        ? 'its agents run WITHOUT bubblewrap: the container is their wall (your choice: --container-is-wall or waves.sandbox.container)'
        : 'its agents run WITHOUT walls (your choice: --unconfined or waves.sandbox.unconfined)',
    );
  const guard = guardText(state.integration);
  if (guard) lines.push(guard);
  // The guard sends nothing more: the breaker, the check, what it printed and what to do.
  const stuck = guardStuck(state.integration);
  if (stuck) lines.push(`  ${stuck.said}`, `  ${stuck.advice}`, ...(stuck.blame.output ? [`  what it printed (its end):`, ...stuck.blame.output.trimEnd().split('\n').slice(-15).map((l) => `    ${l}`)] : []));
  if (planChanged) lines.push('the plan changed since this run started');
  if (read.newer) lines.push('this run state was written by a newer version of Wave Orchestrator: shown read-only');
  const width = process.stdout.isTTY ? process.stdout.columns || 100 : Infinity;
  lines.push(...statusPackageLines(packages, width, loaded.shown));
  if (locks.length) {
    lines.push('locks held:');
    for (const l of locks) lines.push(`  ${describeLock(l)}`);
  } else lines.push('locks held: none');
  for (const p of problems) lines.push(`warning: ${p}`);
  if (shared) lines.push(...shared.lines);
  io.out(lines.map((l) => sanitize(l)).join('\n') + '\n');
  return 0;
}

/** `ids` (in the plan's order) as a tree: each parent followed by the packages below it, theirs in that order too. */
function asTree(ids: readonly string[], joins: Readonly<Record<string, readonly string[]>>): { ids: string[]; parentOf: Map<string, string>; depthOf: Map<string, number> } {
  const parentOf = new Map<string, string>();
  for (const [parent, children] of Object.entries(joins)) for (const c of children) parentOf.set(c, parent);
  if (parentOf.size === 0) return { ids: [...ids], parentOf, depthOf: new Map() };
  const order = new Map(ids.map((id, i) => [id, i]));
  const childrenOf = new Map<string, string[]>();
  for (const id of ids) {
    const parent = parentOf.get(id);
    if (parent) childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), id]);
  }
  const out: string[] = [];
  const depthOf = new Map<string, number>();
  const visit = (id: string, depth: number) => {
    out.push(id);
    depthOf.set(id, depth);
    for (const c of (childrenOf.get(id) ?? []).sort((a, b) => order.get(a)! - order.get(b)!)) visit(c, depth + 1);
  };
  for (const id of ids) if (!parentOf.has(id)) visit(id, 0);
  return { ids: out, parentOf, depthOf };
}

/**
 * What a shared coordinator says for `waves status`: this feature's live locks (held there, not
 * in .waves/locks.json), the other drivers' runs with who, where and their packages under way,
 * or why it cannot be read (never with the password).
 */
async function sharedStatus(repo: string, featureId: string, options: CoordinatorOptions, runId: string | null) {
  let reader: CoordinatorReader | undefined;
  let read: Awaited<ReturnType<CoordinatorReader['read']>>;
  let queued: QueueItem[] = [];
  try {
    reader = await CoordinatorReader.open(repo, options);
    read = await reader.read();
    // This run's packages on the work queue (a run on pull workers): waiting for a worker, or on one.
    if (read.ok && runId) queued = (await reader.queued(featureId, runId)).filter((i) => i.state === 'ready' || i.state === 'claimed');
  } catch (err) {
    read = { ok: false, message: redactSecrets(err instanceof Error ? err.message : String(err)) };
  } finally {
    await reader?.close();
  }
  const where = redactSecrets(options.url);
  if (!read.ok)
    return { locks: undefined, json: { where, problem: read.message, otherDrivers: null }, lines: [`coordinator ${where}: ${read.message} (locks shown from .waves/)`] };
  const now = new Date();
  const others = read.runs.filter((r) => !reader!.isOwn(r) && isLiveRun(r, now));
  const locks = read.locks.filter((l) => l.featureId === featureId && isLiveLock(l, now));
  const lines = [others.length ? `other drivers (coordinator ${where}):` : `other drivers (coordinator ${where}): none`];
  for (const r of others) {
    const packages = r.packages.map((p) => `${p.id} ${p.status} (writes ${p.writes.join(', ') || 'nothing'})`).join('; ');
    lines.push(`  ${r.featureId} — ${ownerText(r)}: ${packages || 'no package under way'}`);
  }
  // Pull workers (ADR 0037): each with its machine, agents, labels, last heartbeat, and whether it is draining.
  if (read.workers.length) {
    lines.push(`workers (coordinator ${where}):`);
    for (const w of read.workers) lines.push(`  ${sanitize(w.name)} on ${sanitize(w.machine)}: ${w.agents.join(', ')}${w.labels.length ? ` [${w.labels.join(', ')}]` : ''}, ${isSilent(w, w.leaseMs) ? heartbeatText(w, w.leaseMs) : `heartbeat ${Math.round(w.silentMs / 1000)} s ago`}${w.draining ? ', draining' : ''}`);
  }
  if (queued.length) {
    lines.push(`on the work queue (coordinator ${where}):`);
    for (const i of queued) lines.push(`  ${queuedLine(i)}`);
  }
  return { locks, json: { where, problem: null, otherDrivers: others, workers: read.workers, queued: queued.map((i) => ({ packageId: i.packageId, attempt: i.attempt, state: i.state, worker: i.worker, fence: i.fence, tries: i.tries, maxTries: i.maxTries, reason: i.reason })) }, lines };
}

/** A queued package for a person: on which worker, or waiting for one (and why it was given back). */
function queuedLine(i: QueueItem): string {
  const who = i.state === 'claimed' ? `on ${sanitize(i.worker ?? 'a worker')} (claim ${i.fence})` : `waiting for a worker${i.labels.length ? ` with ${i.labels.join(', ')}` : ''} that runs ${sanitize(i.agent)}`;
  const back = i.state === 'ready' && i.tries > 0 && i.reason ? `; given back ${i.tries} of ${i.maxTries} times, last: ${sanitize(i.reason)}` : '';
  return `${sanitize(i.packageId)} (attempt ${i.attempt}): ${who}${back}`;
}

/**
 * Open review threads per package, read as the file is — never re-anchored, copied aside
 * or written (status writes nothing); null when the threads cannot be read.
 */
function openComments(repo: string, featureId: string): Map<string, number> | null {
  let text: string;
  try {
    text = fs.readFileSync(reviewFile(repo, featureId), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Map() : null;
  }
  const read = parseReviewFile(text, featureId);
  return read.kind === 'ok' ? openCounts(read.file.threads) : null;
}

/** What the run's report says of a package's result record (it reads the records when the run ends, on whichever host ran it). */
interface ReportedResult {
  resultStatus: string | null;
  resultWarnings: string[];
  missingResultKeys: string[];
  claimedNotChanged: string[];
}

/** The result-record part of each package in the run's report.json, as `waves report --json` shows it; empty without a report of this run. */
function reportedResults(repo: string, state: RunState): Map<string, ReportedResult> {
  const out = new Map<string, ReportedResult>();
  const read = readReport(repo, state, 'json');
  if (!read.ok) return out;
  let report: { runId?: unknown; packages?: unknown };
  try {
    report = JSON.parse(read.text) as typeof report;
  } catch {
    // a report not JSON: status shows the run state alone
    return out;
  }
  if (report?.runId !== state.runId || !Array.isArray(report.packages)) return out;
  for (const p of report.packages as Record<string, unknown>[]) {
    if (typeof p?.id !== 'string') continue;
    out.set(p.id, {
      resultStatus: typeof p.resultStatus === 'string' ? p.resultStatus : null,
      resultWarnings: strings(p.resultWarnings),
      missingResultKeys: strings(p.missingResultKeys),
      claimedNotChanged: strings(p.claimedNotChanged),
    });
  }
  return out;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** Each package with what the report says of its result record (`report`; null: no report of the run, or none of the package). */
function withReport<P extends { id: string }>(packages: readonly P[], reported: ReadonlyMap<string, ReportedResult>): (P & { report: ReportedResult | null })[] {
  return packages.map((p) => ({ ...p, report: reported.get(p.id) ?? null }));
}

/** A lock entry in a person's words. */
function describeLock(l: LockEntry): string {
  return `${l.holder}: ${l.kind} ${l.key}${l.expiresAt ? ` (until ${formatClock(Date.parse(l.expiresAt))})` : ''}`;
}
