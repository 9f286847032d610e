/**
 * The walls every agent runs inside (ADR 0019), with the real bubblewrap, a real
 * repository, real processes and the scripted agent trying every way out of its worktree: the
 * person's shell start-up file and SSH keys, the repository's hooks and config, the person's
 * checkout, a sibling's worktree, a loopback port it was not given (straight and through the
 * proxy: both named), a signal to the engine. Each is refused; what reaches the disk is judged after the
 * person's own next `git commit` and `git status` (marker files, not messages).
 *
 * Run: node --import tsx --test test/engine/attempt/walls.test.ts
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { bwrapArgs, parseTarget, isAllowed, allowedTargets, looksOffline, type WallsPlan } from '../../../src/core/walls/walls';
import { confinementAvailable } from '../../../src/engine/attempt/confinement';
import { attemptDir, attemptFiles } from '../../../src/core/run/runPaths';
import { PORT_BASE, PORT_SPAN } from '../../../src/core/run/portRange';
import { processesRunning, processTree, stillRunning } from '../../../src/engine/attempt/processTree';
import { RunnerPool } from '../../../src/engine/attempt/runnerPool';
import { wallsSocketOf } from '../../../src/engine/attempt/wallsDraw';
import { netAheadArgv, relayScriptOf } from '../../../src/engine/attempt/wallsRun';
import { RUNNER_TOKENS } from '../../../src/core/run/startAhead';
import { engineFor, isolateGit, planYaml, treeFiles } from '../engineFixtures';
import { attemptWith, buildRunner, git, makeRepo, spawnHoldingOutputOf, tempDir, waitFor } from '../helpers';
import type { EngineOptions } from '../../../src/engine/run/engine';

let runnerScript = '';

/**
 * Listens on a loopback port outside the plan's packages' own ranges (`portRangeOf`: the first
 * `packages` of them). A port of a package's own range is its servers' to take: the walls leave
 * it to the kernel, unnamed, so a test of the named refusal needs a port outside (listen(0)
 * lands in one package's range about once in 280 runs).
 */
async function listenOutsideOwnPorts(server: net.Server, packages: number): Promise<number> {
  for (;;) {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    if (port < PORT_BASE || port >= PORT_BASE + packages * PORT_SPAN) return port;
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** Field `n` (0-based, after the command's name) of `/proc/<pid>/stat`, as a number. */
const statField = (pid: number, n: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n]);
};

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

describe('the walls (core)', () => {
  test('looksOffline: what a command prints when it found no network, and not otherwise', () => {
    for (const text of ['Error: getaddrinfo ENOTFOUND registry.npmjs.org', 'npm ERR! code EAI_AGAIN', 'curl: (6) Could not resolve host: example.com', 'fatal: unable to access: Could not resolve proxy: 127.0.0.1', 'connect ECONNREFUSED 127.0.0.1:3128', 'ping: example.com: Temporary failure in name resolution', 'socket.gaierror: [Errno -2] Name or service not known', 'connect: Network is unreachable']) {
      assert.equal(looksOffline(text), true, text);
    }
    for (const text of ['AssertionError: expected 2 to equal 3', 'FAIL src/a.test.ts', 'error TS2304: Cannot find name', '']) assert.equal(looksOffline(text), false, text);
  });

  const plan: WallsPlan = { worktree: '/tmp/r.worktrees/f/a', write: ['/tmp/r/.git/objects', '/home/p/.claude', '/gone'], readBack: ['/tmp/r/.git', '/home/p'], hidden: ['/home/p/.ssh', '/home/p/.netrc', '/home/p/.aws'], network: [] };
  const kinds: Record<string, 'dir' | 'file'> = { '/tmp/r.worktrees/f/a': 'dir', '/tmp/r/.git/objects': 'dir', '/home/p/.claude': 'dir', '/tmp/r/.git': 'dir', '/home/p': 'dir', '/home/p/.ssh': 'dir', '/home/p/.netrc': 'file' };
  const args = bwrapArgs(plan, (p) => kinds[p] ?? null);

  test('everything read-only, a private /tmp, then the writable folders, then the secrets on top', () => {
    assert.deepEqual(args.slice(0, 9), ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp']);
    const at = (...xs: string[]) => args.findIndex((_, i) => xs.every((x, k) => args[i + k] === x));
    // Under the private /tmp only what must be read comes back; /home/p is not under /tmp (the root bind shows it).
    assert.ok(at('--ro-bind', '/tmp/r/.git', '/tmp/r/.git') > 0);
    assert.equal(at('--ro-bind', '/home/p', '/home/p'), -1);
    assert.ok(at('--bind', '/tmp/r.worktrees/f/a', '/tmp/r.worktrees/f/a') > at('--ro-bind', '/tmp/r/.git', '/tmp/r/.git'));
    assert.ok(at('--bind', '/home/p/.claude', '/home/p/.claude') > 0);
    assert.equal(at('--bind', '/gone', '/gone'), -1, 'a folder that does not exist is left out');
    // The secrets last, so that no writable folder shows them again: an empty read-only folder, /dev/null for a file.
    assert.ok(at('--tmpfs', '/home/p/.ssh', '--remount-ro', '/home/p/.ssh') > at('--bind', '/home/p/.claude', '/home/p/.claude'));
    assert.ok(at('--ro-bind', '/dev/null', '/home/p/.netrc') > 0);
    assert.equal(at('--tmpfs', '/home/p/.aws'), -1, 'a secret that is not there needs no hiding');
    for (const ns of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--die-with-parent', '--new-session']) assert.ok(args.includes(ns), ns);
    assert.deepEqual(args.slice(-2), ['--chdir', '/tmp/r.worktrees/f/a']);
  });

  test('targets: host:port, [v6]:port, URLs, wildcards; a preset reaches its model API and the base URL its environment names', () => {
    assert.deepEqual(parseTarget('api.anthropic.com:443'), { host: 'api.anthropic.com', port: 443 });
    assert.deepEqual(parseTarget('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseTarget('http://127.0.0.1:4000/v1'), { host: '127.0.0.1', port: 4000 });
    assert.deepEqual(parseTarget('https://Registry.NPMJS.org'), { host: 'registry.npmjs.org', port: 443 });
    for (const bad of ['nohost', 'a:0', 'a:70000', 'a b:1', ':1']) assert.equal(parseTarget(bad), null, bad);
    const allowed = [parseTarget('*.example.com:443')!, parseTarget('127.0.0.1:4000')!];
    assert.ok(isAllowed(allowed, { host: 'api.example.com', port: 443 }));
    assert.ok(!isAllowed(allowed, { host: 'example.com', port: 443 }), 'the wildcard covers subdomains only');
    assert.ok(!isAllowed(allowed, { host: 'api.example.com', port: 80 }));
    assert.ok(!isAllowed(allowed, { host: '127.0.0.1', port: 4001 }));
    const claude = allowedTargets('claude-code-interactive', { ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000' }, ['registry.npmjs.org:443', 'junk']);
    assert.deepEqual(claude.targets.map((t) => `${t.host}:${t.port}`), ['api.anthropic.com:443', 'statsig.anthropic.com:443', '127.0.0.1:4000', 'registry.npmjs.org:443']);
    assert.deepEqual(claude.problems, ['"junk" is not a host:port']);
    assert.deepEqual(allowedTargets('custom', { ANTHROPIC_BASE_URL: undefined }, []).targets, [], 'a custom agent reaches nothing unless allowed');
  });
});

describe('the walls, on this machine (bubblewrap)', () => {
  test('confinement is available here (npm test installs bubblewrap)', () => {
    const here = confinementAvailable(true);
    assert.ok(here.ok, here.ok ? '' : here.why);
  });

  test('an agent writes and commits in its own tree; every way out is refused, and the person\'s next git commands run nothing planted', async () => {
    const root = tempDir('waves-walls-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    // The walls show the test's folders under /tmp read-only, as `waves.sandbox.read` would: the gate, the sibling's tree.
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const home = process.env.HOME!;
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'SECRET-KEY\n');
    fs.writeFileSync(path.join(home, '.bashrc'), '# mine\n');
    const markers = path.join(root, 'markers');
    fs.mkdirSync(markers);
    const hook = `#!/bin/sh\\ntouch ${markers}/hook-ran\\n`;
    const gate = path.join(root, 'gate');
    let reached = 0;
    const other = net.createServer((s) => {
      reached++;
      s.end();
    });
    const port = await listenOutsideOwnPorts(other, 10);
    // A port nothing on this machine serves: refused as it would be without walls (not theirs to name).
    const closed = net.createServer();
    const closedPort = await listenOutsideOwnPorts(closed, 10);
    await new Promise<void>((r) => closed.close(() => r()));

    const configBefore = fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8');
    const sibling = `${repo}.worktrees/walled/b`;
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(
      planFile,
      planYaml('walled', [
        {
          id: 'a',
          agent: [
            'write a/ok.txt fine',
            `wait-for ${sibling}/b/started.txt`,
            `try-write ${home}/.bashrc echo planted`,
            `try-write ${home}/.ssh/authorized_keys ssh-ed25519 AAAA planted`,
            `try-write ${repo}/.git/hooks/pre-commit ${hook}`,
            `try-write ${repo}/.git/config [core]\\n\\tfsmonitor = ${markers}/monitor.sh\\n`,
            `try-write ${repo}/person.txt planted`,
            `try-write ${sibling}/b/planted.txt planted`,
            `try-write /tmp/scratch.txt private`,
            `try-read ${home}/.ssh/id_ed25519`,
            `try-connect 127.0.0.1:${port}`,
            `try-connect 127.0.0.1:${closedPort}`,
            `try-proxy 127.0.0.1:${port}`,
            `try-signal ${process.pid}`,
            'commit',
          ],
        },
        { id: 'b', agent: ['write b/started.txt yes', `wait-for ${gate}`, 'write b/y.txt y', 'commit'] },
      ]),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine, events } = await engineFor(planFile, runnerScript, { verification: 'approved' });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      const running = engine.run();
      // b's tree holds its first file: a tries to plant into it, then b goes on.
      const aLog = () => {
        try {
          return fs.readFileSync(path.join(attemptDir(repo, 'walled', engine.store?.state?.runId ?? 'none', 'a', 1), 'agent.log'), 'utf8');
        } catch {
          return '';
        }
      };
      for (let i = 0; i < 600 && !/tried signal/.test(aLog()); i++) await new Promise((r) => setTimeout(r, 50));
      fs.writeFileSync(gate, 'go');
      outcome = await running;
    } finally {
      engine.dispose();
      other.close();
    }
    assert.ok(outcome);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const log = fs.readFileSync(path.join(attemptDir(repo, 'walled', outcome.runId, 'a', 1), 'agent.log'), 'utf8');
    const said = (what: string, target: string) => new RegExp(`^tried ${what} ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (.*)$`, 'm').exec(log)?.[1] ?? '(not tried)';
    // The walls refused each, in the agent's own words of what its system calls said.
    assert.match(said('write', `${home}/.bashrc`), /^refused \(EROFS\)$/);
    assert.match(said('write', `${home}/.ssh/authorized_keys`), /^refused \(EROFS\)$/);
    assert.match(said('write', `${repo}/.git/hooks/pre-commit`), /^refused \(EROFS\)$/);
    assert.match(said('write', `${repo}/.git/config`), /^refused \(EROFS\)$/);
    assert.match(said('write', `${repo}/person.txt`), /^refused \(EROFS\)$/);
    assert.match(said('write', `${sibling}/b/planted.txt`), /^refused \(EROFS\)$/);
    assert.match(said('write', '/tmp/scratch.txt'), /^written$/, 'its own private /tmp');
    assert.match(said('read', `${home}/.ssh/id_ed25519`), /^refused \(ENOENT\)$/);
    // A port this machine's loopback serves: the relay takes the connection inside and closes it once the proxy refused it, naming it.
    assert.match(said('connect', `127.0.0.1:${port}`), /^connected$/);
    assert.match(said('connect', `127.0.0.1:${closedPort}`), /^refused \(ECONNREFUSED\)$/);
    assert.match(said('proxy', `127.0.0.1:${port}`), /^proxy said HTTP\/1\.1 403 Forbidden$/);
    assert.match(said('signal', String(process.pid)), /^refused \(ESRCH\)$/);
    // Both refusals are named in the attempt's walls.jsonl: the straight connection's and the one asked of the proxy.
    const refusals = fs.readFileSync(path.join(attemptDir(repo, 'walled', outcome.runId, 'a', 1), 'walls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(refusals.map((r) => [r.kind, r.target]), [['network', `127.0.0.1:${port}`], ['network', `127.0.0.1:${port}`]]);
    assert.equal(reached, 0, 'the port it was not given was never reached');
    // …kept on the package's record (status, report, the package's details read it there).
    assert.deepEqual(engine.store?.state?.packages.a?.refused, [`127.0.0.1:${port}`]);
    // …and said in the run: a problem naming the package and the target (live in the CLI and the editor).
    assert.ok(
      events.some((e) => e.type === 'problem' && e.packageId === 'a' && e.message === `a: its walls refused a connection to 127.0.0.1:${port} (not among the hosts it may reach: waves.sandbox.allowHosts / --allow-host)`),
      events.filter((e) => e.type === 'problem').map((e) => (e.type === 'problem' ? e.message : '')).join('\n'),
    );

    // On disk, after the person's own next git commands.
    assert.equal(fs.readFileSync(path.join(home, '.bashrc'), 'utf8'), '# mine\n');
    assert.equal(fs.existsSync(path.join(home, '.ssh', 'authorized_keys')), false);
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit')), false);
    assert.equal(fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8'), configBefore);
    assert.equal(fs.existsSync(path.join(repo, 'person.txt')), false);
    assert.equal(fs.existsSync('/tmp/scratch.txt') && fs.readFileSync('/tmp/scratch.txt', 'utf8').includes('private'), false, 'its /tmp was its own');
    fs.writeFileSync(path.join(repo, 'mine.txt'), 'the person\'s\n');
    git(repo, 'add', 'mine.txt');
    git(repo, 'commit', '-q', '-m', 'the person commits');
    git(repo, 'status', '--porcelain');
    assert.deepEqual(fs.readdirSync(markers), [], 'no planted hook or monitor ran');
    // What merged is each package's own work.
    const merged = treeFiles(repo, outcome.integrationBranch!);
    assert.ok(merged.includes('a/ok.txt') && merged.includes('b/y.txt'), merged.join(', '));
    assert.ok(!merged.includes('b/planted.txt'));
  });
});

describe('verification commands inside walls (bubblewrap)', () => {
  const proxyTry = `node -e "const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT example.com:443 HTTP/1.1\\r\\n\\r\\n'));s.on('data',d=>{console.log(String(d).split('\\r\\n')[0]);process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})"`;

  /** A package whose approved commands try the walls (a build in its tree, the home folder, a hook, the engine, the proxy), run with `options`. */
  async function tryTheWalls(feature: string, options: Partial<EngineOptions> = {}) {
    const root = tempDir('waves-walls-verify-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const home = process.env.HOME!;
    fs.writeFileSync(path.join(home, '.bashrc'), '# mine\n');
    const markers = path.join(root, 'markers');
    fs.mkdirSync(markers);
    const planFile = path.join(repo, 'work-packages.yaml');
    const hook = `printf '#!/bin/sh\\ntouch ${markers}/hook-ran\\n' > "$(git rev-parse --git-common-dir)/hooks/pre-commit"`;
    fs.writeFileSync(
      planFile,
      planYaml(feature, [
        {
          id: 'v',
          agent: ['write v/x.txt built', 'commit'],
          commands: ['test -f v/x.txt && echo checked > /tmp/scratch', `! sh -c 'echo planted >> "$HOME/.bashrc"'`, `! sh -c '${hook.replace(/'/g, `'\\''`)}'`, `! kill -0 ${process.pid}`, proxyTry],
        },
      ]),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript, { verification: 'approved', ...options });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const steps = engine.store?.state?.packages.v?.verification ?? [];
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(steps));
    assert.deepEqual(
      steps.map((s) => s.ok),
      [true, true, true, true, true],
    );
    const dir = attemptDir(repo, feature, outcome.runId, 'v', 1);
    // Each refusal in the command's own words (its log), then on disk.
    assert.match(fs.readFileSync(path.join(dir, 'verify-2.log'), 'utf8'), /Read-only file system/);
    assert.match(fs.readFileSync(path.join(dir, 'verify-3.log'), 'utf8'), /Read-only file system/);
    assert.equal(fs.readFileSync(path.join(home, '.bashrc'), 'utf8'), '# mine\n');
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit')), false);
    fs.writeFileSync(path.join(repo, 'mine.txt'), 'the person\'s\n');
    git(repo, 'add', 'mine.txt');
    git(repo, 'commit', '-q', '-m', 'the person commits');
    assert.deepEqual(fs.readdirSync(markers), [], 'no planted hook ran');
    assert.equal(fs.existsSync('/tmp/scratch') && fs.readFileSync('/tmp/scratch', 'utf8').includes('checked'), false, 'its /tmp was its own');
    return { steps, dir };
  }

  test('no host allowed (through the runner and its proxy as well): an approved command builds in its tree; it cannot plant a hook, write the home folder, see the engine, or reach any network; what the proxy refused is in its result', async () => {
    const { steps, dir } = await tryTheWalls('vwalled');
    assert.match(fs.readFileSync(path.join(dir, 'verify-5.log'), 'utf8'), /403 Forbidden/);
    assert.match(steps[4]!.detail ?? '', /: passed; its walls refused a connection to example\.com:443 \(not among the hosts it may reach: waves\.sandbox\.allowHosts \/ --allow-host\)/);
  });

  test('a host allowed (through the runner and its proxy): the same walls, and what the proxy refused is in the step\'s result', async () => {
    const { steps, dir } = await tryTheWalls('vproxied', { confinement: { options: { allowHosts: ['127.0.0.1:9'] } } });
    assert.match(fs.readFileSync(path.join(dir, 'verify-5.log'), 'utf8'), /403 Forbidden/);
    assert.match(steps[4]!.detail ?? '', /its walls refused a connection to example\.com:443/);
  });

  /** A repository with a plan of `pkg` alone, run to its end with `options`; the package's state. */
  async function runOne(feature: string, pkg: { id: string; agent: string[]; commands?: string[] }, options: Partial<EngineOptions>) {
    const repo = makeRepo({ 'README.md': '# x\n' });
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml(feature, [pkg]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript, options);
    try {
      await engine.run();
    } finally {
      engine.dispose();
    }
    return engine.store?.state?.packages[pkg.id];
  }

  test('a command that fails for want of a network, inside walls that let it reach no host, is told so in its result', async () => {
    const fetch = `node -e "require('net').connect(443,'registry.example.com').on('error',e=>{console.error('fetch failed:',e.code);process.exit(1)})"`;
    const steps = (await runOne('voffline', { id: 'v', agent: ['write v/x.txt built', 'commit'], commands: [fetch, 'false'] }, { verification: 'approved' }))?.verification ?? [];
    assert.deepEqual(steps.map((s) => s.ok), [false, false]);
    assert.match(steps[0]!.detail ?? '', /: exit 1 — fetch failed: (ENOTFOUND|EAI_AGAIN); its walls let it reach no host \(allow one: waves\.sandbox\.allowHosts \/ --allow-host\)/);
    assert.doesNotMatch(steps[1]!.detail ?? '', /reach no host/, 'a failure that says nothing of a network is not blamed on the walls');
  });

  test("a step and an agent that connect past the walls' proxy (straight to an address, a name looked up themselves), inside walls that allow a host: what they tried is said, with the proxy and the switch", async () => {
    const allowed: Partial<EngineOptions> = { verification: 'approved', confinement: { options: { allowHosts: ['127.0.0.1:9'] } } };
    const direct = `node -e "require('net').connect(443,'203.0.113.7').on('error',e=>{console.error('fetch failed:',e.message);process.exit(1)})"`;
    const lookup = `node -e "require('dns').lookup('registry.example.com',e=>{console.error('fetch failed:',e&&e.message);process.exit(1)})"`;
    // ssh, which reads no HTTPS_PROXY (git over ssh), as its users run it.
    const ssh = 'ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no git@203.0.113.7 true';
    const steps = (await runOne('vdirect', { id: 'v', agent: ['write v/x.txt built', 'commit'], commands: [direct, lookup, ssh, 'false'] }, allowed))?.verification ?? [];
    assert.deepEqual(steps.map((s) => s.ok), [false, false, false, false]);
    const proxy = "past its walls' proxy: inside the walls only their proxy \\(HTTPS_PROXY, 127\\.0\\.0\\.1:3128\\) reaches the hosts they allow \\(waves\\.sandbox\\.allowHosts / --allow-host\\): have the tool use it";
    assert.match(steps[0]!.detail ?? '', new RegExp(`fetch failed: connect ENETUNREACH 203\\.0\\.113\\.7:443.*; it connected to 203\\.0\\.113\\.7:443 directly, ${proxy}`));
    assert.match(steps[1]!.detail ?? '', new RegExp(`; it looked up registry\\.example\\.com itself, ${proxy}`));
    assert.match(steps[2]!.detail ?? '', new RegExp(`; it connected to 203\\.0\\.113\\.7:22 directly, ${proxy}`));
    assert.doesNotMatch(steps[3]!.detail ?? '', /past its walls' proxy/, 'a failure that says nothing of a network is not blamed on the walls');
    assert.doesNotMatch(steps[0]!.detail ?? '', /reach no host/, 'it may reach a host: not said to reach none');

    // An agent: its failed attempt's reason says the same.
    const a = await runOne('adirect', { id: 'a', agent: ['try-connect 203.0.113.7:443', 'exit 3'] }, allowed);
    assert.equal(a?.status, 'failed');
    assert.match(a?.lastError ?? '', new RegExp(`it connected to 203\\.0\\.113\\.7:443 directly, ${proxy}`));
  });

  test("a step and a set-up hook whose walls let them reach no host: a loopback port this machine serves is refused, and named with the switch that allows it, as an agent's is", async () => {
    const server = net.createServer((c) => c.end('served\n'));
    const port = await listenOutsideOwnPorts(server, 10);
    try {
      // The relay takes the connection and closes it: no data is a refusal too.
      const js = `let got=false;require('net').connect(${port},'127.0.0.1').on('data',d=>{got=true;console.log(String(d).trim())}).on('error',e=>{console.error('no database:',e.code);process.exit(1)}).on('close',()=>{if(!got){console.error('no database: closed');process.exit(1)}})`;
      const reach = `node -e "${js}"`;
      const named = new RegExp(`its walls refused a connection to [^ ]*:${port} \\(not among the hosts it may reach: waves\\.sandbox\\.allowHosts / --allow-host\\)`);
      const steps = (await runOne('vloop', { id: 'v', agent: ['write v/x.txt built', 'commit'], commands: [reach] }, { verification: 'approved' }))?.verification ?? [];
      assert.deepEqual(steps.map((s) => s.ok), [false]);
      assert.match(steps[0]!.detail ?? '', /: exit 1 — no database: (closed|ECONNREFUSED|ECONNRESET); /);
      assert.match(steps[0]!.detail ?? '', named);
      // The set-up hook the same way: its failure names the connection.
      const pkg = await runOne('hloop', { id: 'h', agent: ['write h/x.txt built', 'commit'] }, { setupHook: ['node', '-e', js] });
      assert.match(JSON.stringify(pkg), named);
    } finally {
      server.close();
    }
  });
});

describe('a stop inside walls', () => {
  test("reaches a bubblewrap of the attempt that is nobody's child (stopped in its set-up, its parent gone): it and what it runs end with the agent", async () => {
    const avail = confinementAvailable();
    assert.ok(avail.ok, avail.ok ? '' : avail.why);
    const root = tempDir('waves-walls-orphan-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('orphan', [{ id: 'slow', agent: ['write slow/a.txt a', 'hang'] }]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript);
    const running = engine.run();
    let orphan: { pid: number; start: string } | undefined;
    try {
      const dir = await waitFor(() => {
        const r = engine.store?.state?.packages.slow;
        return r?.status === 'running' && r.logFile ? fs.realpathSync(path.dirname(r.logFile)) : null;
      }, 'the agent running', 60_000);
      // What such a bubblewrap looks like: the walls' program, binding the attempt's folder, its
      // parent gone (`setsid -f` forks it off and exits), a process started under it.
      spawnSync('setsid', ['-f', avail.bwrap, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--bind', dir, dir, '--', 'sleep', '300'], { stdio: 'ignore' });
      // The first of those bubblewraps, not its forked child (the lower pid once pids wrap around at pid_max).
      orphan = await waitFor(() => {
        const found = processesRunning(avail.bwrap, dir);
        const parent = (pid: number) => {
          try {
            return statField(pid, 1);
          } catch {
            // gone since it was listed: no parent among them
            return -1;
          }
        };
        return found.find((p) => !found.some((q) => q.pid === parent(p.pid)));
      }, 'the bubblewrap nobody waits for');
      assert.equal(statField(orphan.pid, 1), 1, 'its parent is init');
      await waitFor(() => processTree([orphan!.pid]).length >= 2, 'its sandbox started');
      const under = processTree([orphan.pid]);
      await engine.cancel('slow');
      const outcome = await running;
      assert.equal(outcome.state.packages.slow?.status, 'cancelled', outcome.state.packages.slow?.lastError ?? '');
      // Gone by the time the attempt's exit is recorded: the runner waits for every process it found.
      assert.deepEqual(under.filter(stillRunning).map((p) => p.pid), [], 'the bubblewrap and its sandbox ended with the agent');
    } finally {
      engine.dispose();
      if (orphan && stillRunning(orphan)) process.kill(orphan.pid, 'SIGKILL');
    }
  });
});

describe('an agent\'s memory limit inside its walls', () => {
  test('an agent whose process tree holds more memory than its limit is stopped, and its attempt fails naming the limit; a sibling under it goes on', async () => {
    const root = tempDir('waves-walls-memory-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(
      planFile,
      planYaml('memory', [
        // The small one's tree (its runner and agent, two Node processes) holds about 100 MiB: the limit leaves it room.
        { id: 'big', agent: ['write big/a.txt a', 'hog 240', 'hang'] },
        { id: 'small', agent: ['write small/a.txt a', 'sleep 2500', 'commit'] },
      ]),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript, { confinement: { options: { memoryMB: 160 } } });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const big = engine.store?.state?.packages.big;
    assert.equal(big?.status, 'failed', JSON.stringify(big));
    assert.match(big?.lastError ?? '', /it used \d+ MiB of memory, over its limit of 160 MiB \(waves\.sandbox\.memoryMB \/ --memory-mb\)/);
    assert.equal(engine.store?.state?.packages.small?.status, 'succeeded', JSON.stringify(engine.store?.state?.packages.small?.lastError));
    assert.equal(outcome.counts.succeeded, 1);
  });
});

describe('a network made ahead (a pooled runner\'s walled agent)', () => {
  /** The command lines of `pid` and every process under it. */
  const treeLines = (pid: number) =>
    processTree([pid]).map((p) => {
      try {
        return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    });

  test('the dependent\'s agent starts in a network its runner made ahead: it reaches the allowed loopback server through the relay, nothing else; every other wall holds', async () => {
    const root = tempDir('waves-ahead-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const gate = path.join(root, 'gate');
    let allowedReached = 0;
    let otherReached = 0;
    // (A client gone first resets the socket: not this test's question.)
    const allowed = net.createServer((s) => (allowedReached++, s.on('error', () => undefined).end('hello\n')));
    const other = net.createServer((s) => (otherReached++, s.on('error', () => undefined).end()));
    await Promise.all([new Promise<void>((r) => allowed.listen(0, '127.0.0.1', r)), listenOutsideOwnPorts(other, 10)]);
    const allowedPort = (allowed.address() as net.AddressInfo).port;
    const otherPort = (other.address() as net.AddressInfo).port;
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(
      planFile,
      planYaml('ahead', [
        // a works long enough for the pool to start b's runner, and its network, ahead.
        { id: 'a', agent: ['sleep 2500', 'write a/x.txt a', 'commit'] },
        {
          id: 'b',
          deps: ['a'],
          agent: [
            `try-connect 127.0.0.1:${allowedPort}`,
            `try-connect 127.0.0.1:${otherPort}`,
            `try-proxy 127.0.0.1:${otherPort}`,
            `try-write ${repo}/.git/hooks/pre-commit #!/bin/sh`,
            `try-signal ${process.pid}`,
            'write b/started.txt yes',
            `wait-for ${gate}`,
            'write b/x.txt b',
            'commit',
          ],
        },
      ]),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript, { confinement: { options: { allowHosts: [`127.0.0.1:${allowedPort}`] } } });
    let lines: string[] = [];
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      const running = engine.run();
      const started = () => fs.existsSync(`${repo}.worktrees/ahead/b/b/started.txt`);
      for (let i = 0; i < 600 && !started(); i++) await new Promise((r) => setTimeout(r, 50));
      // While b's agent waits: the processes under its runner's child (the agent's pid in meta.json).
      const b = engine.store!.state!.packages.b!;
      const meta = JSON.parse(fs.readFileSync(path.join(path.dirname(b.logFile!), 'meta.json'), 'utf8')) as { agentPid: number; startedAhead?: string; netAhead?: boolean };
      assert.ok(meta.startedAhead, "b's runner was started ahead");
      assert.equal(meta.netAhead, true, 'and said its network was made ahead');
      lines = treeLines(meta.agentPid);
      fs.writeFileSync(gate, 'go');
      outcome = await running;
    } finally {
      engine.dispose();
      allowed.close();
      other.close();
    }
    assert.equal(outcome?.outcome, 'succeeded', JSON.stringify(outcome?.counts));
    // The relay waited there before the attempt came; the agent's own bubblewrap runs under it, in its network.
    // The relay alone in the system's Python (dist/relay.py beside the runner; ADR 0040), not the runner's whole code.
    assert.ok(lines.some((l) => l.startsWith(`/usr/bin/python3 -I -S ${path.join(path.dirname(runnerScript), 'relay.py')} --relay-ahead `)), lines.join('\n'));
    assert.ok(lines.some((l) => /scripted-agent/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => / --relay \//.test(l)), 'no relay started with the agent');
    const log = fs.readFileSync(path.join(attemptDir(repo, 'ahead', outcome!.runId, 'b', 1), 'agent.log'), 'utf8');
    const said = (what: string, target: string) => new RegExp(`^tried ${what} ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (.*)$`, 'm').exec(log)?.[1] ?? '(not tried)';
    // The relay made ahead listened on the allowed port before its agent started: it says so before the agent's first line.
    const relayed = log.indexOf(`waves: inside the walls, 127.0.0.1:${allowedPort} goes to the walls' proxy\n`);
    assert.ok(relayed >= 0 && relayed < log.indexOf('tried connect'), log);
    assert.match(said('connect', `127.0.0.1:${allowedPort}`), /^connected$/);
    // A port this machine's loopback serves, not allowed: taken by the relay made ahead, closed once the proxy refused it, and named.
    assert.match(said('connect', `127.0.0.1:${otherPort}`), /^connected$/);
    assert.match(said('proxy', `127.0.0.1:${otherPort}`), /^proxy said HTTP\/1\.1 403 Forbidden$/);
    const refusals = fs.readFileSync(path.join(attemptDir(repo, 'ahead', outcome!.runId, 'b', 1), 'walls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(refusals.map((r) => [r.kind, r.target]), [['network', `127.0.0.1:${otherPort}`], ['network', `127.0.0.1:${otherPort}`]]);
    assert.match(said('write', `${repo}/.git/hooks/pre-commit`), /^refused \(EROFS\)$/);
    assert.match(said('signal', String(process.pid)), /^refused \(ESRCH\)$/);
    assert.equal(allowedReached, 1, 'the allowed server, once');
    assert.equal(otherReached, 0, 'the other port, never');
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit')), false);
  });

  /** A process that runs (not gone, not a zombie nobody reaped). */
  const living = (pid: number) => {
    try {
      return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  };

  /** Each left-over's `sleep` argument (its seconds), its own in this file. */
  let leftOverSeconds = 600;

  /**
   * A run of `packages` (plan `feature`) whose package `id`'s agent, once at work (its
   * `<id>/started.txt` written), gets walls that missed their death signal: a bubblewrap holding
   * the agent's output open, with `key(meta)` among its arguments (what the engine finds walls by)
   * — then its gate opens. The run's outcome, and whether those walls ended with the agent.
   */
  async function leftOverWalls(feature: string, packages: Parameters<typeof planYaml>[1], id: string, key: (meta: { agentPid: number; netAhead?: boolean }, bwrap: string) => string[]) {
    const root = tempDir('waves-left-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const gate = path.join(root, 'gate');
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml(feature, packages.map((p) => (p.id === id ? { ...p, agent: [`write ${id}/started.txt yes`, `wait-for ${gate}`, `write ${id}/x.txt ${id}`, 'commit'] } : p))));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const here = confinementAvailable();
    assert.ok(here.ok);
    const { engine } = await engineFor(planFile, runnerScript);
    const leftover = `${leftOverSeconds++}.${process.pid}`;
    let survivor: ReturnType<typeof spawn> | null = null;
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    let ended = false;
    try {
      const running = engine.run();
      await waitFor(() => fs.existsSync(`${repo}.worktrees/${feature}/${id}/${id}/started.txt`), `${id}'s agent at work`, 30_000);
      const record = engine.store!.state!.packages[id]!;
      const meta = JSON.parse(fs.readFileSync(path.join(path.dirname(record.logFile!), 'meta.json'), 'utf8')) as { agentPid: number; netAhead?: boolean };
      survivor = spawnHoldingOutputOf(meta.agentPid, [here.bwrap, '--bind', '/', '/', '--unshare-pid', '--die-with-parent', ...key(meta, here.bwrap), '--', 'sleep', leftover]);
      const left = survivor;
      await waitFor(() => processesRunning('sleep', leftover).length === 1, 'the left-over walls running', 10_000);
      fs.writeFileSync(gate, 'go');
      outcome = await running;
      ended = await waitFor(() => left.exitCode !== null || left.signalCode !== null, 'the left-over walls ended with the agent', 10_000).then(() => true, () => false);
    } finally {
      engine.dispose();
      if (survivor?.pid && survivor.exitCode === null && survivor.signalCode === null) process.kill(-survivor.pid, 'SIGKILL');
    }
    return { outcome, ended, running: processesRunning('sleep', leftover).length };
  }

  test("an agent's walls that outlive its network (their death signal missed) are ended when it ends, found by their mark", async () => {
    const r = await leftOverWalls(
      'left',
      [
        // a works long enough for the pool to start b's runner, and its network, ahead.
        { id: 'a', agent: ['sleep 2500', 'write a/x.txt a', 'commit'] },
        { id: 'b', deps: ['a'] },
      ],
      'b',
      (meta, bwrap) => {
        assert.equal(meta.netAhead, true, "b's network was made ahead");
        // Its walls (under its network: other walls on the machine have marks too) carry a mark of their own.
        const under = new Set(processTree([meta.agentPid]).map((p) => p.pid));
        const marked = processesRunning(bwrap, new Set(['WAVES_WALLS_MARK'])).filter((p) => under.has(p.pid));
        assert.ok(marked.length > 0, "b's walls carry a mark");
        const args = fs.readFileSync(`/proc/${marked[0]!.pid}/cmdline`, 'utf8').split('\0');
        const mark = args[args.indexOf('WAVES_WALLS_MARK') + 1]!;
        assert.match(mark, /^[0-9a-f]{24}$/);
        return ['--setenv', 'WAVES_WALLS_MARK', mark];
      },
    );
    assert.equal(r.outcome?.outcome, 'succeeded', JSON.stringify(r.outcome?.counts));
    assert.ok(r.ended, 'the left-over walls ended with the agent');
    assert.equal(r.running, 0, 'nothing of them runs');
  });

  test("an agent's own walls (no network made ahead) that outlive it are ended when it ends, found by their socket", async () => {
    // No runner started ahead: the runner draws the agent's walls itself, as the editor's launcher's do.
    const pool = process.env.WAVES_RUNNER_POOL;
    process.env.WAVES_RUNNER_POOL = '0';
    try {
      const r = await leftOverWalls('own', [{ id: 'a' }], 'a', (meta) => {
        assert.notEqual(meta.netAhead, true, 'its walls are its own');
        // Its walls' socket, among their arguments.
        const args = fs.readFileSync(`/proc/${meta.agentPid}/cmdline`, 'utf8').split('\0');
        const socket = args.find((x) => /\/waves-walls-[0-9a-f]{16}\.sock$/.test(x));
        assert.ok(socket, `its walls bind their socket (${args.slice(0, 3).join(' ')} …)`);
        return ['--bind', socket, socket];
      });
      assert.equal(r.outcome?.outcome, 'succeeded', JSON.stringify(r.outcome?.counts));
      assert.ok(r.ended, 'the left-over walls ended with the agent');
      assert.equal(r.running, 0, 'nothing of them runs');
    } finally {
      if (pool === undefined) delete process.env.WAVES_RUNNER_POOL;
      else process.env.WAVES_RUNNER_POOL = pool;
    }
  });

  test('a pooled runner killed while its network was still being made leaves nothing of it: its bubblewrap, stopped before its child asked to die with it, is found by its socket and ended', async () => {
    const here = confinementAvailable();
    assert.ok(here.ok);
    const pool = new RunnerPool({ runnerScript, cwd: tempDir('waves-ahead-stuck-'), wallsAhead: here.bwrap });
    const left: ReturnType<typeof spawn>[] = [];
    try {
      pool.expect(1);
      const pid = await waitFor(() => pool.idlePids()[0], 'an idle runner', 10_000);
      const token = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[3]!;
      assert.match(token, /^[0-9a-f]{32}$/);
      // What such a bubblewrap looks like: its own command line (the relay's socket among its
      // arguments), nobody waiting for it. The race itself (a kill between bubblewrap's fork and its
      // child's prctl) cannot be timed from here; its leftover can.
      const stuck = (t: string) => {
        const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--relay-ahead', wallsSocketOf(t)], { argv0: here.bwrap, stdio: 'ignore', detached: true });
        left.push(child);
        return child;
      };
      const mine = stuck(token);
      const another = stuck('f'.repeat(32));
      await waitFor(() => processesRunning(here.bwrap, wallsSocketOf(token)).length === 1, 'the leftover running', 5_000);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => mine.exitCode !== null || mine.signalCode !== null, 'the leftover ended', 5_000);
      assert.equal(mine.signalCode, 'SIGKILL', 'the runner\'s leftover is ended');
      assert.equal(another.exitCode === null && another.signalCode === null, true, "another runner's is not touched");
    } finally {
      pool.close();
      for (const c of left) c.kill('SIGKILL');
    }
  });

  test('a relay runs relay.js beside the runner (the relay alone), else the runner itself; relay.js refuses what is not a relay', () => {
    const alone = tempDir('waves-relay-alone-');
    fs.writeFileSync(path.join(alone, 'runner.js'), '');
    assert.equal(relayScriptOf(path.join(alone, 'runner.js')), path.join(alone, 'runner.js'), 'an SSH host has the runner alone: it relays');
    const beside = path.join(path.dirname(runnerScript), 'relay.js');
    assert.equal(relayScriptOf(runnerScript), beside);
    assert.deepEqual(netAheadArgv('/usr/bin/setpriv', '/usr/bin/bwrap', runnerScript, '/tmp/s.sock').slice(-3), [path.join(path.dirname(runnerScript), 'relay.py'), '--relay-ahead', '/tmp/s.sock'], 'made ahead: the system Python relays (relay.test.ts)');
    const r = spawnSync(process.execPath, [beside, '--pooled', 'x'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: relay\.js --relay /);
    const ahead = spawnSync(process.execPath, [beside, '--relay-ahead', '/tmp/s.sock'], { encoding: 'utf8', input: '' });
    assert.equal(ahead.status, 0, 'stdin closed before any attempt came: it ends, having started nothing');
  });

  test("a walled agent runs 5 nice steps below the engine, its runner started ahead or for it; a runner ahead waits, and draws its attempt's walls, at the engine's", async () => {
    const here = confinementAvailable();
    assert.ok(here.ok);
    const NICE = 16; // statField: the nice value
    const agents = Math.min(19, os.getPriority() + 5);
    /** The agent's nice value while it sleeps (the scripted agent's own process, by its result file), after the attempt's exit code. */
    const agentNice = async (exited: Promise<number | null>, files: ReturnType<typeof attemptFiles>) => {
      const timer = setInterval(() => undefined, 1000); // pooled runners are unref'd
      try {
        const agent = await waitFor(() => processesRunning(process.execPath, files.result)[0], 'the agent started', 20_000);
        const nice = statField(agent.pid, NICE);
        assert.equal(await exited, 0, fs.readFileSync(files.log, 'utf8'));
        return nice;
      } finally {
        clearInterval(timer);
      }
    };
    const pool = new RunnerPool({ runnerScript, cwd: tempDir('waves-ahead-nice-'), wallsAhead: here.bwrap });
    try {
      pool.expect(1);
      await waitFor(() => pool.size.ready >= 1, 'a runner ready', 20_000);
      const [runner] = pool.idlePids();
      // Its attempt's walls are on the run's path: drawn at the engine's priority (lowered ahead, a wide plan's levels took about 0.1 s longer).
      assert.equal(statField(runner!, NICE), os.getPriority(), 'the idle runner');
      const token = pool.take();
      const { dir, files } = attemptWith(token, 'sleep 1500; write out.txt', { cwd: tempDir('waves-ahead-nice-tree-'), walls: { bwrap: here.bwrap } });
      const launched = await pool.launch({ packageId: 'pkg-a', attempt: 1, title: 'pkg-a', attemptDir: dir, startToken: token, command: process.execPath, args: [], cwd: dir, env: {}, interactive: false });
      assert.ok(launched, 'the pooled runner took it');
      pool.close(); // let go: the runner (its other tokens not taken) ends once its attempt has
      assert.equal(await agentNice(launched.exited!, files), agents, 'its agent');
    } finally {
      pool.close();
    }
    const token = 'f'.repeat(32);
    const { dir, files } = attemptWith(token, 'sleep 1500; write out.txt', { cwd: tempDir('waves-own-nice-tree-'), walls: { bwrap: here.bwrap } });
    const own = spawn(process.execPath, [runnerScript, dir, token], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => own.once('exit', (code) => r(code)));
    assert.equal(await agentNice(exited, files), agents, "a runner's own: its agent below the engine");
  });

  test("a pooled runner let go, or killed, ends its network made ahead; one where bubblewrap cannot nest starts its agent's walls itself", async () => {
    const here = confinementAvailable();
    assert.ok(here.ok);
    for (const end of ['let go', 'killed'] as const) {
      const pool = new RunnerPool({ runnerScript, cwd: tempDir('waves-ahead-pool-'), wallsAhead: here.bwrap });
      /** The network made ahead under the idle runner: its bubblewrap and its relay. */
      let relays: number[] = [];
      try {
        pool.expect(1);
        for (let i = 0; i < 200 && relays.length < 2 * RUNNER_TOKENS; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const [pid] = pool.idlePids();
          relays = pid ? processTree([pid]).map((p) => p.pid).filter((p) => treeLines(p)[0]?.includes('--relay-ahead')) : [];
        }
        assert.equal(relays.length, 2 * RUNNER_TOKENS, 'the idle runner holds a network made ahead for each of its tokens: its bubblewrap and the relay in it');
        if (end === 'killed') process.kill(pool.idlePids()[0]!, 'SIGKILL');
      } finally {
        if (end === 'let go') pool.close();
      }
      for (let i = 0; i < 200 && relays.some(living); i++) await new Promise((r) => setTimeout(r, 50));
      pool.close();
      assert.ok(!relays.some(living), `the network made ahead ended with its runner ${end}`);
    }

    // Let go while its network is still being made (bubblewrap just started, its own child perhaps
    // not yet told to die with it): nothing of the network's process group is left.
    const groupOf = (pid: number) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      } catch {
        return null;
      }
    };
    const membersOf = (pgid: number) => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && groupOf(Number(d)) === pgid && living(Number(d)));
    for (let round = 0; round < 5; round++) {
      const pool = new RunnerPool({ runnerScript, cwd: tempDir('waves-ahead-pool-'), wallsAhead: here.bwrap });
      let group: number | null = null;
      try {
        pool.expect(1);
        for (let i = 0; i < 400 && group === null; i++) {
          await new Promise((r) => setTimeout(r, 5));
          const [pid] = pool.idlePids();
          const first = pid ? processTree([pid]).find((p) => treeLines(p.pid)[0]?.includes('--relay-ahead')) : undefined;
          if (first) group = groupOf(first.pid);
        }
        assert.ok(group, 'the idle runner started a network ahead');
      } finally {
        pool.close();
      }
      for (let i = 0; i < 200 && membersOf(group).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(membersOf(group).map((p) => treeLines(Number(p))[0]), [], `round ${round}: the network's process group ended with its runner let go`);
    }

    // Where bubblewrap cannot nest (here the pool is told a "bubblewrap" that always fails, so its trial does):
    // no network ahead; the attempt's agent starts its walls itself, and is in them all the same.
    const failing = new RunnerPool({ runnerScript, cwd: tempDir('waves-ahead-pool-'), wallsAhead: '/bin/false' });
    try {
      failing.expect(1);
      for (let i = 0; i < 200 && failing.size.ready === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const token = failing.take();
      const tree = tempDir('waves-ahead-tree-');
      const { dir, files } = attemptWith(token, `try-signal ${process.pid}; write out.txt`, { cwd: tree, walls: { bwrap: here.bwrap } });
      const launched = await failing.launch({ packageId: 'pkg-a', attempt: 1, title: 'pkg-a', attemptDir: dir, startToken: token, command: process.execPath, args: [], cwd: dir, env: {}, interactive: false });
      assert.ok(launched, 'a pooled runner took it');
      const timer = setInterval(() => undefined, 1000); // pooled runners are unref'd
      const code = await launched.exited;
      clearInterval(timer);
      assert.equal(code, 0, fs.readFileSync(files.log, 'utf8'));
      assert.match(fs.readFileSync(files.log, 'utf8'), new RegExp(`^tried signal ${process.pid}: refused \\(ESRCH\\)$`, 'm'), 'in walls all the same');
      assert.ok(fs.existsSync(path.join(tree, 'out.txt')));
    } finally {
      failing.close();
    }
  });
});
