/**
 * Hosts in the editor (ADR 0011): `waves.hosts` — the person's own setting only (a
 * repository never chooses where code runs, nor which ssh keys or config are used) — read and
 * checked for the run; `Waves: Check Hosts` (per host, what a run needs there, with progress);
 * and for an attempt on an SSH host, a terminal attached to it (`ssh -t … tmux attach`).
 */
import * as vscode from 'vscode';
import { checkHostList, checkHosts, type HostCheck, type HostsInput } from '../../engine';
import { presetProfile } from '../../core/agents/agentProfiles';
import { Disposable } from '../../util/lifecycle';
import { ownSetting } from '../../util/ownSetting';

/** `waves.hosts` as the person set it (user settings; never a workspace's), problems and all; undefined: none set. A run's start checks it (`startRun`). */
export function readHostsSetting(): HostsInput | undefined {
  const value = ownSetting<unknown>('hosts');
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return undefined;
  const read = checkHostList(value);
  return { source: 'waves.hosts', hosts: read.problems.length ? [] : read.hosts, problems: read.problems.map((p) => p.message) };
}

export class HostsCommands extends Disposable {
  private readonly output: vscode.OutputChannel;

  constructor(private readonly defaultAgent: () => string) {
    super();
    this.output = this.register(vscode.window.createOutputChannel('Waves: Hosts'));
    this.register(vscode.commands.registerCommand('waves.checkHosts', () => this.check()));
  }

  /** Checks every host of `waves.hosts`, with progress; the details in the output channel. */
  async check(): Promise<HostCheck[] | undefined> {
    // No process starts in an untrusted workspace (ssh included).
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showWarningMessage('Waves: hosts are checked only in a trusted workspace (the check runs ssh).', 'Manage Workspace Trust');
      if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const setting = readHostsSetting();
    if (!setting) {
      const pick = await vscode.window.showInformationMessage('Waves: no hosts are set: runs use this machine only. Add SSH hosts in your user setting waves.hosts.', 'Open Settings');
      if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'waves.hosts');
      return undefined;
    }
    if (setting.problems.length) {
      void this.showProblems(setting.problems);
      return undefined;
    }
    const checks = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Waves: checking ${setting.hosts.length} host${setting.hosts.length === 1 ? '' : 's'}…` },
      () => checkHosts(setting.hosts, (h) => presetProfile(h.agent ?? this.defaultAgent())?.argv[0] ?? null),
    );
    this.output.clear();
    for (const c of checks) {
      this.output.appendLine(`${c.ok ? '✓' : '✗'} ${c.host} (${c.where})`);
      for (const i of c.items) this.output.appendLine(`    ${i.ok ? '✓' : '✗'} ${i.what.padEnd(9)} ${i.detail}`);
    }
    const bad = checks.filter((c) => !c.ok);
    const text = bad.length
      ? `Waves: ${bad.map((c) => `${c.host} lacks ${c.items.filter((i) => !i.ok).map((i) => i.what).join(', ')}`).join('; ')}.`
      : `Waves: all ${checks.length} host${checks.length === 1 ? '' : 's'} have what a run needs.`;
    const show = bad.length ? vscode.window.showWarningMessage(text, 'Show Details') : vscode.window.showInformationMessage(text, 'Show Details');
    void show.then((pick) => pick && this.output.show(true));
    return checks;
  }

  async showProblems(problems: string[]): Promise<void> {
    const pick = await vscode.window.showErrorMessage(`Waves: waves.hosts: ${problems.join('; ')}`, 'Open Settings');
    if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'waves.hosts');
  }
}
