/**
 * A `{by: agent}` parent's files under `.waves/planned/<feature>/` read back (ADR 0035): why its
 * planner's last sub-plan was refused, quoted in the planner's next prompt by the engine and by
 * `waves prompt` alike.
 */
import { plannedRefusalFile } from '../core/run/runPaths';
import { readRegularFileSync } from '../util/regularFile';

/** Why the planner of `parentRunId` had its last sub-plan refused; null when none was (or no regular file of `repo` says so). */
export function readPlannerRefusal(repo: string, featureId: string, parentRunId: string): string | null {
  try {
    return readRegularFileSync(plannedRefusalFile(repo, featureId, parentRunId), { within: repo }).toString('utf8').trim() || null;
  } catch {
    // none (its first attempt, or its last one was not refused), or not a regular file inside the repository: nothing is quoted
    return null;
  }
}
