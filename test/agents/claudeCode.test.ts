/** Claude Code (`--agent claude-code`) end to end against the scripted Anthropic Messages API (docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import { scanLog } from '../../src/core/agents/agentLogs';
import { realCliSuite } from './scenarios';

realCliSuite('claude-code', {
  talks: (tool) => `mcp__waves__${tool}`,
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
