import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AgentProfileError,
  PLACEHOLDERS,
  PRESETS,
  customProfile,
  expandAgent,
  permissionArgs,
  presetProfile,
  talkArgs,
  codexServerNames,
  mcpConfigServerNames,
  quietServers,
  bothQuiet,
  talkEnv,
  profileProblems,
  type AgentProfile,
  type AgentVars,
} from '../../../src/core/agents/agentProfiles';
import { decideOutcome, type AttemptFacts } from '../../../src/core/agents/agentOutcome';
import { detectAgents } from '../../../src/core/agents/agentDetect';
import { needsInputReason, parseVerdict, resetTimeOf, scanLog, spendOf, type AgentVerdict } from '../../../src/core/agents/agentLogs';

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'agent-output');
const log = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

const vars: AgentVars = {
  promptFile: '/repo/.waves/runs/f/r1/wp-a/1/prompt.md',
  packageId: 'wp-a',
  worktree: '/repo.worktrees/f/wp-a',
  feature: 'f',
  resultFile: '/repo/.waves/runs/f/r1/wp-a/1/result.json',
  attemptDir: '/repo/.waves/runs/f/r1/wp-a/1',
};

describe('presets', () => {
  it('has a headless and an interactive variant of each agent, and ids are unique', () => {
    const ids = PRESETS.map((p) => p.id);
    assert.deepEqual(ids, [
      'claude-code',
      'claude-code-interactive',
      'codex',
      'codex-interactive',
      'gemini',
      'gemini-interactive',
      'aider',
      'aider-interactive',
      'copilot',
      'copilot-interactive',
    ]);
    for (const p of PRESETS) {
      assert.deepEqual(profileProblems(p), [], p.id);
      assert.equal(p.interactive, p.id.endsWith('-interactive'), p.id);
      assert.equal(p.argv[0], p.executable, p.id);
      if (p.interactive) assert.equal(p.verdict, 'none', `${p.id}: an interactive agent's terminal is not parsed`);
    }
  });

  it('expands every preset; the prompt reaches the agent through stdin or a placeholder', () => {
    for (const p of PRESETS) {
      const { argv, stdinFile } = expandAgent(p, vars);
      assert.ok(!argv.some((a) => a.includes('${')), `${p.id}: ${argv.join(' ')}`);
      const mentionsPrompt = argv.some((a) => a.includes(vars.promptFile));
      assert.ok(stdinFile === vars.promptFile || mentionsPrompt, `${p.id} never gets the prompt`);
    }
  });

  it('uses the documented headless flags', () => {
    const argv = (id: string) => expandAgent(presetProfile(id)!, vars).argv;
    assert.deepEqual(argv('claude-code').slice(0, 7), ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits']);
    assert.deepEqual(argv('codex'), ['codex', 'exec', '--json', '--sandbox', 'workspace-write', '-C', vars.worktree, '--add-dir', vars.attemptDir, '-']);
    assert.ok(argv('gemini').includes('--approval-mode') && argv('gemini').includes('auto_edit') && argv('gemini').includes('-p'));
    assert.deepEqual(argv('aider'), ['aider', '--message-file', vars.promptFile, '--yes-always']);
    assert.ok(argv('copilot').includes('--allow-all-tools') && argv('copilot')[1] === '-p');
    assert.equal(presetProfile('claude-code')!.verdict, 'claude-stream-json');
    assert.equal(presetProfile('codex')!.verdict, 'codex-jsonl');
    assert.equal(presetProfile('gemini')!.verdict, 'gemini-json');
    assert.equal(presetProfile('copilot')!.verdict, 'copilot-json');
  });

  it('ends Claude Code\'s variadic --add-dir before the interactive prompt', () => {
    const argv = expandAgent(presetProfile('claude-code-interactive')!, vars).argv;
    const k = argv.indexOf('--add-dir');
    assert.equal(argv[k + 1], vars.attemptDir);
    assert.equal(argv[k + 2], '--');
  });
});

describe('expandAgent', () => {
  const custom = (argv: string[], stdin: 'prompt' | null = null) => customProfile(argv, { stdin });

  it('replaces placeholders inside elements and never splits a value', () => {
    const nasty: AgentVars = {
      ...vars,
      packageId: 'a b; rm -rf / $(touch pwned) `x` "q" \'s\'',
      worktree: '/tmp/dir with spaces/$HOME',
    };
    const { argv } = expandAgent(custom(['tool', '--id=${packageId}', '${worktree}', 'pre${feature}post']), nasty);
    assert.deepEqual(argv, ['tool', `--id=${nasty.packageId}`, nasty.worktree, 'prefpost']);
  });

  it('property: an element with placeholders expands to exactly the values, verbatim, one element each', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PLACEHOLDERS), { minLength: 1, maxLength: 5 }), fc.string(), fc.string(), (names, value, sep) => {
        const v = { ...vars };
        for (const n of PLACEHOLDERS) v[n] = `${n}:${value}`;
        const element = names.map((n) => `\${${n}}`).join(sep.replace(/\$/g, ''));
        const { argv } = expandAgent(custom(['x', element]), v);
        assert.equal(argv.length, 2);
        assert.equal(argv[1], names.map((n) => v[n]).join(sep.replace(/\$/g, '')));
      }),
    );
  });

  it('does not expand placeholders that appear inside values', () => {
    const { argv } = expandAgent(custom(['x', '${packageId}']), { ...vars, packageId: '${worktree}' });
    assert.deepEqual(argv, ['x', '${worktree}']);
  });

  it('writes $${x} as a literal ${x}', () => {
    assert.deepEqual(expandAgent(custom(['sh-free', 'keep $${packageId} and ${packageId}']), vars).argv, ['sh-free', 'keep ${packageId} and wp-a']);
  });

  it('feeds the prompt file as stdin only when the profile says so', () => {
    assert.equal(expandAgent(custom(['x'], 'prompt'), vars).stdinFile, vars.promptFile);
    assert.equal(expandAgent(custom(['x']), vars).stdinFile, null);
  });

  it('refuses an unknown placeholder with a clear message', () => {
    assert.throws(() => customProfile(['x', '${promptfile}']), (err: Error) => {
      assert.ok(err instanceof AgentProfileError);
      assert.match(err.message, /argv\[1\] has the unknown placeholder \$\{promptfile\}/);
      assert.match(err.message, /known: \$\{promptFile\}/);
      return true;
    });
    const p: AgentProfile = { ...presetProfile('aider')!, argv: ['aider', '${HOME}'] };
    assert.throws(() => expandAgent(p, vars), /unknown placeholder \$\{HOME\}/);
  });

  it('refuses an empty argv, an empty program and an unclosed placeholder', () => {
    assert.throws(() => customProfile([]), /argv is empty/);
    assert.throws(() => customProfile(['  ']), /argv\[0\] \(the program\) is empty/);
    assert.throws(() => customProfile(['x', '${packageId']), /unclosed/);
  });

  it('refuses a missing value rather than writing "undefined"', () => {
    const partial = { ...vars } as Partial<AgentVars>;
    delete partial.feature;
    assert.throws(() => expandAgent(custom(['x', '${feature}']), partial as AgentVars), /no value for \$\{feature\}/);
  });

  it('reports bad profiles without throwing', () => {
    const bad = { id: 'mine', label: '', argv: ['x', 3], interactive: false, stdin: 'file', verdict: 'json', executable: 'x', needsInputPattern: '(' } as unknown as AgentProfile;
    const problems = profileProblems(bad);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.deepEqual(profileProblems(null as unknown as AgentProfile), ['agent "undefined": argv is empty — give at least the program to run']);
  });
});

describe('needsInputReason', () => {
  const claude = presetProfile('claude-code')!;
  it('names permission prompts; a headless preset\'s usage limit is its verdict\'s, not needs-input (#16)', () => {
    assert.equal(needsInputReason(claude, 'Claude AI usage limit reached|1753441200'), null, 'a headless CLI exits at a limit: the verdict pauses the package');
    assert.equal(needsInputReason({ needsInputPattern: 'usage limit' }, 'Claude AI usage limit reached|1753441200'), 'usage limit: Claude AI usage limit reached|1753441200');
    assert.match(needsInputReason(claude, 'Do you want to proceed? (y/n)') ?? '', /^waiting for input: /);
    assert.equal(needsInputReason(claude, 'Editing src/api/profile.ts'), null);
    assert.equal(needsInputReason(presetProfile('claude-code-interactive')!, 'usage limit reached'), null);
  });
  it('never reads the model\'s own text: a JSON event line does not raise needs-input (an agent working on rate limiting)', () => {
    const modelText = JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'Adding a rate limit; do you want to proceed? waiting for approval' }] } });
    assert.equal(needsInputReason(claude, modelText), null);
    assert.equal(needsInputReason({ needsInputPattern: 'rate limit|waiting for approval' }, `  ${modelText}  `), null);
    assert.match(needsInputReason(claude, 'Do you want to proceed? (y/n)') ?? '', /^waiting for input: /, 'the CLI\'s own prompt still does');
  });

  it('headless Claude Code may run git and exactly the approved verification commands, nothing else (#16)', () => {
    assert.deepEqual(permissionArgs(presetProfile('claude-code')!, ['npm test', 'node --check x.mjs']), [
      '--allowedTools',
      'Bash(git status:*)',
      'Bash(git diff:*)',
      'Bash(git log:*)',
      'Bash(git add:*)',
      'Bash(git commit:*)',
      'Bash(npm test)',
      'Bash(node --check x.mjs)',
    ]);
    for (const id of ['codex', 'gemini', 'copilot', 'aider', 'claude-code-interactive']) assert.deepEqual(permissionArgs(presetProfile(id)!, ['npm test']), [], id);
  });

  it("agents talk back: Claude Code gets the attempt's MCP configuration alone, the tools shown directly and allowed; Codex its -c overrides, each a TOML value; Gemini its settings; Copilot its added file; Aider nothing", () => {
    const server = { config: '/a/mcp.json', command: 'node', args: ['/x/waves-mcp.js'], env: { WAVES_TALK_TOKEN: 'ab12', WAVES_ATTEMPT_DIR: '/r/.waves/runs/f/r1/a "q"/1' } };
    const claude = presetProfile('claude-code')!;
    assert.deepEqual(talkArgs(claude, server), ['--mcp-config', '/a/mcp.json', '--strict-mcp-config']);
    assert.deepEqual(talkArgs(presetProfile('claude-code-interactive')!, server), ['--mcp-config', '/a/mcp.json', '--strict-mcp-config']);
    // its wait on a tool call as long as the run's on a scope request (6 minutes)
    assert.deepEqual(talkEnv(claude, server), { ENABLE_TOOL_SEARCH: 'false', MCP_TOOL_TIMEOUT: '360000' });
    assert.deepEqual(permissionArgs(claude, ['npm test'], true).slice(-2), ['Bash(npm test)', 'mcp__waves']);
    assert.deepEqual(talkArgs(presetProfile('codex')!, server), [
      '-c',
      'mcp_servers.waves.command="node"',
      '-c',
      'mcp_servers.waves.args=["/x/waves-mcp.js"]',
      '-c',
      'mcp_servers.waves.env={WAVES_TALK_TOKEN="ab12",WAVES_ATTEMPT_DIR="/r/.waves/runs/f/r1/a \\"q\\"/1"}',
      '-c',
      'mcp_servers.waves.tool_timeout_sec=360',
    ]);
    // The person's own servers (Codex has no strict mode, and -c mcp_servers={} merges): each turned off by name.
    assert.deepEqual(talkArgs(presetProfile('codex')!, { ...server, quiet: { codex: ['mine', 'with space'] } }).slice(-4), ['-c', 'mcp_servers.mine.enabled=false', '-c', 'mcp_servers."with space".enabled=false']);
    assert.deepEqual(talkArgs(presetProfile('claude-code')!, { ...server, quiet: { codex: ['mine'], copilot: ['mine'] } }), talkArgs(presetProfile('claude-code')!, server), 'Claude Code loads only the file anyway');
    // Copilot: its built-in servers and each of the person's turned off by name.
    assert.deepEqual(talkArgs(presetProfile('copilot')!, { ...server, quiet: { copilot: ['mine', '-x'] } }), ['--additional-mcp-config', '@/a/mcp.json', '--disable-builtin-mcps', '--disable-mcp-server=mine', '--disable-mcp-server=-x']);
    assert.deepEqual(talkEnv(presetProfile('codex')!, server), {});
    // Gemini: the attempt's file as its settings' system defaults, and only that server allowed.
    assert.deepEqual(talkArgs(presetProfile('gemini')!, server), ['--allowed-mcp-server-names', 'waves']);
    assert.deepEqual(talkEnv(presetProfile('gemini')!, server), { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: '/a/mcp.json' });
    // Copilot: the file added to its configuration for the session.
    assert.deepEqual(talkArgs(presetProfile('copilot')!, server), ['--additional-mcp-config', '@/a/mcp.json', '--disable-builtin-mcps']);
    assert.deepEqual(talkEnv(presetProfile('copilot')!, server), {});
    assert.deepEqual(talkArgs(presetProfile('aider')!, server), []);
    assert.deepEqual(talkEnv(presetProfile('aider')!, server), {});
    assert.deepEqual(talkArgs(customProfile(['my-agent']), server), []);
  });

  it('survives a broken custom pattern', () => {
    assert.equal(needsInputReason({ needsInputPattern: '(' }, 'anything'), null);
  });
});

describe('parseVerdict on recorded output', () => {
  const v = (id: Parameters<typeof parseVerdict>[0], file: string) => parseVerdict(id, log(file));

  it('claude-stream-json: success', () => {
    const r = v('claude-stream-json', 'claude-success.jsonl');
    assert.deepEqual({ reported: r.reported, ok: r.ok, usageLimit: r.usageLimit }, { reported: true, ok: true, usageLimit: false });
    assert.match(r.detail, /success after 7 turns/);
  });

  it('claude-stream-json: exit 0 with is_error true is a failure', () => {
    const r = v('claude-stream-json', 'claude-error-exit0.jsonl');
    assert.equal(r.reported, true);
    assert.equal(r.ok, false);
    assert.match(r.detail, /issue with the selected model/);
    assert.equal(r.usageLimit, false);
  });

  it('claude-stream-json: usage limit', () => {
    const r = v('claude-stream-json', 'claude-usage-limit.jsonl');
    assert.equal(r.ok, false);
    assert.equal(r.usageLimit, true);
    assert.match(r.detail, /usage limit reached/);
  });

  it('claude-stream-json: max turns', () => {
    const r = v('claude-stream-json', 'claude-max-turns.jsonl');
    assert.equal(r.ok, false);
    assert.match(r.detail, /error_max_turns/);
  });

  it('claude-stream-json: a log cut off mid-line reports nothing', () => {
    const r = v('claude-stream-json', 'claude-killed.log');
    assert.equal(r.reported, false);
    assert.match(r.detail, /no final result event/);
  });

  it('gemini-json: a pretty-printed success after a stderr line, with braces inside strings', () => {
    const r = v('gemini-json', 'gemini-success.log');
    assert.deepEqual({ reported: r.reported, ok: r.ok, usageLimit: r.usageLimit }, { reported: true, ok: true, usageLimit: false });
  });

  it('gemini-json: quota error', () => {
    const r = v('gemini-json', 'gemini-quota.log');
    assert.equal(r.ok, false);
    assert.equal(r.usageLimit, true);
    assert.match(r.detail, /Quota exceeded/);
  });

  it('codex-jsonl: turn.completed', () => {
    const r = v('codex-jsonl', 'codex-success.jsonl');
    assert.deepEqual({ reported: r.reported, ok: r.ok, usageLimit: r.usageLimit }, { reported: true, ok: true, usageLimit: false });
  });

  it('codex-jsonl: turn.failed on a usage limit', () => {
    const r = v('codex-jsonl', 'codex-usage-limit.jsonl');
    assert.equal(r.ok, false);
    assert.equal(r.usageLimit, true);
    assert.match(r.detail, /^Codex turn failed: You've hit your usage limit/);
  });

  it('codex-jsonl: an error event without a turn end', () => {
    const r = v('codex-jsonl', 'codex-stream-error.jsonl');
    assert.equal(r.reported, true);
    assert.equal(r.ok, false);
    assert.match(r.detail, /stream disconnected/);
    assert.equal(r.usageLimit, false);
  });

  it('copilot-json: result exitCode 0', () => {
    const r = v('copilot-json', 'copilot-success.jsonl');
    assert.deepEqual({ reported: r.reported, ok: r.ok, usageLimit: r.usageLimit }, { reported: true, ok: true, usageLimit: false });
  });

  it('copilot-json: session.error and a non-zero exitCode', () => {
    const r = v('copilot-json', 'copilot-limit.jsonl');
    assert.equal(r.ok, false);
    assert.equal(r.usageLimit, true);
    assert.match(r.detail, /exit code 1: You have exceeded your premium requests/);
  });

  it('none: reports nothing, whatever the log says', () => {
    const r = v('none', 'aider-api-error.log');
    assert.deepEqual({ reported: r.reported, ok: r.ok, usageLimit: r.usageLimit }, { reported: false, ok: false, usageLimit: false });
  });

  it('a parser given another agent\'s log reports nothing rather than a wrong verdict', () => {
    assert.equal(v('codex-jsonl', 'claude-success.jsonl').reported, false);
    assert.equal(v('claude-stream-json', 'codex-success.jsonl').reported, false);
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.constantFrom('claude-stream-json', 'gemini-json', 'codex-jsonl', 'copilot-json', 'none', 'bogus') as fc.Arbitrary<never>, fc.string(), (id, text) => {
        const r = parseVerdict(id, text);
        assert.equal(typeof r.detail, 'string');
      }),
    );
    assert.equal(parseVerdict('claude-stream-json', undefined as unknown as string).reported, false);
    assert.equal(parseVerdict('claude-stream-json', '{'.repeat(100_000)).reported, false);
  });
});

describe('scanLog', () => {
  it('separates JSON objects from plain lines', () => {
    const r = scanLog('hello\n{"a":1}\n{ not json\n{\n  "b": "}"\n}\nbye\r\n');
    assert.deepEqual(r.objects, [{ a: 1 }, { b: '}' }]);
    assert.deepEqual(r.plain, ['hello', '{ not json', 'bye']);
  });
});

describe('detectAgents', () => {
  it('finds presets whose executable is on PATH, first entry wins', () => {
    const files = new Set(['/usr/local/bin/claude', '/opt/bin/claude', '/opt/bin/aider']);
    const found = detectAgents('/usr/bin::/usr/local/bin:/opt/bin', (f) => files.has(f), { platform: 'linux' });
    assert.deepEqual(
      found.map((f) => [f.id, f.path]),
      [
        ['claude-code', '/usr/local/bin/claude'],
        ['claude-code-interactive', '/usr/local/bin/claude'],
        ['aider', '/opt/bin/aider'],
        ['aider-interactive', '/opt/bin/aider'],
      ],
    );
  });

  it('uses PATHEXT and ; on Windows', () => {
    const files = new Set(['C:\\tools\\codex.CMD']);
    const found = detectAgents('C:\\Windows;"C:\\tools"', (f) => files.has(f), { platform: 'win32' });
    assert.deepEqual(found.map((f) => f.id), ['codex', 'codex-interactive']);
  });

  it('copes with no PATH and a throwing exists()', () => {
    assert.deepEqual(detectAgents(undefined, () => true, { platform: 'linux' }), []);
    assert.deepEqual(detectAgents('/bin', () => { throw new Error('EACCES'); }, { platform: 'linux' }), []);
  });
});

describe('decideOutcome', () => {
  const ok: AgentVerdict = { reported: true, ok: true, detail: 'fine', usageLimit: false };
  const base: AttemptFacts = { exitCode: 0, signal: null, timedOut: false, cancelled: false, verdict: ok, changedFiles: ['src/a.ts'], resultRecord: null };

  it('goes on to verification when the exit, the verdict and the changes agree', () => {
    assert.deepEqual(decideOutcome(base), { next: 'verify', reason: null });
    assert.deepEqual(decideOutcome({ ...base, verdict: null, changedFiles: [{ path: 'x' }] }), { next: 'verify', reason: null });
  });

  it('fails a headless agent that exits 0 having done nothing', () => {
    const r = decideOutcome({ ...base, changedFiles: [] });
    assert.deepEqual(r, { next: 'failed', reason: 'the agent exited 0 but changed no file and wrote no result record', usageLimit: false });
  });

  it('a "done" record with no change is not a success: what git saw decides (#16)', () => {
    assert.deepEqual(decideOutcome({ ...base, changedFiles: [], resultRecord: { status: 'done', notes: 'already there' } }), {
      next: 'failed',
      reason: 'the agent exited 0 and its result record says "done", but it changed no file',
      usageLimit: false,
    });
    assert.equal(decideOutcome({ ...base, changedFiles: ['a.txt'], resultRecord: { status: 'done', notes: null } }).next, 'verify');
    assert.match(decideOutcome({ ...base, changedFiles: [], resultRecord: { status: null, notes: null } }).reason ?? '', /does not say "done"/);
  });

  it('fails blocked and partial records even with changes', () => {
    assert.match(decideOutcome({ ...base, resultRecord: { status: 'blocked', notes: 'needs the API key' } }).reason ?? '', /blocked: needs the API key/);
    assert.match(decideOutcome({ ...base, resultRecord: { status: 'partial', notes: null } }).reason ?? '', /partial/);
  });

  it('fails on exit code, signal, timeout; cancelled wins', () => {
    assert.match(decideOutcome({ ...base, exitCode: 3 }).reason ?? '', /exited with code 3/);
    assert.match(decideOutcome({ ...base, exitCode: null, signal: 'SIGKILL' }).reason ?? '', /killed by SIGKILL/);
    assert.match(decideOutcome({ ...base, exitCode: null }).reason ?? '', /without an exit code/);
    assert.match(decideOutcome({ ...base, timedOut: true, exitCode: null, signal: 'SIGTERM' }).reason ?? '', /timed out/);
    assert.deepEqual(decideOutcome({ ...base, cancelled: true, timedOut: true }), { next: 'cancelled', reason: 'cancelled' });
  });

  it('fails an exit 0 whose own verdict is an error, and flags usage limits', () => {
    const claude = parseVerdict('claude-stream-json', log('claude-error-exit0.jsonl'));
    const r = decideOutcome({ ...base, verdict: claude });
    assert.equal(r.next, 'failed');
    assert.match(r.reason ?? '', /exited 0 but reported a failure: Claude Code reported an error/);
    // A usage limit is no failure: the package pauses, no retry spent; the CLIs exit non-zero on one.
    const at = Date.parse('2026-01-01T10:00:00.000Z');
    const limit = decideOutcome({ ...base, exitCode: 1, verdict: parseVerdict('codex-jsonl', log('codex-usage-limit.jsonl'), at) });
    assert.deepEqual(limit, {
      next: 'usage-limit',
      reason: "Codex turn failed: You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 hours 14 minutes.",
      resetAt: '2026-01-01T12:14:00.000Z',
    });
    const claudeLimit = decideOutcome({ ...base, exitCode: 1, verdict: parseVerdict('claude-stream-json', log('claude-usage-limit.jsonl')) });
    assert.deepEqual([claudeLimit.next, claudeLimit.next === 'usage-limit' && claudeLimit.resetAt], ['usage-limit', new Date(1753441200 * 1000).toISOString()]);
    const gemini = decideOutcome({ ...base, exitCode: 1, verdict: parseVerdict('gemini-json', log('gemini-quota.log')) });
    assert.deepEqual([gemini.next, gemini.next === 'usage-limit' && gemini.resetAt], ['usage-limit', null], 'no reset time given: null, never a guess');
    const copilot = decideOutcome({ ...base, exitCode: 1, verdict: parseVerdict('copilot-json', log('copilot-limit.jsonl')) });
    assert.equal(copilot.next, 'usage-limit');
  });

  it('a success is never a usage limit, whatever the CLI printed on the way (retries it recovered from)', () => {
    const retried = `Attempt 1 failed with status 429. Retrying with backoff...\n${log('gemini-success.log')}`;
    const v = parseVerdict('gemini-json', retried);
    assert.equal(v.ok, true);
    assert.equal(v.usageLimit, false);
    assert.equal(decideOutcome({ ...base, verdict: v }).next, 'verify');
  });

  it('without a verdict, a failure carries the CLI\'s last own lines (Gemini on an untrusted folder)', () => {
    const text = 'Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set GEMINI_CLI_TRUST_WORKSPACE=true or trust the folder.\n';
    const r = decideOutcome({ ...base, exitCode: 55, verdict: parseVerdict('gemini-json', text) });
    assert.equal(r.next, 'failed');
    assert.match(r.reason ?? '', /^the agent exited with code 55 — it said: Gemini CLI is not running in a trusted directory/);
  });

  it('reads a reset time only where it cannot be misread', () => {
    const now = Date.parse('2026-01-01T10:00:00.000Z');
    assert.equal(resetTimeOf('Claude AI usage limit reached|1753441200', now), '2025-07-25T11:00:00.000Z');
    assert.equal(resetTimeOf('quota exhausted; resets at 2026-01-01T17:30:00Z', now), '2026-01-01T17:30:00.000Z');
    assert.equal(resetTimeOf('try again in 45 minutes', now), '2026-01-01T10:45:00.000Z');
    assert.equal(resetTimeOf('try again in 1 day 2 hours', now), '2026-01-02T12:00:00.000Z');
    assert.equal(resetTimeOf('Your limit will reset at 5pm.', now), null, 'whose 5pm? not guessed');
    // Claude Code as a subscriber (docs/agents-testing.md): a clock time with its zone.
    assert.equal(resetTimeOf("You've hit your 5-hour limit · resets 6:24pm (UTC)", now), '2026-01-01T18:24:00.000Z');
    assert.equal(resetTimeOf('resets 9am (UTC)', now), '2026-01-02T09:00:00.000Z', 'already past today: tomorrow');
    // Codex: this machine's clock.
    const local = new Date(resetTimeOf('… or try again at 6:26 PM.', now)!);
    assert.deepEqual([local.getHours(), local.getMinutes()], [18, 26]);
    assert.ok(local.getTime() >= now && local.getTime() < now + 86_400_000);
    // Codex, when the reset is on another day (seen at 22:06 UTC with a reset two hours on): the date too.
    const dated = (text: string) => {
      const iso = resetTimeOf(text, now);
      if (!iso) return null;
      const d = new Date(iso);
      return [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()];
    };
    assert.deepEqual(dated('… or try again at Nov 26th, 2026 12:06 AM.'), [2026, 11, 26, 0, 6]);
    assert.deepEqual(dated('try again at Jan 2nd, 2026 3:05 PM.'), [2026, 1, 2, 15, 5]);
    assert.deepEqual(dated('try again at Jan 1 11:30 PM'), [2026, 1, 1, 23, 30], 'no year: this year');
    assert.ok(new Date(resetTimeOf('try again at Jan 1 12:00 AM', now)!).getTime() > now, 'no year and already past: next year');
    assert.equal(resetTimeOf('try again at Feb 30th, 2026 1:00 AM', now), null, 'no such day');
    assert.equal(resetTimeOf('try again at Foo 3rd, 2026 1:00 AM', now), null);
    assert.equal(resetTimeOf('2026-03-30T22:20:01.000Z ERROR rate limit', now), null, 'a log line\'s own time is no reset time');
  });

  it('ignores an unreported verdict', () => {
    const none = parseVerdict('none', 'whatever');
    assert.equal(decideOutcome({ ...base, verdict: none }).next, 'verify');
  });
});

describe('spendOf: tokens and cost from each CLI\'s own output (docs/agents-testing.md samples, #16)', () => {
  const objects = (text: string) => scanLog(text).objects;
  it('Claude Code: the result line\'s usage and total_cost_usd', () => {
    const line = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, total_cost_usd: 0.01938, usage: { input_tokens: 3600, cache_creation_input_tokens: 0, cache_read_input_tokens: 900, output_tokens: 240 } });
    assert.deepEqual(spendOf('claude-stream-json', objects(line)), { inputTokens: 3600, outputTokens: 240, cachedTokens: 900, costUsd: 0.01938 });
    assert.deepEqual(parseVerdict('claude-stream-json', line).spend, { inputTokens: 3600, outputTokens: 240, cachedTokens: 900, costUsd: 0.01938 });
  });
  it('Codex: every turn.completed usage, summed; cached input counted once; no cost', () => {
    const turn = JSON.stringify({ type: 'turn.completed', usage: { input_tokens: 3600, cached_input_tokens: 900, cache_write_input_tokens: 0, output_tokens: 240, reasoning_output_tokens: 0 } });
    assert.deepEqual(spendOf('codex-jsonl', objects(`${turn}\n${turn}\n`)), { inputTokens: 5400, outputTokens: 480, cachedTokens: 1800, costUsd: null });
  });
  it('Gemini: stats.models[*].tokens, summed over models; no cost', () => {
    const out = JSON.stringify({ session_id: 's', response: 'Done', stats: { models: { a: { tokens: { input: 1200, prompt: 1200, candidates: 10, total: 1210, cached: 0, thoughts: 0 } }, b: { tokens: { input: 2700, prompt: 3600, candidates: 240, total: 3840, cached: 900, thoughts: 0 } } } } }, null, 2);
    assert.deepEqual(spendOf('gemini-json', objects(out)), { inputTokens: 3900, outputTokens: 250, cachedTokens: 900, costUsd: null });
  });
  it('Copilot and agents without structured output: nothing (never a guess)', () => {
    assert.equal(spendOf('copilot-json', objects(JSON.stringify({ type: 'result', exitCode: 0, usage: { premiumRequests: 0 } }))), null);
    assert.equal(spendOf('none', []), null);
    assert.equal(parseVerdict('none', 'anything').spend, undefined);
  });
});

describe('what the agent asked and what it was denied (#16)', () => {
  const base: AttemptFacts = { exitCode: 0, signal: null, timedOut: false, cancelled: false, verdict: null, changedFiles: [], resultRecord: null };
  it('a last message ending with a question is the verdict\'s question; an error result is not', () => {
    const asks = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'Should the cache use SQLite or Redis?' });
    assert.equal(parseVerdict('claude-stream-json', asks).question, 'Should the cache use SQLite or Redis?');
    assert.equal(parseVerdict('claude-stream-json', JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'Done.' })).question, undefined);
    assert.equal(parseVerdict('claude-stream-json', JSON.stringify({ type: 'result', subtype: 'success', is_error: true, result: 'Why?' })).question, undefined);
    const codex = [{ type: 'item.completed', item: { type: 'agent_message', text: 'Which port?' } }, { type: 'turn.completed', usage: {} }].map((o) => JSON.stringify(o)).join('\n');
    assert.equal(parseVerdict('codex-jsonl', codex).question, 'Which port?');
    const r = decideOutcome({ ...base, verdict: parseVerdict('claude-stream-json', asks), changedFiles: [] });
    assert.deepEqual(r, { next: 'failed', reason: 'the agent asked a question and changed nothing: “Should the cache use SQLite or Redis?”', usageLimit: false });
    assert.equal(decideOutcome({ ...base, verdict: parseVerdict('claude-stream-json', asks), changedFiles: ['a.ts'] }).next, 'verify', 'a question after work is no failure');
  });

  it("Claude Code's permission_denials are read as such", () => {
    const line = JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      result: 'Done',
      permission_denials: [
        { tool_name: 'Bash', tool_use_id: 't1', tool_input: { command: 'git add -A && git commit -m x' } },
        { tool_name: 'Write', tool_use_id: 't2', tool_input: { file_path: '/etc/hosts' } },
      ],
    });
    assert.deepEqual(parseVerdict('claude-stream-json', line).denials, ['Bash: git add -A && git commit -m x', 'Write: /etc/hosts']);
    assert.equal(parseVerdict('claude-stream-json', JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'x', permission_denials: [] })).denials, undefined);
  });
});

describe("the person's Codex MCP servers, by name (codexServerNames)", () => {
  it('reads every form a config.toml names a server in: tables, dotted keys at the top, inline tables; never waves, never another table\'s key', () => {
    const toml = [
      'model = "gpt-5"',
      'mcp_servers.top.command = "a"',
      '[mcp_servers.mine]',
      'command = "node"',
      '[mcp_servers."with space"]',
      "[ mcp_servers . 'literal' ]",
      '[mcp_servers]',
      'inline = { command = "x" }',
      'waves = { command = "y" }',
      '[mcp_servers.mine.env]',
      'A = "1"',
      '[other]',
      'mcp_servers.notme.command = "z"',
      '[mcp_servers."bad\\q"]',
    ].join('\n');
    assert.deepEqual(codexServerNames(toml), ['top', 'mine', 'with space', 'literal', 'inline']);
    assert.deepEqual(codexServerNames(''), []);
    assert.deepEqual(codexServerNames('[mcp_servers.waves]\ncommand = "node"'), []);
  });

  it("Copilot's mcp-config.json: its mcpServers' names, never waves; nothing from what is not one", () => {
    assert.deepEqual(mcpConfigServerNames('{"mcpServers": {"mine": {"command": "x"}, "waves": {}, "other": {}}}'), ['mine', 'other']);
    for (const bad of ['', 'not json', '[]', '{"mcpServers": []}', '{"mcpServers": null}', '{}']) assert.deepEqual(mcpConfigServerNames(bad), [], bad);
  });

  it("the servers to leave off: every file's (the person's and the repository's), each name once; both lists of two sets (quietServers, bothQuiet)", () => {
    const quiet = quietServers({
      codexToml: ['[mcp_servers.mine]\ncommand = "x"', '', '[mcp_servers.theirs]\ncommand = "y"\n[mcp_servers.mine]\ncommand = "z"'],
      copilotJson: ['{"mcpServers": {"a": {}}}', 'not json', '{"mcpServers": {"b": {}, "a": {}, "waves": {}}}'],
    });
    assert.deepEqual(quiet, { codex: ['mine', 'theirs'], copilot: ['a', 'b'] });
    assert.deepEqual(quietServers({}), { codex: [], copilot: [] });
    assert.deepEqual(bothQuiet(quiet, { codex: ['theirs', 'host'], copilot: [] }), { codex: ['mine', 'theirs', 'host'], copilot: ['a', 'b'] });
    const argv = talkArgs({ id: 'copilot' }, { config: '/a/mcp.json', command: 'node', args: [], env: {}, quiet });
    assert.deepEqual(argv.filter((a) => a.startsWith('--disable-mcp-server=')), ['--disable-mcp-server=a', '--disable-mcp-server=b']);
  });
});
