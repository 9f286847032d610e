/**
 * `withTimeout` (src/util/timeout.ts): a promise held to a time limit — its own value or error
 * when it settles first, `late()`'s value (or throw) when the limit passes first.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { withTimeout } from '../../src/util/timeout';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withTimeout', () => {
  it('settles with the promise when it is first', async () => {
    assert.equal(await withTimeout(after(5, 'value'), 1_000, () => 'late'), 'value');
    await assert.rejects(withTimeout(Promise.reject(new Error('its own')), 1_000, () => 'late'), /its own/);
    await assert.rejects(withTimeout(Promise.reject('a string'), 1_000, () => 'late'), (err: unknown) => err instanceof Error && err.message === 'a string');
  });

  it("gives late()'s value, or its throw, when the limit is first", async () => {
    assert.equal(await withTimeout(after(1_000, 'value'), 5, () => undefined), undefined);
    await assert.rejects(
      withTimeout(after(1_000, 'value'), 5, () => {
        throw new Error('no answer in time');
      }),
      /no answer in time/,
    );
  });

  it('takes a thenable that is not a promise (a VS Code Thenable)', async () => {
    const thenable: PromiseLike<number> = { then: (ok, _no) => Promise.resolve(7).then(ok) as never };
    assert.equal(await withTimeout(thenable, 1_000, () => -1), 7);
  });
});
