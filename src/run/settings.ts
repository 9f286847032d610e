/**
 * The run settings (`waves.agent`, `waves.agentOverrides`, `waves.maxParallel`,
 * `waves.schedule`, `waves.worktrees.setupCommand`, `waves.worktrees.folder`) read for one
 * plan, and the agents they name.
 */
import * as vscode from 'vscode';
import { AgentProfileError, customProfile, presetProfile, PRESET_IDS, type AgentProfile } from '../core/run/agentProfiles';
import type { Confinement, ConfinementOptions } from '../engine';

export interface RunSettings {
  /** undefined: no agent chosen yet (the picker asks). */
  agent: AgentProfile | undefined;
  /** Why the configured agent cannot be used, for a person. */
  agentProblem: string | null;
  maxParallel: number;
  mode: 'eager' | 'barrier';
  setupHook: string[] | undefined;
  /** Per-package agents (`waves.agentOverrides`), by package id. */
  overrides: Map<string, AgentProfile>;
  /** The worktree folder (`waves.worktrees.folder`); undefined: beside the repository. */
  worktreesFolder: string | undefined;
  /** `waves.onUsageLimit`: `wait` goes on at the agent's reset time by itself; `ask` (default) stops and offers Resume. */
  onUsageLimit: 'wait' | 'ask';
  /** `waves.budget.usd` / `waves.budget.tokens`: the run's ceiling (#16); undefined: none. */
  budget: { usd?: number; tokens?: number } | undefined;
  /** `waves.agentFallback`: the agents a package goes on with after its agent's usage limit, in order (#16). */
  fallback: AgentProfile[];
  /** `waves.agentCaps`: at most this many attempts at once per agent (preset id, `custom`). */
  agentCaps: Record<string, number>;
  /**
   * `waves.review.gate` (#33): `before-merge` holds each package that passed for the person's
   * review; undefined when the person set it nowhere — a run taken up again then keeps its own gate.
   */
  reviewGate: 'off' | 'before-merge' | undefined;
  /** `waves.integration.guard` (#34): check the integration branch as packages land; undefined where the person set it nowhere (a run taken up keeps its own). */
  integrationGuard: boolean | undefined;
}

/** One agent setting (a preset id or an argv array) → its profile, or why it cannot be used. */
export function agentFromSetting(name: string, raw: unknown, interactive: boolean): { agent: AgentProfile | undefined; problem: string | null } {
  if (typeof raw === 'string' && raw.trim() !== '') {
    const agent = presetProfile(raw.trim());
    return agent ? { agent, problem: null } : { agent: undefined, problem: `${name} is "${raw}", which is not a preset (${PRESET_IDS.join(', ')}); give a preset id or an argv array` };
  }
  if (Array.isArray(raw) && raw.length > 0) {
    try {
      if (!raw.every((a) => typeof a === 'string')) throw new AgentProfileError('every element of the argv must be a string');
      return { agent: customProfile(raw as string[], { interactive }), problem: null };
    } catch (err) {
      return { agent: undefined, problem: `${name}: ${(err as Error).message}` };
    }
  }
  return { agent: undefined, problem: null };
}

/** The settings for a plan (its folder's, then the workspace's, then the user's). */
export function readRunSettings(scope: vscode.Uri | undefined): RunSettings {
  const config = vscode.workspace.getConfiguration('waves', scope);
  const interactive = config.get<boolean>('agentInteractive') === true;
  const main = agentFromSetting('waves.agent', config.get<unknown>('agent'), interactive);
  const agent = main.agent;
  let agentProblem = main.problem;
  const overrides = new Map<string, AgentProfile>();
  const rawOverrides = config.get<unknown>('agentOverrides');
  if (rawOverrides && typeof rawOverrides === 'object' && !Array.isArray(rawOverrides)) {
    for (const [packageId, value] of Object.entries(rawOverrides as Record<string, unknown>)) {
      const one = agentFromSetting(`waves.agentOverrides["${packageId}"]`, value, interactive);
      if (one.agent) overrides.set(packageId, one.agent);
      else agentProblem ??= one.problem ?? `waves.agentOverrides["${packageId}"] is empty; give a preset id or an argv array`;
    }
  }
  const maxParallel = Math.max(1, Math.floor(config.get<number>('maxParallel') ?? 10));
  const mode = config.get<string>('schedule') === 'barrier' ? 'barrier' : 'eager';
  const setup = config.get<unknown>('worktrees.setupCommand');
  const setupHook = Array.isArray(setup) && setup.length > 0 && setup.every((a) => typeof a === 'string') ? (setup as string[]) : undefined;
  const folder = config.get<unknown>('worktrees.folder');
  const worktreesFolder = typeof folder === 'string' && folder.trim() !== '' ? folder.trim() : undefined;
  const onUsageLimit = config.get<string>('onUsageLimit') === 'wait' ? 'wait' : 'ask';
  const reviewGate = config.get<string>('review.gate') === 'before-merge' ? 'before-merge' : isSet(config.inspect<string>('review.gate')) ? 'off' : undefined;
  const integrationGuard = isSet(config.inspect<boolean>('integration.guard')) ? config.get<boolean>('integration.guard') === true : undefined;
  const positive = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const usd = positive(config.get<unknown>('budget.usd'));
  const tokens = positive(config.get<unknown>('budget.tokens'));
  const budget = usd !== undefined || tokens !== undefined ? { ...(usd !== undefined ? { usd } : {}), ...(tokens !== undefined ? { tokens: Math.floor(tokens) } : {}) } : undefined;
  const fallback: AgentProfile[] = [];
  const rawFallback = config.get<unknown>('agentFallback');
  if (Array.isArray(rawFallback)) {
    rawFallback.forEach((value, i) => {
      const one = agentFromSetting(`waves.agentFallback[${i}]`, value, false);
      if (one.agent) fallback.push(one.agent);
      else agentProblem ??= one.problem ?? `waves.agentFallback[${i}] is empty; give a preset id or an argv array`;
    });
  }
  const agentCaps: Record<string, number> = {};
  const rawCaps = config.get<unknown>('agentCaps');
  if (rawCaps && typeof rawCaps === 'object' && !Array.isArray(rawCaps)) {
    for (const [id, n] of Object.entries(rawCaps as Record<string, unknown>)) if (typeof n === 'number' && Number.isFinite(n) && n >= 1) agentCaps[id] = Math.floor(n);
  }
  return { agent, agentProblem, maxParallel, mode, setupHook, overrides, worktreesFolder, onUsageLimit, budget, fallback, agentCaps, reviewGate, integrationGuard };
}

/**
 * The agents' walls as the person set them (#32, ADR 0019): `waves.sandbox.*`, their own (user or
 * remote machine) values only — a workspace cannot turn the walls off or open them.
 */
export function readSandboxSetting(): Confinement | undefined {
  const config = vscode.workspace.getConfiguration('waves');
  const own = <T>(key: string): T | undefined => config.inspect<T>(key)?.globalValue;
  if (own<boolean>('sandbox.unconfined') === true) return { unconfined: true };
  const list = (key: string) => (own<unknown>(key) ?? []) as unknown[];
  const strings = (key: string) => list(key).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  const options: ConfinementOptions = {};
  if (strings('sandbox.allowHosts').length) options.allowHosts = strings('sandbox.allowHosts');
  if (strings('sandbox.write').length) options.write = strings('sandbox.write');
  if (strings('sandbox.hidden').length) options.hidden = strings('sandbox.hidden');
  if (strings('sandbox.read').length) options.read = strings('sandbox.read');
  const memory = own<unknown>('sandbox.memoryMB');
  if (typeof memory === 'number' && Number.isInteger(memory) && memory >= 0) options.memoryMB = memory;
  return Object.keys(options).length ? { options } : undefined;
}

/** Whether the person set a setting anywhere (user, workspace or folder), not only its default. */
function isSet(inspected: { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown } | undefined): boolean {
  return [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue].some((v) => v !== undefined);
}
