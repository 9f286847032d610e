/**
 * The owner lease (`src/engine/run/lease.ts`) and adoption (`src/engine/attempt/adopt.ts`) with real
 * files and real processes: racing claimants (exactly one wins, on a fresh and on a stale
 * lease), stale takeover, heartbeat, loss, release; a live runner recognised by its token and
 * a reused pid (a live process without the token) refused.
 *
 * Run: node --import tsx --test test/engine/run/lease.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLineOf, isRunnerAlive, pidExists } from '../../../src/engine/attempt/adopt.js';
import { Lease, LeaseHeldError, readLease, staleReason, type LeaseRecord } from '../../../src/engine/run/lease.js';
import { REPO_ROOT, spawnProcess, tempDir, waitFor } from '../helpers.js';

const CLAIMANT = path.join(REPO_ROOT, 'test', 'engine', 'fixtures', 'claim-lease.ts');

function staleRecord(overrides: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    ownerId: 'old-owner',
    pid: process.pid,
    hostname: 'another-host.invalid',
    acquiredAt: '2020-01-01T00:00:00.000Z',
    heartbeatAt: '2020-01-01T00:00:00.000Z',
    leaseMs: 15_000,
    ...overrides,
  };
}

describe('Lease in one process', () => {
  it('claim creates the file; a second claim gets LeaseHeldError naming the holder', () => {
    const file = path.join(tempDir(), 'runs', 'f.lease');
    const a = Lease.claim(file, { ownerId: 'A' });
    const rec = readLease(file)!;
    assert.deepEqual([rec.ownerId, rec.pid, rec.hostname, rec.leaseMs], ['A', process.pid, os.hostname(), 15_000]);
    assert.throws(
      () => Lease.claim(file, { ownerId: 'B' }),
      (e: unknown) => e instanceof LeaseHeldError && e.holder?.ownerId === 'A' && /driven by another engine: pid \d+/.test(e.message),
    );
    assert.equal(a.isStillOwner(), true);
    a.release();
    assert.equal(fs.existsSync(file), false);
    assert.equal(a.isStillOwner(), false);
  });

  it('a stale lease (old heartbeat) is taken over and kept aside; a live one on another host is not', () => {
    const dir = tempDir();
    const file = path.join(dir, 'f.lease');
    fs.writeFileSync(file, JSON.stringify(staleRecord()));
    const b = Lease.claim(file, { ownerId: 'B' });
    assert.equal(readLease(file)!.ownerId, 'B');
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith('f.lease.stale-'));
    assert.equal(aside.length, 1, 'the stale lease is kept, renamed');
    assert.equal(readLease(path.join(dir, aside[0]!))!.ownerId, 'old-owner');
    b.release();
    fs.writeFileSync(file, JSON.stringify(staleRecord({ heartbeatAt: new Date().toISOString() })));
    assert.throws(() => Lease.claim(file, { ownerId: 'C' }), LeaseHeldError);
  });

  it('same host and a dead pid: stale even with a fresh heartbeat', async () => {
    const dead = spawnProcess([process.execPath, '-e', '']);
    await dead.exited;
    const r = staleRecord({ hostname: os.hostname(), pid: dead.child.pid!, heartbeatAt: new Date().toISOString() });
    assert.match(staleReason(r, Date.now())!, /is gone/);
    assert.equal(staleReason({ ...r, pid: process.pid }, Date.now()), null);
    const file = path.join(tempDir(), 'f.lease');
    fs.writeFileSync(file, JSON.stringify(r));
    assert.equal(Lease.claim(file, { ownerId: 'D' }).ownerId, 'D');
  });

  it('an unreadable lease file counts as held while young, stale when older than a lease', () => {
    const file = path.join(tempDir(), 'f.lease');
    fs.writeFileSync(file, '');
    assert.throws(() => Lease.claim(file, { leaseMs: 60_000 }), /being claimed by another engine/);
    const later = Date.now() + 120_000;
    const lease = Lease.claim(file, { leaseMs: 60_000, now: () => later });
    assert.equal(lease.isStillOwner(), true);
  });

  it('heartbeat moves heartbeatAt; a lease taken by another is lost for good', () => {
    const file = path.join(tempDir(), 'f.lease');
    let t = Date.parse('2026-01-01T00:00:00Z');
    const a = Lease.claim(file, { ownerId: 'A', leaseMs: 1000, now: () => t });
    t += 500;
    assert.equal(a.heartbeat(), true);
    assert.equal(readLease(file)!.heartbeatAt, '2026-01-01T00:00:00.500Z');
    // A stalls past its lease; B takes over.
    t += 5000;
    const b = Lease.claim(file, { ownerId: 'B', leaseMs: 1000, now: () => t });
    assert.equal(a.isStillOwner(), false);
    assert.equal(a.heartbeat(), false, 'a lost lease is never written again');
    assert.equal(readLease(file)!.ownerId, 'B');
    a.release();
    assert.equal(readLease(file)!.ownerId, 'B', "releasing a lost lease leaves the new owner's file alone");
    assert.equal(b.isStillOwner(), true);
  });

  it('startHeartbeat keeps the lease fresh and reports a loss once', async () => {
    const file = path.join(tempDir(), 'f.lease');
    const a = Lease.claim(file, { ownerId: 'A', leaseMs: 90 });
    const first = readLease(file)!.heartbeatAt;
    let lost = 0;
    a.startHeartbeat(() => lost++);
    await waitFor(() => readLease(file)!.heartbeatAt !== first, 'a heartbeat');
    fs.writeFileSync(file, JSON.stringify(staleRecord({ ownerId: 'intruder' })));
    await waitFor(() => lost === 1, 'the loss to be reported');
    assert.equal(readLease(file)!.ownerId, 'intruder');
    a.release();
  });
});

describe('Lease across real processes', () => {
  async function race(n: number, prepare: (file: string) => void): Promise<string[]> {
    const dir = tempDir();
    const file = path.join(dir, 'runs', 'f.lease');
    fs.mkdirSync(path.dirname(file));
    prepare(file);
    const go = path.join(dir, 'go');
    const done = path.join(dir, 'done');
    const procs = Array.from({ length: n }, () => spawnProcess([process.execPath, '--import', 'tsx', CLAIMANT, file, go, done, '5000'], { cwd: REPO_ROOT }));
    // Every claimant is up and polling for the go file before it appears.
    await waitFor(() => procs.every((p) => p.child.pid !== undefined), 'the claimants');
    await new Promise((r) => setImmediate(r));
    fs.writeFileSync(go, '');
    let exited = 0;
    for (const p of procs) void p.exited.then(() => exited++);
    await waitFor(
      () => {
        if (exited > 0 && procs.some((p) => p.child.exitCode !== null && p.child.exitCode !== 0)) {
          throw new Error(`a claimant failed: ${procs.map((p) => p.stderr()).join('\n')}`);
        }
        return procs.filter((p) => /^(won|held)/m.test(p.stdout())).length === n;
      },
      'every claimant to answer',
      60_000,
    );
    fs.writeFileSync(done, '');
    await Promise.all(procs.map((p) => p.exited));
    for (const p of procs) assert.equal(p.stderr().replace(/npm warn.*\n/g, ''), '');
    return procs.map((p) => p.stdout().trim());
  }

  it('claimants racing for a free lease: exactly one wins and keeps it', async () => {
    const outs = await race(3, () => {});
    const winners = outs.filter((o) => o.startsWith('won'));
    assert.equal(winners.length, 1, outs.join(' | '));
    assert.match(winners[0]!, /\nstill-owner$/);
    assert.equal(outs.filter((o) => o === 'held').length, 2);
  });

  it('claimants racing for a stale lease: exactly one wins the takeover', async () => {
    const outs = await race(3, (file) => fs.writeFileSync(file, JSON.stringify(staleRecord())));
    assert.equal(outs.filter((o) => o.startsWith('won')).length, 1, outs.join(' | '));
    assert.ok(outs.filter((o) => o.startsWith('won'))[0]!.endsWith('still-owner'));
  });
});

describe('isRunnerAlive', () => {
  it('a live process whose argv holds the token → true; another token → false', async () => {
    const token = 'tok-' + Math.random().toString(36).slice(2);
    const p = spawnProcess([process.execPath, '-e', 'setInterval(() => {}, 1000)', 'runner.js', '/attempt', token]);
    try {
      assert.equal(await isRunnerAlive(p.child.pid!, token), true);
      assert.equal(await isRunnerAlive(p.child.pid!, 'tok-other'), false);
      assert.ok((await commandLineOf(p.child.pid!))!.includes(token));
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });

  it('a reused pid (a live process without the token) → false; a dead pid → false', async () => {
    const stranger = spawnProcess([process.execPath, '-e', 'setInterval(() => {}, 1000)']);
    try {
      assert.equal(pidExists(stranger.child.pid!), true);
      assert.equal(await isRunnerAlive(stranger.child.pid!, 'tok-abc'), false);
    } finally {
      stranger.child.kill('SIGKILL');
      await stranger.exited;
    }
    assert.equal(pidExists(stranger.child.pid!), false);
    assert.equal(await isRunnerAlive(stranger.child.pid!, 'tok-abc'), false);
    assert.equal(await isRunnerAlive(-1, 'tok-abc'), false);
    assert.equal(await isRunnerAlive(process.pid, ''), false);
  });
});
