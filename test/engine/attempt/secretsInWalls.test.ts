/**
 * The person's secrets inside the real walls (bubblewrap), as the runner draws them
 * (`wallsFor`) and an agent starts in them: a secret that is a symbolic link — absolute (a
 * home-manager `~/.npmrc → /nix/store/…`, `~/.ssh → /data/keys/ssh`), relative (GNU stow), a
 * folder on the way that is one, or a link to nothing — never keeps an agent from starting, and
 * reads as nothing through the link or at its target; the settings copies the walls make from
 * such a file still read as the person's settings without their credentials. And a `$HOME` that
 * is not the account's home folder (its passwd entry): the account's secrets are hidden too, and
 * no CLI state variable gives an agent that folder to write.
 *
 * Run: node --import tsx --test test/engine/attempt/secretsInWalls.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { wallsFor } from '../../../src/engine/attempt/wallsDraw';
import { tempDir } from '../helpers';

const BWRAP = process.env.WAVES_BWRAP ?? '/usr/bin/bwrap';
/** Every folder of these tests, under one removed at the end. */
const top = tempDir('waves-secrets-');
after(() => fs.rmSync(top, { recursive: true, force: true }));

const write = (p: string, text: string) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
};

/** A home, a worktree, an attempt folder and a folder elsewhere, under one read back into the walls (as `/home` is, by the root's bind). */
function setup() {
  const root = fs.mkdtempSync(path.join(top, 'case-'));
  const s = { root, home: path.join(root, 'home'), tree: path.join(root, 'tree'), attempt: path.join(root, 'attempt'), elsewhere: path.join(root, 'elsewhere') };
  for (const d of [s.home, s.tree, s.attempt, s.elsewhere]) fs.mkdirSync(d, { recursive: true });
  return s;
}

/** The walls drawn for `s` (`accountHome`: the account's home folder; default its `home`), then `script` run in them by bubblewrap. */
function inWalls(s: ReturnType<typeof setup>, script: string, more: { profileId?: string; env?: Record<string, string>; accountHome?: string; hidden?: string[] } = {}) {
  const drawn = wallsFor({
    bwrap: BWRAP,
    worktree: s.tree,
    attemptDir: s.attempt,
    profileId: more.profileId ?? 'custom',
    env: { HOME: s.home, WAVES_SANDBOX_READ: s.root, ...more.env },
    interactive: false,
    argv: ['/bin/sh'],
    runnerScript: path.join(s.root, 'runner.js'),
    startToken: 't',
    options: { cacheDir: path.join(s.root, 'cache'), ...(more.hidden ? { hidden: more.hidden } : {}) },
    home: s.home,
    accountHome: more.accountHome ?? s.home,
  });
  const r = spawnSync(BWRAP, [...drawn.walls.args, '--', 'sh', '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: s.home } });
  return { drawn, status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A script that prints each file's text (`== <path>` first), each folder's names, then every file under `roots` holding `marker` (links followed). */
const reading = (files: string[], folders: string[], marker: string, roots: string[]) =>
  [...files.map((f) => `echo "== ${f}"; cat "${f}" 2>&1`), ...folders.map((d) => `echo "== ${d}/"; ls -A "${d}" 2>&1`), `echo "== grep"; grep -Rl ${marker} ${roots.join(' ')} 2>/dev/null; echo "grep done"`].join('\n');

/** The printed sections of `reading`, by name. */
function sections(out: string): Map<string, string> {
  const shown = new Map<string, string>();
  for (const part of out.split(/^== /m).slice(1)) shown.set(part.slice(0, part.indexOf('\n')), part.slice(part.indexOf('\n') + 1));
  return shown;
}

const mavenSettings = (password: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<settings>\n  <servers>\n    <server><id>nexus</id><username>me</username><password>${password}</password></server>\n  </servers>\n  <mirrors>\n    <mirror><id>nexus</id><mirrorOf>*</mirrorOf><url>https://nexus.example.test/maven/</url></mirror>\n  </mirrors>\n</settings>\n`;

describe('secrets that are symbolic links, inside the walls', () => {
  test('absolute links (a file, a folder, a folder on the way): the agent starts, and reads no secret through the link or at its target; the settings copies keep the settings', () => {
    const s = setup();
    const { home, elsewhere } = s;
    // home-manager's ~/.npmrc → /nix/store/…-npmrc; ~/.ssh → /data/keys/ssh; ~/.config kept elsewhere.
    write(path.join(elsewhere, 'npmrc'), 'registry=https://npm.example.test/\n//npm.example.test/:_authToken=SECRET_NPM_TOKEN\n');
    fs.symlinkSync(path.join(elsewhere, 'npmrc'), path.join(home, '.npmrc'));
    write(path.join(elsewhere, 'keys', 'id_ed25519'), 'SECRET_SSH_KEY\n');
    fs.symlinkSync(path.join(elsewhere, 'keys'), path.join(home, '.ssh'));
    write(path.join(elsewhere, 'config', 'gh', 'hosts.yml'), 'github.com:\n  oauth_token: SECRET_GH_TOKEN\n');
    fs.symlinkSync(path.join(elsewhere, 'config'), path.join(home, '.config'));
    write(path.join(elsewhere, 'm2-settings.xml'), mavenSettings('SECRET_MAVEN_PASSWORD'));
    fs.mkdirSync(path.join(home, '.m2'));
    fs.symlinkSync(path.join(elsewhere, 'm2-settings.xml'), path.join(home, '.m2', 'settings.xml'));
    write(path.join(elsewhere, 'pip.conf'), '[global]\nindex-url = https://me:SECRET_PIP_PASSWORD@pypi.example.test/simple\n');
    fs.mkdirSync(path.join(home, '.pip'));
    fs.symlinkSync(path.join(elsewhere, 'pip.conf'), path.join(home, '.pip', 'pip.conf'));
    // PostgreSQL's passwords (a shared coordinator's): a plain file.
    write(path.join(home, '.pgpass'), '127.0.0.1:5432:waves:waves:SECRET_PGPASS\n');

    const files = [
      path.join(home, '.pgpass'),
      path.join(home, '.npmrc'),
      path.join(elsewhere, 'npmrc'),
      path.join(home, '.ssh', 'id_ed25519'),
      path.join(elsewhere, 'keys', 'id_ed25519'),
      path.join(home, '.config', 'gh', 'hosts.yml'),
      path.join(elsewhere, 'config', 'gh', 'hosts.yml'),
      path.join(home, '.pip', 'pip.conf'),
      path.join(elsewhere, 'pip.conf'),
      path.join(home, '.m2', 'settings.xml'),
      path.join(elsewhere, 'm2-settings.xml'),
      path.join(s.attempt, 'npmrc'),
      path.join(s.attempt, 'pip.conf'),
    ];
    const folders = [path.join(home, '.ssh'), path.join(elsewhere, 'keys'), path.join(home, '.config', 'gh')];
    const r = inWalls(s, reading(files, folders, 'SECRET_', [s.root]));
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /SECRET_/, r.out);
    const shown = sections(r.out);
    assert.equal(shown.get('grep'), 'grep done\n', 'no secret anywhere the agent can read');
    for (const d of folders) assert.equal(shown.get(`${d}/`), '', `${d}: an empty folder`);
    // The copies the walls made of the linked files: the person's settings, no credential.
    assert.equal(shown.get(path.join(s.attempt, 'npmrc')), 'registry=https://npm.example.test/\n');
    assert.equal(shown.get(path.join(s.attempt, 'pip.conf')), '[global]\nindex-url = https://pypi.example.test/simple\n');
    for (const p of [path.join(home, '.m2', 'settings.xml'), path.join(elsewhere, 'm2-settings.xml')]) assert.match(shown.get(p)!, /<url>https:\/\/nexus\.example\.test\/maven\/<\/url>/, p);
    assert.equal(r.drawn.walls.env.npm_config_userconfig, path.join(s.attempt, 'npmrc'));
    // The person's links and files as they were.
    assert.equal(fs.readlinkSync(path.join(home, '.npmrc')), path.join(elsewhere, 'npmrc'));
    assert.match(fs.readFileSync(path.join(elsewhere, 'npmrc'), 'utf8'), /SECRET_NPM_TOKEN/);
  });

  test('relative links (GNU stow), a chain of links, and links to nothing: the agent starts, and reads no secret', () => {
    const s = setup();
    const { home, elsewhere } = s;
    write(path.join(elsewhere, 'dotfiles', 'netrc'), 'machine example.test login me password SECRET_NETRC\n');
    fs.symlinkSync(path.join('..', 'elsewhere', 'dotfiles', 'netrc'), path.join(home, '.netrc'));
    write(path.join(elsewhere, 'dotfiles', 'aws', 'credentials'), '[default]\naws_secret_access_key = SECRET_AWS\n');
    fs.symlinkSync(path.join('..', 'elsewhere', 'dotfiles', 'aws'), path.join(home, '.aws'));
    // A relative link to an absolute one.
    write(path.join(elsewhere, 'git-credentials'), 'https://me:SECRET_GIT@example.test\n');
    fs.symlinkSync(path.join(elsewhere, 'git-credentials'), path.join(elsewhere, 'dotfiles', 'git-credentials'));
    fs.symlinkSync(path.join('..', 'elsewhere', 'dotfiles', 'git-credentials'), path.join(home, '.git-credentials'));
    // Links to nothing: nothing to hide.
    fs.symlinkSync(path.join(elsewhere, 'gone'), path.join(home, '.ssh'));
    fs.symlinkSync(path.join('..', 'elsewhere', 'gone.npmrc'), path.join(home, '.npmrc'));
    fs.mkdirSync(path.join(home, '.docker'));
    fs.symlinkSync('/nonexistent/docker-config.json', path.join(home, '.docker', 'config.json'));

    const files = [path.join(home, '.netrc'), path.join(elsewhere, 'dotfiles', 'netrc'), path.join(home, '.aws', 'credentials'), path.join(elsewhere, 'dotfiles', 'aws', 'credentials'), path.join(home, '.git-credentials'), path.join(elsewhere, 'git-credentials')];
    const r = inWalls(s, `${reading(files, [path.join(home, '.aws')], 'SECRET_', [s.root])}\necho started`);
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /SECRET_/, r.out);
    assert.equal(sections(r.out).get('grep'), 'grep done\nstarted\n');
    assert.equal(sections(r.out).get(`${path.join(home, '.aws')}/`), '');
  });

  test("links inside a secret folder (a key kept in the person's dotfiles, linked in file by file) lead to nothing readable; a program linked there (a virtualenv's interpreter) still runs; a secret the person hid inside a hidden folder still lets the agent start", () => {
    const s = setup();
    const { home, elsewhere } = s;
    write(path.join(home, 'dotfiles', 'ssh', 'id_ed25519'), 'SECRET_DOTFILES_KEY\n');
    fs.mkdirSync(path.join(home, '.ssh'));
    fs.symlinkSync(path.join('..', 'dotfiles', 'ssh', 'id_ed25519'), path.join(home, '.ssh', 'id_ed25519'));
    write(path.join(home, '.ssh', 'config'), 'Host example\n  IdentityFile ~/.ssh/id_ed25519\n');
    write(path.join(elsewhere, 'secrets', 'aws', 'credentials'), '[default]\naws_secret_access_key = SECRET_LINKED_AWS\n');
    fs.mkdirSync(path.join(home, '.aws'));
    fs.symlinkSync(path.join(elsewhere, 'secrets', 'aws'), path.join(home, '.aws', 'profiles'));
    // gcloud's virtualenv: its interpreter a link to the machine's.
    const python = path.join(elsewhere, 'bin', 'python3');
    write(python, '#!/bin/sh\necho interpreter ran\n');
    fs.chmodSync(python, 0o755);
    fs.mkdirSync(path.join(home, '.config', 'gcloud', 'virtenv', 'bin'), { recursive: true });
    fs.symlinkSync(python, path.join(home, '.config', 'gcloud', 'virtenv', 'bin', 'python3'));

    const files = [path.join(home, '.ssh', 'id_ed25519'), path.join(home, 'dotfiles', 'ssh', 'id_ed25519'), path.join(home, '.aws', 'profiles', 'credentials'), path.join(elsewhere, 'secrets', 'aws', 'credentials')];
    const r = inWalls(s, `${reading(files, [path.join(elsewhere, 'secrets', 'aws')], 'SECRET_', [s.root])}\n"${python}"`, { hidden: ['~/.ssh/config', '~/.aws/profiles'] });
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /SECRET_/, r.out);
    const shown = sections(r.out);
    assert.equal(shown.get('grep'), 'grep done\ninterpreter ran\n');
    assert.equal(shown.get(`${path.join(elsewhere, 'secrets', 'aws')}/`), '');
  });
});

describe('a $HOME that is not the account home folder', () => {
  test("the account's secrets are hidden too (links among them), the person's own hidden paths under both; no CLI state variable gives the agent the account's home to write", () => {
    const s = setup();
    const account = path.join(s.root, 'account');
    write(path.join(account, '.ssh', 'id_ed25519'), 'SECRET_ACCOUNT_KEY\n');
    write(path.join(account, '.npmrc'), '//registry.npmjs.org/:_authToken=SECRET_ACCOUNT_NPM\n');
    write(path.join(s.elsewhere, 'aws-credentials'), '[default]\naws_secret_access_key = SECRET_ACCOUNT_AWS\n');
    fs.mkdirSync(path.join(account, '.aws'));
    fs.symlinkSync(path.join(s.elsewhere, 'aws-credentials'), path.join(account, '.aws', 'credentials'));
    write(path.join(account, '.private', 'notes'), 'SECRET_ACCOUNT_NOTES\n');
    write(path.join(account, '.bashrc'), '# mine\n');

    const files = [path.join(account, '.ssh', 'id_ed25519'), path.join(account, '.npmrc'), path.join(account, '.aws', 'credentials'), path.join(s.elsewhere, 'aws-credentials'), path.join(account, '.private', 'notes')];
    const script = `${reading(files, [path.join(account, '.ssh')], 'SECRET_', [s.root])}\n(echo planted >> "${path.join(account, '.bashrc')}") 2>/dev/null || echo "not written"`;
    const r = inWalls(s, script, { accountHome: account, hidden: ['~/.private'], profileId: 'codex', env: { CODEX_HOME: account } });
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /SECRET_/, r.out);
    const shown = sections(r.out);
    assert.equal(shown.get('grep'), 'grep done\nnot written\n', 'no secret of the account anywhere the agent can read, and its home read-only');
    assert.equal(fs.readFileSync(path.join(account, '.bashrc'), 'utf8'), '# mine\n');
    assert.match(r.drawn.walls.laid.join('\n'), /^CODEX_HOME=\S+ names \S+ for codex's own files, which the walls do not let an agent write \(the account's home folder itself\)/m);
  });
});
