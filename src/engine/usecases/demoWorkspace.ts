/**
 * The demo workspace (the Getting Started walkthrough): the demo plan copied into a new
 * folder with the stand-in demo agent, made a git repository with one commit, its `waves.agent`
 * set to that agent, so a run needs no coding agent and no network. The editor's
 * `Waves: Try the Demo Plan (Offline)…` calls it; the demo and its agent ship in the extension.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commitAll, git } from '../git';

export interface DemoWorkspaceRequest {
  /** The demo's files (`examples/demo`). */
  demo: string;
  /** The demo agent (`examples/demo-agent/agent.mjs`): copied to `.vscode/demo-agent.mjs`. */
  agent: string;
  /** The folder to make: it must not exist, or be empty. */
  target: string;
  /** The program that runs the agent: a Node.js. */
  node: string;
}

export class DemoTargetNotEmptyError extends Error {
  constructor(readonly target: string) {
    super(`${target} is not empty: the demo goes into a new or empty folder`);
    this.name = 'DemoTargetNotEmptyError';
  }
}

/** The `waves.agent` argv of the demo agent at `agentFile`, run by `node` (as examples/demo-agent/settings.mjs writes it). */
export function demoAgentArgv(node: string, agentFile: string): string[] {
  return [node, agentFile, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}', '--worktree', '${worktree}'];
}

/** Makes the demo workspace at `target`; returns the plan's path. Refuses a folder with files in it. */
export async function makeDemoWorkspace(request: DemoWorkspaceRequest): Promise<string> {
  const { target } = request;
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) throw new DemoTargetNotEmptyError(target);
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(request.demo, target, { recursive: true });
  const agentFile = path.join(target, '.vscode', 'demo-agent.mjs');
  fs.mkdirSync(path.dirname(agentFile), { recursive: true });
  fs.copyFileSync(request.agent, agentFile);
  fs.writeFileSync(path.join(target, '.vscode', 'settings.json'), `${JSON.stringify({ 'waves.agent': demoAgentArgv(request.node, agentFile) }, null, 2)}\n`);
  await git(target, ['init', '-q', '-b', 'main']);
  await commitAll(target, 'Acme Notes: the demo plan, its starting point');
  return path.join(target, 'work-packages.yaml');
}
