/**
 * `waves status`: a run's packages, locks and driver from `.waves/` (and the shared
 * coordinator with `--coordinator`). Reads only — no lease, nothing written — so it works
 * while another process drives the run.
 */
import { guardText } from '../core/run/integrationGuard';
import type { LockEntry } from '../engine';
import { formatClock } from '../core/present/terminalText';
import { fit, formatElapsed, sanitize, truncate } from '../core/present/terminalText';
import { modelFromState } from '../core/present/progressModel';
import { refusedLine } from '../core/present/runStatusText';
import { renderHeader } from '../core/present/terminalProgress';
import type { PackageRunRecord } from '../core/run/runState';
import { formatSpend } from '../core/run/spend';
import { isLiveLock } from '../core/run/lockTable';
import { isLiveRun, ownerText } from '../core/run/sharedCoordinator';
import { CoordinatorReader, redactSecrets, type CoordinatorOptions, driverOf, foreignReason, liveLocks, readRun } from '../engine';
import { parseArgs } from './args';
import { type Io } from './io';

import { coordinatorFrom, loadPlan, planArg, rel, runSpend } from './runArgs';

// ---------------------------------------------------------------------------------------
// waves status

function elapsedMs(r: PackageRunRecord, now: number): number | null {
  if (!r.startedAt) return null;
  const start = Date.parse(r.startedAt);
  const end = r.endedAt ? Date.parse(r.endedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

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
  const shared = coordinator ? await sharedStatus(repo, featureId, coordinator) : undefined;
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
  const ids = [...analysis.graph.ids.filter((id) => state.packages[id]), ...Object.keys(state.packages).filter((id) => !waveOf.has(id))];
  const packages = ids.map((id) => {
    const r = state.packages[id]!;
    return {
      id,
      wave: waveOf.get(id) ?? null,
      status: r.status,
      attempts: r.attempts,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      elapsedMs: elapsedMs(r, now),
      exitCode: r.exitCode,
      signal: r.signal,
      lastError: r.lastError,
      needsInput: r.needsInput,
      usageLimit: r.usageLimit ?? null,
      spend: r.spend ?? null,
      refused: r.refused ?? [],
      blockedBy: r.blockedBy,
      merge: state.merges[id]?.status ?? null,
      branch: r.branch,
      worktree: r.worktree,
      host: r.host ?? null,
      locks: locks.filter((l) => l.holder === id).map((l) => ({ key: l.key, kind: l.kind, expiresAt: l.expiresAt })),
    };
  });

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
        spend: runSpend(state),
        readOnly: read.newer,
        owner,
        packages,
        locks,
        integration: state.integration,
        problems,
        ...(shared ? { coordinator: shared.json } : {}),
      }) + '\n',
    );
    return 0;
  }

  const model = modelFromState(
    state,
    analysis.graph.ids.map((id, i) => ({ id, wave: analysis.graph.wave[i] ?? null })),
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
  if (foreign) lines.push(`this run is not this machine's: ${foreign}; nothing drives it here unless you resume it (\`waves run --resume\`)`);
  if (state.unconfined) lines.push('its agents run WITHOUT walls (your choice: --unconfined or waves.sandbox.unconfined)');
  const guard = guardText(state.integration);
  if (guard) lines.push(guard);
  if (planChanged) lines.push('the plan changed since this run started');
  if (read.newer) lines.push('this run state was written by a newer version of Wave Orchestrator: shown read-only');
  const width = process.stdout.isTTY ? process.stdout.columns || 100 : Infinity;
  const idWidth = Math.min(40, Math.max(2, ...packages.map((p) => p.id.length)));
  const row = (cells: string[], widths: number[], rest: string) => {
    const text = cells.map((c, i) => fit(c, widths[i]!, i === 0 || i === 2 || i === 6 ? 'left' : 'right')).join('  ') + '  ' + rest;
    return (width === Infinity ? sanitize(text) : truncate(text, width)).trimEnd();
  };
  const widths = [idWidth, 4, 15, 3, 7, 6, 8];
  lines.push(row(['ID', 'WAVE', 'STATUS', 'TRY', 'ELAPSED', 'EXIT', 'MERGE'], widths, 'DETAIL'));
  for (const p of packages) {
    const why = p.needsInput
      ? `needs input since ${p.needsInput.since}: ${p.needsInput.reason}`
      : p.blockedBy.length
        ? `blocked by ${p.blockedBy.join(', ')}`
        : (p.lastError ?? '');
    // Where it runs, when the run is over hosts (#17).
    const detail = p.host ? `on ${p.host}${why ? ` · ${why}` : ''}` : why;
    const exit = p.signal ?? (p.exitCode === null ? '' : String(p.exitCode));
    const status = p.needsInput ? 'needs-input' : p.status;
    lines.push(
      row(
        [
          p.id,
          p.wave === null ? '–' : String(p.wave),
          status,
          p.attempts ? String(p.attempts) : '',
          p.elapsedMs === null ? '' : formatElapsed(p.elapsedMs),
          exit,
          p.merge ?? '',
        ],
        widths,
        detail,
      ),
    );
  }
  // What the walls refused each package's last attempt (#32).
  for (const p of packages) if (p.refused.length) lines.push(`${p.id}: ${refusedLine(p.refused)}`);
  if (locks.length) {
    lines.push('locks held:');
    for (const l of locks) lines.push(`  ${describeLock(l)}`);
  } else lines.push('locks held: none');
  for (const p of problems) lines.push(`warning: ${p}`);
  if (shared) lines.push(...shared.lines);
  io.out(lines.map((l) => sanitize(l)).join('\n') + '\n');
  return 0;
}

/**
 * What a shared coordinator says for `waves status`: this feature's live locks (held there, not
 * in .waves/locks.json), the other drivers' runs with who, where and their packages under way,
 * or why it cannot be read (never with the password).
 */
async function sharedStatus(repo: string, featureId: string, options: CoordinatorOptions) {
  let reader: CoordinatorReader | undefined;
  let read: Awaited<ReturnType<CoordinatorReader['read']>>;
  try {
    reader = await CoordinatorReader.open(repo, options);
    read = await reader.read();
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
  return { locks, json: { where, problem: null, otherDrivers: others }, lines };
}

/** A lock entry in a person's words. */
function describeLock(l: LockEntry): string {
  return `${l.holder}: ${l.kind} ${l.key}${l.expiresAt ? ` (until ${formatClock(Date.parse(l.expiresAt))})` : ''}`;
}
