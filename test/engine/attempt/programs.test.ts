/**
 * An agent's program resolved before its walls are drawn (programs.ts): looked up on the
 * agent's PATH, its symbolic links followed, a script's interpreter resolved (`#!/abs/interp`,
 * `#!/usr/bin/env [-S] name`), what cannot be run named. Then the real thing: an agent CLI
 * installed under a folder of /tmp the walls do not show (a `#!/usr/bin/env node` script behind
 * a symbolic link, `node` itself a link there too) run confined by the real runner and
 * bubblewrap; a program that cannot be run is refused by the runner, by the start of a run
 * (`startRun`, both front ends) and by `waves run`, before anything starts.
 *
 * Run: node --import tsx --test test/engine/attempt/programs.test.ts  (the last case needs `npm run build`)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attemptFiles } from '../../../src/core/run/runPaths';
import { customProfile } from '../../../src/core/agents/agentProfiles';
import { confinementAvailable } from '../../../src/engine/attempt/confinement';
import { resolveProgram, shebangInterpreter } from '../../../src/engine/attempt/programs';
import type { RunnerExit, RunnerSpec } from '../../../src/engine/attempt/runnerFiles';
import { startRun } from '../../../src/engine';
import { repoWithPlan } from '../engineFixtures';
import { buildRunner, gitEnv, REPO_ROOT, spawnProcess, tempDir } from '../helpers';

/** A folder right under /tmp, whatever TMPDIR says: the tests' TMPDIR is shown inside the walls (WAVES_SANDBOX_READ), this is not. */
function unshownTmp(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join('/tmp', prefix)));
}

function write(file: string, text: string, mode = 0o755): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
  return file;
}

function link(target: string, at: string): string {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at);
  return at;
}

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('resolveProgram: a program as execvp finds it, and what it needs', () => {
  let root = '';
  before(() => {
    root = unshownTmp('waves-programs-');
    made.push(root);
  });

  it('a bare name on PATH behind a chain of links across folders: run by the path found, every folder on the way shown (a bin folder as its prefix)', () => {
    const real = write(path.join(root, 'chain', 'lib', 'tool', 'agent'), '\x7fELF not really\n');
    link('../../lib/tool/agent', path.join(root, 'chain', 'opt', 'current', 'agent'));
    link(path.join(root, 'chain', 'opt', 'current', 'agent'), path.join(root, 'chain', 'prefix', 'bin', 'my-agent'));
    const r = resolveProgram('my-agent', { PATH: `/nonexistent:${path.join(root, 'chain', 'prefix', 'bin')}:/usr/bin` });
    assert.ok(r.ok, r.ok ? '' : r.why);
    assert.equal(r.path, path.join(root, 'chain', 'prefix', 'bin', 'my-agent'), 'the path found (a program may read its name), not its target');
    assert.deepEqual(r.folders.sort(), [path.join(root, 'chain', 'prefix'), path.join(root, 'chain', 'opt', 'current'), path.join(root, 'chain', 'lib', 'tool')].sort());
    assert.ok(fs.existsSync(real));
  });

  it('a program inside node_modules (an npm install under /tmp): the outermost node_modules, where its dependencies are', () => {
    write(path.join(root, 'npm', 'node_modules', '@acme', 'cli', 'bin', 'cli.js'), '#!/bin/sh\necho hi\n');
    link('../@acme/cli/bin/cli.js', path.join(root, 'npm', 'node_modules', '.bin', 'acme'));
    const r = resolveProgram('acme', { PATH: path.join(root, 'npm', 'node_modules', '.bin') });
    assert.ok(r.ok, r.ok ? '' : r.why);
    assert.deepEqual(r.folders.filter((f) => f.startsWith(root)), [path.join(root, 'npm', 'node_modules')]);
  });

  it('a program right in /tmp: the file alone, never all of /tmp', () => {
    const file = write(`/tmp/waves-agent-${crypto.randomBytes(6).toString('hex')}`, '#!/bin/sh\n');
    made.push(file);
    const r = resolveProgram(file, {});
    assert.ok(r.ok, r.ok ? '' : r.why);
    assert.ok(r.folders.includes(file) && !r.folders.includes('/tmp'), r.folders.join(', '));
  });

  it('a name given with a slash is taken against the working folder, not PATH', () => {
    write(path.join(root, 'cwd', 'tools', 'run-agent'), '#!/bin/sh\n');
    const r = resolveProgram('./tools/run-agent', { PATH: '/usr/bin' }, path.join(root, 'cwd'));
    assert.ok(r.ok && r.path === path.join(root, 'cwd', 'tools', 'run-agent'), JSON.stringify(r));
  });

  it('what cannot be run is named: missing, a folder, not executable (a later executable one on PATH is found), a link to nothing, a loop', () => {
    const none = resolveProgram('no-such-agent-x', { PATH: '/usr/bin:/bin' });
    assert.deepEqual(none, { ok: false, why: '"no-such-agent-x" was not found on PATH' });
    assert.deepEqual(resolveProgram('/no/such/agent', {}), { ok: false, why: '"/no/such/agent" was not found' });
    fs.mkdirSync(path.join(root, 'dir', 'agent-dir'), { recursive: true });
    assert.deepEqual(resolveProgram('agent-dir', { PATH: path.join(root, 'dir') }), { ok: false, why: `"agent-dir" (${path.join(root, 'dir', 'agent-dir')}) is a folder, not a program` });
    const plain = write(path.join(root, 'noexec', 'agent'), '#!/bin/sh\n', 0o644);
    assert.deepEqual(resolveProgram('agent', { PATH: path.dirname(plain) }), { ok: false, why: `"agent" (${plain}) is not executable (chmod +x)` });
    const later = write(path.join(root, 'later', 'agent'), '#!/bin/sh\n');
    const found = resolveProgram('agent', { PATH: `${path.dirname(plain)}:${path.dirname(later)}` });
    assert.ok(found.ok && found.path === later, 'execvp goes on past a file it may not execute');
    link(path.join(root, 'gone', 'agent'), path.join(root, 'dangling', 'agent'));
    assert.deepEqual(resolveProgram('agent', { PATH: path.join(root, 'dangling') }), { ok: false, why: `"agent" (${path.join(root, 'dangling', 'agent')}) is a symbolic link to nothing` });
    link('loop-b', path.join(root, 'loop', 'loop-a'));
    link('loop-a', path.join(root, 'loop', 'loop-b'));
    assert.deepEqual(resolveProgram('loop-a', { PATH: path.join(root, 'loop') }), { ok: false, why: `"loop-a" (${path.join(root, 'loop', 'loop-a')}) is a loop of symbolic links` });
  });

  it('a script: its interpreter resolved the same way, on PATH for env (-S too), its links followed and its folders shown', () => {
    const nodeLink = link(process.execPath, path.join(root, 'interp', 'node-24', 'bin', 'node'));
    const PATH = `${path.dirname(nodeLink)}:/usr/bin:/bin`;
    for (const line of ['#!/usr/bin/env node', '#!/usr/bin/env -S node --no-warnings', '#!/usr/bin/env -S NODE_OPTIONS=--no-warnings node']) {
      const script = write(path.join(root, 'scripts', crypto.randomBytes(4).toString('hex'), 'agent.mjs'), `${line}\nconsole.log('hi')\n`);
      const r = resolveProgram(script, { PATH });
      assert.ok(r.ok, `${line}: ${r.ok ? '' : r.why}`);
      assert.ok(r.folders.includes(path.join(root, 'interp', 'node-24')), `${line}: the interpreter's link's prefix is shown (${r.folders.join(', ')})`);
      assert.ok(r.folders.includes(path.dirname(fs.realpathSync(process.execPath))), `${line}: and its target's folder`);
      assert.ok(r.folders.includes(path.dirname(script)), line);
    }
    const absolute = write(path.join(root, 'scripts', 'abs', 'agent'), `#!${nodeLink} --no-warnings\n`);
    const r = resolveProgram(absolute, { PATH: '/usr/bin' });
    assert.ok(r.ok && r.folders.includes(path.join(root, 'interp', 'node-24')), JSON.stringify(r));
  });

  it('a script whose interpreter is missing is refused, naming the script, its first line and the interpreter', () => {
    const viaEnv = write(path.join(root, 'broken', 'env-agent'), '#!/usr/bin/env no-such-node-x\n');
    assert.deepEqual(resolveProgram('env-agent', { PATH: path.dirname(viaEnv) }), {
      ok: false,
      why: `"env-agent" (${viaEnv}) cannot be run: its first line names the interpreter "no-such-node-x" (#!/usr/bin/env no-such-node-x), which was not found on PATH`,
    });
    const abs = write(path.join(root, 'broken', 'abs-agent'), '#!/opt/no-such/python3 -u\nprint(1)\n');
    assert.deepEqual(resolveProgram(abs, {}), { ok: false, why: `"${abs}" (${abs}) cannot be run: its first line names the interpreter "/opt/no-such/python3" (#!/opt/no-such/python3 -u), which was not found` });
    const noexec = write(path.join(root, 'broken', 'interp'), 'not a program\n', 0o644);
    const viaNoexec = write(path.join(root, 'broken', 'noexec-agent'), `#!${noexec}\n`);
    assert.deepEqual(resolveProgram(viaNoexec, {}), { ok: false, why: `"${viaNoexec}" (${viaNoexec}) cannot be run: its first line names the interpreter "${noexec}" (#!${noexec}), which is not executable (chmod +x)` });
  });
});

describe('shebangInterpreter: the first line as the kernel and env read it', () => {
  const table: [string, string | null][] = [
    ['#!/usr/bin/env node', 'node'],
    ['#!/usr/bin/env node --flag', 'node'],
    ['#!/usr/bin/env -S node --experimental-strip-types', 'node'],
    ['#!/usr/bin/env -Snode --x', 'node'],
    ['#!/usr/bin/env -S NODE_OPTIONS=--max-old-space-size=4096 node', 'node'],
    ['#!/usr/bin/env -i PATH=/opt/bin python3', 'python3'],
    ['#!/usr/bin/env -u HOME bash', 'bash'],
    ['#!/usr/bin/env -- deno', 'deno'],
    ['#! /usr/bin/python3 -u', '/usr/bin/python3'],
    ['#!/bin/sh\r', '/bin/sh'],
    ['#!/usr/bin/env', '/usr/bin/env'],
    ['echo not a script', null],
  ];
  for (const [line, want] of table) {
    it(JSON.stringify(line), () => {
      assert.equal(shebangInterpreter(`${line}\nrest\n`)?.name ?? null, want);
    });
  }
});

describe('an agent CLI installed under /tmp, run inside its walls by the real runner', () => {
  let runnerJs = '';
  let bwrap = '';
  before(async () => {
    runnerJs = await buildRunner();
    const here = confinementAvailable();
    assert.ok(here.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${here.ok ? '' : here.why}`);
    bwrap = here.bwrap;
  });

  /** An attempt of `argv` inside walls, with `PATH`; the runner's exit code and exit.json. */
  async function runWalled(argv: string[], PATH: string): Promise<{ code: number | null; exit: RunnerExit; cwd: string; out: string }> {
    const dir = tempDir('waves-program-attempt-');
    const cwd = tempDir('waves-program-cwd-');
    const files = attemptFiles(dir);
    const token = crypto.randomBytes(12).toString('hex');
    const spec: RunnerSpec = { version: 1, argv, cwd, env: { PATH }, interactive: false, stdinFile: null, timeoutMs: 60_000, graceMs: 1000, startToken: token, verdict: 'none', walls: { bwrap } };
    fs.writeFileSync(files.spec, JSON.stringify(spec));
    const r = spawnProcess([process.execPath, runnerJs, dir, token], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const { code } = await r.exited;
    return { code, exit: JSON.parse(fs.readFileSync(files.exit, 'utf8')) as RunnerExit, cwd, out: r.stdout() + r.stderr() };
  }

  it('a #!/usr/bin/env node script behind a link, with node itself a link under /tmp: it starts and works (its folders shown read-only; the rest of /tmp still private)', async () => {
    const root = unshownTmp('waves-cli-install-');
    made.push(root);
    assert.ok(!(process.env.WAVES_SANDBOX_READ ?? '').split(':').some((p) => p && root.startsWith(p)), 'the install is in a folder the walls do not show by themselves');
    const secret = write(path.join(root, 'elsewhere', 'not-for-the-agent.txt'), 'private\n', 0o644);
    write(
      path.join(root, 'pkg', 'lib', 'agent.mjs'),
      [
        '#!/usr/bin/env node',
        "import fs from 'node:fs';",
        `let seen = 'hidden'; try { fs.readFileSync(${JSON.stringify(secret)}); seen = 'seen'; } catch {}`,
        "fs.writeFileSync('worked.txt', `node ${process.version} ran ${process.argv.slice(2).join(' ')}; another file under /tmp: ${seen}\\n`);",
        "console.log('agent done');",
        '',
      ].join('\n'),
    );
    link('../pkg/lib/agent.mjs', path.join(root, 'links', 'my-agent'));
    link(process.execPath, path.join(root, 'node-dist', 'node'));
    // PATH: the agent's folder, then node's (both under /tmp), then folders with no node: env inside finds the one under /tmp.
    const PATH = [path.join(root, 'links'), path.join(root, 'node-dist'), '/usr/local/sbin', '/usr/sbin', '/sbin'].join(':');
    const r = await runWalled(['my-agent', '--some-flag'], PATH);
    assert.equal(r.code, 0, `${r.exit.reason}\n${r.out}`);
    assert.equal(fs.readFileSync(path.join(r.cwd, 'worked.txt'), 'utf8'), `node ${process.version} ran --some-flag; another file under /tmp: hidden\n`);
    assert.match(r.out, /agent done/);
  });

  it('a program that cannot be run is refused before it starts, named: missing, and a script whose interpreter is missing', async () => {
    const missing = await runWalled(['no-such-agent-x'], '/usr/bin:/bin');
    assert.equal(missing.code, 1);
    assert.equal(missing.exit.reason, 'the agent could not start: the agent program "no-such-agent-x" was not found on PATH');
    const root = unshownTmp('waves-cli-broken-');
    made.push(root);
    const script = write(path.join(root, 'bin', 'half-installed'), '#!/usr/bin/env no-such-node-x\n');
    const broken = await runWalled(['half-installed'], `${path.join(root, 'bin')}:/usr/bin:/bin`);
    assert.equal(broken.code, 1);
    assert.equal(
      broken.exit.reason,
      `the agent could not start: the agent program "half-installed" (${script}) cannot be run: its first line names the interpreter "no-such-node-x" (#!/usr/bin/env no-such-node-x), which was not found on PATH`,
    );
  });
});

describe('a run whose agent cannot be run is refused before anything starts', () => {
  it('startRun (both front ends): refused, named, no run state written', async () => {
    const { repo, planFile } = repoWithPlan('unrunnable', [{ id: 'a' }]);
    const root = unshownTmp('waves-cli-broken-');
    made.push(root);
    const script = write(path.join(root, 'agent'), '#!/usr/bin/env no-such-node-x\n');
    const NO = { approveCommands: async () => false, overlapPlannedClaims: async () => false };
    for (const [agent, why] of [
      [customProfile(['no-such-agent-x']), 'the agent program "no-such-agent-x" was not found on PATH'],
      [customProfile([script, '${promptFile}']), `the agent program "${script}" (${script}) cannot be run: its first line names the interpreter "no-such-node-x" (#!/usr/bin/env no-such-node-x), which was not found on PATH`],
    ] as const) {
      const started = await startRun({ planFile, shown: 'work-packages.yaml', agent }, NO);
      assert.equal(started.ok, false);
      if (started.ok) return;
      assert.deepEqual([started.refusal.kind, started.refusal.reason], ['agent-not-runnable', why]);
      assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing was started');
    }
  });

  it('waves run: a script whose interpreter is missing, refused with exit 2 (needs npm run build)', () => {
    const root = unshownTmp('waves-cli-broken-');
    made.push(root);
    const script = write(path.join(root, 'agent'), '#!/usr/bin/env no-such-node-x\n');
    const { repo, planFile } = repoWithPlan('unrunnable-cli', [{ id: 'a' }]);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), 'run', '--agent-argv', JSON.stringify([script, '${promptFile}']), planFile], { cwd: repo, env: gitEnv(tempDir('waves-program-home-')), encoding: 'utf8' });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`the agent program "${script}" \\(${script}\\) cannot be run: its first line names the interpreter "no-such-node-x" \\(#!/usr/bin/env no-such-node-x\\), which was not found on PATH`));
  });
});
