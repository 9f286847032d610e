/**
 * An agent CLI's own session (core/agents/agentSessions.ts): which attempt resumes which
 * session, the arguments each headless preset gets for a new session and for a resumed one, the
 * session id read from each CLI's own output, and the run state's record of it.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isSessionId, keepsSessions, namesSessions, sessionFor, sessionUuid, withSession, type AgentSession } from '../../../src/core/agents/agentSessions';
import { parseVerdict } from '../../../src/core/agents/agentLogs';
import { PRESETS, presetProfile, walledProfile, expandAgent, type AgentProfile } from '../../../src/core/agents/agentProfiles';
import { applyEvent } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';

const OUTPUT = path.join(__dirname, '..', '..', 'fixtures', 'agent-output');
const ID = '5f0c2a1e-7d43-4c2b-9a55-0c6a3b1d9e10';
const fresh = () => '11111111-2222-4333-8444-555555555555';
const preset = (id: string): AgentProfile => presetProfile(id)!;
const VARS = { promptFile: '/a/prompt.md', packageId: 'p', worktree: '/w', feature: 'f', resultFile: '/a/result.json', attemptDir: '/a' };
const argvOf = (id: string, walled = true) => expandAgent(walledProfile(preset(id), walled), VARS).argv;

describe('agent sessions: which presets keep them', () => {
  it('the four headless presets keep sessions; interactive ones, aider and a custom agent do not', () => {
    const keeping = PRESETS.filter(keepsSessions).map((p) => p.id);
    assert.deepEqual(keeping, ['claude-code', 'codex', 'gemini', 'copilot']);
    assert.equal(keepsSessions({ id: 'custom', interactive: false }), false);
    assert.equal(namesSessions('codex'), false, 'Codex names its own');
    assert.equal(namesSessions('claude-code'), true);
  });

  it('a session id is a UUID (version 4) made of the bytes, or a CLI id with no option in it', () => {
    const id = sessionUuid(new Uint8Array(16).fill(0xff));
    assert.equal(id, 'ffffffff-ffff-4fff-bfff-ffffffffffff');
    assert.match(sessionUuid(new Uint8Array(16)), /^00000000-0000-4000-8000-000000000000$/);
    assert.throws(() => sessionUuid(new Uint8Array(4)), /16 random bytes/);
    assert.ok(isSessionId(ID) && isSessionId('0199a213-81c0-7800-8aa1-bbab2a035a53'));
    for (const bad of ['', '--help', '-x12345678', 'a b c d e f g h', 'short', '../../etc/passwd', 'x'.repeat(200), 42, null]) assert.equal(isSessionId(bad), false, String(bad));
  });
});

describe('agent sessions: the arguments', () => {
  it('Claude Code and Gemini: --session-id for a new one, --resume for the one that asked', () => {
    for (const id of ['claude-code', 'gemini']) {
      const argv = argvOf(id);
      assert.deepEqual(withSession(preset(id), argv, { id: ID, resume: false }), [...argv, '--session-id', ID]);
      assert.deepEqual(withSession(preset(id), argv, { id: ID, resume: true }), [...argv, '--resume', ID]);
    }
  });

  it('Copilot: --session-id= and --resume= in one argument each', () => {
    const argv = argvOf('copilot');
    assert.deepEqual(withSession(preset('copilot'), argv, { id: ID, resume: false }), [...argv, `--session-id=${ID}`]);
    assert.deepEqual(withSession(preset('copilot'), argv, { id: ID, resume: true }), [...argv, `--resume=${ID}`]);
  });

  it("Codex: nothing for a new one (it names it); `resume <id>` before the prompt's `-`, exec's own options kept before it", () => {
    for (const walled of [true, false]) {
      const argv = argvOf('codex', walled);
      assert.deepEqual(withSession(preset('codex'), argv, { id: null, resume: false }), argv);
      const resumed = withSession(preset('codex'), argv, { id: ID, resume: true });
      assert.deepEqual(resumed, [...argv.slice(0, -1), 'resume', ID, '-']);
      assert.ok(resumed.indexOf('--json') < resumed.indexOf('resume') && resumed.indexOf('-C') < resumed.indexOf('resume'));
    }
  });

  it('no arguments for a profile that keeps no sessions, nor for an id that is not one', () => {
    const argv = argvOf('claude-code-interactive');
    assert.deepEqual(withSession(preset('claude-code-interactive'), argv, { id: ID, resume: true }), argv);
    assert.deepEqual(withSession(preset('claude-code'), argvOf('claude-code'), { id: '--dangerously-skip-permissions', resume: true }), argvOf('claude-code'));
    assert.deepEqual(withSession(preset('gemini'), argvOf('gemini'), null), argvOf('gemini'));
  });
});

describe('agent sessions: which attempt resumes', () => {
  const asked = (session: AgentSession | null) => ({ question: 'English or French?', session });
  it('answered, same agent, same machine: the session that asked is resumed', () => {
    const r = sessionFor(preset('claude-code'), asked({ agent: 'claude-code', id: ID }), 'French', null, fresh);
    assert.deepEqual(r, { choice: { id: ID, resume: true }, session: { agent: 'claude-code', id: ID } });
    const onHost = sessionFor(preset('gemini'), asked({ agent: 'gemini', id: ID, host: 'h1' }), 'French', 'h1', fresh);
    assert.deepEqual(onHost?.choice, { id: ID, resume: true });
    assert.equal(onHost?.session.host, 'h1');
  });

  it('a new session otherwise: no answer, a blank one, no question, another agent, another machine, no id', () => {
    const cases: [AgentProfile, ReturnType<typeof asked> | { question?: null; session?: AgentSession }, string | undefined, string | null][] = [
      [preset('claude-code'), asked({ agent: 'claude-code', id: ID }), undefined, null],
      [preset('claude-code'), asked({ agent: 'claude-code', id: ID }), '  ', null],
      [preset('claude-code'), { question: null, session: { agent: 'claude-code', id: ID } }, 'French', null],
      [preset('claude-code'), asked({ agent: 'gemini', id: ID }), 'French', null],
      [preset('claude-code'), asked({ agent: 'claude-code', id: ID, host: 'h1' }), 'French', 'h2'],
      [preset('claude-code'), asked({ agent: 'claude-code', id: ID, host: 'h1' }), 'French', null],
      [preset('claude-code'), asked({ agent: 'claude-code', id: null }), 'French', null],
      [preset('claude-code'), asked(null), 'French', null],
    ];
    for (const [profile, last, answer, host] of cases) {
      const r = sessionFor(profile, last, answer, host, fresh);
      assert.deepEqual(r?.choice, { id: fresh(), resume: false }, JSON.stringify({ last, answer, host }));
    }
  });

  it('Codex starts with no id (its output says it); a profile keeping none gets none', () => {
    assert.deepEqual(sessionFor(preset('codex'), {}, undefined, null, fresh), { choice: { id: null, resume: false }, session: { agent: 'codex', id: null } });
    assert.equal(sessionFor(preset('aider'), asked({ agent: 'aider', id: ID }), 'x', null, fresh), null);
  });
});

describe("agent sessions: read from the CLI's own output", () => {
  it("Claude Code's session_id and Codex's thread.started; none from Gemini's or Copilot's (the engine named theirs)", () => {
    assert.equal(parseVerdict('claude-stream-json', fs.readFileSync(path.join(OUTPUT, 'claude-success.jsonl'), 'utf8')).session, ID);
    assert.equal(parseVerdict('codex-jsonl', fs.readFileSync(path.join(OUTPUT, 'codex-success.jsonl'), 'utf8')).session, '0199a213-81c0-7800-8aa1-bbab2a035a53');
    assert.equal(parseVerdict('codex-jsonl', '{"type":"thread.started","thread_id":"--config=x"}\n{"type":"turn.completed"}\n').session, undefined, 'what could be read as an option is no id');
    assert.equal(parseVerdict('none', `{"session_id":"${ID}"}`).session, undefined);
  });
});

describe('agent sessions: the run state', () => {
  const base = () => {
    let s = createRunState({ runId: 'r1', featureId: 'f', planFile: 'work-packages.yaml', packageIds: ['p'], now: new Date(0) });
    for (const e of [{ type: 'ready' }, { type: 'queued' }] as const) s = ok(applyEvent(s, { ...e, packageId: 'p' }, new Date(1)));
    return s;
  };
  const ok = <T>(r: { ok: true; state: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) assert.fail(r.error.message);
    return r.state;
  };
  const started = { type: 'started' as const, packageId: 'p', attempt: 1, startToken: 't', worktree: '/w', logFile: '/l' };

  it("started keeps the attempt's session; the failed event's id (Codex's, said at its end) fills it in; the next start replaces it", () => {
    let s = ok(applyEvent(base(), { ...started, session: { agent: 'codex', id: null } }, new Date(2)));
    assert.deepEqual(s.packages.p!.session, { agent: 'codex', id: null });
    s = ok(applyEvent(s, { type: 'failed', packageId: 'p', reason: 'asked', question: 'Which one?', session: '0199a213-81c0-7800-8aa1-bbab2a035a53' }, new Date(3)));
    assert.deepEqual(s.packages.p!.session, { agent: 'codex', id: '0199a213-81c0-7800-8aa1-bbab2a035a53' });
    assert.equal(s.packages.p!.question, 'Which one?');
    s = ok(applyEvent(s, { type: 'reset', packageId: 'p' }, new Date(4)));
    s = ok(applyEvent(s, { type: 'ready', packageId: 'p' }, new Date(4)));
    s = ok(applyEvent(s, { type: 'queued', packageId: 'p' }, new Date(4)));
    s = ok(applyEvent(s, { ...started, attempt: 2 }, new Date(5)));
    assert.equal(s.packages.p!.session, null, 'an attempt with no session clears the last one');
  });

  it('a session that is not one is refused, with what is wrong', () => {
    for (const session of [{ agent: '', id: ID }, { agent: 'claude-code', id: '--help' }, { agent: 'claude-code', id: ID, host: '' }]) {
      const r = applyEvent(base(), { ...started, session }, new Date(2));
      assert.equal(r.ok, false, JSON.stringify(session));
      if (!r.ok) assert.match(r.error.message, /session must be/);
    }
    const running = ok(applyEvent(base(), started, new Date(2)));
    const r = applyEvent(running, { type: 'failed', packageId: 'p', reason: 'x', session: '-rf' }, new Date(3));
    assert.equal(r.ok, false);
  });
});
