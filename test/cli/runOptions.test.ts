/**
 * The worktree and walls options of `waves run` and `waves plan` (one table with the
 * editor's settings, core/run/runOptions.ts), through the built bin as a person runs it: the
 * set-up command runs in each new tree, the copy list puts the person's ignored `.env` there
 * (their own file untouched), a folder given with --sandbox-write is writable inside the walls
 * and one given with --sandbox-hidden is not there, and each package's agent has its own ports;
 * with --layered-worktrees each tree is laid over one shared checkout, and its agent sees it whole.
 * `waves plan`'s worktree gets the same set-up and copy; `waves review` resumes a run with the
 * same options. Bad values are usage errors naming the flag or the variable, before anything starts.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { shellQuote } from '../../src/core/hosts/hostList';
import { gitEnv } from '../engine/helpers';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-run-options-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
// The walls show this test's folder read-only (the repository lives here).
const env = { ...gitEnv(home), WAVES_SANDBOX_READ: tmp };

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });
const waves = (cwd: string, args: string[], extraEnv: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 180_000 });

/** A repository whose `.env` (the person's, ignored by git) and plan of two packages, p and q, each copying what its tree got into its own files. */
function repoWith(name: string, agentLines: (id: string) => string[]): { repo: string; plan: string } {
  const repo = path.join(tmp, name);
  fs.mkdirSync(repo);
  const lines = ['schema_version: 1', 'feature:', `  id: ${name}`, `  title: Options ${name}`, 'packages:'];
  for (const id of ['p', 'q'])
    lines.push(`  - package_id: ${id}`, `    title: ${id.toUpperCase()}`, '    description: |', ...agentLines(id).map((l) => `      test-agent: ${l}`), '    scope:', `      write_allow: ["${id}/**"]`);
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(repo, '.gitignore'), '.env\ndeps/\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'plan');
  fs.writeFileSync(path.join(repo, '.env'), 'API_KEY=the-persons\n');
  return { repo, plan: path.join(repo, 'work-packages.yaml') };
}

const onBranch = (repo: string, feature: string, file: string) => git(repo, 'show', `waves/${feature}/_integration:${file}`);

describe('waves run: the worktree and walls options', () => {
  it('--setup-command, --copy, --sandbox-write and --sandbox-hidden: the tree is set up and has the copy, the walls as asked; each agent its own ports', () => {
    const writable = path.join(tmp, 'writable');
    fs.mkdirSync(writable);
    const hidden = path.join(home, 'private');
    fs.mkdirSync(hidden);
    fs.writeFileSync(path.join(hidden, 's.txt'), 'secret\n');
    const { repo, plan } = repoWith('options', (id) => [
      `copy .env ${id}/seen-env.txt`,
      `copy deps/marker ${id}/seen-hook.txt`,
      `env PORT ${id}/port.txt`,
      `env WAVES_PORT_RANGE ${id}/range.txt`,
      `try-write ${writable}/${id}.txt from ${id}`,
      `try-read ${hidden}/s.txt`,
      'commit',
    ]);
    // The hook: a program and its arguments (JSON), never a shell; it writes into the tree it runs in.
    const hook = JSON.stringify([process.execPath, '-e', "require('fs').mkdirSync('deps', { recursive: true }); require('fs').writeFileSync('deps/marker', 'set up by the hook\\n')"]);
    const r = waves(repo, ['run', '--agent-argv', AGENT, '--setup-command', hook, '--copy', '.env', '--sandbox-write', writable, '--sandbox-hidden', hidden, plan]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const [i, id] of ['p', 'q'].entries()) {
      assert.equal(onBranch(repo, 'options', `${id}/seen-env.txt`), 'API_KEY=the-persons\n', `${id}: the copy list's .env was in its tree`);
      assert.equal(onBranch(repo, 'options', `${id}/seen-hook.txt`), 'set up by the hook\n', `${id}: the set-up command ran in its tree before the agent`);
      assert.equal(onBranch(repo, 'options', `${id}/port.txt`), `PORT=${41000 + 100 * i}\n`);
      assert.equal(onBranch(repo, 'options', `${id}/range.txt`), `WAVES_PORT_RANGE=${41000 + 100 * i}-${41099 + 100 * i}\n`);
      assert.equal(fs.readFileSync(path.join(writable, `${id}.txt`), 'utf8'), `from ${id}`, `${id}: --sandbox-write made the folder writable inside the walls`);
    }
    const runs = path.join(repo, '.waves', 'runs', 'options');
    const runDir = path.join(runs, fs.readdirSync(runs).find((f) => fs.statSync(path.join(runs, f)).isDirectory())!);
    const log = fs.readFileSync(path.join(runDir, 'p', '1', 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`^tried write ${writable}/p\\.txt: written$`, 'm'));
    assert.match(log, new RegExp(`^tried read ${hidden}/s\\.txt: refused \\(ENOENT\\)$`, 'm'), '--sandbox-hidden hid the folder');
    assert.match(fs.readFileSync(path.join(runDir, 'p', '1', 'setup.log'), 'utf8'), /^copy list \(\.env\): 1 copied, 0 left out\n {2}copied \.env\n/);
    assert.equal(fs.readFileSync(path.join(repo, '.env'), 'utf8'), 'API_KEY=the-persons\n', "the person's file as it was");
    assert.equal(fs.readFileSync(path.join(hidden, 's.txt'), 'utf8'), 'secret\n');
    assert.equal(git(repo, 'status', '--porcelain'), '', 'the checkout untouched');
  });

  it('the same options from the environment: WAVES_WORKTREES_COPY and WAVES_SETUP_COMMAND (words)', () => {
    const { repo, plan } = repoWith('from-env', (id) => [`copy .env ${id}/seen-env.txt`, 'commit']);
    // Words split on spaces: a program with its arguments, no shell.
    const r = waves(repo, ['run', '--agent-argv', AGENT, plan], { WAVES_WORKTREES_COPY: '.env:deps', WAVES_SETUP_COMMAND: 'git worktree list' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(onBranch(repo, 'from-env', 'p/seen-env.txt'), 'API_KEY=the-persons\n');
    const runs = path.join(repo, '.waves', 'runs', 'from-env');
    const runDir = path.join(runs, fs.readdirSync(runs).find((f) => fs.statSync(path.join(runs, f)).isDirectory())!);
    const setup = fs.readFileSync(path.join(runDir, 'q', '1', 'setup.log'), 'utf8');
    assert.match(setup, /^copy list \(\.env, deps\): 1 copied, 1 left out\n {2}copied \.env\n {2}left out deps: not in the checkout\n/);
    assert.match(setup, /\/from-env\.worktrees\/from-env\/q /, "the set-up command's output: git ran in q's tree");
  });

  it('--layered-worktrees: each tree laid over one shared checkout; its agent sees the whole tree, the copy and what the set-up made; the agent log says so', () => {
    const { repo, plan } = repoWith('layered', (id) => [`copy .env ${id}/seen-env.txt`, `copy deps/marker ${id}/seen-hook.txt`, `copy work-packages.yaml ${id}/seen-plan.yaml`, 'commit']);
    const hook = JSON.stringify([process.execPath, '-e', "require('fs').mkdirSync('deps', { recursive: true }); require('fs').writeFileSync('deps/marker', 'set up by the hook\\n')"]);
    const r = waves(repo, ['run', '--agent-argv', AGENT, '--layered-worktrees', '--copy', '.env', '--setup-command', hook, plan]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const id of ['p', 'q']) {
      assert.equal(onBranch(repo, 'layered', `${id}/seen-env.txt`), 'API_KEY=the-persons\n');
      assert.equal(onBranch(repo, 'layered', `${id}/seen-hook.txt`), 'set up by the hook\n');
      assert.equal(onBranch(repo, 'layered', `${id}/seen-plan.yaml`), fs.readFileSync(plan, 'utf8'), `${id}: a file of the commit, from the shared checkout`);
    }
    const runs = path.join(repo, '.waves', 'runs', 'layered');
    const runDir = path.join(runs, fs.readdirSync(runs).find((f) => fs.statSync(path.join(runs, f)).isDirectory())!);
    assert.match(fs.readFileSync(path.join(runDir, 'p', '1', 'agent.log'), 'utf8'), /^waves: the worktree: layered over the shared checkout of [0-9a-f]{12} \(.*\/waves-layers\/bases\/[0-9a-f]{40}; copy-on-write/m);
    // The merged trees removed at the run's end, the shared checkout with the last of them.
    assert.deepEqual(fs.readdirSync(path.join(repo, '.git', 'waves-layers', 'bases')), []);
    assert.equal(git(repo, 'status', '--porcelain'), '', 'the checkout untouched');
  });

  it('bad values are usage errors naming the flag or the variable; nothing starts', () => {
    const { repo, plan } = repoWith('bad', () => ['commit']);
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--copy', '../secret'], {}, /^waves: --copy: "\.\.\/secret" goes up out of the repository \(\.\.\)$/m],
      [['--copy', '/etc/passwd'], {}, /^waves: --copy: "\/etc\/passwd" is not relative to the repository$/m],
      [[], { WAVES_SETUP_COMMAND: '["npm", 1]' }, /^waves: WAVES_SETUP_COMMAND must be a JSON array of strings/m],
      [['--setup-command', '[]'], { WAVES_SETUP_COMMAND: 'npm ci' }, /^waves: --setup-command needs a program/m],
      [['--sandbox-write', 'relative'], {}, /^waves: --sandbox-write: "relative" is neither absolute nor ~\/…$/m],
      [[], { WAVES_SANDBOX_REGISTRIES: 'perhaps' }, /^waves: WAVES_SANDBOX_REGISTRIES is 1 or 0, not "perhaps"$/m],
      [[], { WAVES_SANDBOX_MEMORY_MB: 'lots' }, /^waves: WAVES_SANDBOX_MEMORY_MB takes a whole number of MiB/m],
      [['--allow-registries', '--unconfined'], {}, /^waves: --allow-registries opens the walls; --unconfined has none: give one of them$/m],
      [['--toolchain-cache'], {}, /^waves: --toolchain-cache needs a value$/m],
      [['--layered-worktrees', '--unconfined'], {}, /^waves: --layered-worktrees needs the agents' walls: a layered worktree is whole only inside them/m],
      [['--unconfined'], { WAVES_WORKTREES_LAYERED: '1' }, /^waves: WAVES_WORKTREES_LAYERED needs the agents' walls/m],
      [[], { WAVES_WORKTREES_LAYERED: 'perhaps' }, /^waves: WAVES_WORKTREES_LAYERED is 1 or 0, not "perhaps"$/m],
    ];
    for (const [args, extra, message] of cases) {
      const r = waves(repo, ['run', '--agent-argv', AGENT, plan, ...args], extra);
      assert.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(extra)}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');
    assert.equal(fs.existsSync(`${repo}.worktrees`), false);
  });

  it('a copy list with SSH hosts starts with no warning: the hosts get their copy too', () => {
    const { repo, plan } = repoWith('ssh-copy', () => ['commit']);
    const hosts = path.join(tmp, 'hosts.yaml');
    fs.writeFileSync(hosts, 'hosts:\n  - name: local\n    max_parallel: 1\n  - name: build-1\n    ssh: me@build-1.invalid\n    folder: /srv/waves\n    max_parallel: 2\n');
    const r = waves(repo, ['run', '--dry-run', '--agent-argv', AGENT, '--hosts', hosts, plan], { WAVES_WORKTREES_COPY: '.env' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning|copy list/);
  });

  it('the help lists every option with its variable and setting', () => {
    const help = waves(tmp, ['run', '--help']).stdout;
    for (const [flag, variable, setting] of [
      ['--setup-command ARGV', 'WAVES_SETUP_COMMAND', 'waves.worktrees.setupCommand'],
      ['--copy PATH:…', 'WAVES_WORKTREES_COPY', 'waves.worktrees.copy'],
      ['--allow-registries', 'WAVES_SANDBOX_REGISTRIES=1', 'waves.sandbox.registries'],
      ['--toolchain-cache DIR', 'WAVES_SANDBOX_CACHE', 'waves.sandbox.cache'],
    ])
      assert.ok(help.includes(`${flag} (${variable}; ${setting}):`), flag);
    // waves plan: every one of them too, with the same variable and setting.
    const planHelp = waves(tmp, ['plan', '--help']).stdout;
    for (const [flag, variable, setting] of [
      ['--setup-command ARGV', 'WAVES_SETUP_COMMAND', 'waves.worktrees.setupCommand'],
      ['--copy PATH:…', 'WAVES_WORKTREES_COPY', 'waves.worktrees.copy'],
      ['--sandbox-write DIR:…', 'WAVES_SANDBOX_WRITE', 'waves.sandbox.write'],
      ['--sandbox-read DIR:…', 'WAVES_SANDBOX_READ adds to it', 'waves.sandbox.read'],
      ['--sandbox-hidden PATH:…', 'WAVES_SANDBOX_HIDDEN', 'waves.sandbox.hidden'],
      ['--allow-host HOST:PORT,…', 'WAVES_SANDBOX_ALLOW adds to it', 'waves.sandbox.allowHosts'],
      ['--allow-registries', 'WAVES_SANDBOX_REGISTRIES=1', 'waves.sandbox.registries'],
      ['--memory-mb MIB', 'WAVES_SANDBOX_MEMORY_MB', 'waves.sandbox.memoryMB'],
    ])
      assert.ok(planHelp.includes(`${flag} (${variable}; ${setting}):`), `plan: ${flag}`);
  });

  it('waves review resumes the run with the worktree and walls options given to it: the set-up command runs before the revision, its agent writes the folder --sandbox-write opened', () => {
    const writable = path.join(tmp, 'writable-review');
    fs.mkdirSync(writable);
    const { repo, plan } = repoWith('review-options', (id) => [
      `unless-followup write ${id}/a.txt first`,
      `if-followup write ${id}/a.txt second`,
      `if-followup copy deps/marker ${id}/hooked.txt`,
      `if-followup try-write ${writable}/${id}.txt revised`,
      'commit',
    ]);
    const first = waves(repo, ['run', '--agent-argv', AGENT, plan]);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    const comments = path.join(tmp, 'review-options.txt');
    const hook = JSON.stringify([process.execPath, '-e', "require('fs').mkdirSync('deps', { recursive: true }); require('fs').writeFileSync('deps/marker', 'set up for the revision\\n')"]);
    const options = ['--setup-command', hook, '--sandbox-write', writable, '--allow-registries', '--memory-mb', '2048'];

    // A value the resume could not use: refused as waves run refuses it, before anything is sent.
    fs.writeFileSync(comments, 'q/a.txt:1: Say it again\n');
    const bad = waves(repo, ['review', '--comments', comments, '--request-changes', '--no-run', '--sandbox-write', 'relative', plan, 'q']);
    assert.equal(bad.status, 2, bad.stdout);
    assert.match(bad.stderr, /^waves: --sandbox-write: "relative" is neither absolute nor ~\/…$/m);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs', 'review-options', 'review.json')), false, 'nothing sent, nothing kept');

    // --no-run: recorded, and the command that carries it out names every option, quoted for a shell.
    const recorded = waves(repo, ['review', '--comments', comments, '--request-changes', '--no-run', '--agent-argv', AGENT, ...options, plan, 'q']);
    assert.equal(recorded.status, 0, recorded.stderr);
    const line = /^recorded; to carry it out: waves run --resume (.*)$/m.exec(recorded.stdout)?.[1] ?? '';
    assert.ok(line.includes(`--setup-command ${shellQuote(hook)}`) && line.includes(`--sandbox-write ${writable}`) && line.includes('--memory-mb 2048') && line.includes('--allow-registries'), line);

    // Resumed here: the revision's tree set up by the command given, its agent inside walls that let it write the folder given.
    fs.writeFileSync(comments, 'p/a.txt:1: Say it again\n');
    const resumed = waves(repo, ['review', '--comments', comments, '--request-changes', '--agent-argv', AGENT, ...options, plan, 'p']);
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /no process drives the run: resuming it here/);
    for (const id of ['p', 'q']) {
      assert.equal(onBranch(repo, 'review-options', `${id}/a.txt`), 'second', `${id}: revised`);
      assert.equal(onBranch(repo, 'review-options', `${id}/hooked.txt`), 'set up for the revision\n', `${id}: --setup-command ran before the revision's agent`);
      assert.equal(fs.readFileSync(path.join(writable, `${id}.txt`), 'utf8'), 'revised', `${id}: --sandbox-write reached the revision's walls`);
    }
  });
});

describe('waves plan: the same options', () => {
  it('--worktrees-folder places the planning worktree; a bad value is a usage error naming its flag or variable', () => {
    const { repo } = repoWith('plan-options', () => ['commit']);
    const trees = path.join(tmp, 'plan-trees');
    const dry = waves(repo, ['plan', '--dry-run', '--json', '--worktrees-folder', trees, 'a feature']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.ok((JSON.parse(dry.stdout) as { worktree: string }).worktree.startsWith(`${trees}/`), dry.stdout);
    const bad = waves(repo, ['plan', '--dry-run', 'a feature'], { WAVES_SANDBOX_ALLOW: 'nohost' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^waves: WAVES_SANDBOX_ALLOW: "nohost" is not a host:port$/m);
    const copy = waves(repo, ['plan', '--dry-run', '--copy', '../secret', 'a feature']);
    assert.equal(copy.status, 2);
    assert.match(copy.stderr, /^waves: --copy: "\.\.\/secret" goes up out of the repository \(\.\.\)$/m);
    assert.equal(fs.existsSync(path.join(repo, '.waves')), false, 'nothing made');
  });

  it('--copy and --setup-command: the planning worktree gets the copy and is set up before its agent, as a package\'s; a failing set-up starts no agent', () => {
    const { repo } = repoWith('plan-setup', () => ['commit']);
    const description = path.join(tmp, 'plan-setup.md');
    fs.writeFileSync(description, ['Options plan', '', 'test-agent: copy .env plans/options-plan/seen-env.txt', 'test-agent: copy deps/marker plans/options-plan/seen-hook.txt', 'test-agent: plan', ''].join('\n'));
    const hook = JSON.stringify([process.execPath, '-e', "require('fs').mkdirSync('deps', { recursive: true }); require('fs').writeFileSync('deps/marker', 'set up by the hook\\n')"]);
    const r = waves(repo, ['plan', '--agent-argv', AGENT, '--setup-command', hook, '--copy', '.env', '--file', description]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const shown = (file: string) => git(repo, 'show', `waves-plan/options-plan:plans/options-plan/${file}`);
    assert.equal(shown('seen-env.txt'), 'API_KEY=the-persons\n', "the copy list's .env was in the planning worktree");
    assert.equal(shown('seen-hook.txt'), 'set up by the hook\n', 'the set-up command ran there before the agent');
    assert.match(fs.readFileSync(path.join(repo, '.waves', 'plans', 'options-plan', 'setup.log'), 'utf8'), /^copy list \(\.env\): 1 copied, 0 left out\n {2}copied \.env\n/);
    assert.equal(fs.readFileSync(path.join(repo, '.env'), 'utf8'), 'API_KEY=the-persons\n', "the person's file as it was");

    // From the environment, failing: no agent starts, and the session is kept to revise or discard.
    fs.writeFileSync(description, 'Failing setup\n\ntest-agent: plan\n');
    const failed = waves(repo, ['plan', '--agent-argv', AGENT, '--file', description], { WAVES_SETUP_COMMAND: JSON.stringify([process.execPath, '-e', "console.log('no dependencies here'); process.exit(3)"]) });
    assert.equal(failed.status, 2, failed.stdout + failed.stderr);
    assert.match(failed.stderr, /^waves: the set-up hook .* failed \(exit 3\):\nno dependencies here\nNo agent was started; the session failing-setup is kept/m);
    assert.doesNotMatch(failed.stdout, /^round 1:/m);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'plans', 'failing-setup', '1')), false, 'no round was run');
  });
});
