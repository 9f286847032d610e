/**
 * The repository's git set-up as the engine guards it (pure; docs/security.md, "Git hooks and
 * configuration"). Worktrees share `.git`: an agent can write hooks, set configuration that
 * runs commands (filters, merge and diff drivers, `core.fsmonitor`, `core.hooksPath`, includes
 * …) or attributes that name such drivers. The engine (a) never lets its own git calls run
 * hooks or the commands of configuration added after the run started (`neutralizers`), and
 * (b) compares the set-up after every attempt with the one the run started with
 * (`setupChanges`): a difference is a violation of that package.
 */

/** One configuration entry of `git config --list --show-scope -z`. */
export interface ConfigEntry {
  /** system | global | local | worktree | command */
  scope: string;
  /** As git prints it (section and variable lowercased, a subsection as written). */
  key: string;
  value: string;
}

/** Parses `git config --list --show-scope -z` (`scope NUL key LF value NUL`, or `scope NUL key NUL` for a key without value). */
export function parseConfigListZ(text: string): ConfigEntry[] {
  const parts = text.split('\0');
  const out: ConfigEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const scope = parts[i]!;
    const rest = parts[i + 1]!;
    const nl = rest.indexOf('\n');
    out.push(nl < 0 ? { scope, key: rest, value: '' } : { scope, key: rest.slice(0, nl), value: rest.slice(nl + 1) });
  }
  return out;
}

/** Parses `git config --file F --list -z` (no scope). */
export function parseConfigFileZ(text: string): ConfigEntry[] {
  return text
    .split('\0')
    .filter((p) => p !== '')
    .map((rest) => {
      const nl = rest.indexOf('\n');
      return nl < 0 ? { scope: 'file', key: rest, value: '' } : { scope: 'file', key: rest.slice(0, nl), value: rest.slice(nl + 1) };
    });
}

/** Keys whose value git runs as a command, or that make git read other files or hooks: a change of one is a change of what git executes. */
const RISKY_EXACT = new Set([
  'core.hookspath',
  'core.fsmonitor',
  'core.sshcommand',
  'core.editor',
  'core.pager',
  'core.askpass',
  'core.gitproxy',
  'core.attributesfile',
  'core.worktree',
  'diff.external',
  'gpg.program',
  'sequence.editor',
  'credential.helper',
  'include.path',
  'uploadpack.packobjectshook',
  'extensions.worktreeconfig',
]);

/** Whether `key` (as git prints it) is one of the keys a change of which changes what git executes. */
export function isRiskyKey(key: string): boolean {
  const k = key.toLowerCase();
  if (RISKY_EXACT.has(k)) return true;
  const first = k.indexOf('.');
  const last = k.lastIndexOf('.');
  if (first < 0) return false;
  const section = k.slice(0, first);
  const variable = k.slice(last + 1);
  if (section === 'filter') return ['clean', 'smudge', 'process', 'required'].includes(variable);
  if (section === 'merge') return variable === 'driver';
  if (section === 'diff') return variable === 'command' || variable === 'textconv';
  if (section === 'includeif') return variable === 'path';
  if (section === 'gpg') return variable === 'program';
  if (section === 'credential') return variable === 'helper';
  if (section === 'remote') return variable === 'uploadpack' || variable === 'receivepack' || variable === 'proxycommand';
  if (section === 'url') return variable === 'insteadof' || variable === 'pushinsteadof';
  if (section === 'alias') return true;
  return false;
}

/** The repository-level entries (`local`, `worktree`) among the risky keys, as `key=value` lines. */
export function riskyRepoEntries(entries: readonly ConfigEntry[]): string[] {
  return entries.filter((e) => (e.scope === 'local' || e.scope === 'worktree' || e.scope === 'file') && isRiskyKey(e.key)).map((e) => `${e.key}=${e.value}`);
}

/**
 * Command-line overrides (`-c key=`) that switch off the commands of repository-level filter,
 * merge-driver and diff-driver entries that are not in `trusted` (the `key=value` lines of
 * the set-up the run started with): such an entry was added during the run, so by an agent
 * (or by the person while agents ran), and the engine's own git calls must not run it.
 * An empty command is no command for git; a filter is also made not `required`.
 */
export function neutralizers(entries: readonly ConfigEntry[], trusted: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.scope !== 'local' && e.scope !== 'worktree') continue;
    if (!isRiskyKey(e.key) || trusted.has(`${e.key}=${e.value}`)) continue;
    const k = e.key.toLowerCase();
    const last = e.key.lastIndexOf('.');
    const base = e.key.slice(0, last);
    const add = (key: string, value: string) => {
      if (seen.has(key)) return;
      seen.add(key);
      out.push('-c', `${key}=${value}`);
    };
    if (k.startsWith('filter.')) {
      for (const v of ['clean', 'smudge', 'process']) add(`${base}.${v}`, '');
      add(`${base}.required`, 'false');
    } else if (k.startsWith('merge.') || k.startsWith('diff.')) {
      add(e.key, '');
    }
  }
  return out;
}

/**
 * A snapshot of the git set-up: a name per guarded thing (`config`, `hooks/post-merge`,
 * `info/attributes`, `worktrees/<name>/config.worktree`) → a fingerprint of its content (for
 * configuration files: of their risky entries only, so a new branch's upstream is no change).
 */
export type GitSetupSnapshot = Record<string, string>;

export interface SetupChange {
  /** The name in the snapshot, e.g. `hooks/post-merge`. */
  name: string;
  change: 'added' | 'changed' | 'removed';
}

/** What differs between two snapshots, sorted by name. */
export function setupChanges(before: GitSetupSnapshot, after: GitSetupSnapshot): SetupChange[] {
  const out: SetupChange[] = [];
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[name];
    const b = after[name];
    if (a === b) continue;
    out.push({ name, change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed' });
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** One line for a person: `.git/hooks/post-merge added, .git/config changed`. */
export function describeSetupChanges(changes: readonly SetupChange[]): string {
  return changes.map((c) => `.git/${c.name} ${c.change}`).join(', ');
}

/** What became of one changed thing of the git set-up when the engine put the run's start set-up back. */
export interface SetupRestoreLine extends SetupChange {
  /** Where it was found (absolute). */
  foundAt: string;
  /** What was found, as kept in the quarantine folder (relative to it); null when nothing was there (removed). */
  keptAs: string | null;
  /** The run's start version is back at `foundAt` (or, for an addition, nothing is left there). */
  putBack: boolean;
  /** Why it was not put back, when it was not. */
  why?: string;
  /** What was found, for a person: `an executable file`, `a symbolic link to …`, `a folder`. */
  what?: string;
}

/** One line of a quarantine folder's README for `line`. */
function readmeLine(line: SetupRestoreLine): string {
  const found = line.what ? ` (${line.what})` : '';
  const head = `- .git/${line.name} — ${line.change} — at ${line.foundAt}${found}`;
  if (!line.putBack) return `${head}: NOT put back (${line.why ?? 'unknown'})${line.keptAs ? `; what was found is here as ${line.keptAs}` : ''}.`;
  if (line.change === 'added') return `${head}: moved here as ${line.keptAs ?? '?'}; nothing is left there.`;
  if (line.change === 'removed') return `${head}: the run's start version put back${line.keptAs ? `; what was there instead is here as ${line.keptAs}` : ''}.`;
  return `${head}: the run's start version put back; the version found is here as ${line.keptAs ?? '?'}.`;
}

/**
 * The README.txt of a quarantine folder: what was found changed in the repository's git set-up,
 * when and after what (`by`), where each thing was found and what became of it.
 */
export function quarantineReadme(by: string, at: Date, lines: readonly SetupRestoreLine[]): string {
  return [
    `Wave Orchestrator found the repository's git set-up (hooks, configuration that makes git run`,
    `commands, attributes) changed, and put back the set-up the run started with, so that no git`,
    `command of yours runs what was planted.`,
    `Found after: ${by}`,
    `At: ${at.toISOString()}`,
    '',
    `What it found is kept here: moved, never deleted. Nothing here runs (execute bits are off) and`,
    `git does not look here. Read it before you copy anything of it back.`,
    '',
    ...lines.map(readmeLine),
    '',
  ].join('\n');
}
