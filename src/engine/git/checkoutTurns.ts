/**
 * How many trees of one repository are checked out at once. `git worktree add` writes every file
 * of the tree: on a disk that is the bound (as it is for a repository of tens of thousands of
 * files), trees made all at once all end together, at the end, and no agent starts before; made a
 * few at a time they stream out, the first in seconds, in the same total. At most one per core
 * (`availableParallelism`), a package starting now before a tree made ahead (ADR 0016).
 * A tree's half-made state after a stop is halfMade.ts's; this only orders the checkouts.
 */
import os from 'node:os';
import path from 'node:path';

interface Waiting {
  ahead: boolean;
  go: () => void;
}

let atOnce = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
const turns = new Map<string, { running: number; waiting: Waiting[] }>();

/** Sets how many checkouts of one repository run at once (the bench compares); Infinity: no limit. Returns the one before. */
export function setCheckoutsAtOnce(n: number): number {
  const was = atOnce;
  atOnce = Math.max(1, n);
  return was;
}

/** Runs `checkout` in `repo`'s turn: at once when fewer than the limit run, else after them (`ahead`: after every package starting now). */
export async function inCheckoutTurn<T>(repo: string, ahead: boolean, checkout: () => Promise<T>): Promise<T> {
  const key = path.resolve(repo);
  let turn = turns.get(key);
  if (!turn) turns.set(key, (turn = { running: 0, waiting: [] }));
  const t = turn;
  if (t.running >= atOnce) {
    await new Promise<void>((go) => {
      const w = { ahead, go };
      // A starting package goes before every tree made ahead that waits.
      const at = ahead ? -1 : t.waiting.findIndex((x) => x.ahead);
      if (at < 0) t.waiting.push(w);
      else t.waiting.splice(at, 0, w);
    });
  } else t.running++;
  try {
    return await checkout();
  } finally {
    const next = t.waiting.shift();
    if (next) next.go(); // its slot passes on
    else if (--t.running === 0) turns.delete(key);
  }
}
