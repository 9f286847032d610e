/**
 * The run settings (`waves.agent*`, `waves.maxParallel`, `waves.candidates`, `waves.schedule`,
 * `waves.onUsageLimit`, `waves.budget.*`, `waves.review.gate`, `waves.integration.guard`,
 * `waves.worktrees.*`, `waves.sandbox.*`) read for one plan, and the agents they name. Every one
 * is read through the table the command line reads too (core/run/runOptions.ts; the agents made
 * into profiles by core/agents/runAgents.ts): the same option, the same meaning.
 */
import * as vscode from 'vscode';
import { DEFAULT_AGENT, type AgentProfile } from '../../core/agents/agentProfiles';
import { runAgentsOf } from '../../core/agents/runAgents';
import { entryName, runChoicesOf, runOption, runOptionsFromSettings, RUN_OPTIONS, wallsValuesOf, type RunOption, type SettingProblem } from '../../core/run/runOptions';
import type { Confinement } from '../../engine';
import { settingsTurnContainerOn } from '../../core/walls/containerCheck';
import { readRegularFileSync } from '../../util/regularFile';
import { ownSetting } from '../../util/ownSetting';

export interface RunSettings {
  /** undefined: no agent chosen yet (the picker asks). */
  agent: AgentProfile | undefined;
  /** Why the configured agent cannot be used, for a person. */
  agentProblem: string | null;
  maxParallel: number;
  /** `waves.candidates`: best of n, the run-wide count of candidates per package (ADR 0031); 1: none. The start refuses one above 8 or the cap. */
  candidates: number;
  mode: 'eager' | 'barrier';
  setupHook: string[] | undefined;
  /** The copy list (`waves.worktrees.copy`): paths of the checkout copied into each new worktree; undefined: none. */
  copyFiles: string[] | undefined;
  /** New package worktrees layered over a shared checkout (`waves.worktrees.layered`). */
  layered: boolean;
  /** The first run setting (every one but the walls', the agents' first) that cannot be used as it is, and why, for a person; null: none. */
  settingProblem: SettingProblem | null;
  /** Per-package agents (`waves.agentOverrides`), by package id. */
  overrides: Map<string, AgentProfile>;
  /** The worktree folder (`waves.worktrees.folder`); undefined: beside the repository. */
  worktreesFolder: string | undefined;
  /** `waves.onUsageLimit`, as `--on-usage-limit`: `wait` goes on at the agent's reset time by itself; `stop` (default; the former `ask` too) stops and offers Resume. */
  onUsageLimit: 'wait' | 'stop';
  /** `waves.budget.usd` / `waves.budget.tokens`: the run's ceiling; undefined: none. */
  budget: { usd?: number; tokens?: number } | undefined;
  /** `waves.agentFallback`: the agents a package goes on with after its agent's usage limit, in order. */
  fallback: AgentProfile[];
  /** `waves.agentCaps`: at most this many attempts at once per agent (preset id, `custom`). */
  agentCaps: Record<string, number>;
  /**
   * `waves.review.gate`: `before-merge` holds each package that passed for the person's
   * review; undefined when the person set it nowhere — a run taken up again then keeps its own gate.
   */
  reviewGate: 'off' | 'before-merge' | undefined;
  /** `waves.integration.guard`: check the integration branch as packages land; undefined where the person set it nowhere (a run taken up keeps its own). */
  integrationGuard: boolean | undefined;
}

/** The kinds whose problems are the agent's: the agent that runs a package cannot be had as set. */
const AGENT_KINDS: ReadonlySet<string> = new Set(['agent', 'agent-list', 'agent-map']);

/** The settings for a plan (its folder's, then the workspace's, then the user's). */
export function readRunSettings(scope: vscode.Uri | undefined): RunSettings {
  const config = vscode.workspace.getConfiguration('waves', scope);
  // Every option but the walls': the workspace's values too (the walls' are the person's only:
  // readSandboxSetting). Those a run taken up again keeps (the review gate, the integration guard)
  // only where the person set them, never their default.
  const options = runOptionsFromSettings(
    (o) => (o.keptOnResume && !isSet(config.inspect<unknown>(settingKey(o))) ? undefined : config.get<unknown>(settingKey(o))),
    (o) => !o.walls,
  );
  const agents = runAgentsOf(options.values, { name: entryName, commandLine: false });
  const { maxParallel, mode, candidates, onUsageLimit, budget, review: reviewGate, integrationGuard } = runChoicesOf(options.values);
  // The problems in the table's order (the agents' first), each with the setting to open.
  const order = (p: SettingProblem) => RUN_OPTIONS.findIndex((o) => o.setting === p.setting);
  const problems = [...options.problems, ...agents.problems].sort((a, b) => order(a) - order(b));
  return {
    agent: agents.agent,
    agentProblem: problems.find((p) => AGENT_KINDS.has(RUN_OPTIONS[order(p)]!.kind))?.message ?? null,
    maxParallel,
    candidates,
    mode,
    setupHook: options.values.setupCommand,
    copyFiles: options.values.copy,
    layered: options.values.layered === true,
    settingProblem: problems[0] ?? null,
    overrides: agents.overrides,
    worktreesFolder: options.values.worktreesFolder,
    onUsageLimit,
    budget,
    fallback: agents.fallback,
    agentCaps: options.values.agentCaps ?? {},
    reviewGate,
    integrationGuard,
  };
}

/** The agent a host without its own is checked with: `waves.agent` when it names a preset, else the default agent. */
export function agentIdForHosts(): string {
  const config = vscode.workspace.getConfiguration('waves');
  const { agent } = runOptionsFromSettings(
    (o) => config.get<unknown>(settingKey(o)),
    (o) => o.id === 'agent',
  ).values;
  return typeof agent === 'string' ? agent : DEFAULT_AGENT;
}

/** A table option's key under `waves.`. */
function settingKey(option: RunOption): string {
  return option.setting.replace(/^waves\./, '');
}

/**
 * The agents' walls as the person set them (ADR 0019): `waves.sandbox.*` through the table of
 * options (core/run/runOptions.ts), `waves.sandbox.unconfined` among them, their own (user or
 * remote machine) values only — a workspace cannot turn the walls off or open them (no writable
 * folder, no host, no registry of its own).
 * A value that cannot be used is left out (the walls stay as narrow as without it).
 */
export function readSandboxSetting(): Confinement | undefined {
  // `waves.sandbox.unconfined` among them: the walls off by the person's own choice only.
  const { values } = runOptionsFromSettings(
    (o) => ownSetting<unknown>(settingKey(o)),
    (o) => o.walls,
  );
  if (values.unconfined === true) return { unconfined: true };
  const walls = wallsValuesOf(values);
  // The container as the agents' wall (`waves.sandbox.container`): the engine counts it only inside a container.
  if (!values.container && !Object.keys(walls).length) return undefined;
  return { ...(values.container ? { container: true } : {}), ...(Object.keys(walls).length ? { options: walls } : {}) };
}

/**
 * Where a workspace turns the container-as-wall choice on (`waves.sandbox.container`), or null:
 * only the person's own setting may. VS Code leaves a machine setting of a workspace out of what
 * it reads, so the workspace's settings files are read too (the `.code-workspace` file, each
 * folder's `.vscode/settings.json`); a file that cannot be read turns nothing on.
 */
export function workspaceTurnsContainerOn(scope: vscode.Uri | undefined): vscode.Uri | string | null {
  const inspected = vscode.workspace.getConfiguration('waves', scope).inspect<unknown>(settingKey(runOption('container')));
  if (inspected?.workspaceValue === true || inspected?.workspaceFolderValue === true) return "this workspace's settings";
  const files: { uri: vscode.Uri; workspaceFile: boolean }[] = [];
  const workspaceFile = vscode.workspace.workspaceFile;
  if (workspaceFile?.scheme === 'file') files.push({ uri: workspaceFile, workspaceFile: true });
  for (const folder of vscode.workspace.workspaceFolders ?? []) if (folder.uri.scheme === 'file') files.push({ uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'), workspaceFile: false });
  for (const file of files) {
    let text: string;
    try {
      text = readRegularFileSync(file.uri.fsPath).toString('utf8');
    } catch {
      // no such settings file, or not a regular one: it turns nothing on
      continue;
    }
    if (settingsTurnContainerOn(text, file.workspaceFile)) return file.uri;
  }
  return null;
}

/** Whether the person set a setting anywhere (user, workspace or folder), not only its default. */
function isSet(inspected: { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown } | undefined): boolean {
  return [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue].some((v) => v !== undefined);
}
