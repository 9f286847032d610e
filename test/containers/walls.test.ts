/**
 * The walls inside containers, for real: `waves run` in a Podman container built from Debian
 * packages (scripts/container-tools.sh: debootstrap with bubblewrap and git), as a person runs it
 * in a Dev Container — as a user other than root, this machine's node and the project mounted
 * read-only. Under the runtime's default profile (Podman's: its masked /proc; Docker's seccomp
 * profile, test/fixtures/containers/) the walls are refused with the message; with the options
 * the message itself names, the same run goes, inside walls that hold; root in the container is
 * told to be another user; the container as the agents' wall goes without bubblewrap and says so,
 * and is refused when the repository turns it on.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const dockerSeccomp = path.join(root, 'test', 'fixtures', 'containers', 'docker-default-seccomp.json');
const node = process.execPath;
const AGENT = JSON.stringify([node, agentScript, '--prompt', '${promptFile}']);
/** The user of a Dev Container (the images' "vscode" is 1000). */
const USER = '1000:1000';

let podman = '';
let image = '';
let runArgs: string[] = [];
let tmp = '';

before(() => {
  // The suite's runner (scripts/test.mjs) sets these; run alone, this file asks the installer itself.
  let vars: Record<string, string | undefined> = process.env;
  if (!process.env.WAVES_PODMAN_IMAGE) {
    const r = spawnSync('bash', [path.join(root, 'scripts', 'container-tools.sh'), '--env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
    assert.equal(r.status, 0, 'scripts/container-tools.sh could not make a container run here');
    vars = Object.fromEntries(r.stdout.split('\n').flatMap((l) => {
      const m = /^(WAVES_[A-Z_]+)=(.*)$/.exec(l);
      return m ? [[m[1]!, m[2]!]] : [];
    }));
  }
  podman = vars.WAVES_PODMAN!;
  image = vars.WAVES_PODMAN_IMAGE!;
  runArgs = (vars.WAVES_PODMAN_RUN_ARGS ?? '').split(/\s+/).filter(Boolean);
  const built = spawnSync(node, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-containers-')));
  fs.chmodSync(tmp, 0o777);
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const gitIdentity = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.invalid', GIT_CONFIG_NOSYSTEM: '1' };

/** A repository (owned by the container's user, or `owner`) whose one package's agent writes its file, tries the person's (`tryPerson`), and commits. */
function repository(name: string, o: { files?: Record<string, string>; owner?: string; tryPerson?: boolean } = {}): string {
  const repo = path.join(tmp, name);
  fs.mkdirSync(repo);
  const lines = [
    'schema_version: 1',
    'feature:',
    `  id: ${name}`,
    `  title: In a container ${name}`,
    'packages:',
    '  - package_id: p',
    '    title: P',
    '    description: |',
    '      test-agent: write p/mine.txt mine',
    ...(o.tryPerson === false ? [] : [`      test-agent: try-write ${repo}/person.txt planted`]),
    '      test-agent: commit',
    '    scope:',
    '      write_allow: ["p/**"]',
  ];
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), lines.join('\n') + '\n');
  for (const [file, text] of Object.entries(o.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  }
  const env = { ...process.env, ...gitIdentity, HOME: tmp, GIT_CONFIG_GLOBAL: '/dev/null' };
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'plan']]) execFileSync('git', args, { cwd: repo, env });
  fs.mkdirSync(path.join(tmp, `${name}-home`));
  for (const p of [repo, path.join(tmp, `${name}-home`)]) execFileSync('chown', ['-R', o.owner ?? USER, p]);
  return repo;
}

/** `waves run` of the repository's plan inside a container started with `options` (and `user`). */
function wavesInContainer(repo: string, options: string[], more: { user?: string; env?: Record<string, string> } = {}) {
  const home = `${repo}-home`;
  const env = { ...gitIdentity, HOME: home, GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'), WAVES_SANDBOX_READ: tmp, ...more.env };
  const args = [
    'run', '--rm', ...runArgs, ...options,
    '--user', more.user ?? USER,
    '-v', `${node}:${node}:ro`, '-v', `${root}:${root}:ro`, '-v', `${tmp}:${tmp}`,
    '-w', repo,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    image,
    node, bin, 'run', '--agent-argv', AGENT, 'work-packages.yaml',
  ];
  return spawnSync(podman, args, { encoding: 'utf8', timeout: 300_000 });
}

/** The options the refusal names (its `start the container with … (podman run)` line), as podman arguments. */
function namedOptions(stderr: string): string[] {
  const line = /^ {4}start the container with (.+) \(podman run\)$/m.exec(stderr)?.[1];
  assert.ok(line, `the refusal names the container's options:\n${stderr}`);
  return line.split(' ');
}

/** git on this machine in a repository the container's user owns. */
const hostGit = (repo: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' } });

/** The agent's log of the run's one attempt. */
function agentLog(repo: string, feature: string): string {
  const runs = path.join(repo, '.waves', 'runs', feature);
  return fs.readFileSync(path.join(runs, fs.readdirSync(runs).find((d) => fs.statSync(path.join(runs, d)).isDirectory())!, 'p', '1', 'agent.log'), 'utf8');
}

describe('the walls in a Podman container built from Debian packages', () => {
  it("under Podman's default profile: refused with the message (its masked /proc); with the options it names, the same run goes inside walls that hold", () => {
    const repo = repository('podman-default');
    const refused = wavesInContainer(repo, []);
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /^waves: agents cannot be confined here: bubblewrap cannot make walls in this Podman container \(bwrap: Can't mount proc on \/newroot\/proc: Operation not permitted\): the container masks parts of \/proc/m);
    const options = namedOptions(refused.stderr);
    assert.deepEqual(options, ['--security-opt', 'unmask=/proc/*'], 'no more than is needed');
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');

    const walled = wavesInContainer(repo, options);
    assert.equal(walled.status, 0, walled.stdout + walled.stderr);
    assert.match(agentLog(repo, 'podman-default'), new RegExp(`^tried write ${repo}/person\\.txt: refused \\(EROFS\\)$`, 'm'), 'the walls hold: the person\'s checkout is read-only');
    assert.equal(fs.existsSync(path.join(repo, 'person.txt')), false);
    assert.equal(hostGit(repo, 'show', 'waves/podman-default/_integration:p/mine.txt').trim(), 'mine');
  });

  it("under Docker's default seccomp profile: refused naming the seccomp profile; with the options it names, the run goes", () => {
    const repo = repository('docker-seccomp');
    const refused = wavesInContainer(repo, ['--security-opt', `seccomp=${dockerSeccomp}`]);
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /bubblewrap cannot make walls in this Podman container \(bwrap: No permissions to create new namespace, .*\): the container's seccomp profile \(the runtime's default\) refuses the user namespaces/);
    const options = namedOptions(refused.stderr);
    assert.deepEqual(options, ['--security-opt', 'unmask=/proc/*', '--security-opt', 'seccomp=unconfined']);
    const walled = wavesInContainer(repo, options);
    assert.equal(walled.status, 0, walled.stdout + walled.stderr);
    assert.match(agentLog(repo, 'docker-seccomp'), /^tried write .*\/person\.txt: refused \(EROFS\)$/m);
  });

  it('root in the container: refused, told to run as another user (bubblewrap run by root makes no user namespace)', () => {
    const repo = repository('as-root', { owner: '0:0' });
    const refused = wavesInContainer(repo, [], { user: '0:0' });
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /\(bwrap: Creating new namespace failed: Operation not permitted\): the agents would run as root/);
    assert.match(refused.stderr, /^ {4}run as a user other than root: --user 1000:1000/m);
  });

  it('the container as the wall (WAVES_SANDBOX_CONTAINER=1): under the default profile the run goes without bubblewrap and says so', () => {
    const repo = repository('container-wall', { tryPerson: false });
    const r = wavesInContainer(repo, [], { env: { WAVES_SANDBOX_CONTAINER: '1' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /the agents run without bubblewrap: this Podman container is their wall, as you chose/);
    assert.equal(hostGit(repo, 'show', 'waves/container-wall/_integration:p/mine.txt').trim(), 'mine');
    const state = JSON.parse(fs.readFileSync(path.join(repo, '.waves', 'runs', 'container-wall.json'), 'utf8')) as { unconfined?: boolean; containerWall?: boolean };
    assert.equal(state.unconfined, true, 'the run state says its agents ran without bubblewrap');
    assert.equal(state.containerWall, true, 'and that the container was their wall, not the walls turned off');
  });

  it("the container as the wall is refused when the repository's devcontainer.json turns it on", () => {
    const repo = repository('repository-wall', { files: { '.devcontainer/devcontainer.json': '{\n  "image": "debian",\n  // the repository decides?\n  "remoteEnv": { "WAVES_SANDBOX_CONTAINER": "1" }\n}\n' } });
    const r = wavesInContainer(repo, [], { env: { WAVES_SANDBOX_CONTAINER: '1' } });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^waves: the container-as-wall choice is yours alone, and the repository turns it on \(\.devcontainer\/devcontainer\.json: its remoteEnv sets WAVES_SANDBOX_CONTAINER\)$/m);
    assert.equal(fs.existsSync(path.join(repo, 'person.txt')), false, 'no agent ran');
  });

  it("walls the repository's devcontainer.json opens (its variables became the environment of waves) are refused, named; the person's own open them", () => {
    const repo = repository('repository-opens', { tryPerson: false, files: { '.devcontainer/devcontainer.json': '{ "image": "debian", "containerEnv": { "WAVES_SANDBOX_ALLOW": "example.com:443" } }\n' } });
    const r = wavesInContainer(repo, [], { env: { WAVES_SANDBOX_ALLOW: 'example.com:443' } });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^waves: the agents' walls are yours alone to open, and this repository's dev container opens them \(\.devcontainer\/devcontainer\.json: its containerEnv sets WAVES_SANDBOX_ALLOW\)$/m);
    assert.match(r.stderr, /^ {2}take it out there and rebuild the container/m);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');
    // The same variable, the repository's file without it: the person's own, and the run goes (the container their wall).
    fs.writeFileSync(path.join(repo, '.devcontainer', 'devcontainer.json'), '{ "image": "debian" }\n');
    const mine = wavesInContainer(repo, [], { env: { WAVES_SANDBOX_ALLOW: 'example.com:443', WAVES_SANDBOX_CONTAINER: '1' } });
    assert.equal(mine.status, 0, mine.stdout + mine.stderr);
  });
});
