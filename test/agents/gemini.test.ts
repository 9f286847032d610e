/** Gemini CLI (`--agent gemini`) end to end against the scripted Gemini API (docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import { scanLog } from '../../src/core/run/agentLogs';
import { realCliSuite } from './scenarios';

realCliSuite('gemini', {
  usageLimitAnswers: 3,
  usageLimitSeen(log) {
    const { objects } = scanLog(log);
    const result = [...objects].reverse().find((o) => 'error' in o) as { error?: { message?: string; code?: number } } | undefined;
    assert.ok(result, 'no {error} object in the --output-format json output');
    assert.equal(result.error?.code, 429);
    assert.equal(result.error?.message, 'You have exhausted your daily quota on this model.');
  },
});
