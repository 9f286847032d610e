/**
 * The run's options: one table that both front ends read, so an option has the same name and
 * meaning in the editor's settings, on the command line (`waves run`; the worktree and walls
 * options `waves plan` too) and in the environment. Each option: its setting, flag and
 * environment variable (where it has one), the kind of its value, and one line saying what it
 * does. Parsed here; pure.
 *
 * A flag wins over its variable. The walls' options are the person's: the editor reads only
 * their own (user or remote machine) values of those settings, never a workspace's, and a run
 * without walls (`--unconfined`) takes none of them from a flag.
 */
import path from 'node:path';
import { capOf } from '../plan/defaults';
import { parseTarget } from '../walls/walls';

/**
 * `argv`: a program and its arguments (a JSON array of strings, or words split on spaces; never a
 * shell). `path-list`: paths separated by the path delimiter (`:`; `;` on Windows). `host-list`:
 * `host:port` targets separated by commas. `boolean`: a flag without value, a variable `1` or
 * `0`. `whole-number`: digits. `count`: digits, at least 1. `amount`: a number above 0, decimals
 * allowed. `choice`: one of the option's `words`. `path`: one path.
 */
export type RunOptionKind = 'argv' | 'path-list' | 'host-list' | 'boolean' | 'whole-number' | 'count' | 'amount' | 'choice' | 'path';

/**
 * How an option's paths are written. `in-repository`: relative to the repository, never above it;
 * `repository-or-absolute`: absolute, or relative to the repository; `absolute`: absolute, or
 * `~/…`; `home`: absolute, `~/…`, or relative to the home folder.
 */
export type PathRule = 'in-repository' | 'repository-or-absolute' | 'absolute' | 'home';

export type RunOptionId =
  | 'maxParallel'
  | 'candidates'
  | 'schedule'
  | 'onUsageLimit'
  | 'budgetUsd'
  | 'budgetTokens'
  | 'reviewGate'
  | 'integrationGuard'
  | 'setupCommand'
  | 'copy'
  | 'worktreesFolder'
  | 'layered'
  | 'write'
  | 'read'
  | 'hidden'
  | 'allowHosts'
  | 'registries'
  | 'cache'
  | 'memoryMB'
  | 'container';

/** A value an option takes when nobody set it, or one a flag without value gives it. */
export type RunOptionWord = string | number | boolean;

export interface RunOption {
  id: RunOptionId;
  /** The editor's setting, with its `waves.` prefix. */
  setting: string;
  /** The command line's flag, without its dashes. */
  flag: string;
  /**
   * Flags without a value that give the option one value each (`--barrier`: the schedule
   * `barrier`; `--no-integration-guard`: the guard off), without their dashes. Two of an
   * option's flags do not go together.
   */
  switches?: Readonly<Record<string, RunOptionWord>>;
  /** The environment variable; none: the option is a flag and a setting only. */
  env?: string;
  kind: RunOptionKind;
  /** A `choice`'s words, in the order the help lists them. */
  words?: readonly string[];
  /** A `choice`'s former words, still read as the word each became. */
  formerly?: Readonly<Record<string, string>>;
  /** What the run takes when nobody set it (the setting's default in package.json); none: nothing (no ceiling, no walls option). */
  default?: RunOptionWord;
  /** `waves plan` takes it too: its planning worktree is set up as a package's, inside the same walls. */
  plan: boolean;
  /**
   * Not given, a run taken up again (a resume, an adoption) keeps what it was started with: the
   * editor reads only a value the person set (user, workspace or folder), never the default.
   */
  keptOnResume?: boolean;
  /** How its paths are written (`path`, `path-list`). */
  paths?: PathRule;
  /** Part of the agents' walls: the person's own setting only; none with `--unconfined`. */
  walls: boolean;
  /**
   * The walls also read the variable from the environment the agents get, wherever the run was
   * started: it adds to the flag or the setting instead of giving way to it.
   */
  envAddsInWalls?: boolean;
  /** The value's name in the usage (`DIR`, `HOST:PORT,…`); none for a boolean. */
  value: string;
  /** One line: what it does. */
  description: string;
}

/** The run's options, in the order the help lists them: the run's own, then the worktree and walls options. */
export const RUN_OPTIONS: readonly RunOption[] = [
  {
    id: 'maxParallel',
    setting: 'waves.maxParallel',
    flag: 'max-parallel',
    kind: 'count',
    default: capOf(undefined),
    plan: false,
    walls: false,
    value: 'N',
    description: 'at most N attempts at once; a wave with more packages runs in several rounds (a wave-too-wide warning)',
  },
  {
    id: 'candidates',
    setting: 'waves.candidates',
    flag: 'candidates',
    env: 'WAVES_CANDIDATES',
    kind: 'count',
    default: 1,
    plan: false,
    walls: false,
    value: 'N',
    description:
      "best of n (1: none; at most 8 and the cap): N candidates of each package side by side, each confined, audited and verified; the first green one goes on and the rest stop. A package's own inputs.waves (candidates, candidate_agents, pick: first-green | person | judge, confirm) wins. Refused at the start, nothing started: N above the cap or 8, a candidate agent neither a headless preset nor the package's own (a list of one too), pick: person (or confirm) with nobody to ask (no terminal, --json; a resume whose picks are made asks nobody), pick: judge whose package's own agent is an interactive one. On SSH hosts each candidate takes a slot of a host",
  },
  {
    id: 'schedule',
    setting: 'waves.schedule',
    flag: 'schedule',
    switches: { barrier: 'barrier' },
    kind: 'choice',
    words: ['eager', 'barrier'],
    default: 'eager',
    plan: false,
    walls: false,
    value: 'eager|barrier',
    description: 'when packages start: eager, each as soon as its own dependencies have succeeded; barrier (--barrier), a wave only when the whole previous wave has finished',
  },
  {
    id: 'onUsageLimit',
    setting: 'waves.onUsageLimit',
    flag: 'on-usage-limit',
    kind: 'choice',
    words: ['stop', 'wait'],
    formerly: { ask: 'stop' },
    default: 'stop',
    plan: false,
    walls: false,
    value: 'stop|wait',
    description:
      'when an agent stops at a usage limit: its package is paused (no retry spent) and no package of that agent starts; stop ends the run there (exit 75; resume with --resume), wait goes on at the reset time the agent gave (without one: as stop)',
  },
  {
    id: 'budgetUsd',
    setting: 'waves.budget.usd',
    flag: 'budget-usd',
    kind: 'amount',
    plan: false,
    walls: false,
    value: 'USD',
    description:
      'a ceiling on what the agents report spending, in US dollars (only agents that report a cost count: Claude Code): when it is reached no more packages start, running ones finish; resume with a higher one. None by default',
  },
  {
    id: 'budgetTokens',
    setting: 'waves.budget.tokens',
    flag: 'budget-tokens',
    kind: 'count',
    plan: false,
    walls: false,
    value: 'N',
    description: 'a ceiling on the tokens the agents report (input, output and cached; Claude Code, Codex, Gemini), as --budget-usd. None by default',
  },
  {
    id: 'reviewGate',
    setting: 'waves.review.gate',
    flag: 'review',
    kind: 'choice',
    words: ['off', 'before-merge'],
    default: 'off',
    plan: false,
    keptOnResume: true,
    walls: false,
    value: 'off|before-merge',
    description:
      'before-merge: a package that passed its audit and verification waits for your review (awaiting review; its dependents wait too) until `waves review <plan> <package> --approve` merges it, or `--request-changes` sends your comments to its agent (a revision, no retry spent). A --resume without it keeps the gate the run was started with (--review off turns it off)',
  },
  {
    id: 'integrationGuard',
    setting: 'waves.integration.guard',
    flag: 'integration-guard',
    switches: { 'no-integration-guard': false },
    kind: 'boolean',
    default: false,
    plan: false,
    keptOnResume: true,
    walls: false,
    value: '',
    description:
      "the approved verification commands of the plan's integration package (task_type: integrate) run on the integration branch as packages land (the newest tip, one check at a time, inside walls); a red tip is bisected to the merge that turned it red, and that package is sent the failure as a new attempt from the integration tip (within its retry budget) while what depends on it waits. A check red at the base already is said at the start and blames nobody. A --resume without either flag keeps the guard the run was started with (--no-integration-guard turns it off)",
  },
  {
    id: 'setupCommand',
    setting: 'waves.worktrees.setupCommand',
    flag: 'setup-command',
    env: 'WAVES_SETUP_COMMAND',
    kind: 'argv',
    plan: true,
    walls: false,
    value: 'ARGV',
    description:
      'a program and its arguments run in each new worktree before its agent starts, e.g. \'["npm", "ci"]\' or "npm ci" (a JSON array of strings, or words split on spaces; never a shell); its output goes to the attempt\'s setup.log, and a failure fails the package',
  },
  {
    id: 'copy',
    setting: 'waves.worktrees.copy',
    flag: 'copy',
    env: 'WAVES_WORKTREES_COPY',
    kind: 'path-list',
    paths: 'in-repository',
    plan: true,
    walls: false,
    value: 'PATH:…',
    description:
      "files and folders git does not carry (.env, local configuration) copied from your checkout into each new worktree on this machine: paths relative to the repository, a * within one folder level; only what git ignores, never over a file the worktree has, never a link to yours (the attempt's setup.log says what was copied and what not, and why)",
  },
  {
    id: 'worktreesFolder',
    setting: 'waves.worktrees.folder',
    flag: 'worktrees-folder',
    env: 'WAVES_WORKTREES_FOLDER',
    kind: 'path',
    paths: 'repository-or-absolute',
    plan: true,
    walls: false,
    value: 'DIR',
    description: 'the folder of the worktrees (<folder>/<feature>/<package>), absolute or relative to the repository; default <repository>.worktrees beside it',
  },
  {
    id: 'layered',
    setting: 'waves.worktrees.layered',
    flag: 'layered-worktrees',
    env: 'WAVES_WORKTREES_LAYERED',
    kind: 'boolean',
    plan: true,
    walls: false,
    value: '',
    description:
      "each new package worktree a copy-on-write layer over one shared checkout of its base, for large repositories: the shared checkout written once, every tree over it ready in well under a second, its disk only what its agent changes. Whole only inside the agents' walls (and to the engine's git): on the disk its folder holds only what was changed there. Needs the walls and overlays (Linux 5.11 or later, util-linux)",
  },
  {
    id: 'write',
    setting: 'waves.sandbox.write',
    flag: 'sandbox-write',
    env: 'WAVES_SANDBOX_WRITE',
    kind: 'path-list',
    paths: 'absolute',
    plan: true,
    walls: true,
    value: 'DIR:…',
    description: 'more folders the agents may write inside their walls (absolute, or ~/…), besides their worktree, what git needs there and their CLI\'s own state',
  },
  {
    id: 'read',
    setting: 'waves.sandbox.read',
    flag: 'sandbox-read',
    env: 'WAVES_SANDBOX_READ',
    kind: 'path-list',
    paths: 'absolute',
    plan: true,
    walls: true,
    envAddsInWalls: true,
    value: 'DIR:…',
    description: 'folders under /tmp the agents may read (absolute, or ~/…): their walls cover /tmp with a private one',
  },
  {
    id: 'hidden',
    setting: 'waves.sandbox.hidden',
    flag: 'sandbox-hidden',
    env: 'WAVES_SANDBOX_HIDDEN',
    kind: 'path-list',
    paths: 'home',
    plan: true,
    walls: true,
    value: 'PATH:…',
    description: 'more paths hidden from the agents (absolute, ~/…, or relative to your home folder), besides ~/.ssh, ~/.aws, ~/.gnupg, cloud credentials and the like',
  },
  {
    id: 'allowHosts',
    setting: 'waves.sandbox.allowHosts',
    flag: 'allow-host',
    env: 'WAVES_SANDBOX_ALLOW',
    kind: 'host-list',
    plan: true,
    walls: true,
    envAddsInWalls: true,
    value: 'HOST:PORT,…',
    description: "more network targets the agents may reach through their walls' proxy (host:port, *.example.com:443 for its subdomains, or a URL); the agent's model API is always allowed",
  },
  {
    id: 'registries',
    setting: 'waves.sandbox.registries',
    flag: 'allow-registries',
    env: 'WAVES_SANDBOX_REGISTRIES',
    kind: 'boolean',
    plan: true,
    walls: true,
    value: '',
    description: "the package registries your own configuration names may be reached (npm's and its scoped ones, pip's index, cargo's, GOPROXY), never with your tokens",
  },
  {
    id: 'cache',
    setting: 'waves.sandbox.cache',
    flag: 'toolchain-cache',
    env: 'WAVES_SANDBOX_CACHE',
    kind: 'path',
    paths: 'absolute',
    plan: true,
    walls: true,
    value: 'DIR',
    description: "the toolchains' download cache the agents share, writable inside their walls (absolute, or ~/…); default ~/.cache/wave-orchestrator/agents, never your own caches",
  },
  {
    id: 'memoryMB',
    setting: 'waves.sandbox.memoryMB',
    flag: 'memory-mb',
    env: 'WAVES_SANDBOX_MEMORY_MB',
    kind: 'whole-number',
    plan: true,
    walls: true,
    value: 'MIB',
    description: 'the memory one agent and what it started may hold inside its walls before it is stopped and failed (MiB; default 8192; 0: no limit)',
  },
  {
    id: 'container',
    setting: 'waves.sandbox.container',
    flag: 'container-is-wall',
    env: 'WAVES_SANDBOX_CONTAINER',
    kind: 'boolean',
    plan: true,
    walls: true,
    value: '',
    description:
      "the container this runs in (Docker, Podman, a Dev Container, a codespace) is the agents' wall: they run without bubblewrap, with all the container reaches, and every run says so as it starts; counted only inside a container, and only as your own choice, never a workspace's or a repository's",
  },
];

/** The options' values as read; absent: not set. */
export interface RunOptionValues {
  maxParallel?: number;
  candidates?: number;
  schedule?: 'eager' | 'barrier';
  onUsageLimit?: 'stop' | 'wait';
  budgetUsd?: number;
  budgetTokens?: number;
  reviewGate?: 'off' | 'before-merge';
  integrationGuard?: boolean;
  setupCommand?: string[];
  copy?: string[];
  worktreesFolder?: string;
  layered?: boolean;
  write?: string[];
  read?: string[];
  hidden?: string[];
  allowHosts?: string[];
  registries?: boolean;
  cache?: string;
  memoryMB?: number;
  container?: boolean;
}

/** A value that cannot be used; its message names the flag, variable or setting it came from. */
export class RunOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunOptionError';
  }
}

const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\)/;

function isAbsolutePath(p: string): boolean {
  return path.isAbsolute(p) || WINDOWS_ABSOLUTE.test(p);
}

/** Why `p` cannot be a path of `rule`, or null. */
export function pathProblem(p: string, rule: PathRule): string | null {
  if (p.includes('\0')) return 'holds a NUL character';
  switch (rule) {
    case 'in-repository':
      if (isAbsolutePath(p) || p.startsWith('~')) return 'is not relative to the repository';
      if (p.split(/[\\/]/).includes('..')) return 'goes up out of the repository (..)';
      return null;
    case 'repository-or-absolute':
      return p.startsWith('~') ? 'starts with ~: give the home folder as an absolute path' : null;
    case 'absolute':
      return isAbsolutePath(p) || p === '~' || p.startsWith('~/') ? null : 'is neither absolute nor ~/…';
    case 'home':
      return null;
  }
}

/** `a`, `a or b`, `a, b or c`. */
function orList(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : (words[0] ?? '');
}

/** A choice's word of `text` (a former word as the word it became), or null. */
function wordOf(option: RunOption, text: string): string | null {
  const t = text.trim();
  if (option.words?.includes(t)) return t;
  return option.formerly?.[t] ?? null;
}

/** Words split on spaces and tabs (no quoting: a JSON array says anything else). */
function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** An argv from its text: a JSON array of strings, or words. */
function argvOf(text: string, source: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let argv: unknown;
    try {
      argv = JSON.parse(trimmed);
    } catch (err) {
      throw new RunOptionError(`${source} is not a JSON array of strings: ${(err as Error).message}`);
    }
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new RunOptionError(`${source} must be a JSON array of strings, the program first, e.g. '["npm", "ci"]'`);
    if (argv.length === 0 || (argv[0] as string).trim() === '') throw new RunOptionError(`${source} needs a program: the array is empty or its first string is`);
    return argv as string[];
  }
  const split = words(trimmed);
  if (split.length === 0) throw new RunOptionError(`${source} needs a program and its arguments, e.g. "npm ci" or '["npm", "ci"]'`);
  return split;
}

function pathsChecked(list: readonly string[], option: RunOption, source: string): string[] {
  for (const p of list) {
    const why = pathProblem(p, option.paths ?? 'home');
    if (why) throw new RunOptionError(`${source}: "${p}" ${why}`);
  }
  return [...list];
}

/**
 * A flag's or variable's text → the option's value. `source` names it in the error (`--copy`,
 * `WAVES_WORKTREES_COPY`); `delimiter`: what separates a path list (the platform's).
 */
export function parseOptionText(option: RunOption, text: string | true, source: string, delimiter: string = path.delimiter): RunOptionValues[RunOptionId] {
  if (option.kind === 'boolean') {
    if (text === true) return true;
    const t = text.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(t)) return true;
    if (['0', 'false', 'no', 'off'].includes(t)) return false;
    throw new RunOptionError(`${source} is 1 or 0, not "${text}"`);
  }
  if (text === true) throw new RunOptionError(`${source} needs a value`);
  switch (option.kind) {
    case 'argv':
      return argvOf(text, source);
    case 'path-list': {
      const list = text
        .split(delimiter)
        .map((p) => p.trim())
        .filter(Boolean);
      if (list.length === 0) throw new RunOptionError(`${source} needs at least one path (several separated by "${delimiter}")`);
      return pathsChecked(list, option, source);
    }
    case 'host-list': {
      const list = text
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean);
      if (list.length === 0) throw new RunOptionError(`${source} needs HOST:PORT (several separated by commas)`);
      const bad = list.find((h) => !parseTarget(h));
      if (bad !== undefined) throw new RunOptionError(`${source}: "${bad}" is not a host:port`);
      return list;
    }
    case 'whole-number': {
      const t = text.trim();
      if (!/^\d{1,7}$/.test(t)) throw new RunOptionError(`${source} takes a whole number${option.id === 'memoryMB' ? ' of MiB (0: no limit)' : ''}, not "${text}"`);
      return Number(t);
    }
    case 'count': {
      const t = text.trim();
      if (!/^\d{1,15}$/.test(t) || Number(t) < 1) throw new RunOptionError(`${source} must be ${KIND_TEXT.count}, not "${text}"`);
      return Number(t);
    }
    case 'amount': {
      const t = text.trim();
      if (!/^(?:\d{1,15}(?:\.\d*)?|\.\d+)$/.test(t) || !(Number(t) > 0)) throw new RunOptionError(`${source} must be ${KIND_TEXT.amount}${option.id === 'budgetUsd' ? ' (US dollars)' : ''}, not "${text}"`);
      return Number(t);
    }
    case 'choice': {
      const word = wordOf(option, text);
      if (word === null) throw new RunOptionError(`${source} is ${orList(option.words ?? [])}, not "${text}"`);
      return word;
    }
    case 'path': {
      const t = text.trim();
      if (t === '') throw new RunOptionError(`${source} needs a path`);
      return pathsChecked([t], option, source)[0];
    }
  }
}

/** Where each value came from: `--flag` or the variable's name. */
export type RunOptionSources = Partial<Record<RunOptionId, string>>;

function setValue(values: RunOptionValues, id: RunOptionId, value: RunOptionValues[RunOptionId]): void {
  (values as Record<string, unknown>)[id] = value;
}

/** An option's flags: its own, then its switches. */
export function flagsOf(option: RunOption): string[] {
  return [option.flag, ...Object.keys(option.switches ?? {})];
}

/**
 * The command line's options: each from its flag (or one of its switches), else from its
 * variable (set and not empty). `only` picks the options the command takes (`waves plan`: the
 * worktree and walls ones); none: all. `unconfined` (`--unconfined`): a walls option given as a
 * flag is an error (a run without walls has none to widen), one from a variable is not taken. A
 * variable the walls read themselves (`envAddsInWalls`) is checked here but not taken: the walls
 * add it. Throws `RunOptionError` naming the flag or the variable.
 */
export function runOptionsFromCommandLine(
  flags: ReadonlyMap<string, string | true>,
  env: Readonly<Record<string, string | undefined>>,
  unconfined = false,
  delimiter: string = path.delimiter,
  only?: (option: RunOption) => boolean,
): { values: RunOptionValues; sources: RunOptionSources } {
  const values: RunOptionValues = {};
  const sources: RunOptionSources = {};
  for (const option of RUN_OPTIONS) {
    if (only && !only(option)) continue;
    const given = flagsOf(option).filter((f) => flags.has(f));
    if (given.length > 1) throw new RunOptionError(`--${given[0]} and --${given[1]} do not go together`);
    if (given.length === 1) {
      const flag = given[0]!;
      const source = `--${flag}`;
      if (unconfined && option.walls) throw new RunOptionError(`${source} ${option.id === 'container' ? "makes the container the agents' wall" : option.id === 'memoryMB' || option.id === 'hidden' ? 'is a limit of the walls' : 'opens the walls'}; --unconfined has none: give one of them`);
      setValue(values, option.id, flag === option.flag ? parseOptionText(option, flags.get(flag)!, source, delimiter) : option.switches![flag]);
      sources[option.id] = source;
      continue;
    }
    if (option.env === undefined) continue;
    const text = env[option.env];
    if (text === undefined || text.trim() === '' || (unconfined && option.walls)) continue;
    const value = parseOptionText(option, text, option.env, delimiter);
    if (option.envAddsInWalls) continue;
    setValue(values, option.id, value);
    sources[option.id] = option.env;
  }
  return { values, sources };
}

/** A setting's JSON value → the option's value; a problem names the setting. Undefined: not set (or left out). */
function settingValue(option: RunOption, raw: unknown, problems: string[]): RunOptionValues[RunOptionId] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const name = option.setting;
  const strings = (list: unknown[]): string[] | undefined => {
    if (!list.every((v) => typeof v === 'string')) {
      problems.push(`${name} holds something else than strings`);
      return undefined;
    }
    return (list as string[]).map((s) => s.trim()).filter(Boolean);
  };
  switch (option.kind) {
    case 'argv': {
      if (typeof raw === 'string') return raw.trim() === '' ? undefined : argvOrProblem(option, raw, problems);
      if (!Array.isArray(raw)) break;
      if (raw.length === 0) return undefined;
      if (!raw.every((v) => typeof v === 'string') || (raw[0] as string).trim() === '') {
        problems.push(`${name} must be a program and its arguments, each a string, the program first`);
        return undefined;
      }
      return raw as string[];
    }
    case 'path-list':
    case 'host-list': {
      if (!Array.isArray(raw)) break;
      const list = strings(raw);
      if (!list?.length) return undefined;
      const good = list.filter((p) => {
        const why = option.kind === 'host-list' ? (parseTarget(p) ? null : 'is not a host:port') : pathProblem(p, option.paths ?? 'home');
        if (why) problems.push(`${name}: "${p}" ${why}; left out`);
        return !why;
      });
      return good.length ? good : undefined;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      break;
    case 'whole-number':
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
      break;
    case 'count':
      if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 1) return raw;
      break;
    case 'amount':
      if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return raw;
      break;
    case 'choice': {
      const word = typeof raw === 'string' ? wordOf(option, raw) : null;
      if (word !== null) return word;
      problems.push(`${name} is ${JSON.stringify(raw)}, not ${orList(option.words ?? [])}; left out`);
      return undefined;
    }
    case 'path': {
      if (typeof raw !== 'string') break;
      const t = raw.trim();
      if (t === '') return undefined;
      const why = pathProblem(t, option.paths ?? 'home');
      if (why) {
        problems.push(`${name}: "${t}" ${why}; left out`);
        return undefined;
      }
      return t;
    }
  }
  problems.push(`${name} is not ${KIND_TEXT[option.kind]}; left out`);
  return undefined;
}

function argvOrProblem(option: RunOption, text: string, problems: string[]): string[] | undefined {
  try {
    return argvOf(text, option.setting);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
}

/** What a kind's value is, for a person. */
export const KIND_TEXT: Readonly<Record<RunOptionKind, string>> = {
  argv: 'a program and its arguments',
  'path-list': 'a list of paths',
  'host-list': 'a list of host:port targets',
  boolean: 'true or false',
  'whole-number': 'a whole number',
  count: 'a whole number ≥ 1',
  amount: 'a number above 0',
  choice: 'one of its words',
  path: 'a path',
};

/** A setting's value that cannot be used: the setting, and what is wrong, for a person. */
export interface SettingProblem {
  setting: string;
  message: string;
}

/**
 * The editor's settings → the options' values. `read(option)` is the setting's value as the
 * editor takes it: for a walls option the person's own value only; for one `keptOnResume`, only
 * a value the person set. A value that cannot be used is left out, and said in `problems`.
 */
export function runOptionsFromSettings(read: (option: RunOption) => unknown, only?: (option: RunOption) => boolean): { values: RunOptionValues; problems: SettingProblem[] } {
  const values: RunOptionValues = {};
  const problems: SettingProblem[] = [];
  for (const option of RUN_OPTIONS) {
    if (only && !only(option)) continue;
    const said: string[] = [];
    const value = settingValue(option, read(option), said);
    problems.push(...said.map((message) => ({ setting: option.setting, message })));
    if (value !== undefined) setValue(values, option.id, value);
  }
  return { values, problems };
}

/** The run's own choices, as the start request names them. */
export interface RunChoices {
  /** At most this many attempts at once: the cap (capOf). */
  maxParallel: number;
  mode: 'eager' | 'barrier';
  /** The run-wide count of candidates (best of n); 1: none. */
  candidates: number;
  onUsageLimit: 'stop' | 'wait';
  /** The run's ceiling; undefined: none. */
  budget: { usd?: number; tokens?: number } | undefined;
  /** The review gate; undefined: not given (a run taken up again keeps its own, a new one is off). */
  review: 'off' | 'before-merge' | undefined;
  /** The integration guard; undefined: not given (a run taken up again keeps its own, a new one is off). */
  integrationGuard: boolean | undefined;
}

function defaultOf<K extends RunOptionId>(id: K): NonNullable<RunOptionValues[K]> {
  return RUN_OPTIONS.find((o) => o.id === id)!.default as NonNullable<RunOptionValues[K]>;
}

/**
 * The run's own choices from the options' values, the same for both front ends: each option's
 * default where nobody set it, except those a run taken up again keeps (`keptOnResume`).
 */
export function runChoicesOf(values: RunOptionValues): RunChoices {
  const budget = values.budgetUsd !== undefined || values.budgetTokens !== undefined ? { ...(values.budgetUsd !== undefined ? { usd: values.budgetUsd } : {}), ...(values.budgetTokens !== undefined ? { tokens: values.budgetTokens } : {}) } : undefined;
  return {
    maxParallel: capOf(values.maxParallel),
    mode: values.schedule ?? defaultOf('schedule'),
    candidates: values.candidates ?? defaultOf('candidates'),
    onUsageLimit: values.onUsageLimit ?? defaultOf('onUsageLimit'),
    budget,
    review: values.reviewGate,
    integrationGuard: values.integrationGuard,
  };
}

/** The walls' part of the values, named as the engine's walls options name them. */
export interface WallsValues {
  write?: string[];
  read?: string[];
  hidden?: string[];
  allowHosts?: string[];
  registries?: boolean;
  cacheDir?: string;
  memoryMB?: number;
}

export function wallsValuesOf(values: RunOptionValues): WallsValues {
  const out: WallsValues = {};
  if (values.write?.length) out.write = values.write;
  if (values.read?.length) out.read = values.read;
  if (values.hidden?.length) out.hidden = values.hidden;
  if (values.allowHosts?.length) out.allowHosts = values.allowHosts;
  if (values.registries) out.registries = true;
  if (values.cache) out.cacheDir = values.cache;
  if (values.memoryMB !== undefined) out.memoryMB = values.memoryMB;
  return out;
}
