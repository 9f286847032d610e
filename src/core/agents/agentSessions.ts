/**
 * An agent CLI's own session (ADR 0036): a question answered goes back to the session that asked
 * it, through its CLI's resume, so the agent goes on with everything it read and thought — not
 * a new agent reading the whole package again. The headless presets only; each as its vendor
 * documents it (checked against the installed CLIs' `--help`):
 * - Claude Code: `--session-id <uuid>` starts a session under that id, `--resume <id>` goes on;
 * - Gemini CLI: `--session-id <uuid>`, `--resume <uuid>` (or an index, or `latest`);
 * - Copilot CLI: `--session-id=<uuid>`, `--resume=<id>`;
 * - Codex: no id of one's own — it prints its own (`thread.started`'s `thread_id`, read by the
 *   verdict, agentLogs.ts); `codex exec … resume <id> -` goes on (`exec`'s own options before
 *   `resume`, which takes none of `--sandbox`, `-C`, `--add-dir`).
 *
 * A session lives in the CLI's state folder where it ran (the walls let the CLI write it), under
 * its working folder (a package's tree has the same path in every attempt): the engine resumes
 * it only for the same agent on the same machine. Pure.
 */

import { presetFamily } from '../walls/walls';
import { isSessionId } from '../run/runStateFields';

export { isSessionId };

import type { AgentSession } from '../run/talkEvents';
export type { AgentSession };

/** What an attempt does with its CLI's session: start one under `id` (null: the CLI names it), or go on with `id`. */
export interface SessionChoice {
  id: string | null;
  resume: boolean;
}

/** A session id as every CLI here takes it (a UUID, version 4), from 16 random bytes. */
export function sessionUuid(bytes: Uint8Array): string {
  const b = Array.from(bytes.subarray(0, 16));
  if (b.length !== 16) throw new Error('a session id needs 16 random bytes');
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}


/** Whether a profile's CLI sessions are kept and resumed: the four headless presets (not a custom agent, aider, or an interactive one). */
export function keepsSessions(profile: { id: string; interactive: boolean }): boolean {
  const family = presetFamily(profile.id);
  return !profile.interactive && profile.id === family && family !== 'aider';
}

/** Whether the engine names the session when one starts (all but Codex, which names its own). */
export function namesSessions(profileId: string): boolean {
  return presetFamily(profileId) !== 'codex';
}

/**
 * The expanded argv with the session's arguments: a new session named (`--session-id`), or the
 * old one resumed. The argv as it is for a profile that keeps no sessions, or a choice with no id.
 */
export function withSession(profile: { id: string; interactive: boolean }, argv: readonly string[], session: SessionChoice | null | undefined): string[] {
  if (!session?.id || !keepsSessions(profile) || !isSessionId(session.id)) return [...argv];
  const id = session.id;
  switch (presetFamily(profile.id)) {
    case 'claude-code':
    case 'gemini':
      return [...argv, session.resume ? '--resume' : '--session-id', id];
    case 'copilot':
      return [...argv, session.resume ? `--resume=${id}` : `--session-id=${id}`];
    case 'codex': {
      if (!session.resume) return [...argv];
      // `codex exec [its options] resume <id> -`: the prompt (`-`, stdin) stays last.
      const dash = argv.lastIndexOf('-');
      return dash < 0 ? [...argv, 'resume', id] : [...argv.slice(0, dash), 'resume', id, ...argv.slice(dash)];
    }
    default:
      return [...argv];
  }
}

/** What the package's record says of its last attempt, for `sessionFor`. */
export interface LastSession {
  /** The question its last attempt ended with. */
  question?: string | null;
  session?: AgentSession | null;
}

/**
 * An attempt's session: the last attempt's, resumed, when it ended with a question the person
 * answered and ran the same agent on the same machine (`host`, null: this one) under an id its CLI
 * gave; else a new one (`fresh()` names it, where the engine names sessions). Null for a profile
 * that keeps none.
 */
export function sessionFor(
  profile: { id: string; interactive: boolean },
  last: LastSession,
  answer: string | undefined,
  host: string | null,
  fresh: () => string,
): { choice: SessionChoice; session: AgentSession } | null {
  if (!keepsSessions(profile)) return null;
  const at = host ? { host } : {};
  const prior = last.session;
  if (last.question && answer?.trim() && prior?.agent === profile.id && isSessionId(prior.id) && (prior.host ?? null) === host) {
    return { choice: { id: prior.id, resume: true }, session: { agent: profile.id, id: prior.id, ...at } };
  }
  const id = namesSessions(profile.id) ? fresh() : null;
  return { choice: { id, resume: false }, session: { agent: profile.id, id, ...at } };
}
