/**
 * What a planning round leaves, kept or put back (ADR 0013): its files committed as one commit,
 * audited against the planning folder and only the accepted changes kept (`acceptRound`), and
 * the repository's git set-up compared and put back (`putSetupBack`). Each refusal is named.
 */
import { auditScope, type AuditScope } from '../../core/run/audit';
import { quarantineDir } from '../../core/run/runPaths';
import { describeSetupChanges } from '../../core/git/gitSetup';
import type { PlanningState, RefusedChange } from '../../core/planning/planningSession';
import { commitAll, git, restoreGitSetup, revParse, treeChanges, type KeptGitSetup, type SetupRestore } from '../git';
import { relativePosix } from '../../util/posixPath';


/**
 * The repository's git set-up after a round, compared with `kept` (before its agent started): a
 * difference is put back and what was found moved to `.waves/quarantine/plan-<id>/<time>-round-<n>/`
 * (setupRestore.ts), and named as a refused change — the round's record, the CLI's line, the
 * next prompt. Null when nothing changed.
 */
export async function putSetupBack(repo: string, kept: KeptGitSetup, id: string, n: number): Promise<RefusedChange | null> {
  const at = new Date();
  const what = "(the repository's git set-up)";
  let restore: SetupRestore | null;
  try {
    restore = await restoreGitSetup(kept, quarantineDir(repo, `plan-${id}`, at, `round-${n}`), `planning round ${n} of ${id}`, at);
  } catch (err) {
    return { path: `${what} not checked`, message: `it could not be compared or put back: ${(err as Error).message}` };
  }
  if (!restore) return null;
  const folder = relativePosix(repo, restore.quarantine);
  const left = restore.notRestored.map((l) => `.git/${l.name} (${l.why ?? '?'})`).join(', ');
  const done = left ? `put back what could be, NOT ${left}` : 'put back as the round started';
  return {
    path: `${what} ${describeSetupChanges(restore.changes)}: ${done}; what was found is in ${folder}/`,
    message: 'hooks and git configuration are not the planning agent\'s to change; do not change anything under .git',
  };
}

/**
 * What the agent left (round 0: the draft written), committed as one commit (by id), audited
 * against `scope` (the planning folder; a session from a draft: without its task lists' copies);
 * the branch is reset to `prev` and only the accepted changes are committed on it again.
 */
export async function acceptRound(state: PlanningState, prev: string, n: number, purpose: string, scope: AuditScope): Promise<{ commit: string | null; refused: RefusedChange[] }> {
  const tree = state.worktree;
  let agentCommit: string | null = null;
  // What the agent left uncommitted is lost when it cannot be committed: named as a refused change.
  let notCommitted: RefusedChange | null = null;
  try {
    agentCommit = (await commitAll(tree, `Planning round ${n}: what the agent left`)) ?? (await revParse(tree, 'HEAD'));
  } catch (err) {
    agentCommit = await revParse(tree, 'HEAD');
    const said = (err instanceof Error ? err.message : String(err)).trim().split('\n').pop();
    notCommitted = { path: `(what the agent left) not committed (${said})`, message: 'only the commits the agent made itself were read; its other changes are gone' };
  }
  // Back to the branch at `prev`, whatever the agent did to HEAD, the branch or the index.
  for (const op of ['merge', 'rebase', 'cherry-pick', 'revert']) await git(tree, [op, '--abort'], [0, 1, 128, 129]);
  await git(tree, ['checkout', '-q', '-f', state.branch], [0, 1, 128]);
  await git(tree, ['reset', '-q', '--hard', prev]);
  await git(tree, ['clean', '-q', '-f', '-d']);
  const lost = notCommitted ? [notCommitted] : [];
  if (!agentCommit || agentCommit === prev) return { commit: null, refused: lost };
  const audit = auditScope(await treeChanges(tree, prev, agentCommit), scope);
  const bad = new Set(audit.violations.map((v) => v.path));
  const keep = audit.changes.filter((c) => !bad.has(c.path));
  const written = keep.filter((c) => c.change !== 'D').map((c) => c.path);
  const deleted = keep.filter((c) => c.change === 'D').map((c) => c.path);
  if (written.length) await git(tree, ['--literal-pathspecs', 'checkout', agentCommit, '--', ...written]);
  if (deleted.length) await git(tree, ['--literal-pathspecs', 'rm', '-q', '--', ...deleted]);
  const commit = await commitAll(tree, `Planning round ${n} (${purpose}) of ${state.id}: the files of ${state.planDir}/`);
  return { commit, refused: [...lost, ...audit.violations.map((v) => ({ path: v.path, message: v.message }))] };
}
