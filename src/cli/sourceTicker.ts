/**
 * `waves run --tick-source`: as each package of a converted plan succeeds, its tasks are ticked in
 * the task list the plan came from (use case tickSource.ts), one file write at a time; at the
 * run's end every package that succeeded is ticked again (idempotent), so a tick missed by a
 * restart is made up for. What was ticked, and why not, is said as a progress note.
 */
import { tickSourceTasks, type TickSourceOutcome } from '../engine';
import type { PlanAnalysis } from '../core/plan/analyze';

interface RunView {
  readonly repoRoot: string;
  readonly planFile: string;
  readonly analysis: PlanAnalysis;
}

export class SourceTicker {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: RunView,
    private readonly note: (line: string) => void,
  ) {}

  /** An engine event: a package that succeeded has its tasks ticked. */
  event(e: { type: string; packageId?: string; status?: string }): void {
    if (e.type === 'package' && e.status === 'succeeded' && e.packageId) this.tick([e.packageId]);
  }

  /** Every package that succeeded, ticked (those done already stay as they are); resolves when all writes are over. */
  async settle(packages: Readonly<Record<string, { status: string }>>): Promise<void> {
    const done = Object.entries(packages).filter(([, r]) => r.status === 'succeeded').map(([id]) => id);
    if (done.length) this.tick(done);
    await this.chain;
  }

  private tick(packageIds: string[]): void {
    this.chain = this.chain
      .then(() => tickSourceTasks({ repoRoot: this.run.repoRoot, planFile: this.run.planFile, plan: this.run.analysis.plan, packageIds }))
      .then((o) => this.tell(o))
      .catch((err: unknown) => this.note(`tasks not ticked: ${err instanceof Error ? err.message : String(err)}`));
  }

  private tell(o: TickSourceOutcome | null): void {
    if (!o) return;
    if (o.ticked.length) this.note(`ticked ${o.ticked.join(', ')} in ${o.file}`);
    if (o.note) this.note(o.note);
  }
}
