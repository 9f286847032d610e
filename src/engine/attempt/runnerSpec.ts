/**
 * The runner's spec (spec.json) of one attempt, built from its agent's profile — in one place
 * for every attempt: a package's (run/launch.ts) and a planning round's (planning/planner.ts).
 */
import { expandAgent, permissionArgs, talkArgs, talkEnv, walledProfile, type AgentProfile, type TalkServer } from '../../core/agents/agentProfiles';
import { withSession, type SessionChoice } from '../../core/agents/agentSessions';
import type { AttemptPlace } from './executor';
import { DEFAULT_GRACE_MS, type RunnerSpec } from './runnerFiles';

export interface SpecRequest {
  agent: AgentProfile;
  /** The attempt's place: its files go into the agent's argv (`${promptFile}`, `${resultFile}`, …) and environment. */
  place: AttemptPlace;
  /** Where the agent works. */
  worktree: string;
  /** The feature (the plan's, or the planning session's id): the argv's `${feature}`. */
  feature: string;
  /** The runner's start token. */
  token: string;
  /** The agent runs inside walls: a CLI with a sandbox of its own skips it there (`walledProfile`). */
  walled: boolean;
  /**
   * Commands the agent may run beside git's everyday ones (a package's approved verification
   * commands), said in its argv where its CLI asks for them (`permissionArgs`). Absent: no such
   * arguments at all (a planning agent).
   */
  commands?: readonly string[];
  /** Agents talk back (ADR 0036): the attempt's `waves` MCP server, given to a CLI that takes one (`talkArgs`). */
  talk?: TalkServer | null;
  /** Its agent CLI's session: a new one under this id, or the one that asked a question the person answered, resumed (`withSession`). */
  session?: SessionChoice | null;
  /** The agent's environment; the attempt's `WAVES_RESULT_FILE` and `WAVES_ATTEMPT_DIR` are added. */
  env: Record<string, string>;
  /** The attempt's time limit; null: none. */
  timeoutMs: number | null;
  /** Between SIGTERM and SIGKILL when it is stopped; default `DEFAULT_GRACE_MS`. */
  graceMs?: number | undefined;
}

/** The spec; throws `AgentProfileError` when the profile cannot be expanded. */
export function runnerSpec(request: SpecRequest): RunnerSpec {
  const { agent, place } = request;
  const files = place.files;
  const { argv, stdinFile } = expandAgent(walledProfile(agent, request.walled), {
    promptFile: files.prompt,
    packageId: place.packageId,
    worktree: request.worktree,
    feature: request.feature,
    resultFile: files.result,
    attemptDir: place.dir,
  });
  return {
    version: 1,
    argv: [...beforeOperands(withSession(agent, argv, request.session), request.talk ? talkArgs(agent, request.talk) : []), ...(request.commands ? permissionArgs(agent, request.commands, !!request.talk) : [])],
    cwd: request.worktree,
    env: { ...(request.talk ? talkEnv(agent, request.talk) : {}), ...request.env, WAVES_RESULT_FILE: files.result, WAVES_ATTEMPT_DIR: place.dir },
    interactive: agent.interactive,
    stdinFile,
    timeoutMs: request.timeoutMs,
    graceMs: request.graceMs ?? DEFAULT_GRACE_MS,
    startToken: request.token,
    verdict: agent.verdict,
    needsInputPattern: agent.needsInputPattern ?? null,
    agentId: agent.id,
  };
}

/** `extra` options added to `argv`: before its `--` when it has one (what follows is the prompt's words, never an option). */
function beforeOperands(argv: readonly string[], extra: readonly string[]): string[] {
  const at = argv.indexOf('--');
  return at < 0 ? [...argv, ...extra] : [...argv.slice(0, at), ...extra, ...argv.slice(at)];
}
