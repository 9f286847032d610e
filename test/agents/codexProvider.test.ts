/**
 * Codex configured the way many people configure it: its model provider in its own
 * `config.toml` (a company gateway, Azure, a local model server), or its built-in provider's
 * server there (`openai_base_url`, what the `OPENAI_BASE_URL` variable became), no base-URL
 * variable, no `--allow-host`. The real Codex CLI inside the engine's walls: pointed at the
 * scripted model server on loopback either way, it reaches it with no flag and finishes its
 * package; pointed at a closed
 * loopback port, the package's error names the port and the file that names it — whether Codex
 * gives up by itself (its stream retries spent) or goes on retrying until the runner stops it,
 * the no-progress limit (`WAVES_MODEL_WAIT_MS`, shortened here) reached.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { doPackage, startModelServer, type ModelServer } from '../fixtures/modelServer';
import { git } from '../engine/helpers';
import { agentEnv, agentLog, filesAt, keyOf, promptOf, statusOf, TEST_KEY, waves, workspace, useModelServer } from './realCli';

/** The attempt's exit.json (of the feature's latest run). */
function exitOf(repo: string, feature: string, packageId: string): { reason: string; overLimit?: boolean; walls?: { refused: { target: string }[]; unreachable?: { target: string; why: string }[] } } {
  const runs = path.join(repo, '.waves', 'runs', feature);
  for (const id of fs.readdirSync(runs).sort().reverse()) {
    const file = path.join(runs, id, packageId, '1', 'exit.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as ReturnType<typeof exitOf>;
  }
  throw new Error(`no exit.json of ${packageId}`);
}

/** A loopback port nothing listens on (listened on, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Codex with its provider in `~/.codex/config.toml` (a fresh home, as its documentation sets one up): no base-URL variable, the walls told nothing. */
function configuredOnly(server: ModelServer, home: string): NodeJS.ProcessEnv {
  const env = agentEnv('codex', server, home);
  assert.ok(!Object.keys(env).some((k) => /_BASE_URL$|^OPENAI_|^WAVES_SANDBOX_ALLOW$|^CODEX_HOME$/.test(k)), 'only its config.toml names the server');
  return env;
}

/** Its config.toml, where Codex looks with no CODEX_HOME set. */
const configOf = (home: string) => path.join(home, '.codex', 'config.toml');

describe('codex with its model provider in config.toml, inside the walls, no flag', () => {
  const server = useModelServer();

  it("reaches the server its config.toml's provider names on loopback and finishes its package", async () => {
    const feature = 'codex-provider';
    const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 2 }]);
    server().script(doPackage({ 'alpha/a.txt': 'alpha by codex, as configured\n' }), { match: promptOf('alpha'), label: 'alpha' });
    const env = configuredOnly(server(), w.home);
    const config = fs.readFileSync(configOf(w.home), 'utf8');
    assert.match(config, new RegExp(`base_url = "${server().url}/v1"`), 'the provider names the scripted server');

    const r = await waves(['run', '--json', '--agent', 'codex', w.plan], { cwd: w.repo, env, timeoutMs: 240_000 });
    const st = await statusOf(w, env);
    assert.equal(st.packages.alpha!.status, 'succeeded', `${st.packages.alpha!.lastError}\n${r.err}\n--- agent.log ---\n${agentLog(w.repo, feature, 'alpha').slice(-3000)}`);
    assert.equal(r.code, 0);
    assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'alpha/a.txt', 'work-packages.yaml']);
    assert.deepEqual(server().pending(), { alpha: 0 });
    const exit = exitOf(w.repo, feature, 'alpha');
    assert.ok(!exit.walls?.refused.some((x) => x.target === new URL(server().url).host), 'the walls did not refuse the configured server');
    assert.deepEqual(server().strays().map((q) => `${q.method} ${q.url}`), [], 'nothing went beyond the model server');
  });

  it("its built-in provider pointed at the server by openai_base_url in config.toml (what OPENAI_BASE_URL became): reached with no flag, the package done", async () => {
    const own = await startModelServer();
    try {
      const feature = 'codex-openai-base-url';
      const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 2 }]);
      own.script(doPackage({ 'alpha/a.txt': 'alpha by codex, its built-in provider\n' }), { match: promptOf('alpha'), label: 'alpha' });
      const env = agentEnv('codex', own, w.home, { codex: 'openai-base-url' });
      assert.ok(!Object.keys(env).some((k) => /_BASE_URL$|^WAVES_SANDBOX_ALLOW$|^CODEX_HOME$/.test(k)), 'only its config.toml names the server');
      assert.match(fs.readFileSync(configOf(w.home), 'utf8'), new RegExp(`^openai_base_url = "${own.url}/v1"$`, 'm'));

      const r = await waves(['run', '--json', '--agent', 'codex', w.plan], { cwd: w.repo, env, timeoutMs: 240_000 });
      const st = await statusOf(w, env);
      assert.equal(st.packages.alpha!.status, 'succeeded', `${st.packages.alpha!.lastError}\n${r.err}\n--- agent.log ---\n${agentLog(w.repo, feature, 'alpha').slice(-3000)}`);
      assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'alpha/a.txt', 'work-packages.yaml']);
      assert.deepEqual(own.pending(), { alpha: 0 });
      const exit = exitOf(w.repo, feature, 'alpha');
      assert.ok(!exit.walls?.refused.some((x) => x.target === new URL(own.url).host), 'the walls did not refuse the server openai_base_url names');
      // The built-in provider asks for the Responses WebSocket first (GET /v1/responses, an upgrade the scripted server does not speak), then goes on over HTTPS: at the server itself, nothing beyond it.
      const strays = own.strays().filter((q) => !(q.method === 'GET' && q.url === '/v1/responses' && String(q.headers.upgrade).toLowerCase() === 'websocket'));
      assert.deepEqual(strays.map((q) => `${q.method} ${q.url}`), [], 'nothing went beyond the model server');
      assert.ok(own.requests.some((q) => q.main && q.script === 'alpha' && keyOf(q.headers) === TEST_KEY), 'its turns came over HTTPS with the dummy key');
    } finally {
      await own.close();
    }
  });

  /** A run of one package whose Codex provider points at a closed loopback port; `config` edits its config.toml further. */
  async function closedPortRun(feature: string, config: (text: string) => string = (t) => t) {
    const port = await closedPort();
    const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 10 }]);
    const env = configuredOnly(server(), w.home);
    const configFile = configOf(w.home);
    fs.writeFileSync(configFile, config(fs.readFileSync(configFile, 'utf8').replace(`${server().url}/v1`, `http://127.0.0.1:${port}/v1`)));
    env.WAVES_MODEL_WAIT_MS = '5000';
    // The package's own timeout is ten minutes: a run that ends sooner ended by Codex's own giving up or the no-progress limit.
    const r = await waves(['run', '--json', '--agent', 'codex', w.plan], { cwd: w.repo, env, timeoutMs: 300_000 });
    assert.notEqual(r.code, 0);
    const alpha = (await statusOf(w, env)).packages.alpha!;
    assert.equal(alpha.status, 'failed', String(alpha.lastError));
    const exit = exitOf(w.repo, feature, 'alpha');
    assert.ok(exit.walls?.unreachable?.some((u) => u.target === `127.0.0.1:${port}` && /ECONNREFUSED/.test(u.why)), JSON.stringify(exit.walls));
    const named = `its model server 127.0.0.1:${port} (named in model_providers.waves-test.base_url in ~/.codex/config.toml) could not be reached: connect ECONNREFUSED 127.0.0.1:${port} (tried `;
    return { lastError: alpha.lastError ?? '', exit, named, log: agentLog(w.repo, feature, 'alpha') };
  }

  it("loads only the run's waves server: an MCP server of the person's own config.toml is left off for the attempt (Codex has no strict mode)", async () => {
    const feature = 'codex-own-servers';
    const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 2 }]);
    server().script(doPackage({ 'alpha/a.txt': 'alpha by codex\n' }), { match: promptOf('alpha'), label: 'alpha' });
    const env = configuredOnly(server(), w.home);
    // The person's own server: a real MCP server (the run's bundle, started with no token: it lists its tools all the same).
    const bundle = path.resolve(__dirname, '..', '..', 'dist', 'waves-mcp.js');
    fs.appendFileSync(configOf(w.home), `\n[mcp_servers.mine]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(bundle)}]\n`);
    const r = await waves(['run', '--json', '--agent', 'codex', w.plan], { cwd: w.repo, env, timeoutMs: 240_000 });
    const st = await statusOf(w, env);
    assert.equal(st.packages.alpha!.status, 'succeeded', `${st.packages.alpha!.lastError}\n${r.err}\n--- agent.log ---\n${agentLog(w.repo, feature, 'alpha').slice(-3000)}`);
    const tools = server().requests.filter((q) => q.main && q.script === 'alpha')[0]?.tools ?? [];
    assert.ok(tools.some((t) => t.includes('waves')), `the run's server declared: ${tools.join(', ')}`);
    assert.ok(!tools.some((t) => t.includes('mine')), `the person's own server left off: ${tools.join(', ')}`);
  });

  it("the repository's own .codex/config.toml, which Codex loads in a project the person trusts, has its MCP servers left off for the attempt too", async () => {
    const feature = 'codex-repo-servers';
    const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 2 }]);
    server().script(doPackage({ 'alpha/a.txt': 'alpha by codex\n' }), { match: promptOf('alpha'), label: 'alpha' });
    const env = configuredOnly(server(), w.home);
    const bundle = path.resolve(__dirname, '..', '..', 'dist', 'waves-mcp.js');
    fs.mkdirSync(path.join(w.repo, '.codex'));
    fs.writeFileSync(path.join(w.repo, '.codex', 'config.toml'), `[mcp_servers.theirs]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(bundle)}]\n`);
    git(w.repo, 'add', '.codex');
    git(w.repo, 'commit', '-q', '-m', 'the repository has an MCP server of its own');
    // The person trusts the repository and the folder of its packages' trees.
    const worktrees = path.join(`${w.repo}.worktrees`, feature);
    const tree = path.join(worktrees, 'alpha');
    for (const p of [w.repo, worktrees, tree]) fs.appendFileSync(configOf(w.home), `\n[projects.${JSON.stringify(p)}]\ntrust_level = "trusted"\n`);
    const r = await waves(['run', '--json', '--agent', 'codex', w.plan], { cwd: w.repo, env, timeoutMs: 240_000 });
    const st = await statusOf(w, env);
    assert.equal(st.packages.alpha!.status, 'succeeded', `${st.packages.alpha!.lastError}\n${r.err}\n--- agent.log ---\n${agentLog(w.repo, feature, 'alpha').slice(-3000)}`);
    const tools = server().requests.filter((q) => q.main && q.script === 'alpha')[0]?.tools ?? [];
    assert.ok(tools.some((t) => t.includes('waves')), `the run's server declared: ${tools.join(', ')}`);
    assert.ok(!tools.some((t) => t.includes('theirs')), `the repository's own server left off: ${tools.join(', ')}`);
  });

  it('pointed at a closed loopback port, Codex gives up after its stream retries: the error names the port and its config.toml beside Codex\'s own words', async () => {
    const { lastError, exit, named, log } = await closedPortRun('codex-provider-closed');
    // Inside the walls the relay takes the connection and closes it (the server refused the proxy's): Codex retries its stream, then ends its turn.
    assert.match(log, /"type":"turn\.failed"/);
    assert.ok(lastError.startsWith('the agent exited with code 1 — ') && lastError.includes(`; ${named}`), `${lastError}\n--- agent.log ---\n${log.slice(-3000)}`);
    assert.equal(exit.overLimit, undefined);
  });

  it('pointed at a closed loopback port, Codex retrying on and on: stopped once it made no progress for the limit, the error naming the port', async () => {
    const { lastError, exit, named, log } = await closedPortRun('codex-provider-hang', (t) => t.replace('request_max_retries = 2', 'request_max_retries = 100').replace('stream_max_retries = 1', 'stream_max_retries = 100'));
    assert.ok(lastError.startsWith(`the agent was stopped: ${named}`), `${lastError}\n--- agent.log ---\n${log.slice(-3000)}`);
    assert.equal(exit.overLimit, true);
    // It was retrying when stopped: the walls' log holds each connection it tried.
    assert.ok((exit.walls?.unreachable?.length ?? 0) >= 2, JSON.stringify(exit.walls?.unreachable));
  });
});
