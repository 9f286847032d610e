/** `waves run`'s agent flags, through the table both front ends read: agent caps as a map, repeated flags, usage errors naming the flag. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DEFAULT_AGENT, presetProfile } from '../../src/core/agents/agentProfiles';
import { parseArgs, UsageError } from '../../src/cli/args';
import { checkRunFlags, repeatedFlags, runAgentsFrom, runFlags } from '../../src/cli/runArgs';

/** The flags as `waves run`'s parser reads them. */
const parsed = (argv: string[]) => parseArgs([...argv, 'plan.yaml'], runFlags(), runFlags(true), repeatedFlags()).flags;
const usage = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof UsageError && message.test(err.message));

describe('waves run: the agent flags', () => {
  it('--agent-cap repeated, or pairs separated by commas, is the map of waves.agentCaps', () => {
    assert.deepEqual(runAgentsFrom(parsed(['--agent-cap', 'claude-code=2', '--agent-cap=codex=1,gemini=3']), {}).agentCaps, { 'claude-code': 2, codex: 1, gemini: 3 });
    assert.deepEqual(runAgentsFrom(parsed(['--agent-cap', 'custom=1']), {}).agentCaps, { custom: 1 });
  });

  it('a flag not repeatable keeps its last value', () => {
    assert.equal(runAgentsFrom(parsed(['--agent', 'codex', '--agent', 'gemini']), {}).agent, presetProfile('gemini'));
  });

  it('nothing given: the default agent, no fallback, no caps', () => {
    assert.deepEqual(runAgentsFrom(parsed([]), {}), { agent: presetProfile(DEFAULT_AGENT) });
  });

  it('a pair without an agent or a whole number of at least 1, a preset that is none or interactive: a usage error naming the flag', () => {
    for (const bad of ['claude-code', '=2', 'codex=0', 'codex=1.5', 'codex=two', ','])
      usage(() => runAgentsFrom(parsed(['--agent-cap', bad]), {}), /^--agent-cap needs AGENT=N/);
    usage(() => runAgentsFrom(parsed(['--agent-cap', 'codex=1,aider=0']), {}), /not "aider=0"/);
    usage(() => runAgentsFrom(parsed(['--agent-fallback', 'codex,claude-code-interactive']), {}), /^--agent-fallback: "claude-code-interactive" is an interactive agent/);
    usage(() => runAgentsFrom(parsed(['--agent', 'nonesuch']), {}), /^--agent: unknown agent preset "nonesuch" \(presets: claude-code/);
  });

  it('waves review and waves pick check every run flag they hand on as waves run does, before anything is sent', () => {
    usage(() => checkRunFlags(parsed(['--agent-fallback', 'nope']), {}), /^--agent-fallback: unknown agent preset "nope"/);
    usage(() => checkRunFlags(parsed(['--budget-usd', '0']), {}), /^--budget-usd must be a number above 0/);
    usage(() => checkRunFlags(parsed(['--unconfined', '--allow-registries']), {}), /^--allow-registries opens the walls; --unconfined has none/);
    assert.doesNotThrow(() => checkRunFlags(parsed(['--agent', 'codex', '--max-parallel', '2', '--unconfined']), {}));
  });
});
