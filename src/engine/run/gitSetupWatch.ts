/**
 * The repository's git set-up at each exit (docs/security.md, promise 3): compared
 * with the one the run started with (kept by the loop's set-up); a difference is put back at
 * once and what was found moved to `.waves/quarantine/<run>/<time>-<package>/` (setupRestore.ts),
 * and the package is a scope violation saying so. The engine cannot tell which of the agents
 * running then changed it, so every attempt that was under way when it was found — launched
 * before, its exit judged after — is held too, naming where it was found. One check at a time:
 * two exits never restore at once.
 */
import path from 'node:path';
import { describeSetupChanges } from '../../core/git/gitSetup';
import { quarantineDir } from '../../core/run/runPaths';
import { restoreGitSetup, type SetupRestore } from '../git';
import { toPosix, type RunContext } from './context';

interface Finding {
  /** When it was found and put back (ms). */
  at: number;
  /** The package whose exit found it. */
  by: string;
  restore: SetupRestore;
}

export class GitSetupWatch {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly findings: Finding[] = [];

  constructor(private readonly ctx: RunContext) {}

  /** Why package `id`'s attempt breached the git set-up (found now and put back, or found during it), or null. */
  check(id: string): Promise<string | null> {
    const turn = this.queue.then(() => this.checkNow(id));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async checkNow(id: string): Promise<string | null> {
    const { ctx } = this;
    const kept = ctx.gitSetup;
    if (!kept) return null;
    const attempt = ctx.state.packages[id]?.attempts ?? 0;
    const now = new Date();
    const restore = await restoreGitSetup(kept, quarantineDir(ctx.repoRoot, ctx.state.runId, now, id), `package ${id}'s attempt ${attempt} (run ${ctx.state.runId} of ${ctx.featureId})`, now);
    if (restore) {
      this.findings.push({ at: Date.now(), by: id, restore });
      return `the repository's git set-up changed while it ran (${describeSetupChanges(restore.changes)}): hooks and git configuration are not a package's to change; the engine ran none of it, ${this.done(restore)}`;
    }
    // Found at another exit while this attempt ran: this agent may be the one that did it.
    const since = ctx.attempts.launchedAt(id) ?? 0;
    const found = this.findings.filter((f) => f.at >= since && f.by !== id);
    if (found.length === 0) return null;
    const f = found[0]!;
    return `the repository's git set-up changed while it ran (${describeSetupChanges(f.restore.changes)}, found when ${f.by}'s attempt ended; the engine ${this.done(f.restore)}): it cannot tell which agent running then did it, so nothing of this package merges either`;
  }

  /** What the engine did about it, for a person: `put the run's start set-up back and moved what it found to …`. */
  private done(restore: SetupRestore): string {
    const folder = `${toPosix(path.relative(this.ctx.repoRoot, restore.quarantine))}/`;
    const moved = `moved what it found to ${folder} (README.txt there says what each thing was and where it was found)`;
    if (restore.notRestored.length === 0) return `put the run's start set-up back and ${moved}`;
    const left = restore.notRestored.map((l) => `.git/${l.name} (${l.why ?? '?'})`).join(', ');
    return `put back what it could and ${moved}; NOT put back: ${left} — put it back yourself: every later exit is held until then`;
  }
}
