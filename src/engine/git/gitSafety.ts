/**
 * What the engine's own git calls refuse to run (docs/security.md, "Git hooks and
 * configuration"). Package worktrees share the repository's `.git`, so an agent can plant a
 * hook, or configuration that makes git run a command (a filter, a merge or diff driver,
 * `core.fsmonitor` …). The engine's git calls act on agent output outside the agent's
 * timeout and cancel, so:
 * - every call switches hooks off and the few global command keys (`SAFE_CONFIG_ARGS`);
 * - once a run guards the repository (`guardGitSetup`, at its start), repository-level
 *   filter and driver entries that were not there at that moment are switched off too
 *   (`configOverrides`, re-read only when a config file's stat changes);
 * - `snapshotGitSetup` fingerprints hooks, risky configuration and attributes, so that the
 *   engine can name a change made while an agent ran (exit.ts makes it a violation).
 */
import { gitDirsOf } from '../../store/gitDirs';
import { fileSignature } from '../../store/fileSignature';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from './gitProcess.js';
import { neutralizers, parseConfigFileZ, parseConfigListZ, riskyRepoEntries, type GitSetupSnapshot } from '../../core/git/gitSetup.js';

const NO_HOOKS = process.platform === 'win32' ? 'NUL' : '/dev/null';

/**
 * Given to every git call of the engine: no hooks, no fsmonitor, no external diff, no signing
 * prompt, no `ext::` transport, and no automatic maintenance after a command (`merge` started
 * `git maintenance run --auto` each time: 15 ms on every merge here, and its tasks — gc, repacks,
 * a configured `prefetch` from the remotes — are the person's to run, not a run's).
 */
export const SAFE_CONFIG_ARGS: readonly string[] = [
  '-c',
  `core.hooksPath=${NO_HOOKS}`,
  '-c',
  'core.fsmonitor=false',
  '-c',
  'diff.external=',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'tag.gpgSign=false',
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'maintenance.auto=false',
  '-c',
  'gc.auto=0',
];

async function rawGit(cwd: string, args: readonly string[]): Promise<string> {
  return (await rawGitOrNull(cwd, args)) ?? '';
}

/** git's stdout, or null when it did not exit 0. */
async function rawGitOrNull(cwd: string, args: readonly string[]): Promise<string | null> {
  const o = await runGit({ cwd, argv: [...SAFE_CONFIG_ARGS, ...args], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 });
  return o.code === 0 ? o.stdout : null;
}



interface Guard {
  /** `key=value` of the risky repository-level entries when the run started. */
  trusted: Set<string>;
  /** Per work tree: the config files' stat signature and the overrides computed for it. */
  byTree: Map<string, { sig: string; overrides: string[] }>;
}

const guards = new Map<string, Guard>();

const real = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    // gone, or not there yet: the resolved path names it
    return path.resolve(p);
  }
};

/**
 * Trusts the repository's git set-up as it is now (the run's start): later additions of
 * repository-level filters and drivers are switched off in the engine's git calls. Returns
 * a function that ends the guard (the run's end).
 */
export async function guardGitSetup(repo: string): Promise<() => void> {
  const dirs = gitDirsOf(repo);
  if (!dirs) return () => undefined;
  const common = real(dirs.commonDir);
  const entries = parseConfigListZ(await rawGit(repo, ['config', '--list', '--show-scope', '-z']));
  const guard: Guard = { trusted: new Set(riskyRepoEntries(entries)), byTree: new Map() };
  guards.set(common, guard);
  return () => {
    if (guards.get(common) === guard) guards.delete(common);
  };
}

/** The `-c` overrides for a git call in `cwd`: none unless a run guards its repository and its configuration gained filters or drivers. */
export async function configOverrides(cwd: string): Promise<readonly string[]> {
  if (guards.size === 0) return [];
  const dirs = gitDirsOf(cwd);
  if (!dirs) return [];
  const guard = guards.get(real(dirs.commonDir));
  if (!guard) return [];
  const sig = [path.join(dirs.commonDir, 'config'), path.join(dirs.commonDir, 'config.worktree'), path.join(dirs.gitDir, 'config.worktree')].map(fileSignature).join('|');
  const key = path.resolve(cwd);
  const cached = guard.byTree.get(key);
  if (cached && cached.sig === sig) return cached.overrides;
  // Calls at once in a tree not read yet (a new worktree's first calls) share one read.
  const flying = reading.get(key);
  if (flying && flying.sig === sig) return flying.overrides;
  const overrides = rawGit(cwd, ['config', '--list', '--show-scope', '-z']).then((out) => {
    const found = neutralizers(parseConfigListZ(out), guard.trusted);
    guard.byTree.set(key, { sig, overrides: found });
    return found;
  });
  reading.set(key, { sig, overrides });
  const done = () => {
    if (reading.get(key)?.overrides === overrides) reading.delete(key);
  };
  overrides.then(done, done);
  return overrides;
}

/** `configOverrides` reads under way, by tree. */
const reading = new Map<string, { sig: string; overrides: Promise<readonly string[]> }>();

const sha = (data: string | Buffer): string => crypto.createHash('sha256').update(data).digest('hex').slice(0, 16);

/** What a snapshot read of one guarded file, to put it back (setupRestore.ts): its bytes and mode, a link's target, or a folder. */
export type KeptSetupEntry = { kind: 'file'; bytes: Buffer; mode: number } | { kind: 'link'; target: string } | { kind: 'folder' };

/** A guarded file larger than this is fingerprinted but not kept (it cannot be put back). */
const KEPT_MAX_BYTES = 16 * 1024 * 1024;

type Keep = ((entry: KeptSetupEntry) => void) | undefined;

function fileHash(file: string, keep?: Keep): string | undefined {
  try {
    const st = fs.lstatSync(file);
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(file);
      keep?.({ kind: 'link', target });
      return `link:${target}`;
    }
    if (st.isDirectory()) keep?.({ kind: 'folder' });
    // Never opened unless a regular file: a FIFO among the hooks would hold the read for good.
    if (!st.isFile()) return undefined;
    const bytes = fs.readFileSync(file);
    if (bytes.length <= KEPT_MAX_BYTES) keep?.({ kind: 'file', bytes, mode: st.mode & 0o7777 });
    return `${st.mode & 0o111 ? 'x' : '-'}${sha(bytes)}`;
  } catch {
    // gone or unreadable: no fingerprint, which differs from any file's, so a change is still seen
    return undefined;
  }
}

/**
 * Risky entries' fingerprints by the config file's content. `git config --file <f> --list` follows
 * no include unless asked, so what it lists is a function of the file's bytes: the bytes are read
 * once here and git lists exactly those (a private copy), so a file read later with the same bytes
 * needs no git process (each package's exit fingerprints the set-up).
 */
const riskyByContent = new Map<string, string | undefined>();
const RISKY_KEPT = 32;

async function riskyConfigHash(cwd: string, file: string, keep?: Keep): Promise<string | undefined> {
  let bytes: Buffer;
  const st = fs.statSync(file, { throwIfNoEntry: false });
  // Not a regular file (a FIFO would hold the read, and git's, for good): a fingerprint of what it is; never opened.
  if (st && !st.isFile()) return `not a file: ${st.mode.toString(8)}`;
  try {
    bytes = fs.readFileSync(file);
    // A config reached through a link is read through it, but only a file of its own is kept to be put back.
    if (bytes.length <= KEPT_MAX_BYTES && fs.lstatSync(file).isFile()) keep?.({ kind: 'file', bytes, mode: st!.mode & 0o7777 });
  } catch {
    // Missing: nothing risky. There but unreadable here: git is asked of the file itself.
    if (!fs.existsSync(file)) return undefined;
    return riskyOf(await rawGit(cwd, ['config', '--file', file, '--list', '-z']));
  }
  const key = sha(bytes);
  if (riskyByContent.has(key)) return riskyByContent.get(key);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-config-'));
  try {
    const copy = path.join(dir, 'config');
    fs.writeFileSync(copy, bytes, { mode: 0o600 });
    const listed = await rawGitOrNull(cwd, ['config', '--file', copy, '--list', '-z']);
    const out = riskyOf(listed ?? '');
    // Only git's answer is kept: a failure (a file git cannot read as config, a git that did not run) is asked again next time.
    if (listed !== null) {
      riskyByContent.set(key, out);
      if (riskyByContent.size > RISKY_KEPT) riskyByContent.delete(riskyByContent.keys().next().value!);
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function riskyOf(listed: string): string | undefined {
  const entries = riskyRepoEntries(parseConfigFileZ(listed));
  return entries.length === 0 ? undefined : sha(entries.join('\n'));
}

/**
 * Fingerprints what makes git run something in this repository: the hooks folder (every
 * file but `*.sample`; a `core.hooksPath` folder is covered by the config's entry), the risky
 * entries of the repository's config and of each worktree's `config.worktree`, and
 * `info/attributes`. Each name is a path under the common git folder. With `keep`, what was
 * read of each is kept there by name — every config file's whole bytes, risky entries or not —
 * so that it can be put back (setupRestore.ts).
 */
export async function snapshotGitSetup(repo: string, keep?: Map<string, KeptSetupEntry>): Promise<GitSetupSnapshot> {
  const dirs = gitDirsOf(repo);
  if (!dirs) return {};
  const common = dirs.commonDir;
  const out: GitSetupSnapshot = {};
  const put = (name: string, value: string | undefined) => {
    if (value !== undefined) out[name] = value;
  };
  const keeper = (name: string): Keep => (keep ? (entry) => keep.set(name, entry) : undefined);
  put('config', await riskyConfigHash(repo, path.join(common, 'config'), keeper('config')));
  put('config.worktree', await riskyConfigHash(repo, path.join(common, 'config.worktree'), keeper('config.worktree')));
  put('info/attributes', fileHash(path.join(common, 'info', 'attributes'), keeper('info/attributes')));
  for (const name of safeList(path.join(common, 'hooks'))) {
    if (!name.endsWith('.sample')) put(`hooks/${name}`, fileHash(path.join(common, 'hooks', name), keeper(`hooks/${name}`)) ?? 'folder');
  }
  for (const wt of safeList(path.join(common, 'worktrees'))) {
    const name = `worktrees/${wt}/config.worktree`;
    put(name, await riskyConfigHash(repo, path.join(common, 'worktrees', wt, 'config.worktree'), keeper(name)));
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    // no such folder (no hooks, no linked worktree): nothing in it to fingerprint
    return [];
  }
}
