/** GitHub Copilot CLI (`--agent copilot`) end to end against the scripted Anthropic Messages API (its BYOK provider; docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import { scanLog } from '../../src/core/run/agentLogs';
import { realCliSuite } from './scenarios';

realCliSuite('copilot', {
  // Its `create` tool fails with "Parent directory does not exist": the model makes the folder first, as a real one would.
  prepare: (dirs) => [{ type: 'shell', command: `mkdir -p ${dirs.map((d) => `'${d}'`).join(' ')}`, say: 'Making the folders.' }],
  overwrite: (file) => [{ type: 'shell', command: `rm -f '${file}'`, say: 'Removing the earlier version.' }],
  // It is told to read its prompt file: the model reads it with its shell, so the prompt's text reaches the model as the tool's output.
  readPrompt: (ctx) => {
    const file = /Read the work package in (\S+?\.md)\b/.exec(ctx.text)?.[1];
    if (!file) throw new Error('the CLI was not told to read a prompt file');
    return { type: 'shell', command: `cat '${file}'`, say: 'Reading the work package.' };
  },
  // It retries a 429 five times (about a minute of back-off) before it gives up.
  usageLimitAnswers: 6,
  usageLimitSeen(log) {
    const { objects } = scanLog(log);
    const error = [...objects].reverse().find((o) => o.type === 'session.error') as { data?: { errorType?: string; statusCode?: number; message?: string } } | undefined;
    assert.ok(error, 'no session.error event in the --output-format json output');
    assert.equal(error.data?.errorType, 'rate_limit');
    assert.equal(error.data?.statusCode, 429);
    const result = [...objects].reverse().find((o) => o.type === 'result');
    assert.equal(result?.exitCode, 1);
  },
});
