// In the editor: with `waves.hosts` (the person's own setting) naming a
// real sshd on 127.0.0.1 (test/hosts/sshd.ts), Run Plan places the package on that host, its
// work comes back and is merged, and a terminal attached to the attempt there opens;
// Waves: Check Hosts reports what the host has.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { RunSession } from '../../../src/run/run/runController';
import type { HostCheck } from '../../../src/engine';
import { SshClient, startHost, type TestHost } from '../../hosts/sshd';
import { extension, Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

describe('hosts', function () {
  this.timeout(180_000);
  let api: WavesApi;
  let client: SshClient | undefined;
  let host: TestHost | undefined;
  let scratch: Scratch;
  let previousActive: vscode.Uri | undefined;

  before(async () => {
    api = await wavesApi();
    previousActive = api.registry.active?.uri;
    client = new SshClient(extension().extensionPath);
    host = await startHost(client, 'vh1', 2);
    await useScriptedAgent(true);
    await vscode.workspace.getConfiguration('waves').update('hosts', [{ name: 'vh1', ssh: 'vh1', sshConfig: client.config, folder: host.folder, maxParallel: 2 }], vscode.ConfigurationTarget.Global);
    // The agent's gate is in the host's folder, under /tmp: the walls there show it read-only, as the person's setting would.
    await vscode.workspace.getConfiguration('waves').update('sandbox.read', [host.folder], vscode.ConfigurationTarget.Global);
    scratch = new Scratch('hosts');
  });

  after(async () => {
    await vscode.workspace.getConfiguration('waves').update('hosts', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('waves').update('sandbox.read', undefined, vscode.ConfigurationTarget.Global);
    await useScriptedAgent(null);
    if (previousActive) await api.registry.setActive(previousActive);
    await scratch?.dispose();
    // The run's integration worktree lives beside the workspace, its state in .waves/: nothing is left behind.
    const root = workspaceRoot().fsPath;
    for (const line of execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: root, encoding: 'utf8' }).split('\n')) {
      const wt = line.startsWith('worktree ') ? line.slice(9) : '';
      if (wt && wt !== fs.realpathSync(root)) execFileSync('git', ['worktree', 'remove', '--force', '--force', wt], { cwd: root });
    }
    fs.rmSync(path.join(root, '.waves'), { recursive: true, force: true });
    host?.remove();
    client?.remove();
  });

  it('Run Plan places the package on the SSH host, merges its work here and attaches a terminal to it there (also from Open Terminal)', async () => {
    const feature = `hosts-run-${process.pid}`;
    const gate = path.join(host!.folder, `go-${process.pid}`);
    const text = [
      'schema_version: 1',
      'feature:',
      `  id: ${feature}`,
      '  title: On a host',
      'packages:',
      '  - package_id: wp-far',
      '    title: Far away',
      '    description: |',
      `      test-agent: wait-for ${gate}`,
      '      test-agent: write out-far/far.txt made on vh1',
      '      test-agent: commit',
      '    scope:',
      '      write_allow: ["out-far/**"]',
      '',
    ].join('\n');
    const uri = await scratch.write('work-packages.yaml', text);
    await waitForPlan(api, uri, 'the hosts plan in the registry', (e) => e.analysis.valid);
    await api.registry.setActive(uri);
    const opened: vscode.Terminal[] = [];
    const onOpen = vscode.window.onDidOpenTerminal((t) => opened.push(t));
    try {
      const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
      assert.ok(session, 'the run started');
      const name = 'waves: wp-far #1 on vh1';
      await waitFor(() => opened.some((t) => t.name === name), `a terminal attached to the attempt on vh1 (${opened.map((t) => t.name).join(', ')})`);
      // Waves: Open Terminal on it shows that terminal; closed, it attaches a new one while the attempt runs.
      assert.equal(await vscode.commands.executeCommand('waves.openTerminal', { uri, packageId: 'wp-far' }), true);
      assert.equal(opened.filter((t) => t.name === name).length, 1, 'the open terminal is shown, not another made');
      opened.find((t) => t.name === name)!.dispose();
      await waitFor(() => opened.every((t) => t.exitStatus !== undefined || t.name !== name), 'the attached terminal closed');
      assert.equal(await vscode.commands.executeCommand('waves.openTerminal', { uri, packageId: 'wp-far' }), true);
      await waitFor(() => opened.filter((t) => t.name === name).length === 2, 'a new terminal attached by Open Terminal');
      assert.equal(vscode.window.activeTerminal?.name, name);
      fs.writeFileSync(gate, 'go');
      const outcome = await session.outcome;
      assert.ok(outcome);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.state.packages['wp-far']));
      const rec = outcome.state.packages['wp-far']!;
      assert.equal(rec.host, 'vh1');
      assert.ok(rec.worktree!.startsWith(host!.folder + '/'), rec.worktree!);
      const merged = execFileSync('git', ['show', `${outcome.integrationBranch}:out-far/far.txt`], { cwd: session.engine.repoRoot, encoding: 'utf8' });
      assert.equal(merged, 'made on vh1');
      const terminal = opened.find((t) => t.name === name)!;
      const options = terminal.creationOptions as vscode.TerminalOptions;
      assert.equal(options.shellPath, 'ssh');
      assert.ok((options.shellArgs as string[]).includes('-t'));
      assert.match((options.shellArgs as string[]).at(-1)!, /^tmux -u attach -t waves-[0-9a-f]{16}$/);
      for (const t of opened) t.dispose();
    } finally {
      onOpen.dispose();
    }
  });

  it('Waves: Check Hosts reports the host reachable with git, node and tmux', async () => {
    const checks = (await vscode.commands.executeCommand('waves.checkHosts')) as HostCheck[] | undefined;
    assert.ok(checks, 'checked');
    const vh1 = checks.find((c) => c.host === 'vh1')!;
    for (const what of ['reachable', 'folder', 'git', 'node', 'tmux'] as const) assert.equal(vh1.items.find((i) => i.what === what)?.ok, true, `${what}: ${JSON.stringify(vh1.items)}`);
  });
});
