/**
 * The agent's options in the table (core/run/runOptions.ts): the agent, the editor's own
 * interactive switch and per-package agents, the fallback and the caps per agent. Each read from
 * its flag and its setting as written, then made into profiles by core/agents/runAgents.ts the
 * same way for both front ends; the same choices give the same start request.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DEFAULT_AGENT, PERMISSION_PROMPT_PATTERN, presetProfile, PRESET_IDS } from '../../../src/core/agents/agentProfiles';
import { USAGE_LIMIT_PATTERN } from '../../../src/core/agents/agentLogs';
import { runAgentsOf } from '../../../src/core/agents/runAgents';
import { agentArgvOf, entryName, parseOptionText, RUN_OPTIONS, RunOptionError, runOptionsFromCommandLine, runOptionsFromSettings, type RunOption, type RunOptionValues } from '../../../src/core/run/runOptions';
import { startRequestFrom } from '../../../src/engine/usecases/startRequest';

const byId = (id: string): RunOption => RUN_OPTIONS.find((o) => o.id === id)!;
const flags = (entries: Record<string, string | true>) => new Map(Object.entries(entries));
const fails = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof RunOptionError && message.test(err.message));
const agentOptions = (o: RunOption) => o.part === 'agent';
const AGENT = ['node', '/x/agent.mjs', '--prompt', '${promptFile}'];
/** As `waves run` names a value: by the flag it came from. */
const fromFlags = (given: Record<string, string | true>) => {
  const { values, sources } = runOptionsFromCommandLine(flags(given), {}, false, ':', agentOptions);
  return { values, ...runAgentsOf(values, { name: (o) => sources[o.id] ?? `--${o.flag}`, commandLine: true }) };
};
/** As the editor names a value: by its setting, an entry by its index or key. */
const fromSettings = (set: Record<string, unknown>) => {
  const { values, problems } = runOptionsFromSettings((o) => set[o.setting], agentOptions);
  const agents = runAgentsOf(values, { name: entryName, commandLine: false });
  return { values, ...agents, problems: [...problems, ...agents.problems] };
};

describe("the agent's options: parsing each kind", () => {
  it('an agent: a preset id as written (checked with the presets, below); its argv flag a JSON array, the program first', () => {
    assert.equal(parseOptionText(byId('agent'), ' codex ', '--agent'), 'codex');
    fails(() => parseOptionText(byId('agent'), ' ', '--agent'), /^--agent needs a preset id \(or --agent-argv\)$/);
    fails(() => parseOptionText(byId('agent'), true, '--agent'), /^--agent needs a value$/);
    assert.deepEqual(agentArgvOf(JSON.stringify(AGENT), '--agent-argv'), AGENT);
    assert.deepEqual(agentArgvOf('["sh", "-c", "a && b"]', '--agent-argv'), ['sh', '-c', 'a && b'], 'what the array says, as it says it: never a shell');
    fails(() => agentArgvOf('my-agent --prompt', '--agent-argv'), /^--agent-argv is not a JSON array of strings: /);
    fails(() => agentArgvOf('[]', '--agent-argv'), /^--agent-argv needs a program: the array is empty/);
    fails(() => agentArgvOf('["x", 1]', '--agent-argv'), /^--agent-argv must be a JSON array of strings, the program first, e\.g\. '\["my-agent", "--prompt", "\$\{promptFile\}"\]'$/);
  });

  it('agents in order: preset ids separated by commas', () => {
    assert.deepEqual(parseOptionText(byId('agentFallback'), 'codex, gemini,,', '--agent-fallback'), ['codex', 'gemini']);
    fails(() => parseOptionText(byId('agentFallback'), ' , ', '--agent-fallback'), /^--agent-fallback needs preset ids, separated by commas$/);
  });

  it('a count per agent: AGENT=N pairs separated by commas, N a whole number of at least 1; a bad pair named', () => {
    assert.deepEqual(parseOptionText(byId('agentCaps'), 'claude-code=2, codex=1,custom=3', '--agent-cap'), { 'claude-code': 2, codex: 1, custom: 3 });
    for (const bad of ['claude-code', '=2', 'codex=0', 'codex=1.5', 'codex=two', 'codex=-1', ','])
      fails(() => parseOptionText(byId('agentCaps'), bad, '--agent-cap'), /^--agent-cap needs AGENT=N \(a preset id, or custom, and a whole number of at least 1\)/);
    fails(() => parseOptionText(byId('agentCaps'), 'codex=1,aider=0', '--agent-cap'), /, not "aider=0"$/);
  });

  it('an agent per key: KEY=PRESET pairs (the editor has the setting only; a flag of it would read them so)', () => {
    assert.deepEqual(parseOptionText(byId('agentOverrides'), 'wp-a=codex, wp-b=gemini', 'X'), { 'wp-a': 'codex', 'wp-b': 'gemini' });
    fails(() => parseOptionText(byId('agentOverrides'), 'wp-a', 'X'), /^X needs KEY=PRESET pairs/);
  });
});

describe("the agent's options from the command line", () => {
  it('nothing given: the default agent, no fallback and no caps', () => {
    const r = fromFlags({});
    assert.deepEqual(r.values, {});
    assert.equal(r.agent, presetProfile(DEFAULT_AGENT));
    assert.deepEqual([r.fallback, r.problems], [[], []]);
  });

  it('--agent a headless preset; --agent-argv a program with the usage limit and permission prompt watched; never both', () => {
    assert.equal(fromFlags({ agent: 'codex' }).agent, presetProfile('codex'));
    const custom = fromFlags({ 'agent-argv': JSON.stringify(AGENT) }).agent!;
    assert.deepEqual([custom.id, custom.argv, custom.interactive, custom.needsInputPattern], ['custom', AGENT, false, `${USAGE_LIMIT_PATTERN}|${PERMISSION_PROMPT_PATTERN}`]);
    fails(() => fromFlags({ agent: 'codex', 'agent-argv': JSON.stringify(AGENT) }), /^--agent and --agent-argv do not go together$/);
  });

  it('a preset that is none, an interactive one (it needs the editor\'s terminals) or an argv no profile can be made of: a problem naming the flag', () => {
    assert.deepEqual(fromFlags({ agent: 'nonesuch' }).problems, [{ setting: 'waves.agent', message: `--agent: unknown agent preset "nonesuch" (presets: ${PRESET_IDS.join(', ')})` }]);
    assert.match(fromFlags({ agent: 'codex-interactive' }).problems[0]!.message, /^--agent: "codex-interactive" is an interactive agent: it needs a terminal of its own, which the editor gives it; from the command line use "codex"$/);
    assert.match(fromFlags({ 'agent-argv': '["x", "${nope}"]' }).problems[0]!.message, /^--agent-argv: agent "custom": argv\[1\] has the unknown placeholder \$\{nope\}/);
    assert.match(fromFlags({ 'agent-fallback': 'codex,gemini-interactive' }).problems[0]!.message, /^--agent-fallback: "gemini-interactive" is an interactive agent/);
    assert.match(fromFlags({ 'agent-fallback': 'codex,nope' }).problems[0]!.message, /^--agent-fallback: unknown agent preset "nope"/);
  });

  it('--agent-fallback: the presets in order; --agent-cap: the map', () => {
    const r = fromFlags({ 'agent-fallback': 'codex,gemini', 'agent-cap': 'codex=2,claude-code=1' });
    assert.deepEqual(r.fallback, [presetProfile('codex'), presetProfile('gemini')]);
    assert.deepEqual(r.values.agentCaps, { codex: 2, 'claude-code': 1 });
  });
});

describe("the agent's options from the editor settings", () => {
  it('nothing set: no agent (the editor asks), and nothing else', () => {
    assert.deepEqual(fromSettings({}), { values: {}, agent: undefined, overrides: new Map(), fallback: [], problems: [] });
    assert.deepEqual(fromSettings({ 'waves.agent': '  ', 'waves.agentFallback': [], 'waves.agentOverrides': {}, 'waves.agentCaps': {} }).values, {}, 'empty is not set');
  });

  it('waves.agent a preset (interactive ones too: the editor has terminals) or an argv; waves.agentInteractive makes an argv agent a TUI', () => {
    assert.equal(fromSettings({ 'waves.agent': 'codex-interactive' }).agent, presetProfile('codex-interactive'));
    const headless = fromSettings({ 'waves.agent': AGENT }).agent!;
    assert.deepEqual([headless.interactive, headless.needsInputPattern], [false, `${USAGE_LIMIT_PATTERN}|${PERMISSION_PROMPT_PATTERN}`], 'headless: watched as on the command line');
    const tui = fromSettings({ 'waves.agent': AGENT, 'waves.agentInteractive': true }).agent!;
    assert.deepEqual([tui.interactive, tui.needsInputPattern], [true, undefined]);
  });

  it('per-package agents and the fallback: each entry made as the agent (the fallback never a TUI); a bad entry left out, named by its key or index', () => {
    const r = fromSettings({
      'waves.agentInteractive': true,
      'waves.agentOverrides': { 'wp-a': 'gemini', 'wp-b': AGENT, 'wp-c': '', 'wp-d': 'nope', 'wp-e': [1] },
      'waves.agentFallback': ['codex', AGENT, [], 7],
    });
    assert.deepEqual([...r.overrides.keys()], ['wp-a', 'wp-b']);
    assert.equal(r.overrides.get('wp-b')!.interactive, true);
    assert.deepEqual(r.fallback.map((a) => [a.id, a.interactive]), [['codex', false], ['custom', false]]);
    assert.deepEqual(
      r.problems.map((p) => p.message),
      [
        'waves.agentOverrides["wp-c"] is empty; give a preset id or an argv array',
        'waves.agentOverrides["wp-e"] must be a program and its arguments, each a string, the program first; left out',
        'waves.agentFallback[2] is empty; give a preset id or an argv array',
        'waves.agentFallback[3] is not a preset id or a program and its arguments; left out',
        `waves.agentOverrides["wp-d"]: unknown agent preset "nope" (presets: ${PRESET_IDS.join(', ')})`,
      ],
    );
    assert.deepEqual(new Set(r.problems.map((p) => p.setting)), new Set(['waves.agentOverrides', 'waves.agentFallback']), 'each with the setting to open');
  });

  it('waves.agentCaps: as --agent-cap, a whole number of at least 1 per agent; any other is left out and said (not rounded, not dropped unsaid)', () => {
    const r = fromSettings({ 'waves.agentCaps': { codex: 2, gemini: 2.5, aider: 0, copilot: '3' } });
    assert.deepEqual(r.values.agentCaps, { codex: 2 });
    assert.deepEqual(
      r.problems.map((p) => p.message),
      ['waves.agentCaps["gemini"] is not a whole number ≥ 1; left out', 'waves.agentCaps["aider"] is not a whole number ≥ 1; left out', 'waves.agentCaps["copilot"] is not a whole number ≥ 1; left out'],
    );
    assert.deepEqual(fromSettings({ 'waves.agentCaps': [1] }).problems.map((p) => p.message), ['waves.agentCaps is not a whole number ≥ 1 by agent id; left out']);
  });

  it('what cannot be used at all: said, with the setting to open', () => {
    assert.deepEqual(fromSettings({ 'waves.agent': 'claude' }).problems, [{ setting: 'waves.agent', message: `waves.agent: unknown agent preset "claude" (presets: ${PRESET_IDS.join(', ')})` }]);
    assert.deepEqual(fromSettings({ 'waves.agent': 3 }).problems, [{ setting: 'waves.agent', message: 'waves.agent is not a preset id or a program and its arguments; left out' }]);
    assert.deepEqual(fromSettings({ 'waves.agentInteractive': 'yes' }).problems, [{ setting: 'waves.agentInteractive', message: 'waves.agentInteractive is not true or false; left out' }]);
  });
});

describe("the same agents from both front ends, the same start request", () => {
  const base = { planFile: '/r/work-packages.yaml', shown: 'work-packages.yaml' };
  const request = (values: RunOptionValues, agents: ReturnType<typeof runAgentsOf>) =>
    startRequestFrom({ ...base, agent: agents.agent!, agentFallback: agents.fallback, agentCaps: values.agentCaps });

  it('an argv agent, a fallback and caps', () => {
    const cli = fromFlags({ 'agent-argv': JSON.stringify(AGENT), 'agent-fallback': 'codex,gemini', 'agent-cap': 'custom=1' });
    const editor = fromSettings({ 'waves.agent': AGENT, 'waves.agentFallback': ['codex', 'gemini'], 'waves.agentCaps': { custom: 1 } });
    assert.deepEqual([cli.problems, editor.problems], [[], []]);
    assert.deepEqual(request(editor.values, editor), request(cli.values, cli));
    assert.deepEqual(request(cli.values, cli).agentCaps, { custom: 1 });
  });

  it('a preset, nothing else: no fallback or caps in the request', () => {
    const cli = fromFlags({ agent: 'gemini' });
    const editor = fromSettings({ 'waves.agent': 'gemini', 'waves.agentFallback': [], 'waves.agentCaps': {} });
    assert.deepEqual(request(editor.values, editor), { ...base, agent: presetProfile('gemini') });
    assert.deepEqual(request(cli.values, cli), request(editor.values, editor));
  });
});
