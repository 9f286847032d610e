/**
 * The toolchains inside an attempt's walls, from the disk: a person's home holding an
 * `.npmrc` with a registry, a scoped registry and their tokens, a cargo configuration with a
 * token beside its credentials file, a pip configuration with a password in its index URL and
 * Go's environment file. What the agent is given holds the settings and no credential; the
 * registries are read from them. Then the real bubblewrap, no network: `npm ci`, `go build` and
 * `cargo build` with a dependency each (from a tarball, a file proxy, a local registry) succeed
 * inside with the walls' variables and fail without them — the failures said as the walls' —,
 * and the home folder is byte for byte what it was.
 *
 * Run: node --import tsx --test test/engine/attempt/wallsToolchains.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { bwrapArgs, DEFAULT_HIDDEN } from '../../../src/core/walls/walls';
import { readOnlyAdvice } from '../../../src/core/walls/toolchains';
import { toolchainWalls } from '../../../src/engine/attempt/wallsToolchains';
import { kindOf } from '../../../src/engine/attempt/wallsDisk';
import { tempDir } from '../helpers';

const BWRAP = process.env.WAVES_BWRAP ?? '/usr/bin/bwrap';
const made: string[] = [];
const temp = (prefix: string) => {
  const d = tempDir(prefix);
  made.push(d);
  return d;
};

after(() => {
  // Go leaves its module cache read-only.
  for (const d of made) {
    spawnSync('chmod', ['-R', 'u+w', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

const write = (p: string, text: string | Buffer) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
};

/** Every entry under `root`: its kind, mode, size, time and contents (a link: its target), for a byte-for-byte comparison. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${st.mode.toString(8)} ${st.mtimeMs}`;
        walk(p);
      } else out[rel] = `file ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    }
  };
  out['.'] = `dir ${fs.statSync(root).mode.toString(8)} ${fs.statSync(root).mtimeMs}`;
  walk(root);
  return out;
}

/** A zip of the files given (stored, not compressed): what a Go module proxy serves. */
function zipOf(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

function run(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300_000, ...options });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The person's home for these tests: npm, cargo, pip and Go settings, with credentials beside them. */
function makeHome(fixtures: string): string {
  const home = temp('waves-home-');
  write(path.join(home, '.npmrc'), ['registry=http://127.0.0.1:4873/', '@acme:registry=https://npm.acme.test/repo/', '//127.0.0.1:4873/:_authToken=npm_TOKEN_ONE', '//npm.acme.test/repo/:_authToken=${ACME_TOKEN}', '_auth=dG9rZW4tdHdv', 'strict-ssl=false', ''].join('\n'));
  write(path.join(home, '.cargo', 'config.toml'), ['[source.crates-io]', 'replace-with = "local"', '', '[source.local]', `local-registry = "${path.join(fixtures, 'crates')}"`, '', '[registries.acme]', 'index = "sparse+https://crates.acme.test/index/"', 'token = "cargo_TOKEN_THREE"', ''].join('\n'));
  write(path.join(home, '.cargo', 'credentials.toml'), '[registry]\ntoken = "cargo_TOKEN_FOUR"\n');
  write(path.join(home, '.config', 'pip', 'pip.conf'), '[global]\nindex-url = https://bob:pip_TOKEN_FIVE@pypi.acme.test/simple\n');
  write(path.join(home, '.config', 'go', 'env'), `GOPROXY=file://${path.join(fixtures, 'goproxy')}\nGOSUMDB=off\nGOFLAGS=-mod=mod\n`);
  return home;
}

/** A dependency each for npm (a tarball), Go (a file proxy) and cargo (a local registry), and a tree that uses the three. */
function makeFixtures(fixtures: string, worktree: string): void {
  // npm: a tarball, and a tree whose lockfile names it (made with a throwaway cache and home).
  const dep = path.join(fixtures, 'tinydep');
  write(path.join(dep, 'package.json'), JSON.stringify({ name: 'tinydep', version: '1.0.0', main: 'index.js' }));
  write(path.join(dep, 'index.js'), 'module.exports = 2;\n');
  const scratch = path.join(fixtures, 'scratch');
  const npmEnv = { PATH: process.env.PATH, HOME: scratch, npm_config_cache: path.join(scratch, 'npm'), npm_config_update_notifier: 'false' };
  const packed = run(['npm', 'pack', '--pack-destination', fixtures], { cwd: dep, env: npmEnv });
  assert.equal(packed.status, 0, packed.output);
  write(path.join(worktree, 'node', 'package.json'), JSON.stringify({ name: 'n', version: '1.0.0', dependencies: { tinydep: `file:${path.join(fixtures, 'tinydep-1.0.0.tgz')}` } }));
  const locked = run(['npm', 'install', '--package-lock-only', '--offline', '--no-audit', '--no-fund'], { cwd: path.join(worktree, 'node'), env: npmEnv });
  assert.equal(locked.status, 0, locked.output);

  // Go: a module proxy on the disk, and a module that requires its one module.
  const v = path.join(fixtures, 'goproxy', 'example.com', 'dep', '@v');
  const goMod = 'module example.com/dep\n\ngo 1.19\n';
  write(path.join(v, 'list'), 'v1.0.0\n');
  write(path.join(v, 'v1.0.0.info'), '{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}\n');
  write(path.join(v, 'v1.0.0.mod'), goMod);
  write(path.join(v, 'v1.0.0.zip'), zipOf({ 'example.com/dep@v1.0.0/go.mod': goMod, 'example.com/dep@v1.0.0/dep.go': 'package dep\n\nfunc Two() int { return 2 }\n' }));
  write(path.join(worktree, 'go', 'go.mod'), 'module example.com/tiny\n\ngo 1.19\n\nrequire example.com/dep v1.0.0\n');
  write(path.join(worktree, 'go', 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n)\n\nfunc main() { fmt.Println(dep.Two()) }\n');

  // cargo: a crate packaged into a local registry (its index and its .crate), and a crate that depends on it.
  const crate = path.join(fixtures, 'dep-crate');
  write(path.join(crate, 'Cargo.toml'), '[package]\nname = "dep"\nversion = "0.1.0"\nedition = "2021"\ndescription = "d"\nlicense = "MIT"\n');
  write(path.join(crate, 'src', 'lib.rs'), 'pub fn two() -> u32 { 2 }\n');
  const packaged = run(['cargo', 'package', '--offline', '--no-verify', '--allow-dirty'], { cwd: crate, env: { ...process.env, CARGO_HOME: path.join(scratch, 'cargo'), ...rustup() } });
  assert.equal(packaged.status, 0, packaged.output);
  const dotCrate = fs.readFileSync(path.join(crate, 'target', 'package', 'dep-0.1.0.crate'));
  write(path.join(fixtures, 'crates', 'dep-0.1.0.crate'), dotCrate);
  write(path.join(fixtures, 'crates', 'index', '3', 'd', 'dep'), `${JSON.stringify({ name: 'dep', vers: '0.1.0', deps: [], cksum: crypto.createHash('sha256').update(dotCrate).digest('hex'), features: {}, yanked: false })}\n`);
  write(path.join(worktree, 'rust', 'Cargo.toml'), '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ndep = "0.1.0"\n');
  write(path.join(worktree, 'rust', 'src', 'main.rs'), 'fn main() { println!("{}", dep::two()); }\n');
}

/** rustup's home, when cargo is rustup's: the tests' homes are not where its toolchains are. */
function rustup(): Record<string, string> {
  const dir = process.env.RUSTUP_HOME ?? path.join(os.homedir(), '.rustup');
  return fs.existsSync(dir) ? { RUSTUP_HOME: dir } : {};
}

describe('toolchainWalls: what the agent is given from the person\'s settings', () => {
  let fixtures = '';
  let home = '';
  let worktree = '';
  before(() => {
    fixtures = temp('waves-fixtures-');
    worktree = temp('waves-tree-');
    home = makeHome(fixtures);
  });

  test('the npm settings without their tokens, the cargo configuration without its token, no credentials file; the registries read; the caches made', () => {
    const attemptDir = temp('waves-attempt-');
    const walls = toolchainWalls({ home, env: { ACME_TOKEN: 'env_TOKEN_SIX' }, worktree, attemptDir, registries: false });
    const npmrc = fs.readFileSync(walls.env.npm_config_userconfig!, 'utf8');
    assert.equal(walls.env.npm_config_userconfig, path.join(attemptDir, 'npmrc'));
    assert.equal(npmrc, 'registry=http://127.0.0.1:4873/\n@acme:registry=https://npm.acme.test/repo/\nstrict-ssl=false\n');
    assert.equal(fs.statSync(walls.env.npm_config_userconfig!).mode & 0o777, 0o600);

    const cargoHome = walls.env.CARGO_HOME!;
    assert.equal(cargoHome, path.join(attemptDir, 'cache', 'cargo'));
    const cargoConfig = fs.readFileSync(path.join(cargoHome, 'config.toml'), 'utf8');
    assert.match(cargoConfig, /replace-with = "local"/);
    assert.match(cargoConfig, /index = "sparse\+https:\/\/crates\.acme\.test\/index\/"/);
    assert.ok(!fs.existsSync(path.join(cargoHome, 'credentials.toml')) && !fs.existsSync(path.join(cargoHome, 'credentials')));

    const pipConf = fs.readFileSync(walls.env.PIP_CONFIG_FILE!, 'utf8');
    assert.equal(pipConf, '[global]\nindex-url = https://pypi.acme.test/simple\n');

    // No token of the person's anywhere in what the attempt was given.
    for (const f of fs.readdirSync(attemptDir, { recursive: true }) as string[]) {
      const p = path.join(attemptDir, f);
      if (!fs.lstatSync(p).isFile()) continue;
      const text = fs.readFileSync(p, 'utf8');
      for (const secret of ['TOKEN', 'dG9rZW4tdHdv', 'bob']) assert.ok(!text.includes(secret), `${f} holds ${secret}`);
    }
    for (const value of Object.values(walls.env)) assert.ok(!/TOKEN/.test(value), value);

    for (const t of ['127.0.0.1:4873', 'npm.acme.test:443', 'crates.acme.test:443', 'pypi.acme.test:443']) assert.ok(walls.registries.includes(t), t);
    assert.ok(!walls.registries.includes('registry.npmjs.org:443'), 'the registry is set');
    assert.ok(!walls.registries.includes('index.crates.io:443'), 'crates.io is replaced');
    assert.ok(!walls.registries.includes('proxy.golang.org:443'), 'GOPROXY is a folder');
    assert.deepEqual(walls.allow, [], 'the registries not allowed');
    assert.deepEqual(walls.problems, []);
    assert.deepEqual(toolchainWalls({ home, env: { ACME_TOKEN: 'x' }, worktree, attemptDir: temp('waves-attempt-'), registries: true }).allow, walls.registries);

    const shared = path.join(home, '.cache', 'wave-orchestrator', 'agents');
    assert.deepEqual(walls.write, [shared, path.join(attemptDir, 'cache')]);
    assert.equal(fs.statSync(shared).mode & 0o777, 0o700);
    assert.equal(fs.readlinkSync(path.join(attemptDir, 'cache', 'npm', '_cacache')), path.join(shared, 'npm', '_cacache'));
    assert.equal(fs.readlinkSync(path.join(cargoHome, 'registry', 'cache')), path.join(shared, 'cargo', 'registry', 'cache'));
    assert.ok(fs.statSync(path.join(shared, 'cargo', 'registry', 'cache')).isDirectory());
    assert.equal(walls.env.GOMODCACHE, path.join(shared, 'go', 'mod'));
    assert.deepEqual(walls.hidden, []);
  });

  test("the person's choices: a cache folder of their own, XDG_CACHE_HOME, an npm userconfig elsewhere (hidden), what tools read from ~/.cache kept", () => {
    const elsewhere = temp('waves-elsewhere-');
    write(path.join(elsewhere, 'my.npmrc'), 'registry=https://mine.example.test/\n//mine.example.test/:_authToken=npm_TOKEN_SEVEN\n');
    const xdg = path.join(elsewhere, 'xdg-cache');
    fs.mkdirSync(path.join(xdg, 'ms-playwright'), { recursive: true });
    const attemptDir = temp('waves-attempt-');
    const walls = toolchainWalls({ home, env: { NPM_CONFIG_USERCONFIG: path.join(elsewhere, 'my.npmrc'), XDG_CACHE_HOME: xdg }, worktree, attemptDir, registries: true });
    assert.equal(fs.readFileSync(walls.env.npm_config_userconfig!, 'utf8'), 'registry=https://mine.example.test/\n');
    assert.equal(walls.env.NPM_CONFIG_USERCONFIG, walls.env.npm_config_userconfig, 'both spellings: npm would read either');
    assert.deepEqual(walls.hidden, [path.join(elsewhere, 'my.npmrc')]);
    assert.ok(walls.allow.includes('mine.example.test:443'));
    assert.equal(walls.write[0], path.join(xdg, 'wave-orchestrator', 'agents'));
    assert.equal(walls.env.XDG_CACHE_HOME, path.join(attemptDir, 'cache', 'xdg'));
    assert.equal(fs.readlinkSync(path.join(walls.env.XDG_CACHE_HOME!, 'ms-playwright')), path.join(xdg, 'ms-playwright'), "the person's browsers, read where they are");
    assert.ok(!fs.existsSync(path.join(walls.env.XDG_CACHE_HOME!, 'Cypress')), 'no link where the person has nothing');
    assert.equal(walls.env.npm_config_store_dir, undefined, 'not a pnpm tree');

    const pnpmTree = temp('waves-tree-');
    write(path.join(pnpmTree, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
    const pnpm = toolchainWalls({ home, env: {}, worktree: pnpmTree, attemptDir: temp('waves-attempt-'), registries: false });
    assert.equal(pnpm.env.npm_config_store_dir, pnpm.env.pnpm_config_store_dir);
    assert.equal(pnpm.env.npm_config_package_import_method, 'copy');

    const mine = path.join(elsewhere, 'agents-cache');
    const chosen = toolchainWalls({ home, env: {}, worktree, attemptDir: temp('waves-attempt-'), cacheDir: mine, registries: false });
    assert.equal(chosen.write[0], mine);
    assert.equal(chosen.env.PIP_CACHE_DIR, path.join(mine, 'pip'));
  });

  test('a shared cache that cannot be made: said, and every cache private (the tools still work)', () => {
    const blocked = temp('waves-blocked-');
    write(path.join(blocked, 'file'), 'not a folder');
    const attemptDir = temp('waves-attempt-');
    const walls = toolchainWalls({ home, env: {}, worktree, attemptDir, cacheDir: path.join(blocked, 'file', 'cache'), registries: false });
    assert.equal(walls.problems.length, 1);
    assert.match(walls.problems[0]!, /^the agents' shared cache .*file\/cache could not be made \(ENOTDIR\): each agent downloads its dependencies again$/);
    assert.equal(walls.env.GOMODCACHE, path.join(attemptDir, 'cache', 'shared', 'go', 'mod'));
    assert.ok(fs.statSync(path.join(attemptDir, 'cache', 'shared')).isDirectory());
  });
});

describe('inside the real walls: npm ci, go build and cargo build with a dependency each', () => {
  let fixtures = '';
  let home = '';
  let worktree = '';
  let cacheDir = '';
  before(() => {
    fixtures = temp('waves-fixtures-');
    worktree = temp('waves-tree-');
    makeFixtures(fixtures, worktree);
    home = makeHome(fixtures);
    // The agents' shared cache where the person chose (by default it is made under ~/.cache, tested above): nothing of the home folder is written.
    cacheDir = temp('waves-agents-cache-');
  });

  /** One command in walls drawn as the runner draws them (no network), with or without the toolchains' variables. */
  function inWalls(argv: string[], cwd: string, attemptDir: string, withToolchains: boolean) {
    const walls = toolchainWalls({ home, env: {}, worktree, attemptDir, cacheDir, registries: false });
    assert.deepEqual(walls.problems, []);
    const args = bwrapArgs({ worktree, write: walls.write, readBack: [home, fixtures, attemptDir], hidden: [...DEFAULT_HIDDEN.map((h) => path.join(home, h)), ...walls.hidden], network: null }, kindOf);
    assert.ok(args.includes('--unshare-net'));
    const env = { PATH: process.env.PATH, HOME: home, TMPDIR: '/tmp', LANG: 'C.UTF-8', ...rustup(), ...(withToolchains ? walls.env : {}) };
    const chdir = args.indexOf('--chdir');
    args.splice(chdir, 2, '--chdir', cwd);
    return { ...run([BWRAP, ...args, '--', ...argv], { env }), walls };
  }

  test("without the walls' variables each fails on the home folder's read-only files (said as the walls'); with them each succeeds, the downloads in the shared cache; the home unchanged", () => {
    const before = snapshot(home);
    const builds: [string, string[], string][] = [
      ['npm', ['npm', 'ci', '--no-audit', '--no-fund'], path.join(worktree, 'node')],
      ['go', ['go', 'build', '-o', 'tiny', '.'], path.join(worktree, 'go')],
      ['cargo', ['cargo', 'build'], path.join(worktree, 'rust')],
    ];
    for (const [name, argv, cwd] of builds) {
      const bare = inWalls(argv, cwd, temp('waves-attempt-'), false);
      assert.notEqual(bare.status, 0, `${name} without the variables:\n${bare.output}`);
      assert.match(readOnlyAdvice(bare.output, home) ?? '', new RegExp(`^it met the walls' read-only files at ${home}/\\S+: allow a folder with waves\\.sandbox\\.write / --sandbox-write$`), `${name}:\n${bare.output}`);
    }
    assert.ok(!fs.existsSync(path.join(worktree, 'node', 'node_modules')) && !fs.existsSync(path.join(worktree, 'go', 'tiny')));
    assert.deepEqual(snapshot(home), before, 'the failures left the home folder as it was');

    const attemptDir = temp('waves-attempt-');
    for (const [name, argv, cwd] of builds) {
      const done = inWalls(argv, cwd, attemptDir, true);
      assert.equal(done.status, 0, `${name} with the variables:\n${done.output}`);
      assert.doesNotMatch(done.output, /Unknown (env|user) config/, `${name}: npm knows every variable it was given`);
    }
    assert.equal(fs.readFileSync(path.join(worktree, 'node', 'node_modules', 'tinydep', 'index.js'), 'utf8'), 'module.exports = 2;\n');
    assert.equal(run([path.join(worktree, 'go', 'tiny')]).output, '2\n');
    assert.equal(run([path.join(worktree, 'rust', 'target', 'debug', 'tiny')]).output, '2\n');

    // The downloads went to the shared cache (npm through the link), the builds' own caches to the attempt's.
    assert.ok(fs.readdirSync(path.join(cacheDir, 'npm', '_cacache', 'content-v2')).length > 0, "npm's content store");
    assert.ok(fs.existsSync(path.join(cacheDir, 'go', 'mod', 'example.com', 'dep@v1.0.0', 'dep.go')), "Go's module cache");
    assert.ok(fs.readdirSync(path.join(attemptDir, 'cache', 'go-build')).length > 0, "Go's build cache");
    assert.ok(fs.existsSync(path.join(attemptDir, 'cache', 'cargo', 'registry', 'src')), "cargo's unpacked sources");

    assert.deepEqual(snapshot(home), before, 'the home folder is byte for byte what it was');
  });
});
