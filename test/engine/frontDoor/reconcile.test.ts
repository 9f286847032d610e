/**
 * The front door's recovery: what a run found on disk needs (followed under a live lease,
 * offered when work is left, finished), packages put back to pending under the lease, and
 * cancel requests only to a live driver — on real files.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { leaseFile, runDir } from '../../../src/core/run/runPaths';
import { LeaseHeldError, askDriverToCancel, readRun, reconcileRun, resetPackages } from '../../../src/engine';
import { tempDir } from '../helpers';
import { ended, writeLease, writeRunState } from './fixtures';

const never = async () => false;

describe('reconcileRun', () => {
  it('followed under a live lease; offered when work is left; finished otherwise', async () => {
    const repo = tempDir();
    const left = writeRunState(repo, 'f', ['a', 'b'], (s) => {
      s.packages.a!.status = 'succeeded';
      s.packages.b!.status = 'interrupted';
    });
    writeLease(repo, 'f', 'live');
    const followed = await reconcileRun(repo, left, never);
    assert.equal(followed.kind, 'followed');
    assert.match(followed.kind === 'followed' ? followed.holder : '', /^pid \d+ on /);
    writeLease(repo, 'f', 'stale');
    assert.deepEqual(await reconcileRun(repo, left, never), { kind: 'offer', left: ['b'] });
    const done = writeRunState(repo, 'f', ['a'], (s) => void (s.packages.a!.status = 'succeeded'));
    assert.deepEqual(await reconcileRun(repo, done, never), { kind: 'finished' });
  });
});

describe('resetPackages', () => {
  it('puts the chosen statuses back to pending under the lease; refused while another process drives', async () => {
    const repo = tempDir();
    writeRunState(repo, 'f', ['a', 'b', 'c'], (s) => {
      ended(s, 'a', 'failed');
      ended(s, 'b', 'succeeded');
      ended(s, 'c', 'failed');
    });
    writeLease(repo, 'f', 'live');
    await assert.rejects(resetPackages(repo, 'f', ['failed']), LeaseHeldError);
    fs.rmSync(leaseFile(repo, 'f'));
    assert.deepEqual(await resetPackages(repo, 'f', ['failed'], ['a']), ['a']);
    const r = readRun(repo, 'f');
    assert.ok(r.kind === 'ok');
    assert.deepEqual([r.state.packages.a!.status, r.state.packages.b!.status, r.state.packages.c!.status], ['pending', 'succeeded', 'failed']);
    assert.equal(fs.existsSync(leaseFile(repo, 'f')), false, 'the lease released');
    assert.deepEqual(await resetPackages(tempDir(), 'f', ['failed']), [], 'never run: nothing');
  });
});

describe('askDriverToCancel', () => {
  it('refused without a live driver (nothing written); with one, a cancel request for it', async () => {
    const repo = tempDir();
    writeRunState(repo, 'f', ['a']);
    const requests = () => {
      const dir = path.dirname(runDir(repo, 'f', 'x'));
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('cancel-request-')) : [];
    };
    const none = await askDriverToCancel(repo, 'f');
    assert.deepEqual(none, { ok: false, why: 'no engine drives f now' });
    writeLease(repo, 'f', 'stale');
    const stale = await askDriverToCancel(repo, 'f');
    assert.match(!stale.ok ? stale.why : '', /the lease of pid \d+ is stale: no heartbeat/);
    assert.deepEqual(requests(), []);
    writeLease(repo, 'f', 'live');
    const asked = await askDriverToCancel(repo, 'f', 'a');
    assert.ok(asked.ok);
    assert.equal(requests().length, 1);
  });
});
