/** GitHub Copilot CLI (`--agent copilot`) end to end against the scripted Anthropic Messages API (its BYOK provider; docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { scanLog } from '../../src/core/agents/agentLogs';
import { doPackage } from '../fixtures/modelServer';
import { readAt } from '../engine/engineFixtures';
import { git } from '../engine/helpers';
import { agentClis, agentEnv, agentLog, promptOf, statusOf, waves, workspace, useModelServer } from './realCli';
import { realCliSuite } from './scenarios';

realCliSuite('copilot', {
  talks: (tool) => `waves-${tool}`,
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

describe('copilot: its package unpacked once, in the agents\' shared cache, read-only to the next agent', () => {
  const server = useModelServer();

  it("a fresh home: the first agent's Copilot unpacks itself into the shared cache (not ~/.cache, not the tree's); the next one runs it and cannot change it", async () => {
    const feature = 'copilot-package';
    // `second` starts once `first` merged: its Copilot finds the package `first`'s unpacked.
    const w = workspace(feature, [{ id: 'first' }, { id: 'second', deps: ['first'] }]);
    const version = agentClis().versions.copilot;
    const app = `"$COPILOT_PKG_CACHE_HOME/pkg/linux-${process.arch}/${version}/app.js"`;
    server().script([{ type: 'shell', command: "mkdir -p 'first'", say: 'Making the folder.' }, ...doPackage({ 'first/a.txt': 'first\n' })], { match: promptOf('first'), label: 'first' });
    server().script(
      [
        {
          type: 'shell',
          command: [
            'mkdir -p second',
            `if { echo tamper >> ${app}; } 2>second/err.txt; then echo wrote; else echo refused; fi > second/rc.txt`,
            'echo "$COPILOT_PKG_CACHE_HOME" > second/where.txt',
            'if [ -e "$XDG_CACHE_HOME/copilot/pkg" ] || [ -e "$HOME/.cache/copilot/pkg" ]; then echo another; else echo none; fi > second/copies.txt',
          ].join('; '),
          say: 'Looking at my own package.',
        },
        ...doPackage({ 'second/b.txt': 'second\n' }),
      ],
      { match: promptOf('second'), label: 'second' },
    );
    const env = agentEnv('copilot', server(), w.home);
    assert.ok(!Object.keys(env).some((k) => /^COPILOT_(PKG_)?CACHE_HOME$/.test(k)), 'no cache variable of its own: the walls choose');
    const r = await waves(['run', '--agent', 'copilot', w.plan], { cwd: w.repo, env });
    assert.equal(r.code, 0, `${r.out}\n${r.err}\n--- second's agent.log ---\n${agentLog(w.repo, feature, 'second').slice(-3000)}`);
    const st = await statusOf(w, env);
    const shared = path.join(env.XDG_CACHE_HOME!, 'wave-orchestrator', 'agents', 'copilot');
    assert.equal(readAt(w.repo, st.integration, 'second/where.txt'), `${shared}\n`);
    assert.equal(readAt(w.repo, st.integration, 'second/copies.txt'), 'none\n', 'no copy in its private cache or the home folder');
    assert.equal(readAt(w.repo, st.integration, 'second/rc.txt'), 'refused\n');
    assert.match(readAt(w.repo, st.integration, 'second/err.txt'), /Read-only file system/);
    const unpacked = path.join(shared, 'pkg', `linux-${process.arch}`, version, 'app.js');
    assert.ok(fs.statSync(unpacked).size > 0 && !fs.readFileSync(unpacked, 'utf8').endsWith('tamper\n'), 'the package is as Copilot unpacked it');
    assert.equal(fs.existsSync(path.join(w.home, '.cache', 'copilot')), false, "nothing in the person's own ~/.cache");
    assert.deepEqual(server().strays().map((q) => `${q.method} ${q.url}`), []);
  });
});

describe("copilot: only the run's MCP server loads", () => {
  const server = useModelServer();

  it("an MCP server of the person's own mcp-config.json is turned off for the attempt, and so are Copilot's built-in ones (it has no strict mode)", async () => {
    const feature = 'copilot-own-servers';
    const w = workspace(feature, [{ id: 'alpha' }]);
    server().script([{ type: 'shell', command: "mkdir -p 'alpha'", say: 'Making the folder.' }, ...doPackage({ 'alpha/a.txt': 'alpha\n' })], { match: promptOf('alpha'), label: 'alpha' });
    const env = agentEnv('copilot', server(), w.home);
    // The person's own server: a real MCP server (the run's bundle, started with no token: it lists its tools all the same).
    const bundle = path.resolve(__dirname, '..', '..', 'dist', 'waves-mcp.js');
    const dir = path.join(env.COPILOT_HOME || path.join(w.home, '.copilot'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mcp-config.json'), JSON.stringify({ mcpServers: { mine: { type: 'local', command: process.execPath, args: [bundle], tools: ['*'] } } }));
    const r = await waves(['run', '--json', '--agent', 'copilot', w.plan], { cwd: w.repo, env });
    const st = await statusOf(w, env);
    assert.equal(st.packages.alpha!.status, 'succeeded', `${st.packages.alpha!.lastError}\n${r.err}\n--- agent.log ---\n${agentLog(w.repo, feature, 'alpha').slice(-3000)}`);
    const tools = server().requests.filter((q) => q.main && q.script === 'alpha')[0]?.tools ?? [];
    assert.ok(tools.some((t) => t.startsWith('waves-')), `the run's server declared: ${tools.join(', ')}`);
    assert.ok(!tools.some((t) => t.startsWith('mine-')), `the person's own server left off: ${tools.join(', ')}`);
  });

  it("the repository's own .mcp.json, which Copilot loads in a folder the person trusts (here every folder: COPILOT_ALLOW_ALL), is turned off for the attempt too", async () => {
    const feature = 'copilot-repo-servers';
    const w = workspace(feature, [{ id: 'alpha' }]);
    server().script([{ type: 'shell', command: "mkdir -p 'alpha'", say: 'Making the folder.' }, ...doPackage({ 'alpha/a.txt': 'alpha\n' })], { match: promptOf('alpha'), label: 'alpha' });
    const env = { ...agentEnv('copilot', server(), w.home), COPILOT_ALLOW_ALL: 'true' };
    const bundle = path.resolve(__dirname, '..', '..', 'dist', 'waves-mcp.js');
    fs.writeFileSync(path.join(w.repo, '.mcp.json'), JSON.stringify({ mcpServers: { theirs: { type: 'local', command: process.execPath, args: [bundle], tools: ['*'] } } }));
    git(w.repo, 'add', '.mcp.json');
    git(w.repo, 'commit', '-q', '-m', 'the repository has an MCP server of its own');
    const r = await waves(['run', '--json', '--agent', 'copilot', w.plan], { cwd: w.repo, env });
    const st = await statusOf(w, env);
    assert.equal(st.packages.alpha!.status, 'succeeded', `${st.packages.alpha!.lastError}\n${r.err}\n--- agent.log ---\n${agentLog(w.repo, feature, 'alpha').slice(-3000)}`);
    const tools = server().requests.filter((q) => q.main && q.script === 'alpha')[0]?.tools ?? [];
    assert.ok(tools.some((t) => t.startsWith('waves-')), `the run's server declared: ${tools.join(', ')}`);
    assert.ok(!tools.some((t) => t.startsWith('theirs-')), `the repository's own server left off: ${tools.join(', ')}`);
  });
});
