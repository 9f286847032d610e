/**
 * The person's review decisions reaching a run: `runs/<name>/review-request-*.json`, written
 * by the front door's `submitReview` (the editor, `waves review`) and picked up by the loop of the
 * engine that drives the run — at once when one does, else by the resume the front end starts.
 * Approve merges a package awaiting review (`Exits.approve`); changes send the comments to its
 * agent as a follow-up attempt (`followUp`: back to pending, its next prompt carries them, no
 * retry spent); a pick (best of n, `pick: person`) sends the candidate picked on (`Exits.pick`). A decision the state no longer allows is said as a problem, never carried out.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../store/atomicWrite';
import { checkEngineFolder } from '../../store/engineFolder';
import { featureRunsFolder } from '../../core/run/runPaths';
import { decisionRefusal, readDecision, type ReviewDecision } from '../../core/review/reviewGate';
import type { RunContext } from './context';
import { requestNames, takeRequests } from './requests';
import { readJson } from '../attempt';
import type { Exits } from './exit';

const REVIEW_REQUEST = /^review-request-\d+-[0-9a-f]{8}\.json$/;

/** Queues `decision` for the run's driver (checked by the caller against the run's state). */
export async function queueReviewRequest(repoRoot: string, featureId: string, decision: ReviewDecision): Promise<void> {
  const folder = featureRunsFolder(repoRoot, featureId);
  checkEngineFolder(repoRoot, folder, { below: true }); // nothing written through a link
  await fs.promises.mkdir(folder, { recursive: true });
  const name = `review-request-${Date.now()}-${randomBytes(4).toString('hex')}.json`;
  await writeAtomic(path.join(folder, name), JSON.stringify({ ...decision, at: new Date().toISOString(), pid: process.pid }) + '\n');
}

/** The packages whose pick (best of n) waits in the run's folder for a driver to carry it out: a resume needs nobody to ask for them. */
export function queuedPicks(repoRoot: string, featureId: string): Set<string> {
  const folder = featureRunsFolder(repoRoot, featureId);
  const out = new Set<string>();
  for (const name of requestNames(repoRoot, featureId)) {
    if (!REVIEW_REQUEST.test(name)) continue;
    const read = readDecision(readJson(path.join(folder, name)));
    if (read.ok && read.decision.kind === 'pick') out.add(read.decision.packageId);
  }
  return out;
}

export class Reviews {
  constructor(
    private readonly ctx: RunContext,
    private readonly exits: Exits,
  ) {}

  /** Whether a review request waits (the poll wakes the loop for it). */
  has(names: readonly string[]): boolean {
    return names.some((f) => REVIEW_REQUEST.test(f));
  }

  /** Carries out the review requests waiting in the run's folder, oldest first (each once: its file goes first). */
  async pickUp(): Promise<void> {
    const { ctx } = this;
    for (const { name, body } of await takeRequests(ctx.repoRoot, ctx.featureId, REVIEW_REQUEST)) {
      const read = readDecision(body);
      if (!read.ok) {
        ctx.problem(`A review request (${name}) was not carried out: ${read.problem}.`);
        continue;
      }
      this.carryOut(read.decision);
    }
  }

  /** One decision, when the run's state allows it; else said, naming the package. */
  private carryOut(decision: ReviewDecision): void {
    const { ctx } = this;
    const id = decision.packageId;
    const refusal = !ctx.pkg(id)
      ? `the plan has no package ${id} any more`
      : ctx.attempts.isFinishing(id)
        ? `${id} is being merged (an approval under way)`
        : decisionRefusal(ctx.state, decision);
    if (refusal) {
      ctx.problem(`Review of ${id} not carried out: ${refusal}.`, Object.hasOwn(ctx.state.packages, id) ? id : undefined);
      return;
    }
    if (decision.kind === 'approve') {
      // Not awaited: the merge and the launches after it wait for passes of the loop that runs this.
      void this.exits.approve(id).then((r) => {
        if (!r.ok) ctx.problem(`Approval of ${id} not carried out: ${r.reason}.`, id);
      });
      return;
    }
    if (decision.kind === 'pick') {
      void this.exits.pick(id, decision.candidate).then((r) => {
        if (!r.ok) ctx.problem(`Your pick of candidate ${decision.candidate} of ${id} not carried out: ${r.reason}.`, id);
      });
      return;
    }
    const record = ctx.state.packages[id]!;
    ctx.apply(
      {
        type: 'followUp',
        packageId: id,
        followUp: { kind: 'review', at: ctx.clock().toISOString(), from: decision.from ?? 'branch', commit: record.headSha, comments: decision.comments },
      },
      `changes requested: ${decision.comments.length} comment${decision.comments.length === 1 ? '' : 's'} go to its agent`,
    );
  }
}
