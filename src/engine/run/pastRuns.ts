/**
 * This repository's past runs as the forecast learns from them: the run states under
 * `.waves/runs/` and `.waves/history/`, each validated, with the agent each package's last
 * attempt ran with (its `spec.json`); the run's forecast kept beside its report
 * (`forecast.json`), written as it begins and read when the report is made. Read only — a
 * state that cannot be read is skipped and said once per process (a problem line), never
 * healed, moved or thrown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseForecast, FORECAST_RUNS, type PastPackage, type PastRun, type RunForecast } from '../../core/run/forecast';
import { attemptDir, attemptFiles, featureSlug, HISTORY_FOLDER, runDir, RUNS_FOLDER } from '../../core/run/runPaths';
import type { RunState } from '../../core/run/runState';
import { validateRunState } from '../../core/run/runStateValidation';
import { writeAtomic } from '../../store/atomicWrite';
import { readRegularFile } from '../../util/regularFile';

/** Other features' runs read for agent-wide figures (their spend per package), newest first. */
const OTHER_RUNS = 20;
/** A state file larger than this is not read for a forecast (a run state of 10,000 packages is about 10 MB). */
const MAX_STATE_BYTES = 32 * 1024 * 1024;

export interface PastRunsRead {
  runs: PastRun[];
  /** Files skipped, one line each, each said once per process. */
  problems: string[];
}

/** Files already said to be unreadable (path and modification time), so a skipped state is said once. */
const said = new Set<string>();

interface Candidate {
  file: string;
  own: boolean;
  mtimeMs: number;
  size: number;
}

async function listJson(dir: string, own: boolean): Promise<Candidate[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    // no such folder: no runs in it
    return [];
  }
  const out: Candidate[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    try {
      const st = await fs.promises.lstat(file);
      if (st.isFile()) out.push({ file, own, mtimeMs: st.mtimeMs, size: st.size });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The run states of the repository a forecast of `featureId` learns from: the feature's latest, then a few of the others'. */
export async function readPastRuns(repo: string, featureId: string): Promise<PastRunsRead> {
  const slug = featureSlug(featureId);
  const runsDir = path.join(repo, RUNS_FOLDER);
  const historyDir = path.join(repo, HISTORY_FOLDER);
  const candidates: Candidate[] = [];
  for (const c of await listJson(runsDir, false)) candidates.push({ ...c, own: path.basename(c.file) === `${slug}.json` });
  let features: string[] = [];
  try {
    features = await fs.promises.readdir(historyDir);
  } catch {
    // no history yet
  }
  for (const name of features) candidates.push(...(await listJson(path.join(historyDir, name), name === slug)));
  candidates.sort((a, b) => b.mtimeMs - a.mtimeMs);

  const runs: PastRun[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  let own = 0;
  let others = 0;
  for (const c of candidates) {
    if (c.own ? own >= FORECAST_RUNS : others >= OTHER_RUNS) continue;
    const read = c.size > MAX_STATE_BYTES ? { problem: `larger than ${MAX_STATE_BYTES / 1024 / 1024} MB` } : await readState(c.file);
    if ('problem' in read) {
      const key = `${c.file}\0${c.mtimeMs}`;
      if (!said.has(key)) {
        said.add(key);
        problems.push(`${path.relative(repo, c.file)} was skipped: ${read.problem}`);
      }
      continue;
    }
    const { state } = read;
    const key = `${state.featureId}\0${state.runId}`;
    if (seen.has(key)) continue; // archived and still current after a crash between the two
    seen.add(key);
    if (state.featureId === featureId) own++;
    else others++;
    runs.push(await pastRunOf(repo, state));
  }
  return { runs, problems };
}

async function readState(file: string): Promise<{ state: RunState } | { problem: string }> {
  let text: string;
  try {
    text = (await readRegularFile(file)).toString('utf8');
  } catch (err) {
    return { problem: (err as Error).message };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message})` };
  }
  const v = validateRunState(raw);
  if (v.ok) return { state: v.state };
  if (v.code === 'newer-version' && v.state) return { state: v.state };
  return { problem: v.detail };
}

/** The agent a package's last attempt ran with: its `spec.json`'s `agentId`; null when it cannot be read. */
async function agentOf(repo: string, state: RunState, packageId: string, attempts: number): Promise<string | null> {
  if (attempts < 1) return null;
  try {
    const spec = JSON.parse((await readRegularFile(attemptFiles(attemptDir(repo, state.featureId, state.runId, packageId, attempts)).spec)).toString('utf8')) as { agentId?: unknown };
    return typeof spec.agentId === 'string' ? spec.agentId : 'custom';
  } catch {
    // no spec.json, or not one: the agent is not known
    return null;
  }
}

async function pastRunOf(repo: string, state: RunState): Promise<PastRun> {
  const packages: PastPackage[] = [];
  for (const r of Object.values(state.packages)) {
    packages.push({
      packageId: r.packageId,
      agent: r.status === 'succeeded' || r.spend ? await agentOf(repo, state, r.packageId, r.attempts) : null,
      status: r.status,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      spend: r.spend ?? null,
    });
  }
  return { featureId: state.featureId, runId: state.runId, createdAt: state.createdAt, packages };
}

/** Where a run's forecast is kept: beside its report. */
export function forecastFile(repo: string, featureId: string, runId: string): string {
  return path.join(runDir(repo, featureId, runId), 'forecast.json');
}

/** Keeps the forecast a run began with, for its report. */
export async function writeForecast(repo: string, featureId: string, runId: string, forecast: RunForecast): Promise<void> {
  const file = forecastFile(repo, featureId, runId);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, JSON.stringify(forecast, null, 2) + '\n');
}

/** The forecast a run began with; null when there is none or it is not one this version wrote. */
export async function readForecast(repo: string, featureId: string, runId: string): Promise<RunForecast | null> {
  try {
    return parseForecast(JSON.parse((await readRegularFile(forecastFile(repo, featureId, runId))).toString('utf8')));
  } catch {
    // no forecast, or one this version did not write: the report goes without it
    return null;
  }
}
