/**
 * `npm test` and `npm start` run scripts/vscode-tools.sh under npm. The outer npm
 * exports npm_* / npm_config_* variables (its user agent names the outer Node), and the nested
 * installs must not inherit them: code-server's postinstall read the outer Node's version from
 * that user agent and refused to install on every fresh machine. This runs the installer the
 * way `npm test` does — as a script of a real outer npm — and checks the environment its
 * installs get.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'vscode-tools.sh');

/** Runs `npm run <name>` in a throwaway package whose script calls the installer. */
function underNpm(args: string, extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-tools-npm-'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'outer', private: true, scripts: { tools: `bash ${JSON.stringify(script)} ${args}` } }),
  );
  const r = spawnSync('npm', ['run', '--silent', 'tools'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return r;
}

function envNames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

describe('scripts/vscode-tools.sh under an outer npm (#6)', () => {
  it('the outer npm does export npm_* variables to its scripts (the premise of this test)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-tools-npm-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'outer', private: true, scripts: { e: 'env' } }));
    const r = spawnSync('npm', ['run', '--silent', 'e'], { cwd: dir, encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    const names = envNames(r.stdout);
    assert.ok(names.includes('npm_config_user_agent'), 'npm sets npm_config_user_agent');
    assert.ok(names.some((n) => n.startsWith('npm_lifecycle_')), 'and npm_lifecycle_*');
  });

  it('the nested installs get no npm_*, NPM_*, INIT_CWD or NODE_OPTIONS variable, and keep the rest', () => {
    const r = underNpm('--print-install-env', {
      npm_config_user_agent: 'npm/10.0.0 node/v20.0.0 linux x64 workspaces/false',
      NPM_CONFIG_NODEDIR: '/somewhere/else',
      NODE_OPTIONS: '--max-old-space-size=64',
      WAVES_KEEP_ME: 'kept',
    });
    assert.equal(r.status, 0, r.stderr);
    const names = envNames(r.stdout);
    const leaked = names.filter((n) => /^npm_/i.test(n) || ['INIT_CWD', 'NODE', 'NODE_OPTIONS', 'NODE_PATH'].includes(n));
    assert.deepEqual(leaked, []);
    assert.ok(names.includes('PATH') && names.includes('HOME'), 'the ordinary environment stays');
    assert.match(r.stdout, /^WAVES_KEEP_ME=kept$/m);
  });

  it('a nested npm then reports its own user agent, not the outer one', () => {
    const r = underNpm('--print-install-env', { npm_config_user_agent: 'npm/1.0.0 node/v1.2.3 fake' });
    assert.equal(r.status, 0, r.stderr);
    const env = Object.fromEntries(
      r.stdout
        .split('\n')
        .map((l) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    const agent = spawnSync('npm', ['config', 'get', 'user-agent'], { encoding: 'utf8', env, cwd: os.tmpdir() });
    assert.equal(agent.status, 0, agent.stderr);
    assert.doesNotMatch(agent.stdout, /node\/v1\.2\.3/);
    assert.match(agent.stdout, /node\/\{node-version\}|node\/v\d+/);
  });
});
