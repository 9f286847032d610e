/**
 * The run settings (`waves.agent`, `waves.maxParallel`, `waves.schedule`,
 * `waves.worktrees.setupCommand`) read for one plan, and the agent they name.
 */
import * as vscode from 'vscode';
import { AgentProfileError, customProfile, presetProfile, PRESET_IDS, type AgentProfile } from '../core/agents';

export interface RunSettings {
  /** undefined: no agent chosen yet (the picker asks). */
  agent: AgentProfile | undefined;
  /** Why the configured agent cannot be used, for a person. */
  agentProblem: string | null;
  maxParallel: number;
  mode: 'eager' | 'barrier';
  setupHook: string[] | undefined;
}

/** The settings for a plan (its folder's, then the workspace's, then the user's). */
export function readRunSettings(scope: vscode.Uri | undefined): RunSettings {
  const config = vscode.workspace.getConfiguration('waves', scope);
  const raw = config.get<unknown>('agent');
  let agent: AgentProfile | undefined;
  let agentProblem: string | null = null;
  if (typeof raw === 'string' && raw.trim() !== '') {
    agent = presetProfile(raw.trim());
    if (!agent) agentProblem = `waves.agent is "${raw}", which is not a preset (${PRESET_IDS.join(', ')}); give a preset id or an argv array`;
  } else if (Array.isArray(raw) && raw.length > 0) {
    try {
      if (!raw.every((a) => typeof a === 'string')) throw new AgentProfileError('every element of the argv must be a string');
      agent = customProfile(raw as string[], { interactive: config.get<boolean>('agentInteractive') === true });
    } catch (err) {
      agentProblem = `waves.agent: ${(err as Error).message}`;
    }
  }
  const maxParallel = Math.max(1, Math.floor(config.get<number>('maxParallel') ?? 10));
  const mode = config.get<string>('schedule') === 'barrier' ? 'barrier' : 'eager';
  const setup = config.get<unknown>('worktrees.setupCommand');
  const setupHook = Array.isArray(setup) && setup.length > 0 && setup.every((a) => typeof a === 'string') ? (setup as string[]) : undefined;
  return { agent, agentProblem, maxParallel, mode, setupHook };
}
