/**
 * Whose run a run state is (src/engine/consent/machine.ts, ADR 0027): this machine's id does not
 * change with the person's folder ($HOME, WAVES_CONFIG_DIR), the person's does; and
 * `foreignReason` says "another machine" only when the machine is another — for states that
 * carry both ids and for states written before (only `machine`, which held the person's id).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { foreignReason, machineId, personId, thisDriver, type Driver } from '../../../src/engine/consent/machine';

const M = 'a'.repeat(64);
const P = 'b'.repeat(64);
const here: Driver = { machine: M, person: P, folder: '/home/me/.config/wave-orchestrator' };

describe('foreignReason', () => {
  it('both ids this machine\'s and this person\'s: not foreign', () => {
    assert.equal(foreignReason({ machine: M, person: P }, here), null);
  });

  it('another machine: said only when the machine differs (whoever the person)', () => {
    assert.equal(foreignReason({ machine: 'c'.repeat(64), person: P }, here), 'it was started on another machine');
    assert.equal(foreignReason({ machine: 'c'.repeat(64), person: 'd'.repeat(64) }, here), 'it was started on another machine');
  });

  it('this machine, another person (sudo, another $HOME, a container sharing the checkout): said so, naming the folder here', () => {
    const why = foreignReason({ machine: M, person: 'd'.repeat(64) }, here);
    assert.equal(why, 'it was started on this machine, but by another user or under another home folder (not with /home/me/.config/wave-orchestrator)');
    assert.doesNotMatch(why!, /another machine/);
  });

  it('no id at all (it came with a repository): the old words', () => {
    assert.equal(foreignReason({}, here), 'it does not say it was started on this machine (it may have come with the repository)');
    assert.equal(foreignReason({ person: P }, here), 'it does not say it was started on this machine (it may have come with the repository)');
  });

  it('a state written before ADR 0027 (only `machine`, the person\'s id then): this person\'s when it matches; else it does not say which', () => {
    assert.equal(foreignReason({ machine: P }, here), null);
    const why = foreignReason({ machine: 'e'.repeat(64) }, here);
    assert.equal(why, 'it was started on another machine, or on this one by another user or under another home folder (its state, written by an earlier version, does not say which)');
    // An older build drove it since a newer one stamped both: it wrote its (person's) id into `machine`.
    assert.equal(foreignReason({ machine: P, person: P }, here), null);
    assert.match(foreignReason({ machine: 'e'.repeat(64), person: 'e'.repeat(64) }, here)!, /does not say which/);
  });
});

describe('machineId and personId', () => {
  it('the machine\'s id is the same under any folder of the person; the person\'s changes with it and is kept there', () => {
    const one = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-person-'));
    const two = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-person-'));
    const a = thisDriver({ ...process.env, WAVES_CONFIG_DIR: one });
    const b = thisDriver({ ...process.env, WAVES_CONFIG_DIR: two, HOME: two });
    assert.equal(a.machine, b.machine);
    assert.equal(a.machine, machineId());
    assert.notEqual(a.person, b.person);
    assert.equal(a.folder, one);
    assert.match(a.machine, /^[0-9a-f]{64}$/);
    assert.match(a.person, /^[0-9a-f]{64}$/);
    // The person's id: as before ADR 0027, from the secret in their folder (states stamped then stay theirs).
    const secret = fs.readFileSync(path.join(one, 'machine-id'), 'utf8').trim();
    assert.equal(personId({ ...process.env, WAVES_CONFIG_DIR: one }), createHash('sha256').update(`wave-orchestrator machine ${secret}`).digest('hex'));
    assert.equal(fs.statSync(path.join(one, 'machine-id')).mode & 0o777, 0o600);
    // The machine's: never the raw id (it is hashed), from the system's id where there is one.
    const raw = ['/etc/machine-id', '/var/lib/dbus/machine-id'].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '')).find((t) => /^[0-9a-f]{32}$/.test(t));
    if (raw) {
      assert.equal(a.machine, createHash('sha256').update(`wave-orchestrator machine-of id ${raw}`).digest('hex'));
      assert.notEqual(a.machine, raw);
    }
    // A state this driver stamped is its own, and the other person's on this machine is not another machine's.
    assert.equal(foreignReason({ machine: a.machine, person: a.person }, a), null);
    assert.match(foreignReason({ machine: a.machine, person: a.person }, b)!, /^it was started on this machine, but by another user/);
  });
});
