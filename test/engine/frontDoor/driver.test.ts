/**
 * The front door's "who drives this run": the owner lease read only — live, stale (no
 * heartbeat, or a dead process on this host) or none — on real files.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { leaseFile } from '../../../src/core/run/runPaths';
import { Lease } from '../../../src/engine/run/lease';
import { describeDriver, driverOf, liveDriver } from '../../../src/engine';
import { tempDir } from '../helpers';
import { writeLease } from './fixtures';

describe('driverOf / liveDriver', () => {
  it('none: no lease file', () => {
    const repo = tempDir();
    assert.equal(driverOf(repo, 'f'), null);
    assert.equal(liveDriver(repo, 'f'), null);
  });

  it('a live lease: alive, named by pid and host', () => {
    const repo = tempDir();
    const lease = Lease.claim(leaseFile(repo, 'f'));
    try {
      const d = driverOf(repo, 'f');
      assert.ok(d);
      assert.equal(d.alive, true);
      assert.equal(d.stale, null);
      assert.equal(d.pid, process.pid);
      assert.equal(d.ownerId, lease.ownerId);
      assert.equal(liveDriver(repo, 'f'), `pid ${process.pid} on ${os.hostname()}`);
      assert.equal(describeDriver(d), liveDriver(repo, 'f'));
    } finally {
      lease.release();
    }
    assert.equal(driverOf(repo, 'f'), null, 'released: nobody');
  });

  it('a stale lease (no heartbeat): named, not alive, with why; nobody drives', () => {
    const repo = tempDir();
    writeLease(repo, 'f', 'stale');
    const d = driverOf(repo, 'f');
    assert.ok(d);
    assert.equal(d.alive, false);
    assert.match(d.stale ?? '', /^no heartbeat since /);
    assert.equal(liveDriver(repo, 'f'), null);
  });

  it('a fresh heartbeat of a process that is gone on this host is stale too', () => {
    const repo = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    writeLease(repo, 'f', 'live');
    const file = leaseFile(repo, 'f');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), pid }));
    const d = driverOf(repo, 'f');
    assert.equal(d?.alive, false);
    assert.equal(d?.stale, `its process ${pid} is gone`);
    assert.equal(liveDriver(repo, 'f'), null);
  });

  it('a lease file that is not a lease record is nobody', () => {
    const repo = tempDir();
    fs.mkdirSync(path.dirname(leaseFile(repo, 'f')), { recursive: true });
    fs.writeFileSync(leaseFile(repo, 'f'), '{"half":');
    assert.equal(driverOf(repo, 'f'), null);
  });
});
