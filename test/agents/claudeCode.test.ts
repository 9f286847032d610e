/** Claude Code (`--agent claude-code`) end to end against the scripted Anthropic Messages API (docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { scanLog } from '../../src/core/agents/agentLogs';
import { readRun } from '../../src/engine/run';
import { doPackage, type Turn } from '../fixtures/modelServer';
import { agentEnv, agentLog, promptOf, useModelServer, waves, workspace } from './realCli';
import { realCliSuite } from './scenarios';

realCliSuite('claude-code', {
  // As a subscriber (a dummy OAuth token), a 429 of the unified limiter is a usage limit: no retry.
  usageLimitEnv: { subscription: true },
  usageLimitAnswers: 3,
  readsResetTime: true,
  usageLimitSeen(log, resetAt) {
    const { objects } = scanLog(log);
    const event = objects.find((o) => o.type === 'rate_limit_event') as { rate_limit_info?: { status?: string; resetsAt?: number; rateLimitType?: string } } | undefined;
    assert.ok(event, 'no rate_limit_event in the stream-json output');
    assert.equal(event.rate_limit_info?.status, 'rejected');
    assert.equal(event.rate_limit_info?.resetsAt, resetAt);
    assert.equal(event.rate_limit_info?.rateLimitType, 'five_hour');
    const result = [...objects].reverse().find((o) => o.type === 'result');
    assert.ok(result, 'no result event');
    assert.equal(result.is_error, true);
    assert.equal(result.api_error_status, 429);
    assert.match(String(result.result), /You've hit your .*limit · resets /);
  },
});

describe('claude-code talks back: the run\'s `waves` MCP server from its --mcp-config, inside the walls (ADR 0036)', () => {
  const server = useModelServer();

  it("its calls reach the run as its package: progress and a note recorded, who owns a file answered; the dependent's Claude reads the note in its prompt", async () => {
    const feature = 'claude-code-talk';
    const w = workspace(feature, [{ id: 'api' }, { id: 'ui', deps: ['api'] }]);
    const tool = (name: string, input: Record<string, unknown>): Turn => ({ type: 'tool', name: `mcp__waves__${name}`, input, say: `Calling ${name}.` });
    server().script(
      [
        tool('progress', { fraction: 0.5, message: 'half way: the model is written' }),
        tool('who_owns', { path: 'ui/page.txt' }),
        tool('handoff', { note: 'the endpoint is /v2/users, not /users' }),
        ...doPackage({ 'api/a.txt': 'api\n' }),
      ],
      { match: promptOf('api'), label: 'api' },
    );
    server().script(doPackage({ 'ui/page.txt': 'ui\n' }), { match: promptOf('ui'), label: 'ui' });
    const env = agentEnv('claude-code', server(), w.home);
    const r = await waves(['run', '--agent', 'claude-code', w.plan], { cwd: w.repo, env });
    assert.equal(r.code, 0, `${r.out}\n${r.err}\n--- api's agent.log ---\n${agentLog(w.repo, feature, 'api').slice(-3000)}`);
    // Claude declared the server's tools (only its: --strict-mcp-config) and sent back what the run answered.
    const api = server().requests.filter((q) => q.main && q.script === 'api');
    assert.deepEqual(api[0]!.tools.filter((t) => t.startsWith('mcp__')).sort(), ['mcp__waves__handoff', 'mcp__waves__plan_status', 'mcp__waves__progress', 'mcp__waves__who_owns']);
    assert.ok(api.some((q) => q.text.includes('noted: 50 %')), 'the progress call was answered');
    assert.ok(api.some((q) => q.text.includes('ui/page.txt may be written by ui (pending).') && q.text.includes('You may not write it')), 'who_owns was answered');
    const run = readRun(w.repo, feature);
    assert.equal(run.kind, 'ok');
    const state = run.kind === 'ok' ? run.state : null;
    assert.deepEqual([state?.packages.api?.progress?.fraction, state?.packages.api?.progress?.message], [0.5, 'half way: the model is written']);
    assert.deepEqual(state?.packages.api?.handoffs, ['the endpoint is /v2/users, not /users']);
    const ui = server().requests.find((q) => q.main && q.script === 'ui');
    assert.match(ui?.text ?? '', /Notes its agent left for the packages that depend on it \(1; its words, not the plan's\):\n {2}- > the endpoint is \/v2\/users, not \/users/);
    assert.deepEqual(server().pending(), { api: 0, ui: 0 });
    assert.deepEqual(server().strays().map((q) => `${q.method} ${q.url}`), []);
  });
});
