/**
 * The person's maven settings inside the real walls (bubblewrap): every `settings.xml` maven may
 * read as theirs — the home folder's, the account's (the JVM's `user.home`, reached through a
 * link to their dotfiles), the one `-Duser.home` in `MAVEN_OPTS` points at, the one `-s` in
 * `MAVEN_ARGS` names — reads inside as a copy without a credential, at its path and at its real
 * path; one that cannot be read safely reads as empty settings, said in the notes; a
 * `~/.mavenrc` that sets a password is hidden. Nothing of the originals' passwords anywhere the
 * agent can look, and the originals unchanged. And the walls' own files go through no link an
 * agent left in its attempt folder or private cache: a retry or a verification step writes its
 * settings and links there, never over the person's files.
 *
 * Run: node --import tsx --test test/engine/attempt/mavenSettingsInWalls.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { bwrapArgs, DEFAULT_HIDDEN } from '../../../src/core/walls/walls';
import { toolchainWalls } from '../../../src/engine/attempt/wallsToolchains';
import { kindOf } from '../../../src/engine/attempt/wallsDisk';
import { tempDir } from '../helpers';

const BWRAP = process.env.WAVES_BWRAP ?? '/usr/bin/bwrap';
/** Every folder of these tests, under one removed at the end. */
const root = tempDir('waves-maven-settings-');
after(() => fs.rmSync(root, { recursive: true, force: true }));
const temp = (prefix: string) => fs.mkdtempSync(path.join(root, prefix));

const write = (p: string, text: string) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
};

/** A settings file with a mirror and a server whose password is `password`. */
const settings = (password: string, mirror = 'https://nexus.example.test/maven-public/') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n  <servers>\n    <server>\n      <id>nexus</id>\n      <username>me</username>\n      <password>${password}</password>\n    </server>\n  </servers>\n  <mirrors>\n    <mirror><id>nexus</id><mirrorOf>*</mirrorOf><url>${mirror}</url></mirror>\n  </mirrors>\n</settings>\n`;

/** Each file's text under `root` (links not followed), by path. */
function contents(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of fs.readdirSync(root, { recursive: true }) as string[]) {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    out.set(rel, st.isSymbolicLink() ? `link ${fs.readlinkSync(p)}` : st.isFile() ? fs.readFileSync(p, 'utf8') : 'dir');
  }
  return out;
}

describe("the person's maven settings inside the walls", () => {
  test('each settings.xml maven may read shows its copy without credentials, at its path and its real path; an unreadable one shows empty; a ~/.mavenrc with a password is hidden', () => {
    const home = temp('waves-home-');
    const account = temp('waves-account-');
    const elsewhere = temp('waves-elsewhere-');
    const worktree = temp('waves-tree-');
    const attemptDir = temp('waves-attempt-');
    write(path.join(home, '.m2', 'settings.xml'), settings('PW_OF_THE_HOME'));
    // The account's home (its passwd entry, the JVM's user.home): settings kept in dotfiles, linked.
    write(path.join(elsewhere, 'dotfiles', 'm2-settings.xml'), settings('PW_OF_THE_ACCOUNT'));
    fs.mkdirSync(path.join(account, '.m2'));
    fs.symlinkSync(path.join(elsewhere, 'dotfiles', 'm2-settings.xml'), path.join(account, '.m2', 'settings.xml'));
    // -Duser.home in MAVEN_OPTS: a file this filter does not read with certainty.
    write(path.join(elsewhere, 'jvm-home', '.m2', 'settings.xml'), `<!DOCTYPE settings [<!ENTITY pw "PW_OF_THE_DOCTYPE">]>\n${settings('&pw;')}`);
    // -s in MAVEN_ARGS.
    write(path.join(elsewhere, 'team-settings.xml'), settings('PW_OF_THE_TEAM', 'https://team.example.test/maven/'));
    write(path.join(home, '.mavenrc'), 'export JAVA_HOME=/usr/lib/jvm/default\nexport NEXUS_PASSWORD=PW_OF_THE_MAVENRC\n');
    // The account's ~/.mavenrc (mvn sources $HOME's; the walls may give the account's home as $HOME) and maven's own global settings (maven.home: the mvn on PATH).
    write(path.join(account, '.mavenrc'), 'MAVEN_OPTS="-Dgpg.passphrase=PW_OF_THE_ACCOUNT_RC"\n');
    write(path.join(elsewhere, 'maven', 'bin', 'mvn'), '#!/bin/sh\n');
    write(path.join(elsewhere, 'maven', 'conf', 'settings.xml'), settings('PW_OF_THE_GLOBAL'));
    const env = { PATH: `/nonexistent:${path.join(elsewhere, 'maven', 'bin')}`, MAVEN_OPTS: `-Xmx1g -Duser.home=${path.join(elsewhere, 'jvm-home')}`, MAVEN_ARGS: `-B -s ${path.join(elsewhere, 'team-settings.xml')}` };
    const before = [contents(home), contents(account), contents(elsewhere)];

    const walls = toolchainWalls({ home, accountHome: account, env, worktree, attemptDir, cacheDir: temp('waves-agents-cache-'), registries: false });
    const jvmSettings = path.join(elsewhere, 'jvm-home', '.m2', 'settings.xml');
    assert.deepEqual(walls.notes, [
      `${path.join(home, '.mavenrc')} sets NEXUS_PASSWORD: it is hidden inside the walls (maven starts there without it)`,
      `${path.join(account, '.mavenrc')} sets gpg.passphrase: it is hidden inside the walls (maven starts there without it)`,
      `${jvmSettings} could not be read safely (a DOCTYPE or other declaration on line 1 (its entities could put anything anywhere)): maven inside the walls reads an empty settings file in its place`,
    ]);
    for (const note of walls.notes) assert.ok(walls.problems.includes(note), 'said as a problem too');
    assert.deepEqual(walls.hidden, [path.join(home, '.mavenrc'), path.join(account, '.mavenrc')]);
    const paths = [path.join(home, '.m2', 'settings.xml'), path.join(account, '.m2', 'settings.xml'), path.join(elsewhere, 'dotfiles', 'm2-settings.xml'), jvmSettings, path.join(elsewhere, 'team-settings.xml'), path.join(elsewhere, 'maven', 'conf', 'settings.xml')];
    // Each at its real path: the account's link leads to the dotfiles' copy.
    assert.deepEqual(walls.replaced.map((r) => r.path).sort(), paths.filter((p) => p !== path.join(account, '.m2', 'settings.xml')).sort());
    // The mirrors the person's settings name are still registries to the walls.
    assert.ok(walls.registries.includes('nexus.example.test:443') && walls.registries.includes('team.example.test:443'), walls.registries.join(' '));

    const args = bwrapArgs({ worktree, write: walls.write, readBack: [home, account, elsewhere, attemptDir], hidden: [...DEFAULT_HIDDEN.map((h) => path.join(home, h)), ...walls.hidden], replaced: walls.replaced, network: null }, kindOf);
    const script = [...paths.map((p) => `echo "== ${p}"; cat "${p}"`), `echo "== mavenrc"; cat "${path.join(home, '.mavenrc')}" "${path.join(account, '.mavenrc')}"`, `echo "== grep"; grep -rl PW_OF_THE ${home} ${account} ${elsewhere} ${attemptDir} 2>/dev/null; echo "grep done"`].join('\n');
    const r = spawnSync(BWRAP, [...args, '--', 'sh', '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const shown = new Map<string, string>();
    for (const part of r.stdout.split(/^== /m).slice(1)) shown.set(part.slice(0, part.indexOf('\n')), part.slice(part.indexOf('\n') + 1));
    assert.doesNotMatch(r.stdout, /PW_OF_THE|<password|<username|<servers/, r.stdout);
    for (const p of [path.join(home, '.m2', 'settings.xml'), path.join(account, '.m2', 'settings.xml'), path.join(elsewhere, 'dotfiles', 'm2-settings.xml'), path.join(elsewhere, 'maven', 'conf', 'settings.xml')])
      assert.match(shown.get(p)!, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<settings xmlns="http:\/\/maven\.apache\.org\/SETTINGS\/1\.0\.0">\n {2}<mirrors>\n {4}<mirror><id>nexus<\/id><mirrorOf>\*<\/mirrorOf><url>https:\/\/nexus\.example\.test\/maven-public\/<\/url><\/mirror>\n {2}<\/mirrors>\n<\/settings>\n$/, p);
    assert.match(shown.get(path.join(elsewhere, 'team-settings.xml'))!, /<url>https:\/\/team\.example\.test\/maven\/<\/url>/);
    assert.equal(shown.get(jvmSettings), '<settings/>\n');
    assert.equal(shown.get('mavenrc'), '');
    assert.equal(shown.get('grep'), 'grep done\n', 'no password anywhere the agent can read');

    // The originals as they were; the copies are the attempt's, mode 0600.
    assert.deepEqual([contents(home), contents(account), contents(elsewhere)], before);
    for (const { with: copy } of walls.replaced) assert.equal(fs.statSync(copy).mode & 0o777, 0o600);
  });

  test("a link an agent left in its attempt folder or private cache is replaced, never written through: the person's files stay as they were", () => {
    const home = temp('waves-home-');
    const worktree = temp('waves-tree-');
    const attemptDir = temp('waves-attempt-');
    const person = temp('waves-person-files-');
    write(path.join(home, '.npmrc'), 'registry=https://npm.example.test/\n');
    write(path.join(home, '.m2', 'settings.xml'), settings('PW'));
    write(path.join(home, '.cargo', 'config.toml'), '[net]\nretry = 1\n');
    write(path.join(person, '.bashrc'), '# mine\n');
    write(path.join(person, 'settings.xml'), 'mine\n');
    write(path.join(person, 'gradle', 'gradle.properties'), 'mine=1\n');
    write(path.join(person, 'gradle', 'caches', 'modules-2', 'kept'), 'mine\n');
    write(path.join(person, 'npm', '_cacache', 'kept'), 'mine\n');
    write(path.join(person, 'cargo', 'config.toml'), 'mine\n');
    const before = contents(person);
    // What an agent may leave where it writes: links to the person's files, absolute and relative.
    const own = path.join(attemptDir, 'cache');
    fs.mkdirSync(own);
    fs.symlinkSync(path.join(person, '.bashrc'), path.join(attemptDir, 'npmrc'));
    fs.symlinkSync(path.relative(attemptDir, path.join(person, 'settings.xml')), path.join(attemptDir, 'm2-settings.xml'));
    fs.symlinkSync(path.relative(own, path.join(person, 'gradle')), path.join(own, 'gradle'));
    fs.symlinkSync(path.join(person, 'npm'), path.join(own, 'npm'));
    fs.symlinkSync(path.join(person, 'cargo'), path.join(own, 'cargo'));

    const walls = toolchainWalls({ home, accountHome: home, env: {}, worktree, attemptDir, cacheDir: temp('waves-agents-cache-'), registries: false });
    assert.deepEqual(walls.problems, []);
    assert.deepEqual(contents(person), before, "the person's files as they were");
    for (const p of ['npmrc', 'm2-settings.xml']) assert.ok(fs.lstatSync(path.join(attemptDir, p)).isFile(), p);
    for (const p of ['gradle', 'npm', 'cargo']) assert.ok(fs.lstatSync(path.join(own, p)).isDirectory(), p);
    assert.equal(fs.readFileSync(path.join(attemptDir, 'npmrc'), 'utf8'), 'registry=https://npm.example.test/\n');
    assert.match(fs.readFileSync(path.join(own, 'gradle', 'gradle.properties'), 'utf8'), /^systemProp\.http\.proxyHost=127\.0\.0\.1$/m);
    assert.equal(fs.readFileSync(path.join(own, 'cargo', 'config.toml'), 'utf8'), '[net]\nretry = 1\n');
    assert.ok(fs.lstatSync(path.join(own, 'npm', '_cacache')).isSymbolicLink());
    assert.deepEqual(walls.replaced, [{ path: path.join(home, '.m2', 'settings.xml'), with: path.join(attemptDir, 'm2-settings.xml') }]);
  });
});
