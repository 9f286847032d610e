/**
 * Each preset CLI's own folders inside the walls (core/walls/walls.ts): where its vendor's
 * documentation puts them for a home folder and an environment (`CLAUDE_CONFIG_DIR`,
 * `CODEX_HOME`, `GEMINI_CLI_HOME`, `COPILOT_HOME`, `XDG_CONFIG_HOME`), never a folder that would
 * give the agent the home folder or the repository; Copilot's unpacked package in the agents'
 * shared cache, read-only once there; and the model server Codex's `openai_base_url` names.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { agentCacheEnv, bwrapArgs, stateFolders, STATE_FOLDERS, type WallsPlan } from '../../../src/core/walls/walls';
import { agentEndpoints, type AgentConfigFile } from '../../../src/core/agents/agentEndpoints';

const HOME = '/home/p';
const TREE = '/home/p/src/app.worktrees/f/a';
const GIT = '/home/p/src/app/.git';
const keep = [TREE, GIT];
const paths = (family: string, env: Record<string, string> = {}) => stateFolders(family, HOME, env, keep).folders.map((f) => `${f.path}${f.file ? ' (file)' : ''}${f.variable ? ` ${f.variable}` : ''}`);

describe('stateFolders: where each preset CLI writes its own files', () => {
  it('with no variable: the defaults under the home folder, files marked', () => {
    // Not ~/.claude.json: Claude Code writes it by a rename in the home folder, which a bind cannot let through.
    assert.deepEqual(paths('claude-code'), ['/home/p/.claude', '/home/p/.config/claude']);
    assert.deepEqual(paths('codex'), ['/home/p/.codex']);
    assert.deepEqual(paths('gemini'), ['/home/p/.gemini']);
    assert.deepEqual(paths('copilot'), ['/home/p/.copilot', '/home/p/.config/github-copilot']);
    assert.deepEqual(paths('aider'), ['/home/p/.aider', '/home/p/.aider.chat.history.md (file)']);
    for (const family of Object.keys(STATE_FOLDERS)) assert.deepEqual(stateFolders(family, HOME, {}).problems, []);
  });

  it("a vendor's variable replaces its default (Claude Code's config dir holds its .claude.json; Gemini's home holds .gemini)", () => {
    assert.deepEqual(paths('claude-code', { CLAUDE_CONFIG_DIR: '/home/p/.config/claude-work' }), ['/home/p/.config/claude-work CLAUDE_CONFIG_DIR', '/home/p/.config/claude']);
    assert.deepEqual(paths('codex', { CODEX_HOME: '/home/p/.local/share/codex/' }), ['/home/p/.local/share/codex CODEX_HOME']);
    assert.deepEqual(paths('gemini', { GEMINI_CLI_HOME: '/srv/gemini-home' }), ['/srv/gemini-home/.gemini GEMINI_CLI_HOME']);
    // GEMINI_CLI_HOME is a home folder: the person's own gives the default back.
    assert.deepEqual(paths('gemini', { GEMINI_CLI_HOME: HOME }), ['/home/p/.gemini GEMINI_CLI_HOME']);
    assert.deepEqual(paths('copilot', { COPILOT_HOME: '/home/p/.copilot-work', XDG_CONFIG_HOME: '/home/p/.xdg' }), ['/home/p/.copilot-work COPILOT_HOME', '/home/p/.xdg/github-copilot XDG_CONFIG_HOME']);
    // Another family's variable changes nothing.
    assert.deepEqual(paths('codex', { COPILOT_HOME: '/x/y', CLAUDE_CONFIG_DIR: '/x/z' }), ['/home/p/.codex']);
  });

  it('a variable naming the home folder, a folder holding it or the repository, the root, or a relative path is not followed: read-only, said why', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['codex', { CODEX_HOME: HOME }, /^CODEX_HOME=\/home\/p names \/home\/p for codex's own files, which the walls do not let an agent write \(the home folder itself\): it stays read-only inside them, and codex may fail to start$/],
      ['codex', { CODEX_HOME: '/home/p/' }, /\(the home folder itself\)/],
      ['codex', { CODEX_HOME: '/home' }, /\(the root or a folder right under it\)/],
      ['claude-code', { CLAUDE_CONFIG_DIR: '/' }, /\(the root or a folder right under it\)/],
      ['copilot', { COPILOT_HOME: '/home/p/src' }, /\(a folder holding \/home\/p\/src\/app\.worktrees\/f\/a\)/],
      ['copilot', { COPILOT_HOME: '/home/p/src/app' }, /\(a folder holding \/home\/p\/src\/app\/\.git\)/],
      ['gemini', { GEMINI_CLI_HOME: '/' }, /names \/\.gemini .*\(the root or a folder right under it\)/],
      ['codex', { CODEX_HOME: '.codex' }, /^CODEX_HOME=\.codex names a folder for codex's own files, which the walls do not let an agent write \(not an absolute path\)/],
      ['codex', { CODEX_HOME: '/home/p/../..' }, /\(the root or a folder right under it\)/],
    ];
    for (const [family, env, said] of cases) {
      const { folders, problems } = stateFolders(family, HOME, env, keep);
      assert.equal(problems.length, 1, `${family} ${JSON.stringify(env)}`);
      assert.match(problems[0]!, said);
      // Neither the folder named nor the default (which the CLI does not use with its variable set) is given.
      const variable = Object.keys(env)[0]!;
      assert.ok(!folders.some((f) => f.variable === variable), JSON.stringify(folders));
      for (const f of folders) assert.ok(!HOME.startsWith(`${f.path}/`) && f.path !== HOME && f.path !== '/', f.path);
    }
    // $HOME not the account's home folder (its passwd entry): neither that folder nor one holding it is given.
    for (const [value, why] of [['/srv/account', "the account's home folder itself"], ['/srv', 'the root or a folder right under it'], ['/srv/account/..', 'the root or a folder right under it'], ['/data/homes', "a folder holding the account's home folder"]] as const) {
      const { folders, problems } = stateFolders('codex', HOME, { CODEX_HOME: value }, keep, value === '/data/homes' ? '/data/homes/account' : '/srv/account');
      assert.deepEqual(folders, [], value);
      assert.match(problems.join('\n'), new RegExp(`\\(${why}\\)`), value);
    }
    assert.deepEqual(stateFolders('codex', HOME, { CODEX_HOME: '/srv/account/.codex' }, keep, '/srv/account').problems, [], "a folder inside the account's home is the CLI's to write");
    // The default it replaced is not given either: CLAUDE_CONFIG_DIR refused leaves no ~/.claude.
    assert.deepEqual(paths('claude-code', { CLAUDE_CONFIG_DIR: '/' }), ['/home/p/.config/claude']);
  });
});

describe("agentCacheEnv: Copilot's package in the agents' shared cache", () => {
  const cache = { shared: '/home/p/.cache/wave-orchestrator/agents', own: '/home/p/src/app/.git/worktrees/a/waves-cache/xdg' };
  it('Copilot unpacks into the shared cache and runs the version installed; its other caches stay private', () => {
    assert.deepEqual(agentCacheEnv('copilot', cache, {}), { COPILOT_PKG_CACHE_HOME: '/home/p/.cache/wave-orchestrator/agents/copilot', COPILOT_AUTO_UPDATE: 'false' });
    // A cache folder of the person's own (read-only inside) is moved to the private one.
    assert.deepEqual(agentCacheEnv('copilot', cache, { COPILOT_CACHE_HOME: '/home/p/.copilot-cache', COPILOT_AUTO_UPDATE: 'true' }), {
      COPILOT_PKG_CACHE_HOME: '/home/p/.cache/wave-orchestrator/agents/copilot',
      COPILOT_AUTO_UPDATE: 'false',
      COPILOT_CACHE_HOME: '/home/p/src/app/.git/worktrees/a/waves-cache/xdg/copilot',
    });
  });
  it('nothing for the other presets or a custom agent', () => {
    for (const family of ['claude-code', 'codex', 'gemini', 'aider', null]) assert.deepEqual(agentCacheEnv(family, cache, { COPILOT_CACHE_HOME: '/x' }), {});
  });
});

describe('bwrapArgs: what is complete in a shared cache, read-only inside it', () => {
  it('a read-only folder is mounted after the writable ones (covering them) and before the secrets', () => {
    const plan: WallsPlan = {
      worktree: '/w/tree',
      write: ['/c/shared'],
      readBack: [],
      readOnly: ['/c/shared/copilot/pkg/linux-x64/1.0.102', '/c/missing'],
      hidden: ['/c/shared/copilot/pkg/linux-x64/1.0.102/secret'],
      network: null,
    };
    const kinds: Record<string, 'dir' | 'file'> = { '/w/tree': 'dir', '/c/shared': 'dir', '/c/shared/copilot/pkg/linux-x64/1.0.102': 'dir', '/c/shared/copilot/pkg/linux-x64/1.0.102/secret': 'file' };
    const args = bwrapArgs(plan, (p) => kinds[p] ?? null);
    const at = (flag: string, p: string) => args.findIndex((a, i) => a === flag && args[i + 1] === p);
    const ro = at('--ro-bind', '/c/shared/copilot/pkg/linux-x64/1.0.102');
    assert.ok(ro > at('--bind', '/c/shared') && at('--bind', '/c/shared') > 0, args.join(' '));
    assert.ok(ro < args.indexOf('/dev/null'), 'the secrets come last');
    assert.equal(args.includes('/c/missing'), false, 'a folder not there is left out');
  });
});

describe("agentEndpoints: Codex's built-in provider pointed by openai_base_url", () => {
  const file: AgentConfigFile = { path: `${HOME}/.codex/config.toml`, format: 'codex-toml', person: true, shown: '~/.codex/config.toml' };
  const lines = (text: string, env: Record<string, string> = {}) => agentEndpoints('codex', env, [{ file, text }]).endpoints.map((e) => `${e.hostPort} ${e.selected ? 'selected' : 'defined'} ${e.source}`);
  it('the key that replaced OPENAI_BASE_URL names the server of the built-in provider', () => {
    assert.deepEqual(lines('model = "gpt-5.6"\nopenai_base_url = "http://127.0.0.1:8080/v1"\n'), ['127.0.0.1:8080 selected openai_base_url in ~/.codex/config.toml']);
    // Another provider selected: the built-in's server is defined, not the one used.
    assert.deepEqual(lines('model_provider = "gw"\nopenai_base_url = "http://127.0.0.1:8080/v1"\n[model_providers.gw]\nbase_url = "https://gw.example.com/v1"\n'), [
      'gw.example.com:443 selected model_providers.gw.base_url in ~/.codex/config.toml',
      '127.0.0.1:8080 defined openai_base_url in ~/.codex/config.toml',
    ]);
    // A profile's own.
    assert.deepEqual(lines('profile = "local"\n[profiles.local]\nopenai_base_url = "http://localhost:4000/v1"\n[profiles.other]\nopenai_base_url = "http://localhost:5000/v1"\n'), [
      'localhost:4000 selected profiles.local.openai_base_url in ~/.codex/config.toml',
      'localhost:5000 defined profiles.other.openai_base_url in ~/.codex/config.toml',
    ]);
  });
});

describe('wallsFor, from the disk: a fresh home', () => {
  // Imported here: the drawing reads and makes folders (engine/attempt/wallsDraw.ts).
  const load = () => import('../../../src/engine/attempt/wallsDraw');
  const setup = () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-agent-folders-')));
    const home = path.join(root, 'home');
    const tree = path.join(root, 'tree');
    const attempt = path.join(root, 'attempt');
    for (const d of [home, tree, attempt]) fs.mkdirSync(d, { recursive: true });
    return { root, home, tree, attempt };
  };
  const draw = async (profileId: string, s: ReturnType<typeof setup>, env: Record<string, string> = {}) =>
    (await load()).wallsFor({ bwrap: '/usr/bin/bwrap', worktree: s.tree, attemptDir: s.attempt, profileId, env: { HOME: s.home, ...env }, interactive: false, argv: ['/bin/true'], runnerScript: path.join(s.root, 'runner.js'), startToken: 't', home: s.home });
  const binds = (args: readonly string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

  it("Copilot: its folders made and writable, its package in the shared cache, each version unpacked there read-only after the cache's bind", async () => {
    const s = setup();
    const first = await draw('copilot', s);
    assert.ok(fs.statSync(path.join(s.home, '.copilot')).isDirectory());
    const shared = path.join(s.home, '.cache', 'wave-orchestrator', 'agents');
    assert.equal(first.walls.env.COPILOT_PKG_CACHE_HOME, path.join(shared, 'copilot'));
    assert.equal(first.walls.env.COPILOT_AUTO_UPDATE, 'false');
    assert.ok(binds(first.walls.args, '--bind').includes(path.join(s.home, '.copilot')));
    assert.ok(!binds(first.walls.args, '--bind').includes(s.home), 'never the home folder');
    // Once a version is unpacked there (and one still being unpacked), the next agent's walls.
    const version = path.join(shared, 'copilot', 'pkg', 'linux-x64', '1.0.102');
    fs.mkdirSync(version, { recursive: true });
    fs.mkdirSync(path.join(shared, 'copilot', 'pkg', 'linux-x64', '.extracting-1.0.103-7-1'), { recursive: true });
    const next = (await draw('copilot', s)).walls.args;
    assert.deepEqual(binds(next, '--ro-bind').filter((p) => p.startsWith(shared)), [version]);
    assert.ok(next.indexOf(version) > next.indexOf(shared), 'mounted over the writable cache');
    // Other presets are told nothing of it.
    assert.equal((await draw('codex', s)).walls.env.COPILOT_PKG_CACHE_HOME, undefined);
    fs.rmSync(s.root, { recursive: true, force: true });
  });

  it("a vendor's variable followed; one naming the home folder, or a state folder that is a link to it, not — said first in the attempt's log", async () => {
    const s = setup();
    const own = path.join(s.root, 'codex-state');
    const followed = await draw('codex', s, { CODEX_HOME: own });
    assert.ok(fs.statSync(own).isDirectory() && binds(followed.walls.args, '--bind').includes(own));
    assert.ok(!fs.existsSync(path.join(s.home, '.codex')), 'the default is not made when the variable moves it');

    const refused = await draw('codex', s, { CODEX_HOME: s.home });
    assert.ok(!binds(refused.walls.args, '--bind').includes(s.home));
    assert.match(refused.walls.laid.join('\n'), /^CODEX_HOME=\S+ names \S+ for codex's own files, which the walls do not let an agent write \(the home folder itself\)/m);

    fs.symlinkSync(s.home, path.join(s.home, '.gemini'));
    const linked = await draw('gemini', s);
    assert.ok(!binds(linked.walls.args, '--bind').includes(s.home), 'a link to the home folder is not followed');
    assert.match(linked.walls.laid.join('\n'), /\/\.gemini, where gemini keeps its own files, leads to \S+, which the walls do not let an agent write \(the home folder itself\)/);
    fs.rmSync(s.root, { recursive: true, force: true });
  });
});
