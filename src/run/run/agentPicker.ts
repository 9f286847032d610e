/**
 * The first-run agent picker: which agent CLIs are installed (on the extension host's PATH),
 * then a custom command. The choice goes to the workspace's `waves.agent` setting.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { detectAgents } from '../../core/agents/agentDetect';
import { PRESETS, type AgentProfile } from '../../core/agents/agentProfiles';
import { readRunSettings } from './settings';

/** Whether `file` is an executable regular file (the PATH searches' `exists`). */
export function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    // not there or not executable: not offered
    return false;
  }
}

interface Pick extends vscode.QuickPickItem {
  value: string | 'custom';
}

/** Asks which agent runs the packages; saves it; returns its profile (undefined: cancelled). */
export async function pickAgent(scope: vscode.Uri | undefined): Promise<AgentProfile | undefined> {
  const found = detectAgents(process.env.PATH, executable);
  const installed = new Set(found.map((f) => f.id));
  const items: Pick[] = [];
  if (found.length) items.push({ label: 'Installed', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const f of found) items.push({ label: f.label, description: f.id, detail: f.path, value: f.id });
  const missing = PRESETS.filter((p) => !installed.has(p.id));
  if (missing.length) items.push({ label: 'Not found on the PATH', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const p of missing) items.push({ label: p.label, description: p.id, detail: `\`${p.executable}\` is not on the PATH`, value: p.id });
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator, value: '' });
  items.push({ label: '$(terminal) Custom command…', detail: 'a program and its arguments, e.g. ["my-agent", "--prompt", "${promptFile}"]', value: 'custom' });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Waves: which coding agent runs the packages?',
    placeHolder: found.length ? `${found.length} agent CLI${found.length === 1 ? '' : 's'} found on the PATH` : 'No known agent CLI on the PATH: pick one to configure, or a custom command',
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  let value: string | string[] = picked.value;
  if (picked.value === 'custom') {
    const text = await vscode.window.showInputBox({
      title: 'Waves: custom agent command (a JSON array; no shell)',
      prompt: 'Placeholders: ${promptFile} ${resultFile} ${worktree} ${packageId} ${feature} ${attemptDir}',
      value: '["my-agent", "--prompt-file", "${promptFile}"]',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          const a = JSON.parse(v) as unknown;
          return Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'string') ? null : 'a JSON array of strings, the program first';
        } catch {
          // not JSON: the input box says what it takes
          return 'a JSON array of strings, e.g. ["my-agent", "${promptFile}"]';
        }
      },
    });
    if (text === undefined) return undefined;
    value = JSON.parse(text) as string[];
  }
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('waves', scope).update('agent', value, target);
  const settings = readRunSettings(scope);
  if (settings.agentProblem) void vscode.window.showErrorMessage(`Waves: ${settings.agentProblem}`);
  return settings.agent;
}
