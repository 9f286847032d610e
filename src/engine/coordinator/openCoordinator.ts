/**
 * Opening the shared coordinator (ADR 0012) for a repository: the key every clone of it shares
 * (its root commits, or the key set), who drives, and the URL checked. The git reads go through
 * the engine's git queue (git/, ADR 0014).
 */
import os from 'node:os';
import { checkCoordinatorUrl, repositoryKey } from '../../core/coordinator/sharedCoordinator';
import { gitOut } from '../git';
import { CoordinatorError, type CoordinatorOptions } from './lockStore';
import { PgCoordinator } from './pgCoordinator';

/** git's answer in `cwd`, through the engine's git queue (ADR 0014); '' when git fails. */
const gitText = (cwd: string, args: string[]): Promise<string> => gitOut(cwd, args).catch(() => '');

/** The root of the clone holding `folder` (as a run of this clone names it), else `folder`. */
export async function cloneRoot(folder: string): Promise<string> {
  return (await gitText(folder, ['rev-parse', '--show-toplevel'])) || folder;
}

/** The key every clone of the repository at `repoRoot` shares (its root commits, or the key set). */
export async function repositoryKeyOf(repoRoot: string, explicit?: string): Promise<string> {
  const key = repositoryKey({ rootCommits: (await gitText(repoRoot, ['rev-list', '--max-parents=0', 'HEAD'])).split('\n'), explicit });
  if (key === null)
    throw new CoordinatorError(`The repository ${repoRoot} has no commit yet, so its clones cannot be recognised: commit once, or set the coordinator's repository key.`);
  return key;
}

/** Who drives: the option, git's `user.name`, else the login name. */
export async function driverName(repoRoot: string, explicit?: string): Promise<string> {
  if (explicit?.trim()) return explicit.trim();
  const name = await gitText(repoRoot, ['config', 'user.name']);
  if (name) return name;
  try {
    return os.userInfo().username;
  } catch {
    // no user entry for this uid (a container's): the driver is named 'unknown'
    return 'unknown';
  }
}

/** Opens the coordinator for `repoRoot`: the URL checked, the repository's key, the schema migrated. */
export async function openCoordinator(repoRoot: string, options: CoordinatorOptions): Promise<PgCoordinator> {
  const checked = checkCoordinatorUrl(options.url);
  if (!checked.ok) throw new CoordinatorError(checked.problem);
  return PgCoordinator.open(checked.url, await repositoryKeyOf(repoRoot, options.repository), { connectTimeoutMs: options.connectTimeoutMs });
}
