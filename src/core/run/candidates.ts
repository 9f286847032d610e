/**
 * Best of n in the run state (ADR 0031): a package's set of candidates, each an attempt with a
 * record of its own (`CandidateRunRecord`), moved by the reducer's own rules when an event
 * carries `candidate`. What a set is made of, which records are green, and what the package
 * takes from the one chosen. Pure.
 */
import type { CandidateRunRecord, PackageRunRecord } from './runState';
import { createPackageRecord } from './runStateInit';

/** The most candidates one package may have. */
export const MAX_CANDIDATES = 8;

/** The attempt events a candidate has (the package's own life — ready, queued, blocked, reset, merge — is the package's). */
export const CANDIDATE_EVENTS = [
  'started',
  'exited',
  'needsInput',
  'inputResumed',
  'audited',
  'verificationResult',
  'failed',
  'scopeViolation',
  'cancelled',
  'usageLimit',
  'interrupted',
  'reattached',
  'progress',
  'handoff',
  'asked',
] as const;

/** Candidate `k`'s key (its tree, branch and attempt folder are named by it): the package's id for 1 — the package's own — `<package>.c<k>` else. A package id cannot hold `.`. */
export function candidateKey(packageId: string, k: number): string {
  return k === 1 ? packageId : `${packageId}.c${k}`;
}

/** The package and candidate number a key names, or null for a package's own id. */
export function candidateOfKey(key: string): { packageId: string; candidate: number } | null {
  const m = /^(.+)\.c([2-8])$/.exec(key);
  return m ? { packageId: m[1]!, candidate: Number(m[2]) } : null;
}

/** The port range index of candidate `k` of the package at `index` of `size`: candidate 1 the package's own, the others past every package's. */
export function portIndexOf(index: number, k: number, size: number): number {
  return k === 1 ? index : size + index * (MAX_CANDIDATES - 1) + (k - 2);
}

/** Candidate `k` of a package (its record), or undefined when it has none of that number. */
export function candidateOf(record: PackageRunRecord | undefined, k: number): CandidateRunRecord | undefined {
  return record?.candidates?.find((c) => c.candidate === k);
}

/** A package's candidates not ended (queued, running, verifying — a green one waiting for a pick included). */
export function liveCandidates(record: PackageRunRecord): CandidateRunRecord[] {
  return (record.candidates ?? []).filter((c) => c.status === 'queued' || c.status === 'running' || c.status === 'verifying');
}

/** What the rules of a set read of a candidate: the run state's records, and the narrower ones every reader of a state (the report) takes. */
export interface CandidateLike {
  status: string;
  headSha?: string | null;
  scopeViolations?: readonly unknown[];
  verification?: readonly { step: string; ok: boolean }[];
}

/** What the rules of a set read of a package. */
export interface SetLike<C extends CandidateLike = CandidateLike> {
  status: string;
  chosen?: unknown;
  candidates?: readonly C[];
}

/** A package's candidates at work: queued, running, or being judged (not yet green). */
export function workingCandidates<C extends CandidateLike>(record: SetLike<C>): C[] {
  return (record.candidates ?? []).filter((c) => c.status === 'queued' || c.status === 'running' || (c.status === 'verifying' && !isGreen(c)));
}

/** Whether the package's attempt now is a set of candidates at work, none of which went on yet (its own record runs no runner). */
export function setUnderWay(record: PackageRunRecord): boolean {
  return !record.chosen && workingCandidates(record).length > 0 && (record.status === 'queued' || record.status === 'running');
}

/** `pick: person`: every candidate of the set has ended or is green, one at least is green, none chosen yet — the package waits for the person's pick. */
export function awaitingPick(record: SetLike): boolean {
  const set = record.candidates ?? [];
  return !record.chosen && record.status === 'running' && set.length > 0 && workingCandidates(record).length === 0 && set.some(isGreen);
}

/** The candidates the person may pick, in order: the green ones of a package awaiting its pick (`awaitingPick`); [] when it awaits none. */
export function pickable<C extends CandidateLike>(record: SetLike<C>): C[] {
  return awaitingPick(record) ? (record.candidates ?? []).filter(isGreen) : [];
}

/** Audited and verified, nothing outside its scope: a candidate that may go on. */
export function isGreen(record: CandidateLike): boolean {
  if (record.status !== 'verifying' || !record.headSha || (record.scopeViolations?.length ?? 0) > 0) return false;
  const latest = new Map((record.verification ?? []).map((v) => [v.step, v.ok]));
  return [...latest.values()].every(Boolean);
}

/** The fields of an attempt a record keeps across sets (`reset` keeps them too): where its work is. */
const KEPT = ['worktree', 'branch', 'baseSha', 'headSha', 'logFile', 'resultFile', 'host'] as const;

function kept(from: PackageRunRecord | CandidateRunRecord | undefined): Partial<PackageRunRecord> {
  const out: Partial<PackageRunRecord> = {};
  if (!from) return out;
  for (const k of KEPT) if (from[k] !== undefined) (out as Record<string, unknown>)[k] = from[k];
  return out;
}

/**
 * A new set for `record` (queued): candidate k runs `agents[k-1]`, queued, its attempt count the
 * package's. Candidate k keeps the fields of the last set's candidate k (its branch's committed
 * work is not redone); the first set's candidate 1, the package's own.
 */
export function newSet(record: PackageRunRecord, agents: readonly string[]): CandidateRunRecord[] {
  return agents.map((agent, i) => {
    const k = i + 1;
    const before = record.candidates?.find((c) => c.candidate === k) ?? (k === 1 ? record : undefined);
    return { ...createPackageRecord(candidateKey(record.packageId, k)), candidate: k, agent, status: 'queued', attempts: record.attempts, ...kept(before) };
  });
}

/** What the package takes from the candidate chosen: its attempt, to be merged as the package's. */
export function takeChosen(record: PackageRunRecord, chosen: CandidateRunRecord): PackageRunRecord {
  return {
    ...record,
    ...kept(chosen),
    startToken: chosen.startToken,
    pid: chosen.pid,
    exitCode: chosen.exitCode,
    signal: chosen.signal,
    verification: chosen.verification,
    changedFiles: chosen.changedFiles,
    scopeViolations: [],
    lastError: null,
    // What the chosen one said through the run's tools (ADR 0036): its notes reach the dependents, no other candidate's.
    handoffs: chosen.handoffs ?? [],
    progress: chosen.progress ?? null,
  };
}

/** What is wrong with a record's candidates (the state's invariants); [] when nothing. */
export function candidateProblems(id: string, record: PackageRunRecord): string[] {
  const problems: string[] = [];
  const list = record.candidates ?? [];
  const seen = new Set<number>();
  for (const [i, c] of list.entries()) {
    const at = `packages["${id}"].candidates[${i}]`;
    if (!Number.isInteger(c.candidate) || c.candidate < 1 || c.candidate > MAX_CANDIDATES) problems.push(`${at}.candidate must be 1 … ${MAX_CANDIDATES}`);
    else if (seen.has(c.candidate)) problems.push(`${at}: candidate ${c.candidate} is listed twice`);
    else if (c.packageId !== candidateKey(id, c.candidate)) problems.push(`${at}.packageId is "${c.packageId}", not "${candidateKey(id, c.candidate)}"`);
    seen.add(c.candidate);
  }
  if (record.chosen && !seen.has(record.chosen.candidate)) problems.push(`packages["${id}"].chosen names candidate ${record.chosen.candidate}, which it does not have`);
  if (record.ranked && !seen.has(record.ranked.candidate)) problems.push(`packages["${id}"].ranked names candidate ${record.ranked.candidate}, which it does not have`);
  return problems;
}
