/**
 * Turns per repository: at most a limit of calls for one repository at once, the rest waiting
 * first come first served — one turn mechanism, a limit per use:
 * - `worktreeListTurns`, one at a time: the `git worktree` calls that change a repository's list
 *   of trees (gitRun.ts; git keeps no lock on `.git/worktrees/`).
 * - `inCheckoutTurn`, one per core (`availableParallelism`): writing a new tree's files. On a disk
 *   that is the bound (a repository of tens of thousands of files), trees written all at once all
 *   end together, at the end, and no agent starts before; a few at a time they stream out, the
 *   first in seconds, in the same total. A package starting now goes before a tree made ahead
 *   (ADR 0016). A tree's half-made state after a stop is halfMade.ts's; this only orders calls.
 * - `layerGitTurns`, one at a time per layered tree: the engine's gits there (gitRun.ts), each
 *   mounting the tree's overlay on one scratch folder.
 */
import os from 'node:os';
import path from 'node:path';

interface Waiting {
  ahead: boolean;
  go: () => void;
}

/** The turns of one use: a call per repository (keyed by its resolved path) runs when fewer than `limit()` of its run. */
class RepoTurns {
  private readonly turns = new Map<string, { running: number; waiting: Waiting[] }>();
  constructor(private readonly limit: () => number) {}

  /** `fn` in `repo`'s turn: at once when fewer than the limit run, else after them (`ahead`: after every call not `ahead`). */
  async run<T>(repo: string, fn: () => Promise<T>, ahead = false): Promise<T> {
    const key = path.resolve(repo);
    let turn = this.turns.get(key);
    if (!turn) this.turns.set(key, (turn = { running: 0, waiting: [] }));
    const t = turn;
    if (t.running >= this.limit()) {
      await new Promise<void>((go) => {
        const w = { ahead, go };
        // A call not made ahead goes before every one made ahead that waits.
        const at = ahead ? -1 : t.waiting.findIndex((x) => x.ahead);
        if (at < 0) t.waiting.push(w);
        else t.waiting.splice(at, 0, w);
      });
    } else t.running++;
    try {
      return await fn();
    } finally {
      const next = t.waiting.shift();
      if (next) next.go(); // its slot passes on
      else if (--t.running === 0) this.turns.delete(key);
    }
  }
}

/** The `git worktree` calls that change a repository's list of trees, one at a time per repository. */
export const worktreeListTurns = new RepoTurns(() => 1);

/** The engine's gits in a layered tree (keyed by the tree), one at a time: each mounts its layer on the process's one scratch folder. */
export const layerGitTurns = new RepoTurns(() => 1);

let checkoutsAtOnce = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
const checkoutTurns = new RepoTurns(() => checkoutsAtOnce);

/** Sets how many checkouts of one repository run at once (the bench compares); Infinity: no limit. Returns the one before. */
export function setCheckoutsAtOnce(n: number): number {
  const was = checkoutsAtOnce;
  checkoutsAtOnce = Math.max(1, n);
  return was;
}

/** Runs `checkout` (writing a new tree's files) in `repo`'s checkout turn (`ahead`: a tree made ahead, after every package starting now). */
export function inCheckoutTurn<T>(repo: string, ahead: boolean, checkout: () => Promise<T>): Promise<T> {
  return checkoutTurns.run(repo, checkout, ahead);
}
