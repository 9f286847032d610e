/**
 * The walls on macOS as the runner raises them (ADR 0033, src/engine/attempt/wallsSeatbelt.ts),
 * checked where they can be on Linux: the walls drawn for a Mac from a real disk (the keychains
 * hidden, the spec and prompt read-only, the JVM and gradle given the attempt's proxy port), the
 * proxy listening on a loopback port of its own and refusing, by name, what is not allowed, the
 * environment entered, sandbox-exec's argv, and nothing left behind. sandbox-exec itself runs on
 * a macOS runner only (test/platforms/darwin.test.ts); on Linux nothing here changes
 * bubblewrap's walls (the environment they get is checked too).
 *
 * Run: npx tsx --test test/engine/attempt/wallsSeatbelt.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { PROXY_PORT } from '../../../src/core/walls/walls';
import { SANDBOX_EXEC } from '../../../src/core/walls/seatbelt';
import { machineTmpFolders, raiseSeatbelt, realPlan, wallsBackend } from '../../../src/engine/attempt/wallsSeatbelt';
import { wallsFor, type WallsRequest } from '../../../src/engine/attempt/wallsDraw';
import { enterWalls } from '../../../src/engine/attempt/wallsRun';
import { tempDir } from '../helpers';

/** Every folder of this file's tests, removed at its end. */
const ROOT = tempDir('waves-seatbelt-');
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

/** A home with a keychain and a key, a tree, an attempt folder with its spec and prompt: the request the runner makes for its agent. */
function attempt(): { req: WallsRequest; home: string; attemptDir: string; tree: string } {
  const root = fs.mkdtempSync(path.join(ROOT, 'attempt-'));
  const home = path.join(root, 'home');
  const tree = path.join(root, 'tree');
  const attemptDir = path.join(root, 'attempt');
  for (const d of [path.join(home, 'Library', 'Keychains'), path.join(home, '.ssh'), tree, attemptDir]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(home, 'Library', 'Keychains', 'login.keychain-db'), 'KEYCHAIN');
  fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'KEY');
  fs.writeFileSync(path.join(attemptDir, 'spec.json'), '{}');
  fs.writeFileSync(path.join(attemptDir, 'prompt.md'), 'do it');
  const req: WallsRequest = {
    bwrap: SANDBOX_EXEC,
    worktree: tree,
    attemptDir,
    profileId: 'claude-code',
    env: { HOME: home, PATH: process.env.PATH, WAVES_PORT_RANGE: '41000-41099' },
    interactive: false,
    argv: [process.execPath, '-e', '0'],
    runnerScript: path.join(root, 'runner.js'),
    startToken: 'seatbelt-test',
    home,
    accountHome: home,
    options: { cacheDir: path.join(root, 'cache') },
  };
  return { req, home, attemptDir, tree };
}

describe("the walls on macOS, drawn by the runner (what runs on Linux)", () => {
  test('whose walls: Seatbelt on macOS, bubblewrap on Linux', () => {
    assert.equal(wallsBackend('darwin'), 'seatbelt');
    assert.equal(wallsBackend('linux'), 'bubblewrap');
  });

  test("drawn for a Mac: the keychains hidden besides the secrets bubblewrap hides, the spec and prompt read-only, the JVM and gradle given the attempt's proxy", () => {
    const { req, home, attemptDir } = attempt();
    const mac = wallsFor({ ...req, platform: 'darwin', proxyPort: 52814 }).walls;
    assert.ok(mac.plan.hidden.includes(path.join(home, 'Library', 'Keychains')));
    assert.ok(mac.plan.hidden.includes(path.join(home, '.ssh')));
    assert.deepEqual(
      (mac.plan.readOnly ?? []).filter((p) => p.startsWith(attemptDir)),
      [path.join(attemptDir, 'spec.json'), path.join(attemptDir, 'prompt.md')],
    );
    assert.match(mac.env.JAVA_TOOL_OPTIONS ?? '', /-Dhttps\.proxyPort=52814\b/);
    assert.match(mac.env.MAVEN_OPTS ?? '', /-Dhttp\.proxyPort=52814\b/);
    assert.match(fs.readFileSync(path.join(mac.env.GRADLE_USER_HOME!, 'gradle.properties'), 'utf8'), /^systemProp\.https\.proxyPort=52814$/m);
    // On Linux the same request: no keychain among the secrets, the relay's port.
    const linux = wallsFor({ ...req, platform: 'linux' }).walls;
    assert.ok(!linux.plan.hidden.includes(path.join(home, 'Library', 'Keychains')));
    assert.match(linux.env.JAVA_TOOL_OPTIONS ?? '', new RegExp(`-Dhttps\\.proxyPort=${PROXY_PORT}\\b`));
  });

  test('raised: the proxy on a loopback port of its own refuses, by name, a host not allowed; the profile names that port; sandbox-exec runs the agent by argv; closed, nothing is left', async () => {
    const { req, home, tree } = attempt();
    const up = await raiseSeatbelt(req, req.env);
    try {
      assert.equal(up.walls.bwrap, SANDBOX_EXEC);
      assert.ok(up.port > 0 && up.port !== PROXY_PORT);
      assert.ok(fs.statSync(up.tmp).isDirectory());
      assert.match(up.profile.text, new RegExp(`\\(allow network-outbound \\(remote ip "localhost:${up.port}"\\)\\)`));
      assert.deepEqual(up.profile.params.find((p) => p.name === 'WORKTREE')?.value, fs.realpathSync(tree));
      assert.ok(up.profile.params.some((p) => p.name.startsWith('HIDDEN_') && p.value === path.join(home, 'Library', 'Keychains')));
      assert.match(up.walls.laid[0] ?? '', /keep no memory limit/, 'said first in the agent\'s log');
      const argv = up.argv(req.argv);
      assert.deepEqual(argv.slice(0, 3), [SANDBOX_EXEC, '-p', up.profile.text]);
      assert.deepEqual(argv.slice(-4), ['--', ...req.argv]);
      // A host not allowed, through the proxy: refused and written down.
      const answer = await new Promise<string>((resolve, reject) => {
        const s = net.connect(up.port, '127.0.0.1', () => s.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
        s.once('data', (d) => {
          s.destroy();
          resolve(String(d).split('\r\n')[0]!);
        });
        s.once('error', reject);
      });
      assert.equal(answer, 'HTTP/1.1 403 Forbidden');
      const log = fs.readFileSync(path.join(req.attemptDir, 'walls.jsonl'), 'utf8');
      assert.match(log, /"target":"example.com:443"/);
    } finally {
      up.close();
    }
    assert.equal(fs.existsSync(up.tmp), false, 'its TMPDIR removed');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = net.connect(up.port, '127.0.0.1', () => resolve(s.destroy()));
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
      'its proxy closed',
    );
  });

  test('the environment inside: the proxy on its port, its own TMPDIR, no agent socket; bubblewrap\'s as before', () => {
    const mac: NodeJS.ProcessEnv = { SSH_AUTH_SOCK: '/private/tmp/launchd/Listeners', DBUS_SESSION_BUS_ADDRESS: 'x' };
    enterWalls(mac, undefined, { port: 52814, tmp: '/private/var/folders/x/T/waves-walls-1' });
    assert.equal(mac.HTTPS_PROXY, 'http://127.0.0.1:52814');
    assert.equal(mac.http_proxy, 'http://127.0.0.1:52814');
    assert.equal(mac.TMPDIR, '/private/var/folders/x/T/waves-walls-1');
    assert.equal(mac.SSH_AUTH_SOCK, undefined);
    assert.equal(mac.DBUS_SESSION_BUS_ADDRESS, undefined);
    assert.equal(mac.CLAUDE_CODE_BUBBLEWRAP, undefined, 'not bubblewrap: not said to be');
    const linux: NodeJS.ProcessEnv = { SSH_AUTH_SOCK: '/run/user/1000/agent' };
    enterWalls(linux);
    assert.equal(linux.HTTPS_PROXY, `http://127.0.0.1:${PROXY_PORT}`);
    assert.equal(linux.TMPDIR, '/tmp');
    assert.equal(linux.CLAUDE_CODE_BUBBLEWRAP, '1');
    assert.equal(linux.SSH_AUTH_SOCK, undefined);
  });

  test("the machine's temporary folders and a plan's paths, where they really are", () => {
    const real = (p: string) => (p === '/gone' ? null : p.replace(/^\/var\//, '/private/var/').replace(/^\/tmp\b/, '/private/tmp'));
    assert.deepEqual(machineTmpFolders('/var/folders/ab/cd/T/', real), ['/private/tmp', '/private/var/tmp', '/private/var/folders/ab/cd/T/']);
    assert.deepEqual(machineTmpFolders('/tmp', real), ['/private/tmp', '/private/var/tmp']);
    const plan = realPlan({ worktree: '/var/w', write: ['/tmp/a', '/gone'], readBack: ['/var/r'], hidden: ['/tmp/s'], replaced: [{ path: '/var/m.xml', with: '/x' }], network: [] }, real);
    assert.deepEqual(plan, { worktree: '/private/var/w', write: ['/private/tmp/a', '/gone'], readBack: ['/private/var/r'], readOnly: [], hidden: ['/private/tmp/s'], replaced: [{ path: '/private/var/m.xml', with: '/x' }], network: [] });
  });
});
