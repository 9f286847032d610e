import { strict as assert } from 'node:assert';
import { describe, it, mock } from 'node:test';
import { CoalescedReader } from '../../../src/core/util/coalescedReader';

/** A read the test finishes by hand; records how many ran and the most at once. */
function manualReads() {
  const finishers: (() => void)[] = [];
  let active = 0;
  const log = { started: 0, ended: 0, maxActive: 0 };
  const read = () =>
    new Promise<void>((resolve) => {
      log.started++;
      active++;
      log.maxActive = Math.max(log.maxActive, active);
      finishers.push(() => {
        active--;
        log.ended++;
        resolve();
      });
    });
  /** Ends the oldest read under way, then lets its promise callbacks run. */
  const finishNext = async () => {
    const f = finishers.shift();
    assert.ok(f, 'a read is under way');
    f();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { read, log, finishNext };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
};

describe('CoalescedReader', () => {
  it('now() while a read runs waits for a read that starts after the call; reads never overlap', async () => {
    const { read, log, finishNext } = manualReads();
    const reader = new CoalescedReader(read, 50);
    const first = reader.now();
    assert.equal(log.started, 1);
    const second = reader.now();
    assert.equal(log.started, 1, 'no second read while the first runs');
    await finishNext();
    assert.equal(await settled(first), true);
    assert.equal(await settled(second), false, 'the read under way started before the call: not enough');
    assert.equal(log.started, 2, 'the queued read starts once the first ends');
    await finishNext();
    assert.equal(await settled(second), true);
    assert.equal(log.maxActive, 1);
  });

  it('many calls during one read share one more read, not one each', async () => {
    const { read, log, finishNext } = manualReads();
    const reader = new CoalescedReader(read, 50);
    void reader.now();
    const waiting = [reader.now(), reader.now(), reader.now()];
    await finishNext();
    await finishNext();
    assert.equal(log.started, 2);
    for (const w of waiting) assert.equal(await settled(w), true);
    assert.equal(reader.busy, false);
  });

  it('a read that throws is reported; the next call reads again', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const reader = new CoalescedReader(
      async () => {
        calls++;
        if (calls === 1) throw new Error('EACCES');
      },
      50,
      (err) => errors.push(err),
    );
    await reader.now();
    assert.match(String(errors[0]), /EACCES/);
    await reader.now();
    assert.equal(calls, 2);
    assert.equal(errors.length, 1);
  });

  describe('schedule()', () => {
    it('reads at once after a quiet spell, once for a burst, and every delay under a steady stream (no starvation)', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
      let reads = 0;
      const reader = new CoalescedReader(async () => void reads++, 100);
      for (let i = 0; i < 5; i++) reader.schedule();
      t.mock.timers.tick(0);
      await Promise.resolve();
      assert.equal(reads, 1, 'a lone change is read at once, and the burst of one tick once');
      reader.schedule();
      t.mock.timers.tick(99);
      await Promise.resolve();
      assert.equal(reads, 1, 'the next read waits for the end of the window');
      t.mock.timers.tick(1);
      await Promise.resolve();
      assert.equal(reads, 2);
      // an event every 20 ms for a second: a resetting debounce would never read
      for (let ms = 0; ms < 1000; ms += 20) {
        reader.schedule();
        t.mock.timers.tick(20);
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      assert.ok(reads >= 11 && reads <= 13, `read ${reads} times during a second of events every 20 ms (one per 100 ms)`);
    });

    it('after dispose nothing reads, and now() resolves at once', async () => {
      const mocked = mock.fn(async () => undefined);
      const reader = new CoalescedReader(mocked, 10);
      reader.schedule();
      reader.dispose();
      await reader.now();
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(mocked.mock.callCount(), 0);
    });
  });
});
