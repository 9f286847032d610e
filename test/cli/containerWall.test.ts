/**
 * `waves run` where bubblewrap cannot make the walls, through the built bin as a person runs it:
 * the refusal says why, in this machine's terms, and what would make them (core/walls/containerCheck.ts);
 * the container as the agents' wall (`--container-is-wall`, `WAVES_SANDBOX_CONTAINER=1`) counts only
 * inside a container, is said as the run starts, and is refused when the repository turns it on.
 * bubblewrap here is a stand-in (WAVES_BWRAP) that fails as Docker's seccomp profile makes it fail,
 * in its own words; test/containers/ does the same with real containers.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHere } from '../../src/engine/attempt/wallsFacts';
import { gitEnv } from '../engine/helpers';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-container-wall-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
/** bubblewrap as Docker's default seccomp profile leaves it (bubblewrap.c's own message). */
const SECCOMP = "bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces. On e.g. debian this can be enabled with 'sysctl kernel.unprivileged_userns_clone=1'.";
const fakeBwrap = path.join(tmp, 'bwrap');
fs.writeFileSync(fakeBwrap, `#!/bin/sh\necho "${SECCOMP}" >&2\nexit 1\n`, { mode: 0o755 });
const env: NodeJS.ProcessEnv = { ...gitEnv(home), WAVES_SANDBOX_READ: tmp, WAVES_BWRAP: fakeBwrap };
delete env.WAVES_SANDBOX_CONTAINER;

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });

/** A repository whose one package's agent writes a file and commits; `files`: more of the repository's files. */
function repository(name: string, files: Record<string, string> = {}): { repo: string; plan: string } {
  const repo = path.join(tmp, name);
  fs.mkdirSync(repo);
  const lines = ['schema_version: 1', 'feature:', `  id: ${name}`, `  title: Container wall ${name}`, 'packages:', '  - package_id: p', '    title: P', '    description: |', '      test-agent: write p/mine.txt mine', '      test-agent: commit', '    scope:', '      write_allow: ["p/**"]'];
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), lines.join('\n') + '\n');
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'plan');
  return { repo, plan: path.join(repo, 'work-packages.yaml') };
}

const waves = (repo: string, args: string[], more: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, 'run', '--agent-argv', AGENT, ...args, path.join(repo, 'work-packages.yaml')], { cwd: repo, env: { ...env, ...more }, encoding: 'utf8', timeout: 120_000 });

describe('where bubblewrap cannot make the walls', () => {
  it("the refusal says why in this machine's terms, bubblewrap's own line, and what would make the walls; nothing starts", () => {
    const { repo } = repository('refused');
    const r = waves(repo, []);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^waves: agents cannot be confined here: bubblewrap cannot make walls in (this .+|WSL .+) \(bwrap: No permissions to create a new namespace, likely because/m);
    if (containerHere()) {
      // In a container: the runtime's options, and the container as the wall offered.
      assert.match(r.stderr, /^ {2}what would make the walls here:$/m);
      assert.match(r.stderr, /--security-opt/);
      assert.match(r.stderr, /^ {4}or make the container itself the agents' wall: your own setting waves\.sandbox\.container, waves run --container-is-wall or WAVES_SANDBOX_CONTAINER=1/m);
    }
    assert.match(r.stderr, /nothing was started; to run the agents without walls anyway, choose it: `waves run --unconfined /);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');
  });

  it('--container-is-wall beside --unconfined: a usage error', () => {
    const { repo } = repository('both');
    const r = waves(repo, ['--container-is-wall', '--unconfined']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--container-is-wall makes the container the agents' wall; --unconfined has none: give one of them/);
  });

  it('the repository cannot turn the container-as-wall choice on (its devcontainer.json): refused, named; nothing starts', () => {
    const { repo } = repository('repository-turns-it-on', { '.devcontainer/devcontainer.json': '// made by the repository\n{ "image": "debian", "containerEnv": { "WAVES_SANDBOX_CONTAINER": "1" }, }\n' });
    const r = waves(repo, [], { WAVES_SANDBOX_CONTAINER: '1' });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^waves: the container-as-wall choice is yours alone, and the repository turns it on \(\.devcontainer\/devcontainer\.json: its containerEnv sets WAVES_SANDBOX_CONTAINER\)$/m);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');
  });

  it('WAVES_SANDBOX_CONTAINER=1: inside a container the agent runs without bubblewrap and the run says so; elsewhere the walls stay and the refusal stands', () => {
    const { repo } = repository('container-wall');
    const r = waves(repo, [], { WAVES_SANDBOX_CONTAINER: '1' });
    const place = containerHere();
    if (place) {
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /the agents run without bubblewrap: this .+ is their wall, as you chose \(your own setting waves\.sandbox\.container/);
      assert.equal(git(repo, 'show', 'waves/container-wall/_integration:p/mine.txt').trim(), 'mine', "the agent's work merged");
      const status = JSON.parse(spawnSync(process.execPath, [bin, 'status', '--json', path.join(repo, 'work-packages.yaml')], { cwd: repo, env, encoding: 'utf8' }).stdout) as { unconfined: boolean; containerWall?: boolean };
      assert.equal(status.unconfined, true, 'the run state says its agents ran without bubblewrap');
      assert.equal(status.containerWall, true, 'the container their wall');
    } else {
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /counts only inside a container, and this is not one/);
      assert.match(r.stderr, /agents cannot be confined here: bubblewrap cannot make walls in/);
    }
  });
});
