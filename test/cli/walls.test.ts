/**
 * `waves run` confines its agents (ADR 0019), through the built bin as a person runs it: an
 * agent that tries the person's shell start-up file, the repository's hooks and config and the
 * person's checkout is refused by the walls, and the person's own next `git commit` and
 * `git status` run nothing planted (marker files). With `--unconfined` — the person's explicit
 * choice — the same agent's hook reaches `.git/hooks`, and the engine's own defence puts the
 * set-up back and quarantines it: nothing planted runs either way.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { gitEnv } from '../engine/helpers';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-walls-cli-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
// The walls show this test's folder read-only (the agent's gate-free, but its repository lives here).
const env = { ...gitEnv(home), WAVES_SANDBOX_READ: tmp };

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });

/** A repository whose one package's agent writes its own file, then tries the person's files and the repository's git set-up. */
function adversarial(name: string, markers: string): { repo: string; plan: string } {
  const repo = path.join(tmp, name);
  fs.mkdirSync(repo);
  const hook = `#!/bin/sh\\ntouch ${markers}/hook-ran\\n`;
  const lines = [
    'schema_version: 1',
    'feature:',
    `  id: ${name}`,
    `  title: Walls ${name}`,
    'packages:',
    '  - package_id: p',
    '    title: P',
    '    description: |',
    '      test-agent: write p/mine.txt mine',
    `      test-agent: try-write ${home}/.bashrc echo planted`,
    `      test-agent: try-write ${repo}/.git/hooks/post-commit ${hook}`,
    `      test-agent: try-write ${repo}/person.txt planted`,
    '      test-agent: try-proxy example.com:443',
    '      test-agent: commit',
    '    scope:',
    '      write_allow: ["p/**"]',
  ];
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), lines.join('\n') + '\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'plan');
  return { repo, plan: path.join(repo, 'work-packages.yaml') };
}

/** The person's own next git commands in their checkout. */
function personCommits(repo: string): void {
  fs.writeFileSync(path.join(repo, 'mine.txt'), "the person's\n");
  git(repo, 'add', 'mine.txt');
  git(repo, 'commit', '-q', '-m', 'the person commits');
  git(repo, 'status', '--porcelain');
}

describe('waves run confines its agents', () => {
  it('--memory-mb takes a whole number of MiB, and not beside --unconfined: usage errors, nothing started', () => {
    const { repo, plan } = adversarial('memflags', fs.mkdtempSync(path.join(tmp, 'markers-')));
    const bad = spawnSync(process.execPath, [bin, 'run', '--memory-mb', 'lots', '--agent-argv', AGENT, plan], { cwd: repo, env, encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /--memory-mb takes a whole number of MiB \(0: no limit\), not "lots"/);
    const both = spawnSync(process.execPath, [bin, 'run', '--memory-mb', '512', '--unconfined', '--agent-argv', AGENT, plan], { cwd: repo, env, encoding: 'utf8' });
    assert.equal(both.status, 2, both.stderr);
    assert.match(both.stderr, /--memory-mb is a limit of the walls; --unconfined has none/);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');
  });

  it('inside the walls: every try refused, the package merged, the person\'s next git commands run nothing planted', () => {
    fs.writeFileSync(path.join(home, '.bashrc'), '# mine\n');
    const markers = fs.mkdtempSync(path.join(tmp, 'markers-'));
    const { repo, plan } = adversarial('walled', markers);
    const r = spawnSync(process.execPath, [bin, 'run', '--agent-argv', AGENT, plan], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const log = fs.readFileSync(path.join(repo, '.waves', 'runs', 'walled', fs.readdirSync(path.join(repo, '.waves', 'runs', 'walled'))[0]!, 'p', '1', 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`^tried write ${home}/\\.bashrc: refused \\(EROFS\\)$`, 'm'));
    assert.match(log, /^tried write .*\/\.git\/hooks\/post-commit: refused \(EROFS\)$/m);
    assert.match(log, /^tried write .*\/person\.txt: refused \(EROFS\)$/m);
    assert.equal(fs.readFileSync(path.join(home, '.bashrc'), 'utf8'), '# mine\n');
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'post-commit')), false);
    assert.equal(fs.existsSync(path.join(repo, 'person.txt')), false);
    personCommits(repo);
    assert.deepEqual(fs.readdirSync(markers), [], 'no planted hook ran');
    const json = JSON.parse(spawnSync(process.execPath, [bin, 'status', '--json', plan], { cwd: repo, env, encoding: 'utf8' }).stdout) as { unconfined: boolean; packages: { id: string; refused: string[] }[] };
    assert.equal(json.unconfined, false, 'a run inside walls says nothing of it');
    // What the walls refused is named wherever the run is shown.
    assert.deepEqual(json.packages.map((p) => [p.id, p.refused]), [['p', ['example.com:443']]]);
    const status = spawnSync(process.execPath, [bin, 'status', plan], { cwd: repo, env, encoding: 'utf8' }).stdout;
    assert.match(status, /^p: Its walls refused a connection to example\.com:443 \(allow a host with waves\.sandbox\.allowHosts or --allow-host\)\.$/m);
    const report = spawnSync(process.execPath, [bin, 'report', plan], { cwd: repo, env, encoding: 'utf8' }).stdout;
    assert.match(report, /^\| `p` P \| succeeded .*Its walls refused a connection to example\.com:443/m);
    assert.match(r.stdout + r.stderr, /p: its walls refused a connection to example\.com:443/, 'said live, as the run went');
  });

  it('--unconfined (the person\'s choice): the hook gets in, and the engine puts the set-up back and quarantines it; nothing planted runs', () => {
    const markers = fs.mkdtempSync(path.join(tmp, 'markers-'));
    const { repo, plan } = adversarial('unwalled', markers);
    const r = spawnSync(process.execPath, [bin, 'run', '--unconfined', '--agent-argv', AGENT, plan], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, 'the package is a breach: ' + r.stdout + r.stderr);
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'post-commit')), false, 'put back');
    const quarantine = path.join(repo, '.waves', 'quarantine');
    const found = fs.readdirSync(quarantine, { recursive: true }).map(String);
    assert.ok(found.some((f) => f.endsWith('post-commit')), `quarantined: ${found.join(', ')}`);
    personCommits(repo);
    assert.deepEqual(fs.readdirSync(markers), [], 'no planted hook ran');
    // The run says, wherever it is shown, that its agents ran without walls.
    const status = spawnSync(process.execPath, [bin, 'status', plan], { cwd: repo, env, encoding: 'utf8' });
    assert.match(status.stdout, /^its agents run WITHOUT walls \(your choice: --unconfined or waves\.sandbox\.unconfined\)$/m);
    const json = JSON.parse(spawnSync(process.execPath, [bin, 'status', '--json', plan], { cwd: repo, env, encoding: 'utf8' }).stdout) as { unconfined: boolean };
    assert.equal(json.unconfined, true);
    const report = spawnSync(process.execPath, [bin, 'report', plan], { cwd: repo, env, encoding: 'utf8' }).stdout;
    assert.match(report, /\*\*The agents of this run ran without walls\*\*/);
  });
});
