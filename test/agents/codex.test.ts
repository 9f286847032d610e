/** Codex CLI (`--agent codex`) end to end against the scripted OpenAI Responses API (docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import { scanLog } from '../../src/core/agents/agentLogs';
import { realCliSuite } from './scenarios';

realCliSuite('codex', {
  // Codex declares an MCP server's tools in a namespace tool `mcp__waves`; the scripted server calls them by it.
  talks: (tool) => `mcp__waves__${tool}`,
  usageLimitAnswers: 3,
  readsResetTime: true,
  usageLimitSeen(log) {
    const { objects } = scanLog(log);
    const failed = [...objects].reverse().find((o) => o.type === 'turn.failed') as { error?: { message?: string } } | undefined;
    assert.ok(failed, 'no turn.failed event in the --json output');
    assert.match(String(failed.error?.message), /You’ve hit your usage limit\..* try again at /);
  },
});
