/**
 * The agents the run's options name, made into profiles the same way for both front ends: the
 * agent, the per-package agents, the fallback. The table (core/run/runOptions.ts) reads them as
 * they are written, a preset id or a program and its arguments; the presets are this room's, so
 * they are checked here. A preset id that is none, or an argv no profile can be made of, is a
 * problem naming where it was written, and is left out. The command line runs headless agents
 * only and takes the default agent where none was given; the editor asks.
 */
import { runOption, type AgentSpec, type RunOption, type RunOptionId, type RunOptionValues, type SettingProblem } from '../run/runOptions';
import { USAGE_LIMIT_PATTERN } from './agentLogs';
import { AgentProfileError, customProfile, DEFAULT_AGENT, PERMISSION_PROMPT_PATTERN, presetProfile, PRESET_IDS, type AgentProfile } from './agentProfiles';

/** A headless agent given as a program: a usage limit or a permission prompt in its output marks its package as waiting for the person. */
const NEEDS_INPUT = `${USAGE_LIMIT_PATTERN}|${PERMISSION_PROMPT_PATTERN}`;

export interface RunAgents {
  /** The agent; undefined: none given (the editor asks), or it cannot be used (a problem says why). */
  agent: AgentProfile | undefined;
  /** Per-package agents, by package id. */
  overrides: Map<string, AgentProfile>;
  /** The agents a package goes on with after its agent's usage limit, in order. */
  fallback: AgentProfile[];
  /** What cannot be used, in the table's order, each named where it was written. */
  problems: SettingProblem[];
}

export interface AgentsRead {
  /** How a message names where an agent was written: `--agent-argv`, `waves.agentOverrides["wp-a"]` (`key`: the entry of a list or a map). */
  name: (option: RunOption, key?: string | number) => string;
  /** The command line: headless agents only, and the default agent where none was given. */
  commandLine: boolean;
}

/** The profile of one agent as written, or why it cannot be used. `interactive`: one given as a program needs a terminal of its own. */
function profileOf(spec: AgentSpec, name: string, interactive: boolean, commandLine: boolean): AgentProfile | string {
  if (typeof spec === 'string') {
    const preset = presetProfile(spec);
    if (!preset) return `${name}: unknown agent preset "${spec}" (presets: ${PRESET_IDS.join(', ')})`;
    if (commandLine && preset.interactive)
      return `${name}: "${spec}" is an interactive agent: it needs a terminal of its own, which the editor gives it; from the command line use "${spec.replace(/-interactive$/, '')}"`;
    return preset;
  }
  try {
    return customProfile(spec, interactive ? { interactive: true } : { needsInputPattern: NEEDS_INPUT });
  } catch (err) {
    if (err instanceof AgentProfileError) return `${name}: ${err.message}`;
    throw err;
  }
}

/** The agents of `values` as profiles (`waves.agentInteractive`: the agent and the per-package ones given as programs are TUIs; the fallback never is). */
export function runAgentsOf(values: RunOptionValues, read: AgentsRead): RunAgents {
  const problems: SettingProblem[] = [];
  const one = (id: RunOptionId, spec: AgentSpec, key: string | number | undefined, interactive: boolean): AgentProfile[] => {
    const option = runOption(id);
    const made = profileOf(spec, read.name(option, key), interactive, read.commandLine);
    if (typeof made !== 'string') return [made];
    problems.push({ setting: option.setting, message: made });
    return [];
  };
  const interactive = values.agentInteractive === true;
  const agent = values.agent !== undefined ? one('agent', values.agent, undefined, interactive)[0] : read.commandLine ? presetProfile(DEFAULT_AGENT) : undefined;
  const overrides = new Map(Object.entries(values.agentOverrides ?? {}).flatMap(([id, spec]) => one('agentOverrides', spec, id, interactive).map((p) => [id, p] as const)));
  const fallback = (values.agentFallback ?? []).flatMap((spec, i) => one('agentFallback', spec, i, false));
  return { agent, overrides, fallback, problems };
}
