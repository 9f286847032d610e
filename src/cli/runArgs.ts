/**
 * What the run commands of `waves` share: the plan named on the command line loaded through the
 * front door, the agent, the shared coordinator and the plan argument from the flags, paths
 * and escapes for the terminal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentProfileError, PERMISSION_PROMPT_PATTERN, PRESET_IDS, customProfile, presetProfile, type AgentProfile } from '../core/run/agentProfiles';
import { USAGE_LIMIT_PATTERN } from '../core/run/agentLogs';
import { hasUnsafeCharacters } from '../core/present/visibleText';
import { toReport } from '../core/plan/planReport';
import type { RunState } from '../core/run/runState';
import { addSpend, type Spend } from '../core/run/spend';
import { checkCoordinatorUrl, type Confinement, type CoordinatorOptions, PlanReadError, loadPlan as loadPlanSource, type PlanSource } from '../engine';
import { UsageError } from './args';
import { humanReport, type Io } from './io';


// ---------------------------------------------------------------------------------------
// The plan and its repository

/** A plan loaded through the front door, with a feature id and a repository; `shown` is the file as given. */
export type LoadedPlan = PlanSource & { featureId: string; repo: string; shown: string };

/**
 * Loads a plan through the front door. `requireValid`: a plan with errors is a usage error
 * (its problems printed as `validate` prints them, exit 2). Otherwise only a feature id and a
 * repository are needed (status and report of a plan being edited still work).
 */
export async function loadPlan(io: Io, file: string, requireValid: boolean): Promise<LoadedPlan | number> {
  let plan: PlanSource;
  try {
    plan = await loadPlanSource(file);
  } catch (err) {
    if (!(err instanceof PlanReadError)) throw err;
    io.err(`waves: cannot read ${file}: ${err.why}\n`);
    return 2;
  }
  const { analysis, featureId, repo } = plan;
  if (requireValid && !analysis.valid) {
    io.err(humanReport(toReport(file, analysis)));
    io.err(`waves: ${file} has errors; fix them before running it\n`);
    return 2;
  }
  if (!featureId) {
    io.err(`waves: ${file} has no feature.id: a run is named after it\n`);
    return 2;
  }
  if (!repo) {
    io.err(`waves: ${file} is not in a git repository: runs need one (git init, then commit the plan)\n`);
    return 2;
  }
  return { ...plan, featureId, repo, shown: file };
}

/** What the run's packages spent, summed (null: no agent reported any). */
export function runSpend(state: RunState): Spend | null {
  return Object.values(state.packages).reduce<Spend | null>((total, r) => addSpend(total, r.spend), null);
}

export function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

export function planArg(args: string[], command: string, extra = 0): string {
  if (args.length < 1 || args.length > 1 + extra)
    throw new UsageError(`${command} takes ${extra ? 'a plan file and optionally a package id' : 'exactly one plan file'}`);
  return args[0]!;
}


/** Whether `exe` names a file that exists: a path as given, a bare name on PATH. */
function executableFound(exe: string): boolean {
  const isFile = (f: string) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  };
  if (exe.includes('/') || exe.includes('\\')) return isFile(exe);
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';')] : [''];
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && exts.some((e) => isFile(path.join(dir, exe + e))));
}

/** The agent of `--agent` / `--agent-argv` (default: the claude-code preset). */
export function agentFrom(flags: Map<string, string | true>, check: boolean): AgentProfile {
  if (flags.has('agent') && flags.has('agent-argv')) throw new UsageError('give --agent or --agent-argv, not both');
  let profile: AgentProfile;
  if (flags.has('agent-argv')) {
    let argv: unknown;
    try {
      argv = JSON.parse(String(flags.get('agent-argv')));
    } catch (err) {
      throw new UsageError(`--agent-argv must be a JSON array of strings: ${(err as Error).message}`);
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string'))
      throw new UsageError(
        '--agent-argv must be a JSON array of strings, the program first, e.g. \'["my-agent", "--prompt", "${promptFile}"]\'',
      );
    try {
      // A usage limit or a permission prompt in its output marks the package as waiting for a person.
      profile = customProfile(argv as string[], { needsInputPattern: `${USAGE_LIMIT_PATTERN}|${PERMISSION_PROMPT_PATTERN}` });
    } catch (err) {
      if (err instanceof AgentProfileError) throw new UsageError(`--agent-argv: ${err.message}`);
      throw err;
    }
  } else {
    const id = String(flags.get('agent') ?? 'claude-code');
    const preset = presetProfile(id);
    if (!preset || id === 'custom')
      throw new UsageError(
        `unknown agent preset "${id}" (presets: ${PRESET_IDS.filter((p) => p !== 'custom').join(', ')}; or --agent-argv)`,
      );
    if (preset.interactive)
      throw new UsageError(
        `"${id}" is an interactive agent: it needs a terminal of its own, which the editor gives it; from the command line use "${id.replace(/-interactive$/, '')}"`,
      );
    profile = preset;
  }
  if (check) {
    const missing = agentNotFound(profile);
    if (missing) throw new UsageError(`${missing}: install it, or choose another with --agent / --agent-argv`);
  }
  return profile;
}

/** Why `profile`'s program cannot be started here (not found as given, or not on PATH), or null. */
export function agentNotFound(profile: AgentProfile): string | null {
  return executableFound(profile.argv[0]!) ? null : `the agent program "${profile.argv[0]}" was not found${profile.id === 'custom' ? '' : ' on PATH'}`;
}

/** `--coordinator URL` (else `WAVES_COORDINATOR`) and `--coordinator-repository KEY`; checked, never echoed with its password. */
export function coordinatorFrom(flags: Map<string, string | true>): CoordinatorOptions | undefined {
  const raw = flags.has('coordinator') ? String(flags.get('coordinator')) : process.env.WAVES_COORDINATOR;
  if (raw === undefined || raw === '') {
    if (flags.has('coordinator-repository')) throw new UsageError('--coordinator-repository needs --coordinator');
    return undefined;
  }
  const checked = checkCoordinatorUrl(raw);
  if (!checked.ok) throw new UsageError(checked.problem);
  const repository = flags.has('coordinator-repository') ? String(flags.get('coordinator-repository')).trim() : undefined;
  if (repository === '') throw new UsageError('--coordinator-repository needs a key');
  return { url: checked.url, ...(repository ? { repository } : {}) };
}

/** A line saying the list holds control or bidi characters (shown escaped), or ''. */
export function unsafeNote(texts: readonly string[]): string {
  return texts.some(hasUnsafeCharacters)
    ? 'warning: the list holds control or bidi characters (CR, escape sequences, direction overrides), shown above as \\r, \\x.., \\u....\n'
    : '';
}


/**
 * `--unconfined` (agents without walls: the person's explicit choice) and `--allow-host H:P,…`
 * (more targets the agents may reach, e.g. a package registry), `--memory-mb N` (one agent's
 * memory limit) → the run's confinement (#32).
 */
export function confinementFrom(flags: Map<string, string | true>): Confinement | undefined {
  const allowHosts = flags.has('allow-host')
    ? String(flags.get('allow-host'))
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean)
    : [];
  if (flags.has('allow-host') && allowHosts.length === 0) throw new UsageError('--allow-host needs HOST:PORT (several separated by commas)');
  if (flags.has('unconfined') && allowHosts.length) throw new UsageError('--allow-host opens the walls a little; --unconfined has none: give one of them');
  const memory = flags.has('memory-mb') ? String(flags.get('memory-mb')) : null;
  if (memory !== null && !/^\d{1,7}$/.test(memory)) throw new UsageError(`--memory-mb takes a whole number of MiB (0: no limit), not "${memory}"`);
  if (flags.has('unconfined') && memory !== null) throw new UsageError('--memory-mb is a limit of the walls; --unconfined has none: give one of them');
  if (flags.has('unconfined')) return { unconfined: true };
  const options = { ...(allowHosts.length ? { allowHosts } : {}), ...(memory !== null ? { memoryMB: Number(memory) } : {}) };
  return Object.keys(options).length ? { options } : undefined;
}
