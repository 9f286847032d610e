/**
 * Turns per repository (repoTurns.ts). The checkouts of one repository: at most the limit at
 * once, the rest in the order asked, a package starting now before a tree made ahead; another
 * repository has turns of its own. The calls that change its list of trees: one at a time, in
 * the order asked, a failed one passing its turn on.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { inCheckoutTurn, setCheckoutsAtOnce, worktreeListTurns } from '../../../src/engine/git/repoTurns';

/** A checkout the test ends by hand: `started` once it runs, `end()` lets it finish. */
function checkout(log: string[], name: string): { run: () => Promise<string>; end: () => void } {
  let end!: () => void;
  const done = new Promise<void>((r) => (end = r));
  return {
    run: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    end: () => end(),
  };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('checkout turns', () => {
  let was = 0;
  afterEach(() => setCheckoutsAtOnce(was));

  test('at most the limit at once; the rest start as slots free, packages starting now before trees made ahead', async () => {
    was = setCheckoutsAtOnce(2);
    const log: string[] = [];
    const c = Object.fromEntries(['a', 'b', 'ahead1', 'c', 'ahead2', 'd'].map((n) => [n, checkout(log, n)]));
    const results = [
      inCheckoutTurn('/r', false, c.a!.run),
      inCheckoutTurn('/r', false, c.b!.run),
      inCheckoutTurn('/r', true, c.ahead1!.run),
      inCheckoutTurn('/r', false, c.c!.run),
      inCheckoutTurn('/r', true, c.ahead2!.run),
      inCheckoutTurn('/r', false, c.d!.run),
      // Another repository: its own turns.
      inCheckoutTurn('/other', false, async () => 'other'),
    ];
    await tick();
    assert.deepEqual(log, ['start a', 'start b']);
    c.a!.end();
    await tick();
    await tick();
    assert.deepEqual(log.slice(2), ['end a', 'start c'], 'c, a package starting now, before the tree made ahead asked before it');
    c.b!.end();
    c.c!.end();
    await tick();
    await tick();
    assert.deepEqual(log.slice(4).filter((l) => l.startsWith('start')), ['start d', 'start ahead1']);
    c.d!.end();
    c.ahead1!.end();
    c.ahead2!.end();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'ahead1', 'c', 'ahead2', 'd', 'other']);
    assert.equal(log.filter((l) => l.startsWith('start')).length, 6);
  });

  test('a checkout that throws passes its slot on', async () => {
    was = setCheckoutsAtOnce(1);
    const failing = inCheckoutTurn('/r', false, async () => {
      throw new Error('git worktree add failed');
    });
    const next = inCheckoutTurn('/r', false, async () => 'next');
    await assert.rejects(failing, /git worktree add failed/);
    assert.equal(await next, 'next');
  });
});

describe('turns of the calls that change a repository\'s list of trees', () => {
  test('one at a time per repository, in the order asked (one path spelled two ways is one repository); a failed call passes its turn on; another repository is not held', async () => {
    const log: string[] = [];
    const c = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, checkout(log, n)]));
    const a = worktreeListTurns.run('/r', c.a!.run);
    const failing = worktreeListTurns.run('/r/', async () => {
      log.push('start failing');
      throw new Error('git worktree remove failed');
    });
    const b = worktreeListTurns.run('/r/x/..', c.b!.run);
    const other = worktreeListTurns.run('/other', c.c!.run);
    await tick();
    assert.deepEqual(log, ['start a', 'start c'], 'the second repository goes on while the first holds its turn');
    c.a!.end();
    await assert.rejects(failing, /git worktree remove failed/);
    await tick();
    assert.deepEqual(log.slice(2), ['end a', 'start failing', 'start b']);
    c.b!.end();
    c.c!.end();
    assert.deepEqual(await Promise.all([a, b, other]), ['a', 'b', 'c']);
  });
});
