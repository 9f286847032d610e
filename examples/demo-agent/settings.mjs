// The demo workspace's agent setting: the stand-in demo agent (agent.mjs beside this file),
// so `Waves: Run Plan` runs the demo plan offline without a real coding agent.
// Used by scripts/start.mjs (`npm start`) and scripts/screenshot-run.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent.mjs');

/** The `waves.agent` argv (also usable as `waves run --agent-argv`): this Node, agent.mjs, placeholders. */
export function demoAgentArgv({ node = process.execPath, extra = [] } = {}) {
  return [node, AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}', '--worktree', '${worktree}', ...extra];
}

/** Writes `<dir>/.vscode/settings.json` with `waves.agent` set to the demo agent, unless the
 * file exists (it is kept). Returns whether it wrote it. */
export function writeDemoSettings(dir, options = {}) {
  const file = path.join(dir, '.vscode', 'settings.json');
  if (fs.existsSync(file)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ 'waves.agent': demoAgentArgv(options) }, null, 2)}\n`);
  return true;
}

/** A git copy of the demo workspace (examples/demo) at `dir`, its agent the demo agent
 * (`options` as for writeDemoSettings), committed. For the screenshot scripts. */
export function makeDemoCopy(dir, options = {}) {
  fs.cpSync(path.join(path.dirname(AGENT), '..', 'demo'), dir, { recursive: true });
  writeDemoSettings(dir, options);
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: dir, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${dir}`);
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=demo', '-c', 'user.email=demo@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'Acme Notes: starting point');
}
