/**
 * The person's approvals of verification commands (docs/run-engine.md, "Verification"): the
 * commands are shell command lines written by the plan's author, so they run only after the user
 * approved that plan's exact ordered list of commands once. Approvals are the person's, on this
 * machine: `~/.config/wave-orchestrator/approvals/` (`personalApprovals`), one file per plan
 * (bound to its real path) holding the SHA-256 of each approved list — never in the repository,
 * which could ship them. Any edit of any command asks again. Running the commands is
 * attempt/verification.ts's (on this machine) or the host's executor's; both ask
 * `requireApproved` first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAtomic } from '../../store/atomicWrite.js';
import { visibleText } from '../../core/present/visibleText.js';
import { approvalsFolder, userConfigFolder } from '../../core/run/runPaths.js';
import { PersonFolderError } from './machine.js';

export interface Approval {
  hash: string;
  commands: string[];
  approvedAt: string;
}

/** The person's approvals of one plan: `<approvals folder>/<sha-256 of the plan's real path>.json`. */
export interface PlanApprovals {
  version: 2;
  /** The plan file, absolute and real: what the approvals are bound to. */
  planFile: string;
  /** Its approved command lists, oldest first (at most `MAX_LISTS`). */
  lists: Approval[];
}

/** Approved lists kept per plan: the newest ones. */
const MAX_LISTS = 20;

/** The plan's command list is not approved: `commands` is what the user must approve. */
export class VerificationNotApprovedError extends Error {
  constructor(
    readonly planFile: string,
    readonly commands: string[],
  ) {
    super(`The verification commands of ${planFile} are not approved yet (they run in your shell):\n${commands.map((c) => `  ${visibleText(c)}`).join('\n')}`);
    this.name = 'VerificationNotApprovedError';
  }
}

/** SHA-256 (hex) of the exact ordered list of commands. */
export function commandsHash(commands: readonly string[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(commands)).digest('hex');
}

/**
 * The person's approvals folder on this machine (`userConfigFolder`: `WAVES_CONFIG_DIR`, else
 * `~/.config/wave-orchestrator`…, then `approvals/`). Never inside a repository: a repository
 * cannot ship approvals, and no run writes there but the person's own approval.
 */
export function personalApprovals(env: NodeJS.ProcessEnv = process.env): string {
  return approvalsFolder(userConfigFolder(env, process.platform, os.homedir()), process.platform);
}

/** The file of a plan's approvals: one per plan, named by the SHA-256 of its real path. */
export function approvalsFileOf(planFile: string, folder: string = personalApprovals()): string {
  return path.join(folder, `${crypto.createHash('sha256').update(realPlanPath(planFile)).digest('hex')}.json`);
}

function realPlanPath(planFile: string): string {
  const abs = path.resolve(planFile);
  try {
    return fs.realpathSync(abs);
  } catch {
    // no such file (yet): the absolute path names the plan
    return abs;
  }
}

/** Reads a plan's approvals; a missing, unreadable or foreign file (another plan's) approves nothing. */
export function readApprovals(planFile: string, folder: string = personalApprovals()): PlanApprovals {
  const real = realPlanPath(planFile);
  try {
    const value = JSON.parse(fs.readFileSync(approvalsFileOf(real, folder), 'utf8')) as Partial<PlanApprovals>;
    if (value && value.version === 2 && value.planFile === real && Array.isArray(value.lists)) {
      return { version: 2, planFile: real, lists: value.lists.filter((a) => a && typeof a.hash === 'string' && Array.isArray(a.commands)) };
    }
  } catch {
    // missing or not JSON: nothing is approved
  }
  return { version: 2, planFile: real, lists: [] };
}

/** Whether the person approved this exact ordered list for the plan file (an empty list needs none). */
export function isApproved(planFile: string, commands: readonly string[], folder: string = personalApprovals()): boolean {
  if (commands.length === 0) return true;
  const hash = commandsHash(commands);
  return readApprovals(planFile, folder).lists.some((a) => a.hash === hash);
}

/** Records the person's approval of this exact list for the plan (kept beside earlier approvals of it). */
export async function approve(planFile: string, commands: readonly string[], now: Date = new Date(), folder: string = personalApprovals()): Promise<void> {
  const data = readApprovals(planFile, folder);
  const hash = commandsHash(commands);
  const lists = data.lists.filter((a) => a.hash !== hash);
  lists.push({ hash, commands: [...commands], approvedAt: now.toISOString() });
  data.lists = lists.slice(-MAX_LISTS);
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    await writeAtomic(approvalsFileOf(data.planFile, folder), JSON.stringify(data, null, 2) + '\n');
  } catch (err) {
    throw new PersonFolderError(folder, err);
  }
}

/** A verification as far as its approval goes: the commands it runs, of which approved list, for which plan. */
export interface ApprovalAsk {
  planFile: string;
  steps: readonly { command: string }[];
  /** The approved list the steps are part of; default: the steps' own commands. */
  approvedList?: readonly string[];
  /** The person's approvals folder; default `personalApprovals()`. */
  approvals?: string;
}

/**
 * Refuses a verification the person did not approve, before anything runs (on this machine or a
 * host): every step's command must be in its approved list, and that list approved for the plan.
 * Throws `VerificationNotApprovedError` listing the commands.
 */
export function requireApproved(ask: ApprovalAsk): void {
  const commands = ask.steps.map((s) => s.command);
  const list = ask.approvedList ?? commands;
  if (!commands.every((c) => list.includes(c)) || !isApproved(ask.planFile, list, ask.approvals)) throw new VerificationNotApprovedError(ask.planFile, commands);
}
