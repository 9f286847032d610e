/** `waves run`'s flags that mean what the editor's settings mean: agent caps as a map, repeated flags. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../../src/cli/args';
import { agentCapsFrom } from '../../src/cli/runCommand';

describe('waves run: agent caps', () => {
  it('--agent-cap repeated, or pairs separated by commas, is the map of waves.agentCaps', () => {
    const { flags } = parseArgs(['--agent-cap', 'claude-code=2', '--agent-cap=codex=1,gemini=3', 'plan.yaml'], ['agent-cap'], ['agent-cap'], ['agent-cap']);
    assert.deepEqual(agentCapsFrom(String(flags.get('agent-cap'))), { 'claude-code': 2, codex: 1, gemini: 3 });
    assert.deepEqual(agentCapsFrom('custom=1'), { custom: 1 });
  });

  it('a flag not repeatable keeps its last value', () => {
    const { flags } = parseArgs(['--agent', 'codex', '--agent', 'gemini'], ['agent'], ['agent']);
    assert.equal(flags.get('agent'), 'gemini');
  });

  it('a pair without an agent or a whole number of at least 1 is a usage error naming it', () => {
    for (const bad of ['claude-code', '=2', 'codex=0', 'codex=1.5', 'codex=two', ','])
      assert.throws(() => agentCapsFrom(bad), (err: unknown) => err instanceof UsageError && /--agent-cap needs AGENT=N/.test((err as Error).message), bad);
    assert.throws(() => agentCapsFrom('codex=1,aider=0'), /not "aider=0"/);
  });
});
