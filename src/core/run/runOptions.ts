/**
 * The run's options: one table that both front ends read, so an option has the same name and
 * meaning in the editor's settings, on the command line (`waves run`; the worktree and walls
 * options `waves plan` too) and in the environment. Each option: its setting, flag and
 * environment variable (where it has one), the kind of its value, and one line saying what it
 * does. Parsed here; pure.
 *
 * A flag wins over its variable. The walls' options are the person's: the editor reads only
 * their own (user or remote machine) values of those settings, never a workspace's, and a run
 * without walls (`--unconfined`, itself the person's own) takes none of them from a flag. The
 * agents' options are read here as they are written (a preset id, an argv); the presets are
 * checked and the profiles made by core/agents/runAgents.ts.
 */
import path from 'node:path';
import { capOf, isCount } from '../plan/defaults';
export { planCheckCap } from '../plan/defaults';
import { parseTarget } from '../walls/walls';

export { RUN_OPTIONS, type PathRule, type RunOption, type RunOptionId, type RunOptionKind, type RunOptionPart, type RunOptionWord } from './runOptionTable';
import { RUN_OPTIONS, type PathRule, type RunOption, type RunOptionId, type RunOptionKind } from './runOptionTable';

/** An agent as written: a preset id, or a program and its arguments. */
export type AgentSpec = string | string[];

/** The options' values as read; absent: not set. */
export interface RunOptionValues {
  agent?: AgentSpec;
  agentInteractive?: boolean;
  agentOverrides?: Record<string, AgentSpec>;
  agentFallback?: AgentSpec[];
  agentCaps?: Record<string, number>;
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
  unconfined?: boolean;
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

/** An argv from a JSON array of strings, the program first (`example`: one, for the message). */
function jsonArgvOf(text: string, source: string, example: string): string[] {
  let argv: unknown;
  try {
    argv = JSON.parse(text.trim());
  } catch (err) {
    throw new RunOptionError(`${source} is not a JSON array of strings: ${(err as Error).message}`);
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new RunOptionError(`${source} must be a JSON array of strings, the program first, e.g. '${example}'`);
  if (argv.length === 0 || (argv[0] as string).trim() === '') throw new RunOptionError(`${source} needs a program: the array is empty or its first string is`);
  return argv as string[];
}

/** An argv from its text: a JSON array of strings, or words. */
function argvOf(text: string, source: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return jsonArgvOf(trimmed, source, '["npm", "ci"]');
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

/** `KEY=VALUE` pairs separated by commas (at least one; a key and a value each), or null. */
function pairsOf(text: string): [string, string][] | null {
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((pair): [string, string] => [pair.slice(0, Math.max(0, pair.indexOf('='))).trim(), pair.slice(pair.indexOf('=') + 1).trim()]);
  return pairs.length && pairs.every(([k, v]) => k && v) ? pairs : null;
}

/** Preset ids separated by commas (at least one). */
function presetIdsOf(text: string, source: string): string[] {
  const ids = text
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (!ids.length) throw new RunOptionError(`${source} needs preset ids, separated by commas`);
  return ids;
}

/** An example of an agent given as a program and its arguments. */
const AGENT_ARGV_EXAMPLE = '["my-agent", "--prompt", "${promptFile}"]';

/** The text of an option's `argvFlag` (`--agent-argv`): a JSON array, the program first. */
export function agentArgvOf(text: string | true, source: string): string[] {
  if (text === true) throw new RunOptionError(`${source} needs a value`);
  return jsonArgvOf(text, source, AGENT_ARGV_EXAMPLE);
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
    case 'agent': {
      const t = text.trim();
      if (t === '') throw new RunOptionError(`${source} needs a preset id${option.argvFlag ? ` (or --${option.argvFlag})` : ''}`);
      return t;
    }
    case 'agent-list':
      return presetIdsOf(text, source);
    case 'agent-map': {
      const pairs = pairsOf(text);
      if (!pairs) throw new RunOptionError(`${source} needs KEY=PRESET pairs, separated by commas, not "${text}"`);
      return Object.fromEntries(pairs);
    }
    case 'agent-counts': {
      const need = `${source} needs AGENT=N (a preset id, or custom, and a whole number of at least 1)`;
      const pairs = text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      if (!pairs.length) throw new RunOptionError(need);
      const caps: Record<string, number> = {};
      for (const pair of pairs) {
        const [id, n] = pairsOf(pair)?.[0] ?? ['', ''];
        if (!id || !/^\d{1,15}$/.test(n) || Number(n) < 1) throw new RunOptionError(`${need}, not "${pair}"`);
        caps[id] = Number(n);
      }
      return caps;
    }
  }
}

/** Where each value came from: `--flag` or the variable's name. */
export type RunOptionSources = Partial<Record<RunOptionId, string>>;

function setValue(values: RunOptionValues, id: RunOptionId, value: RunOptionValues[RunOptionId]): void {
  (values as Record<string, unknown>)[id] = value;
}

/** An option's flags: its own, its argv flag, then its switches; none: the editor's setting only. */
export function flagsOf(option: RunOption): string[] {
  return [...(option.flag ? [option.flag] : []), ...(option.argvFlag ? [option.argvFlag] : []), ...Object.keys(option.switches ?? {})];
}

/** The table's option `id`. */
export function runOption(id: RunOptionId): RunOption {
  return RUN_OPTIONS.find((o) => o.id === id)!;
}

/** Whether the flags turn the walls off (`--unconfined`). */
export function unconfinedIn(flags: ReadonlyMap<string, string | true>): boolean {
  return RUN_OPTIONS.some((o) => o.noWalls && o.flag !== undefined && flags.has(o.flag));
}

/**
 * The command line's options: each from its flag (or one of its switches), else from its
 * variable (set and not empty). `only` picks the options the command takes (`waves plan`: the
 * worktree and walls ones); none: all. `unconfined` (`--unconfined`, by default from the flags): a walls option given as a
 * flag is an error (a run without walls has none to widen), one from a variable is not taken. A
 * variable the walls read themselves (`envAddsInWalls`) is checked here but not taken: the walls
 * add it. Throws `RunOptionError` naming the flag or the variable.
 */
export function runOptionsFromCommandLine(
  flags: ReadonlyMap<string, string | true>,
  env: Readonly<Record<string, string | undefined>>,
  unconfined = unconfinedIn(flags),
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
      if (unconfined && option.walls && !option.noWalls) throw new RunOptionError(`${source} ${option.id === 'container' ? "makes the container the agents' wall" : option.id === 'memoryMB' || option.id === 'hidden' ? 'is a limit of the walls' : 'opens the walls'}; --unconfined has none: give one of them`);
      const text = flags.get(flag)!;
      setValue(values, option.id, flag === option.flag ? parseOptionText(option, text, source, delimiter) : flag === option.argvFlag ? agentArgvOf(text, source) : option.switches![flag]);
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
      if (isCount(raw)) return raw;
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
    case 'agent': {
      const agent = agentOfJson(raw, name, problems);
      return agent === null ? undefined : agent;
    }
    case 'agent-list': {
      if (!Array.isArray(raw)) break;
      const list = raw.flatMap((v, i) => agentEntry(v, entryName(option, i), problems));
      return list.length ? list : undefined;
    }
    case 'agent-map':
    case 'agent-counts': {
      if (typeof raw !== 'object' || Array.isArray(raw)) break;
      const entries = Object.entries(raw as Record<string, unknown>).flatMap(([key, v]): [string, AgentSpec | number][] => {
        const named = entryName(option, key);
        if (option.kind === 'agent-map') return agentEntry(v, named, problems).map((a) => [key, a]);
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return [[key, v]];
        problems.push(`${named} is not ${KIND_TEXT.count}; left out`);
        return [];
      });
      return entries.length ? (Object.fromEntries(entries) as Record<string, AgentSpec> | Record<string, number>) : undefined;
    }
  }
  problems.push(`${name} is not ${KIND_TEXT[option.kind]}; left out`);
  return undefined;
}

/** How a message names an entry of a setting (`waves.agentFallback[1]`, `waves.agentOverrides["wp-a"]`), or the setting itself. */
export function entryName(option: RunOption, key?: string | number): string {
  return key === undefined ? option.setting : typeof key === 'number' ? `${option.setting}[${key}]` : `${option.setting}[${JSON.stringify(key)}]`;
}

/** An agent of a setting (a preset id, or an argv array); null: empty (not set); undefined: cannot be used, said. */
function agentOfJson(raw: unknown, name: string, problems: string[]): AgentSpec | null | undefined {
  if (typeof raw === 'string') return raw.trim() === '' ? null : raw.trim();
  if (Array.isArray(raw)) {
    if (raw.length === 0) return null;
    if (raw.every((v) => typeof v === 'string') && (raw[0] as string).trim() !== '') return raw as string[];
    problems.push(`${name} must be a program and its arguments, each a string, the program first; left out`);
    return undefined;
  }
  if (raw === undefined || raw === null) return null;
  problems.push(`${name} is not ${KIND_TEXT.agent}; left out`);
  return undefined;
}

/** An entry of an agent list or map: the agent, or none (an empty one said: an entry says something or nothing at all). */
function agentEntry(raw: unknown, name: string, problems: string[]): AgentSpec[] {
  const agent = agentOfJson(raw, name, problems);
  if (agent === null) problems.push(`${name} is empty; give a preset id or an argv array`);
  return agent ? [agent] : [];
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
  agent: 'a preset id or a program and its arguments',
  'agent-list': 'a list of agents',
  'agent-map': 'an agent by key',
  'agent-counts': 'a whole number ≥ 1 by agent id',
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
