import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  flagsOf,
  parseOptionText,
  pathProblem,
  RUN_OPTIONS,
  RunOptionError,
  runOptionsFromCommandLine,
  runOptionsFromSettings,
  wallsValuesOf,
  type RunOption,
} from '../../../src/core/run/runOptions';
import { PORT_BASE, PORT_CEILING, PORT_RANGES, PORT_SPAN, portEnvOf, portRangeOf } from '../../../src/core/run/portRange';

const root = path.resolve(__dirname, '..', '..', '..');
const option = (flag: string): RunOption => RUN_OPTIONS.find((o) => o.flag === flag)!;
const flags = (entries: Record<string, string | true>) => new Map(Object.entries(entries));
const fails = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof RunOptionError && message.test(err.message));

describe('the run options table', () => {
  it('every option has a setting, a kind, a part and a line, a flag unless the editor alone can use it (the worktree and walls options a variable too); none shares one', () => {
    assert.deepEqual(
      RUN_OPTIONS.map((o) => o.id),
      [
        ...['agent', 'agentInteractive', 'agentOverrides', 'agentFallback', 'agentCaps'],
        ...['maxParallel', 'candidates', 'schedule', 'onUsageLimit', 'budgetUsd', 'budgetTokens', 'reviewGate', 'integrationGuard'],
        ...['setupCommand', 'copy', 'worktreesFolder', 'layered', 'unconfined', 'write', 'read', 'hidden', 'allowHosts', 'registries', 'cache', 'memoryMB', 'container'],
      ],
    );
    const parts = RUN_OPTIONS.map((o) => o.part);
    assert.deepEqual(parts, [...parts].sort((a, b) => ['agent', 'run', 'worktrees'].indexOf(a) - ['agent', 'run', 'worktrees'].indexOf(b)), 'in the order the help says them: the agent, the run, the worktrees and walls');
    for (const o of RUN_OPTIONS) {
      assert.match(o.setting, o.part === 'worktrees' ? /^waves\.(worktrees|sandbox)\.[A-Za-z]+$/ : /^waves\.[A-Za-z]+(\.[A-Za-z]+)?$/, o.id);
      if (o.flag !== undefined) assert.match(o.flag, /^[a-z]+(-[a-z]+)*$/, o.id);
      else assert.deepEqual([o.part, o.plan, o.env, o.switches, o.argvFlag], ['agent', false, undefined, undefined, undefined], `${o.id}: only an agent's option is the editor's alone, and it has no other name`);
      if (o.part === 'worktrees' && !o.noWalls) assert.match(o.env ?? '', /^WAVES_[A-Z_]+$/, `${o.id}: a worktree or walls option has its variable`);
      else if (o.env !== undefined) assert.match(o.env, /^WAVES_[A-Z_]+$/, o.id);
      assert.ok(o.description.length > 20 && !o.description.includes('\n') && !/#\d/.test(o.description), o.id);
      assert.equal(o.value === '', o.kind === 'boolean', o.id);
      assert.equal(o.walls, o.setting.startsWith('waves.sandbox.'), `${o.id}: the walls' options are the sandbox settings`);
      assert.equal(o.plan, o.part === 'worktrees' || o.id === 'agent', `${o.id}: waves plan takes the agent, the worktree and the walls options`);
      if (o.kind === 'path' || o.kind === 'path-list') assert.ok(o.paths, `${o.id} says how its paths are written`);
      assert.equal(Boolean(o.words), o.kind === 'choice', `${o.id}: a choice, and only a choice, has words`);
      assert.equal(Boolean(o.argvFlag), o.kind === 'agent', `${o.id}: an agent, and only an agent, has a flag for its program and arguments`);
      if (o.words) assert.equal(o.value, o.words.join('|'), `${o.id}: its usage lists its words`);
      if (o.default !== undefined) assert.equal(parseOptionText(o, String(o.default), 'default'), o.default, `${o.id}: its default is a value it takes`);
      for (const [flag, value] of Object.entries(o.switches ?? {})) {
        assert.match(flag, /^[a-z]+(-[a-z]+)*$/, `${o.id}: --${flag}`);
        assert.equal(parseOptionText(o, String(value), 'switch'), value, `${o.id}: --${flag} gives a value the option takes`);
      }
    }
    const allFlags = RUN_OPTIONS.flatMap(flagsOf);
    assert.equal(new Set(allFlags).size, allFlags.length, 'flags are distinct, switches and argv flags included');
    for (const key of ['setting', 'env'] as const) {
      const given = RUN_OPTIONS.map((o) => o[key]).filter((v) => v !== undefined);
      assert.equal(new Set(given).size, given.length, `${key}s are distinct`);
    }
    // `waves plan` takes the agent, the worktree and walls options, `waves run` alone the run's own and the agent's others.
    assert.deepEqual(RUN_OPTIONS.filter((o) => o.part === 'run').map((o) => o.flag), ['max-parallel', 'candidates', 'schedule', 'on-usage-limit', 'budget-usd', 'budget-tokens', 'review', 'integration-guard']);
    assert.deepEqual(RUN_OPTIONS.filter((o) => o.part === 'agent').map(flagsOf), [['agent', 'agent-argv'], [], [], ['agent-fallback'], ['agent-cap']]);
    assert.ok(RUN_OPTIONS.every((o) => !o.walls || o.plan), 'every walls option is a planning session\'s too');
    assert.deepEqual(RUN_OPTIONS.filter((o) => o.noWalls).map((o) => [o.flag, o.setting, o.walls]), [['unconfined', 'waves.sandbox.unconfined', true]], 'the walls off: the person\'s own, as the walls are');
    assert.deepEqual(RUN_OPTIONS.filter((o) => o.repeated).map((o) => o.flag), ['agent-cap']);
    // The names the command line had already keep their meaning.
    assert.equal(option('allow-host').env, 'WAVES_SANDBOX_ALLOW');
    assert.equal(option('sandbox-read').env, 'WAVES_SANDBOX_READ');
    assert.equal(option('memory-mb').setting, 'waves.sandbox.memoryMB');
    assert.equal(option('candidates').env, 'WAVES_CANDIDATES');
    assert.deepEqual(option('schedule').switches, { barrier: 'barrier' });
    assert.deepEqual(option('integration-guard').switches, { 'no-integration-guard': false });
    assert.deepEqual(RUN_OPTIONS.filter((o) => o.keptOnResume).map((o) => o.id), ['reviewGate', 'integrationGuard'], 'the options a run taken up again keeps');
  });

  it("each setting is in the extension's configuration with its kind's type, words and default, and the walls' are the person's (machine scope)", () => {
    type Property = { type: string | string[]; scope?: string; items?: { type: string | string[] }; additionalProperties?: { type: string | string[]; minimum?: number }; enum?: string[]; default?: unknown; minimum?: number; exclusiveMinimum?: number; markdownDescription: string };
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Property> } } };
    const props = pkg.contributes.configuration.properties;
    const types: Record<RunOption['kind'], string | string[]> = {
      argv: 'array',
      'path-list': 'array',
      'host-list': 'array',
      boolean: 'boolean',
      'whole-number': 'integer',
      count: 'integer',
      amount: 'number',
      choice: 'string',
      path: 'string',
      agent: ['string', 'array'],
      'agent-list': 'array',
      'agent-map': 'object',
      'agent-counts': 'object',
    };
    /** What a setting nobody set holds: nothing for a list or a map, else none (null) where the option has no default. */
    const empty: Partial<Record<RunOption['kind'], unknown>> = { 'agent-list': [], 'agent-map': {}, 'agent-counts': {} };
    for (const o of RUN_OPTIONS) {
      const p = props[o.setting];
      assert.ok(p, `${o.setting} is contributed`);
      const type = types[o.kind];
      // An option without a default (of the agent or the run) is empty (null) where nobody set it.
      const nullable = o.default === undefined && o.part !== 'worktrees' && !(o.kind in empty);
      assert.deepEqual(p.type, nullable ? [...[type].flat(), 'null'] : type, o.setting);
      if (p.type === 'array' && o.kind !== 'agent-list') assert.equal(p.items?.type, 'string', o.setting);
      if (o.kind === 'agent' || o.kind === 'agent-list' || o.kind === 'agent-map') assert.deepEqual(o.kind === 'agent' ? p.items?.type : (p.items ?? p.additionalProperties)?.type, o.kind === 'agent' ? 'string' : ['string', 'array'], `${o.setting}: a preset id or an argv`);
      if (o.kind === 'agent-counts') assert.deepEqual([p.additionalProperties?.type, p.additionalProperties?.minimum], ['integer', 1], `${o.setting}: whole numbers of at least 1`);
      assert.equal(p.scope === 'machine', o.walls, `${o.setting}: machine scope exactly for the walls' settings`);
      for (const flag of flagsOf(o)) assert.ok(JSON.stringify(p).includes(`--${flag}`), `${o.setting} names --${flag}`);
      if (o.part !== 'worktrees') assert.deepEqual(p.default, o.default ?? empty[o.kind] ?? null, `${o.setting}: the table's default`);
      if (o.words) assert.deepEqual(p.enum, o.words, `${o.setting}: the table's words, in its order`);
      if (o.kind === 'count') assert.equal(p.minimum, 1, `${o.setting}: at least 1`);
      if (o.kind === 'amount') assert.equal(p.exclusiveMinimum, 0, `${o.setting}: above 0`);
    }
  });

  it("run takes every option that has a flag, plan the agent, worktree and walls ones (a planning session's agent runs in a worktree set up as a package's): both commands' parsers and helps", async () => {
    const { optionFlags, repeatedFlags, runFlags } = await import('../../../src/cli/runArgs');
    const { main } = await import('../../../src/cli/waves');
    const helpOf = async (command: string) => {
      let out = '';
      const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), readFile: () => '', readRegularFile: () => '', stdin: () => (async function* () {})() };
      assert.equal(await main([command, '--help'], io), 0);
      return out.replace(/\s+/g, ' ');
    };
    const helps = { run: await helpOf('run'), plan: await helpOf('plan') };
    const planOptions = RUN_OPTIONS.filter((o) => o.plan);
    assert.deepEqual(optionFlags(), ['agent', 'agent-argv', ...planOptions.slice(1).map((o) => o.flag)], "plan's parser takes the agent's, the worktree and walls flags");
    assert.deepEqual(optionFlags(true), ['agent', 'agent-argv', ...planOptions.filter((o) => o.kind !== 'boolean' && o.kind !== 'agent').map((o) => o.flag)]);
    assert.deepEqual(
      runFlags(),
      ['agent', 'agent-argv', 'agent-fallback', 'agent-cap', 'max-parallel', 'candidates', 'schedule', 'barrier', 'on-usage-limit', 'budget-usd', 'budget-tokens', 'review', 'integration-guard', 'no-integration-guard', ...optionFlags().slice(2)],
      "run's parser (and what review and pick hand on) takes every flag of the table, switches included",
    );
    assert.deepEqual(runFlags(true), ['agent', 'agent-argv', ...RUN_OPTIONS.filter((o) => o.flag && o.kind !== 'boolean' && o.kind !== 'agent').map((o) => o.flag)], 'a switch takes no value');
    assert.deepEqual(repeatedFlags(), ['agent-cap']);
    for (const o of RUN_OPTIONS) {
      if (o.flag === undefined) {
        for (const help of Object.values(helps)) assert.ok(!help.includes(`(${o.setting})`), `${o.setting}: the editor's alone, in no command's help`);
        continue;
      }
      const usage = [`--${o.flag}${o.value ? ` ${o.value}` : ''}`, ...(o.argvFlag ? [`--${o.argvFlag} JSON`] : []), ...Object.keys(o.switches ?? {}).map((f) => `--${f}`)].join(' | ');
      const sources = [o.env === undefined ? null : o.envAddsInWalls ? `${o.env} adds to it` : o.kind === 'boolean' ? `${o.env}=1` : o.env, o.setting].filter((x) => x !== null).join('; ');
      for (const [command, help] of Object.entries(helps)) {
        if (command === 'plan' && !o.plan) {
          assert.ok(!help.includes(`--${o.flag} `) && !help.includes(`--${o.flag}]`), `waves plan does not offer --${o.flag}`);
          continue;
        }
        assert.ok(help.includes(`[${usage}]${o.repeated ? '…' : ''}`), `waves ${command}'s usage line has ${usage}`);
        const byDefault = o.default !== undefined && o.kind !== 'boolean' ? `; default ${String(o.default)}` : '';
        assert.ok(help.includes(`${usage} (${sources}): ${o.description}${byDefault}.`), `waves ${command}'s help explains --${o.flag}, with its default`);
      }
    }
    for (const help of Object.values(helps)) assert.match(help, /Presets: claude-code \(the default\), codex, gemini, aider, copilot;/, 'the presets, from the agents\' own list');
  });
});

describe('the run options: parsing each kind', () => {
  it('argv: a JSON array of strings, or words split on spaces; never a shell', () => {
    const o = option('setup-command');
    assert.deepEqual(parseOptionText(o, '["npm", "ci", "--prefer-offline"]', '--setup-command'), ['npm', 'ci', '--prefer-offline']);
    assert.deepEqual(parseOptionText(o, '  npm   ci\t--silent ', '--setup-command'), ['npm', 'ci', '--silent']);
    assert.deepEqual(parseOptionText(o, '["sh", "-c", "echo a && echo b"]', 'X'), ['sh', '-c', 'echo a && echo b'], 'what the array says, as it says it');
    assert.deepEqual(parseOptionText(o, 'echo $(id) ; rm -rf x', 'X'), ['echo', '$(id)', ';', 'rm', '-rf', 'x'], 'words are arguments, nothing more');
    fails(() => parseOptionText(o, '["npm", 1]', '--setup-command'), /^--setup-command must be a JSON array of strings/);
    fails(() => parseOptionText(o, '[npm', 'WAVES_SETUP_COMMAND'), /^WAVES_SETUP_COMMAND is not a JSON array of strings/);
    fails(() => parseOptionText(o, '[]', '--setup-command'), /needs a program/);
    fails(() => parseOptionText(o, '   ', '--setup-command'), /needs a program/);
    fails(() => parseOptionText(o, true, '--setup-command'), /needs a value/);
  });

  it('path list: separated by the path delimiter; each path as its option writes paths', () => {
    assert.deepEqual(parseOptionText(option('copy'), '.env:config/*.local.json: .npmrc ', '--copy', ':'), ['.env', 'config/*.local.json', '.npmrc']);
    assert.deepEqual(parseOptionText(option('copy'), '.env;local', '--copy', ';'), ['.env', 'local']);
    fails(() => parseOptionText(option('copy'), '/etc/passwd', '--copy', ':'), /^--copy: "\/etc\/passwd" is not relative to the repository/);
    fails(() => parseOptionText(option('copy'), 'a/../../x', 'WAVES_WORKTREES_COPY', ':'), /^WAVES_WORKTREES_COPY: "a\/\.\.\/\.\.\/x" goes up out of the repository/);
    fails(() => parseOptionText(option('copy'), '~/.env', '--copy', ':'), /not relative to the repository/);
    fails(() => parseOptionText(option('copy'), '::', '--copy', ':'), /needs at least one path/);
    assert.deepEqual(parseOptionText(option('sandbox-write'), '/opt/cache:~/.cargo', '--sandbox-write', ':'), ['/opt/cache', '~/.cargo']);
    fails(() => parseOptionText(option('sandbox-write'), 'relative/dir', '--sandbox-write', ':'), /^--sandbox-write: "relative\/dir" is neither absolute nor ~\/…/);
    fails(() => parseOptionText(option('sandbox-read'), '/tmp/a:b', 'WAVES_SANDBOX_READ', ':'), /^WAVES_SANDBOX_READ: "b" is neither absolute/);
    assert.deepEqual(parseOptionText(option('sandbox-hidden'), '.config/tokens:/srv/keys', '--sandbox-hidden', ':'), ['.config/tokens', '/srv/keys'], 'relative: to the home folder');
  });

  it('host list: host:port targets separated by commas', () => {
    const o = option('allow-host');
    assert.deepEqual(parseOptionText(o, 'registry.npmjs.org:443, *.example.com:443,https://pypi.org', '--allow-host'), ['registry.npmjs.org:443', '*.example.com:443', 'https://pypi.org']);
    fails(() => parseOptionText(o, ',', '--allow-host'), /^--allow-host needs HOST:PORT/);
    fails(() => parseOptionText(o, 'example.com', 'WAVES_SANDBOX_ALLOW'), /^WAVES_SANDBOX_ALLOW: "example\.com" is not a host:port/);
  });

  it('boolean: a flag without value; a variable 1 or 0', () => {
    const o = option('allow-registries');
    assert.equal(parseOptionText(o, true, '--allow-registries'), true);
    for (const yes of ['1', 'true', 'yes', 'on', ' TRUE ']) assert.equal(parseOptionText(o, yes, 'WAVES_SANDBOX_REGISTRIES'), true, yes);
    for (const no of ['0', 'false', 'no', 'off']) assert.equal(parseOptionText(o, no, 'WAVES_SANDBOX_REGISTRIES'), false, no);
    fails(() => parseOptionText(o, 'maybe', 'WAVES_SANDBOX_REGISTRIES'), /^WAVES_SANDBOX_REGISTRIES is 1 or 0, not "maybe"/);
  });

  it('whole number and path', () => {
    assert.equal(parseOptionText(option('memory-mb'), '4096', '--memory-mb'), 4096);
    assert.equal(parseOptionText(option('memory-mb'), '0', 'WAVES_SANDBOX_MEMORY_MB'), 0);
    for (const bad of ['lots', '-1', '1.5', '12345678', ''])
      fails(() => parseOptionText(option('memory-mb'), bad, '--memory-mb'), new RegExp(`^--memory-mb takes a whole number of MiB \\(0: no limit\\), not "${bad.replace('.', '\\.')}"`));
    assert.equal(parseOptionText(option('toolchain-cache'), '~/.cache/agents', '--toolchain-cache'), '~/.cache/agents');
    fails(() => parseOptionText(option('toolchain-cache'), 'cache', 'WAVES_SANDBOX_CACHE'), /^WAVES_SANDBOX_CACHE: "cache" is neither absolute nor ~\/…/);
    assert.equal(parseOptionText(option('worktrees-folder'), '../trees', '--worktrees-folder'), '../trees', 'relative to the repository, beside it too');
    fails(() => parseOptionText(option('worktrees-folder'), '~/trees', '--worktrees-folder'), /starts with ~/);
    fails(() => parseOptionText(option('worktrees-folder'), ' ', '--worktrees-folder'), /needs a path/);
  });

  it('path rules', () => {
    assert.equal(pathProblem('C:\\x', 'in-repository'), 'is not relative to the repository');
    assert.equal(pathProblem('a\\..\\b', 'in-repository'), 'goes up out of the repository (..)');
    assert.equal(pathProblem('a..b/c', 'in-repository'), null);
    assert.equal(pathProblem('~', 'absolute'), null);
    assert.equal(pathProblem('x\0y', 'home'), 'holds a NUL character');
  });
});

describe('the run options from the command line', () => {
  it('each from its flag, else its variable; a flag wins', () => {
    const env = { WAVES_SETUP_COMMAND: 'make deps', WAVES_WORKTREES_COPY: '.env', WAVES_SANDBOX_MEMORY_MB: '1024', WAVES_SANDBOX_REGISTRIES: '1', WAVES_SANDBOX_CACHE: '/var/cache/agents', WAVES_SANDBOX_WRITE: '', WAVES_WORKTREES_FOLDER: '/srv/trees' };
    const { values, sources } = runOptionsFromCommandLine(flags({ 'setup-command': '["npm","ci"]', 'memory-mb': '2048', 'sandbox-write': '/opt/w' }), env, false, ':');
    assert.deepEqual(values, { setupCommand: ['npm', 'ci'], copy: ['.env'], worktreesFolder: '/srv/trees', write: ['/opt/w'], registries: true, cache: '/var/cache/agents', memoryMB: 2048 });
    assert.deepEqual(sources, { setupCommand: '--setup-command', copy: 'WAVES_WORKTREES_COPY', worktreesFolder: 'WAVES_WORKTREES_FOLDER', write: '--sandbox-write', registries: 'WAVES_SANDBOX_REGISTRIES', cache: 'WAVES_SANDBOX_CACHE', memoryMB: '--memory-mb' });
    assert.deepEqual(runOptionsFromCommandLine(flags({}), {}).values, {}, 'nothing set: nothing');
    assert.equal(runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_REGISTRIES: '0' }).values.registries, false);
  });

  it("bad values are errors naming the flag or the variable, a variable's too when the flag wins", () => {
    fails(() => runOptionsFromCommandLine(flags({ 'memory-mb': 'lots' }), {}), /^--memory-mb takes a whole number/);
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_MEMORY_MB: 'lots' }), /^WAVES_SANDBOX_MEMORY_MB takes a whole number/);
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_ALLOW: 'nohost' }), /^WAVES_SANDBOX_ALLOW: "nohost" is not a host:port/);
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_READ: 'rel' }, false, ':'), /^WAVES_SANDBOX_READ: "rel"/);
  });

  it('the variables the walls read themselves are checked but left to the walls (no double entry)', () => {
    const { values } = runOptionsFromCommandLine(flags({ 'allow-host': 'a.example:443' }), { WAVES_SANDBOX_ALLOW: 'b.example:443', WAVES_SANDBOX_READ: '/tmp/x' }, false, ':');
    assert.deepEqual(values, { allowHosts: ['a.example:443'] });
  });

  it("--unconfined: a walls flag is an error (there are no walls); a walls variable is not taken; the worktree's options stay", () => {
    fails(() => runOptionsFromCommandLine(flags({ 'allow-registries': true }), {}, true), /^--allow-registries opens the walls; --unconfined has none: give one of them/);
    fails(() => runOptionsFromCommandLine(flags({ 'memory-mb': '1' }), {}, true), /^--memory-mb is a limit of the walls; --unconfined has none/);
    const { values } = runOptionsFromCommandLine(flags({ copy: '.env' }), { WAVES_SANDBOX_MEMORY_MB: '5', WAVES_SANDBOX_CACHE: 'not checked' }, true, ':');
    assert.deepEqual(values, { copy: ['.env'] });
  });

  it('--unconfined is a row of the table: its flag gives the value and turns the walls flags away by itself; the editor reads the same setting', () => {
    assert.deepEqual(runOptionsFromCommandLine(flags({ unconfined: true, copy: '.env' }), { WAVES_SANDBOX_MEMORY_MB: '5' }, undefined, ':'), { values: { unconfined: true, copy: ['.env'] }, sources: { unconfined: '--unconfined', copy: '--copy' } });
    fails(() => runOptionsFromCommandLine(flags({ unconfined: true, 'sandbox-write': '/w' }), {}), /^--sandbox-write opens the walls; --unconfined has none/);
    assert.deepEqual(runOptionsFromCommandLine(flags({}), {}).values, {}, 'not given: not set (the walls on)');
    assert.deepEqual(runOptionsFromSettings((o) => (o.setting === 'waves.sandbox.unconfined' ? true : undefined)).values, { unconfined: true });
    assert.deepEqual(runOptionsFromSettings((o) => (o.setting === 'waves.sandbox.unconfined' ? 'yes' : undefined)), { values: {}, problems: [{ setting: 'waves.sandbox.unconfined', message: 'waves.sandbox.unconfined is not true or false; left out' }] }, 'anything but true leaves the walls on');
  });

  it("--container-is-wall, WAVES_SANDBOX_CONTAINER=1 and waves.sandbox.container mean the same; not beside --unconfined", () => {
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'container-is-wall': true }), {}).values, { container: true });
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_CONTAINER: '1' }).values, { container: true });
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_CONTAINER: '0' }).values, { container: false });
    assert.deepEqual(runOptionsFromSettings((o) => (o.setting === 'waves.sandbox.container' ? true : undefined)).values, { container: true });
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_CONTAINER: 'maybe' }), /^WAVES_SANDBOX_CONTAINER is 1 or 0, not "maybe"/);
    fails(() => runOptionsFromCommandLine(flags({ 'container-is-wall': true }), {}, true), /^--container-is-wall makes the container the agents' wall; --unconfined has none: give one of them/);
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_SANDBOX_CONTAINER: '1' }, true).values, {}, 'the variable is not taken with --unconfined');
    assert.deepEqual(wallsValuesOf({ container: true }), {}, "no option of bubblewrap's walls");
  });

  it('--layered-worktrees: a flag without value, or WAVES_WORKTREES_LAYERED=1 (or true, yes, on; 0: off); a worktree option, kept with --unconfined for the command line to refuse', () => {
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'layered-worktrees': true }), {}).values, { layered: true });
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_WORKTREES_LAYERED: '1' }), { values: { layered: true }, sources: { layered: 'WAVES_WORKTREES_LAYERED' } });
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_WORKTREES_LAYERED: '0' }).values, { layered: false });
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_WORKTREES_LAYERED: 'maybe' }), /^WAVES_WORKTREES_LAYERED/);
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'layered-worktrees': true }), {}, true).values, { layered: true });
    assert.deepEqual(runOptionsFromSettings((o) => (o.setting === 'waves.worktrees.layered' ? true : undefined)).values, { layered: true });
  });

  it('plan reads the worktree options as run does', () => {
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'setup-command': 'npm ci' }), { WAVES_WORKTREES_COPY: '.env' }).values, { setupCommand: ['npm', 'ci'], copy: ['.env'] });
    assert.throws(() => runOptionsFromCommandLine(flags({}), { WAVES_WORKTREES_COPY: '/abs' }), /^RunOptionError: WAVES_WORKTREES_COPY: "\/abs" is not relative to the repository$/);
  });
});

describe('the run options from the editor settings', () => {
  it("reads each kind from its setting's JSON value; what cannot be used is left out and said", () => {
    const settings: Record<string, unknown> = {
      'waves.worktrees.setupCommand': ['npm', 'ci'],
      'waves.worktrees.copy': ['.env', '../secret', 'config/*.json'],
      'waves.worktrees.folder': '  ',
      'waves.sandbox.write': ['/opt/w', 'rel'],
      'waves.sandbox.allowHosts': ['registry.npmjs.org:443', 'nohost'],
      'waves.sandbox.registries': true,
      'waves.sandbox.cache': '~/.cache/agents',
      'waves.sandbox.memoryMB': 1.5,
      'waves.sandbox.hidden': [1, 2],
    };
    const { values, problems } = runOptionsFromSettings((o) => settings[o.setting]);
    assert.deepEqual(values, {
      setupCommand: ['npm', 'ci'],
      copy: ['.env', 'config/*.json'],
      write: ['/opt/w'],
      allowHosts: ['registry.npmjs.org:443'],
      registries: true,
      cache: '~/.cache/agents',
    });
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        'waves.worktrees.copy: "../secret" goes up out of the repository (..); left out',
        'waves.sandbox.write: "rel" is neither absolute nor ~/…; left out',
        'waves.sandbox.hidden holds something else than strings',
        'waves.sandbox.allowHosts: "nohost" is not a host:port; left out',
        'waves.sandbox.memoryMB is not a whole number; left out',
      ],
    );
    assert.deepEqual(
      problems.map((p) => p.setting),
      ['waves.worktrees.copy', 'waves.sandbox.write', 'waves.sandbox.hidden', 'waves.sandbox.allowHosts', 'waves.sandbox.memoryMB'],
      'each problem with the setting to open',
    );
  });

  it('the set-up command as a string is words, as on the command line; an empty one is not set', () => {
    assert.deepEqual(runOptionsFromSettings((o) => (o.id === 'setupCommand' ? 'npm ci' : undefined)).values, { setupCommand: ['npm', 'ci'] });
    assert.deepEqual(runOptionsFromSettings((o) => (o.id === 'setupCommand' ? [] : undefined)).values, {});
    assert.match(runOptionsFromSettings((o) => (o.id === 'setupCommand' ? ['', 'x'] : undefined)).problems[0]!.message, /^waves\.worktrees\.setupCommand must be a program/);
  });

  it('`only` picks the options read (the walls from the person, the rest from the workspace)', () => {
    const asked: string[] = [];
    runOptionsFromSettings(
      (o) => void asked.push(o.setting),
      (o) => o.walls,
    );
    assert.deepEqual(asked, RUN_OPTIONS.filter((o) => o.walls).map((o) => o.setting));
  });

  it("the walls' values as the engine names them", () => {
    assert.deepEqual(wallsValuesOf({ setupCommand: ['x'], copy: ['.env'], write: ['/w'], read: ['/r'], hidden: ['h'], allowHosts: ['a:1'], registries: true, cache: '/c', memoryMB: 0 }), {
      write: ['/w'],
      read: ['/r'],
      hidden: ['h'],
      allowHosts: ['a:1'],
      registries: true,
      cacheDir: '/c',
      memoryMB: 0,
    });
    assert.deepEqual(wallsValuesOf({ registries: false }), {});
  });
});

describe('port ranges', () => {
  it('each package its own range of 100 from 41000, by its place in the plan, below 65000', () => {
    assert.deepEqual(portRangeOf(0), { first: 41000, last: 41099 });
    assert.deepEqual(portRangeOf(1), { first: 41100, last: 41199 });
    assert.deepEqual(portEnvOf(2), { WAVES_PORT_RANGE: '41200-41299', PORT: '41200' });
    assert.equal(PORT_RANGES, 240);
    const firsts = new Set<number>();
    for (let i = 0; i < PORT_RANGES; i++) {
      const r = portRangeOf(i);
      assert.ok(r.first >= PORT_BASE && r.last < PORT_CEILING && r.last - r.first + 1 === PORT_SPAN, String(i));
      firsts.add(r.first);
    }
    assert.equal(firsts.size, PORT_RANGES, 'no two of the first 240 share a range');
    assert.deepEqual(portRangeOf(PORT_RANGES), portRangeOf(0), 'then they start again');
    assert.deepEqual(portRangeOf(PORT_RANGES * 3 + 5), portRangeOf(5));
    assert.deepEqual(portRangeOf(-1), portRangeOf(PORT_RANGES - 1));
  });
});
