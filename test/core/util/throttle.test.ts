import { strict as assert } from 'node:assert';
import { describe, it, type TestContext } from 'node:test';
import { Throttle } from '../../../src/core/util/throttle';

/** A 16 ms throttle on mocked timers and clock, and how often it called. */
function counted(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000 });
  let n = 0;
  return { throttle: new Throttle(16, () => n++), calls: () => n };
}

describe('Throttle', () => {
  it('calls on the next macrotask after a quiet spell, once for every schedule() of that tick', (t) => {
    const { throttle, calls } = counted(t);
    throttle.schedule();
    throttle.schedule();
    assert.equal(calls(), 0, 'not synchronously: the events of one tick make one call');
    assert.equal(throttle.pending, true);
    t.mock.timers.tick(0);
    assert.equal(calls(), 1);
    assert.equal(throttle.pending, false);
  });

  it('within the window, waits for its end; every schedule() meanwhile shares that call', (t) => {
    const { throttle, calls } = counted(t);
    throttle.schedule();
    t.mock.timers.tick(0);
    t.mock.timers.tick(5);
    throttle.schedule();
    throttle.schedule();
    t.mock.timers.tick(10);
    assert.equal(calls(), 1, '15 ms after the first call: still inside its window');
    t.mock.timers.tick(1);
    assert.equal(calls(), 2, 'at 16 ms after the first call');
    t.mock.timers.tick(100);
    assert.equal(calls(), 2, 'nothing more without a schedule()');
    throttle.schedule();
    t.mock.timers.tick(0);
    assert.equal(calls(), 3, 'after a quiet spell: at once again');
  });

  it('a steady stream of events calls once per window, not never (no starvation)', (t) => {
    const { throttle, calls } = counted(t);
    for (let ms = 0; ms < 160; ms += 2) {
      throttle.schedule();
      t.mock.timers.tick(2);
    }
    assert.ok(calls() >= 10 && calls() <= 11, `${calls()} calls in 160 ms of events every 2 ms`);
  });

  it('after dispose nothing is called', (t) => {
    const { throttle, calls } = counted(t);
    throttle.schedule();
    throttle.dispose();
    throttle.schedule();
    t.mock.timers.tick(100);
    assert.equal(calls(), 0);
    assert.equal(throttle.pending, false);
  });
});
