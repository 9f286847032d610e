/**
 * Reading planning sessions (ADR 0013): a session's state and the list of them, its proposed
 * plan's file and text (never opened unless a regular file of the worktree), the repository a
 * session belongs to, and the repository's context for the prompt. planner.ts re-exports them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PLAN_FILE_NAME, PLANS_FOLDER, isPlanningId, parsePlanningState, planningPaths, type PlanningState, type RefusedChange, type RepoContext } from '../../core/planning/planningSession';
import { NotRegularFileError, readRegularFileSync } from '../../util/regularFile';
import { gitOut } from '../git';
import { findRepositoryRoot } from '../plan';


/** The repository's context for the prompt, read from `root` (the person's checkout, or the planning worktree at the same commit). */
export async function repoContext(root: string): Promise<RepoContext> {
  const readmeName = ['README.md', 'README', 'readme.md', 'README.rst', 'README.txt'].find((n) => fs.existsSync(path.join(root, n)));
  let readme: string | null = null;
  // A README committed as a link to a device (`/dev/zero`) or out of the repository is left out: never opened.
  const readmeText = readmeName ? readRegularOrNull(path.join(root, readmeName), root) : null;
  if (readmeText !== null) {
    const text = readmeText.slice(0, 3000);
    readme = text.length === 3000 ? `${text.slice(0, text.lastIndexOf('\n') + 1)}…` : text;
  }
  const layout = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.name !== '.git' && e.name !== '.waves')
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
  const tracked = (await gitOut(root, ['ls-files', '-z']).catch(() => '')).split('\0').filter(Boolean);
  const docs = tracked.filter((f) => /^docs\/.*\.md$/i.test(f)).sort().slice(0, 60);
  const plans = tracked.filter((f) => /(^|\/)([^/]+\.)?work-packages\.ya?ml$/.test(f)).sort().slice(0, 60);
  const openspec = fs.statSync(path.join(root, 'openspec', 'changes'), { throwIfNoEntry: false })?.isDirectory() === true;
  return { readme, layout, docs, plans, openspec };
}

/** A session's state, or null when there is none (or its file is not one). */
export function readPlanning(repo: string, id: string): PlanningState | null {
  if (!isPlanningId(id)) return null;
  try {
    return parsePlanningState(JSON.parse(fs.readFileSync(planningPaths(repo, id).state, 'utf8')));
  } catch {
    // no state file, or not one: no such session (the list passes over it)
    return null;
  }
}

/** Every session of the repository, by id. */
export function listPlannings(repo: string): PlanningState[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join(repo, PLANS_FOLDER)).sort();
  } catch {
    // no plans folder yet: no session
    return [];
  }
  return names.flatMap((n) => {
    const s = readPlanning(repo, n);
    return s ? [s] : [];
  });
}

/** The proposed plan's file of a session (in its worktree). */
export function planFileOf(state: Pick<PlanningState, 'worktree' | 'planDir'>): string {
  return path.join(state.worktree, ...state.planDir.split('/'), PLAN_FILE_NAME);
}

/** The repository a session id belongs to, from any folder inside it or inside one of its planning worktrees. */
export async function planningRepo(cwd: string): Promise<string> {
  const top = await findRepositoryRoot(cwd);
  const common = await gitOut(top, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  return path.basename(common) === '.git' ? fs.realpathSync(path.dirname(common)) : top;
}

function readRegularOrNull(file: string, within: string): string | null {
  try {
    return readRegularFileSync(file, { within }).toString('utf8');
  } catch {
    // no README to read, or not a plain file of the repository: the prompt goes without it
    return null;
  }
}

/**
 * The round's plan as the agent left it. A plan file that is not a regular file of the planning
 * worktree (a FIFO — git neither tracks nor cleans one —, a device, a link out of it) is
 * never opened: it counts as missing, and `refused` says why.
 */
export function readPlanText(state: PlanningState): { text: string; missing: boolean; refused?: RefusedChange } {
  const file = planFileOf(state);
  try {
    return { text: readRegularFileSync(file, { within: state.worktree }).toString('utf8'), missing: false };
  } catch (err) {
    if (!(err instanceof NotRegularFileError)) return { text: '', missing: true };
    const rel = `${state.planDir}/${PLAN_FILE_NAME}`;
    return { text: '', missing: true, refused: { path: rel, message: `${err.why}: write the plan as a plain file` } };
  }
}
