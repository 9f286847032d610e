/**
 * The owner lease of one feature's run (`.waves/runs/<name>.lease`; docs/run-engine.md,
 * "Owner lease"): at most one engine — one CLI or one editor window — drives a run.
 *
 * Claim: create the file with O_EXCL. When it exists and is stale (its heartbeat is older
 * than its lease, or it names a dead pid on this host), rename it to
 * `<name>.lease.stale-<random>` — a rename succeeds for one claimant only — and try again.
 * A claimant whose rename took a lease that is not the stale one it judged (someone else
 * claimed it in between) puts it back with link() (fails rather than overwrites) and gives up.
 * The owner rewrites `heartbeatAt` every `leaseMs / 3` and checks `isStillOwner()` before
 * each save; a lost lease is never written again.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pidExists } from '../attempt';
import { writeAtomicSync } from '../../store/atomicWrite.js';

export interface LeaseRecord {
  ownerId: string;
  pid: number;
  hostname: string;
  acquiredAt: string;
  heartbeatAt: string;
  leaseMs: number;
}

export const DEFAULT_LEASE_MS = 15_000;

/** Another engine drives this run. */
export class LeaseHeldError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LeaseRecord | null,
  ) {
    super(
      holder
        ? `this run is driven by another engine: pid ${holder.pid} on ${holder.hostname} (owner ${holder.ownerId}), last heartbeat ${holder.heartbeatAt}`
        : `this run is being claimed by another engine (${file})`,
    );
    this.name = 'LeaseHeldError';
  }
}

export interface ClaimOptions {
  ownerId?: string;
  leaseMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Reads a lease file; null when missing or not (yet) a complete record. */
export function readLease(file: string): LeaseRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // no lease file: no lease
    return null;
  }
  try {
    const r = JSON.parse(text) as Partial<LeaseRecord>;
    if (typeof r.ownerId !== 'string' || typeof r.pid !== 'number' || typeof r.heartbeatAt !== 'string' || typeof r.leaseMs !== 'number') return null;
    return r as LeaseRecord;
  } catch {
    // not JSON: not (yet) a complete record, as for a missing file
    return null;
  }
}

/** Why a lease record is stale, or null when it is live. */
export function staleReason(r: LeaseRecord, now: number): string | null {
  const beat = Date.parse(r.heartbeatAt);
  if (Number.isNaN(beat) || beat + r.leaseMs < now) return `no heartbeat since ${r.heartbeatAt}`;
  if (r.hostname === os.hostname() && !pidExists(r.pid)) return `its process ${r.pid} is gone`;
  return null;
}

export class Lease {
  private timer: NodeJS.Timeout | null = null;
  private lost = false;

  private constructor(
    readonly file: string,
    private record: LeaseRecord,
    private readonly now: () => number,
  ) {}

  get ownerId(): string {
    return this.record.ownerId;
  }

  /** Claims the lease or throws `LeaseHeldError` naming the holder. */
  static claim(file: string, options: ClaimOptions = {}): Lease {
    const now = options.now ?? Date.now;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const ownerId = options.ownerId ?? crypto.randomUUID();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    for (let tries = 0; tries < 5; tries++) {
      const at = new Date(now()).toISOString();
      const record: LeaseRecord = { ownerId, pid: process.pid, hostname: os.hostname(), acquiredAt: at, heartbeatAt: at, leaseMs };
      if (createExclusive(file, JSON.stringify(record, null, 2) + '\n')) return new Lease(file, record, now);
      const held = readLease(file);
      if (!held) {
        // Just created by another claimant that has not written it yet — or garbage left by a
        // crash: stale only when it is older than a lease.
        const st = fs.statSync(file, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.mtimeMs + leaseMs >= now()) throw new LeaseHeldError(file, null);
      } else if (staleReason(held, now()) === null) {
        throw new LeaseHeldError(file, held);
      }
      if (!takeOverStale(file, held)) throw new LeaseHeldError(file, readLease(file));
    }
    throw new LeaseHeldError(file, readLease(file));
  }

  /** Whether the file still holds this owner's lease (check before every save). */
  isStillOwner(): boolean {
    if (this.lost) return false;
    const r = readLease(this.file);
    if (!r || r.ownerId !== this.record.ownerId) this.lost = true;
    return !this.lost;
  }

  /** Rewrites `heartbeatAt`; false (and never again true) when the lease was lost. */
  heartbeat(): boolean {
    if (!this.isStillOwner()) return false;
    this.record = { ...this.record, heartbeatAt: new Date(this.now()).toISOString() };
    writeAtomicSync(this.file, JSON.stringify(this.record, null, 2) + '\n');
    return true;
  }

  /** Heartbeats every `leaseMs / 3`; `onLost` is called once if the lease is lost. */
  startHeartbeat(onLost: () => void = () => {}): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        let ok = false;
        try {
          ok = this.heartbeat();
        } catch {
          // the heartbeat could not be written: the lease counts as lost, and onLost says so
          ok = false;
        }
        if (!ok) {
          this.stopHeartbeat();
          onLost();
        }
      },
      Math.max(10, Math.floor(this.record.leaseMs / 3)),
    );
    this.timer.unref();
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops the heartbeat and removes the file if it is still this owner's. */
  release(): void {
    this.stopHeartbeat();
    if (this.isStillOwner()) fs.rmSync(this.file, { force: true });
    this.lost = true;
  }
}

function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Moves the stale lease `judged` (null: an unreadable file) aside. True when the file is
 * gone (moved by us or by another claimant) and a claim may be tried again.
 */
function takeOverStale(file: string, judged: LeaseRecord | null): boolean {
  const aside = `${file}.stale-${crypto.randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true; // another claimant moved it
    throw err;
  }
  const moved = readLease(aside);
  const same = judged === null ? moved === null : moved !== null && moved.ownerId === judged.ownerId && moved.heartbeatAt === judged.heartbeatAt;
  if (same) return true;
  // We moved a live lease that replaced the stale one in between: put it back, never over another.
  try {
    fs.linkSync(aside, file);
    fs.rmSync(aside, { force: true });
  } catch {
    // a third claimant created one meanwhile: the owner of the moved lease sees it is no longer
    // its own (isStillOwner) and stops driving — two owners never coexist
  }
  return false;
}
