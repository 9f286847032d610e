/**
 * Agents talk back from an SSH host (src/engine/hosts/hostTalk.ts): the person's own Codex and
 * Copilot MCP servers there are read once, by the shell script the host runs — here a real `sh`
 * with the host's home variables — so the attempts there leave them off too.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HostTalk } from '../../../src/engine/hosts/hostTalk';
import type { SshHost } from '../../../src/engine/hosts/ssh';
import { buildRunner, tempDir } from '../helpers';

/** A host whose shell is this machine's `sh`, with `env` as its environment; each script counted. */
function shellHost(env: NodeJS.ProcessEnv, fail = false) {
  const scripts: string[] = [];
  const script = async (text: string, input?: string) => {
    scripts.push(text);
    if (fail) throw new Error('the host does not answer');
    const r = spawnSync('sh', ['-c', text], { env, input: input ?? '', encoding: 'utf8' });
    return { stdout: r.stdout };
  };
  return { scripts, script };
}

describe("hosts: the person's own MCP servers there", () => {
  it('reads Codex\'s config.toml and Copilot\'s mcp-config.json where the host\'s CODEX_HOME and HOME say, once for the host', async () => {
    const runner = await buildRunner();
    const home = tempDir('waves-host-home-');
    const codexHome = tempDir('waves-host-codex-');
    fs.writeFileSync(path.join(codexHome, 'config.toml'), '[mcp_servers.hosts_own]\ncommand = "x"\n');
    fs.mkdirSync(path.join(home, '.copilot'));
    fs.writeFileSync(path.join(home, '.copilot', 'mcp-config.json'), JSON.stringify({ mcpServers: { 'copilot-own': { command: 'y' }, waves: {} } }));
    const host = shellHost({ PATH: process.env.PATH, HOME: home, CODEX_HOME: codexHome });
    const talk = new HostTalk({} as SshHost, host.script, '/nowhere', 'node', runner);
    const remote = talk.remote();
    assert.ok(remote, 'the bundle is beside the runner');
    assert.deepEqual(await remote.quiet(), { codex: ['hosts_own'], copilot: ['copilot-own'] });
    assert.deepEqual(await remote.quiet(), { codex: ['hosts_own'], copilot: ['copilot-own'] });
    assert.equal(host.scripts.length, 1, 'read once for the host');
  });

  it('none when the host has no such files; asked again after a host that did not answer', async () => {
    const runner = await buildRunner();
    const empty = shellHost({ PATH: process.env.PATH, HOME: tempDir('waves-host-home-') });
    assert.deepEqual(await new HostTalk({} as SshHost, empty.script, '/nowhere', 'node', runner).remote()!.quiet(), { codex: [], copilot: [] });
    const away = shellHost({}, true);
    const remote = new HostTalk({} as SshHost, away.script, '/nowhere', 'node', runner).remote()!;
    assert.deepEqual(await remote.quiet(), { codex: [], copilot: [] });
    await remote.quiet();
    assert.equal(away.scripts.length, 2, 'a host that did not answer is asked again');
  });
});
