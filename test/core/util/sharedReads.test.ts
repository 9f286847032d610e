import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { SharedReads } from '../../../src/core/util/sharedReads';

/** Reads the test ends by hand: the nth read (from 1) resolves to n, or rejects when told. */
function manualReads() {
  const pending: { n: number; end: (fail?: Error) => void }[] = [];
  let started = 0;
  const read = () =>
    new Promise<number>((resolve, reject) => {
      const n = ++started;
      pending.push({ n, end: (fail) => (fail ? reject(fail) : resolve(n)) });
    });
  const flush = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  /** Ends the oldest read under way (`fail`: with that error), then lets the callbacks run. */
  const endNext = async (fail?: Error) => {
    await flush(); // a read begins a microtask after its call
    const p = pending.shift();
    assert.ok(p, 'a read is under way');
    p.end(fail);
    await flush();
  };
  return { read, endNext, flush, started: () => started, underWay: () => pending.map((p) => p.n) };
}

/** What a promise came to so far: its value, its error's message, or 'pending'. */
function watch<T>(p: Promise<T>) {
  let state: T | string = 'pending';
  p.then(
    (v) => (state = v),
    (e: Error) => (state = `error: ${e.message}`),
  );
  return () => state;
}

describe('SharedReads', () => {
  it('any() shares the read under way, whenever it began; with none under way it reads', async () => {
    const m = manualReads();
    const reads = new SharedReads(m.read);
    const a = watch(reads.any());
    const b = watch(reads.any());
    await m.flush();
    assert.equal(m.started(), 1);
    await m.endNext();
    assert.deepEqual([a(), b()], [1, 1]);
    const c = watch(reads.any());
    await m.flush();
    assert.equal(m.started(), 2, 'the first read ended: a new one');
    await m.endNext();
    assert.equal(c(), 2);
  });

  it('after() never takes a read begun before the call: it gets the one queued behind it, shared by a burst of callers', async () => {
    const m = manualReads();
    const reads = new SharedReads(m.read);
    const early = watch(reads.after());
    await m.flush();
    assert.deepEqual(m.underWay(), [1], 'nothing under way: it reads at once');
    const burst = Array.from({ length: 5 }, () => watch(reads.after()));
    await m.flush();
    assert.deepEqual(m.underWay(), [1], 'the burst waits for the read under way to end; none overlaps it');
    await m.endNext();
    assert.equal(early(), 1);
    assert.deepEqual(burst.map((b) => b()), ['pending', 'pending', 'pending', 'pending', 'pending'], 'read 1 began before the burst: not theirs');
    assert.deepEqual(m.underWay(), [2], 'one read for the whole burst');
    await m.endNext();
    assert.deepEqual(burst.map((b) => b()), [2, 2, 2, 2, 2]);
    assert.equal(m.started(), 2);
  });

  it('after() takes a read another caller began once the one it waited for ended; any() then shares the queued read', async () => {
    const m = manualReads();
    const reads = new SharedReads(m.read);
    watch(reads.any());
    const late = watch(reads.after());
    await m.endNext();
    // the queued read is under way now: any() shares it, after() queues behind it
    const shared = watch(reads.any());
    const later = watch(reads.after());
    await m.flush();
    assert.deepEqual(m.underWay(), [2]);
    await m.endNext();
    assert.deepEqual([late(), shared(), later()], [2, 2, 'pending']);
    await m.endNext();
    assert.equal(later(), 3);
  });

  it('a failed read fails every caller sharing it, and the next call reads again; a failure before it does not fail after()', async () => {
    const m = manualReads();
    const reads = new SharedReads(m.read);
    const first = watch(reads.any());
    const queued = [watch(reads.after()), watch(reads.after())];
    await m.endNext(new Error('status failed'));
    assert.equal(first(), 'error: status failed');
    assert.deepEqual(queued.map((q) => q()), ['pending', 'pending'], 'their read begins after the failed one');
    await m.endNext(new Error('again'));
    assert.deepEqual(queued.map((q) => q()), ['error: again', 'error: again']);
    const next = watch(reads.after());
    await m.flush();
    assert.equal(m.started(), 3);
    await m.endNext();
    assert.equal(next(), 3);
  });

  it('a read that throws at once is a rejection of its callers, not a throw', async () => {
    const reads = new SharedReads<number>(() => {
      throw new Error('no git');
    });
    await assert.rejects(reads.any(), /no git/);
    await assert.rejects(reads.after(), /no git/);
  });
});
