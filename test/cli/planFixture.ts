/** The plans the CLI tests run: packages with an id, dependencies and the scripted agent's instructions. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { gitEnv } from '../engine/helpers';

export interface ScriptedPackage {
  id: string;
  deps?: string[];
  /** The scripted agent's instructions. */
  agent: string[];
}

/**
 * `repo` made a git repository on `main` whose one commit holds the plan (`work-packages.yaml`,
 * no retries) and a README; returns the plan's path.
 */
export function commitPlan(repo: string, feature: string, packages: readonly ScriptedPackage[], env?: NodeJS.ProcessEnv): string {
  fs.mkdirSync(repo, { recursive: true });
  const lines = ['schema_version: 1', 'feature:', `  id: ${feature}`, `  title: Feature ${feature}`, 'defaults:', '  retry_budget: 0', 'packages:'];
  for (const p of packages) {
    lines.push(`  - package_id: ${p.id}`, `    title: Package ${p.id}`, `    depends_on: [${(p.deps ?? []).join(', ')}]`, '    description: |', ...p.agent.map((a) => `      test-agent: ${a}`));
    lines.push('    scope:', `      write_allow: ["${p.id}/**"]`);
  }
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(repo, 'README.md'), '# test\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', ...(env ? { env } : {}) });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return path.join(repo, 'work-packages.yaml');
}

/**
 * A folder for a test file's CLI runs (removed after it) and what they share: the scripted agent
 * as `--agent-argv`, a person's home under the folder (their git identity and Wave Orchestrator
 * folder; the walls show the folder read-only), and `waves` run from the built bin.
 */
export function cliTestbed(prefix: string) {
  const root = path.resolve(__dirname, '..', '..');
  const bin = path.join(root, 'bin', 'waves.js');
  const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  return {
    tmp,
    AGENT: JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}']),
    homeEnv(name: string): NodeJS.ProcessEnv {
      const home = path.join(tmp, name);
      fs.mkdirSync(home, { recursive: true });
      return { ...gitEnv(home), WAVES_SANDBOX_READ: tmp };
    },
    waves(args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string; err: string } {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp, env, timeout: 120_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    },
  };
}

/** A sub-plan's package: its id, its one write scope, the scripted agent's instructions and more lines of its YAML (e.g. `depends_on: [x]`). */
export interface SubPlanPackage {
  id: string;
  write: string;
  agent: string[];
  extra?: string[];
}

/**
 * `commitPlan`'s plan of `api` then `ui` made a plan of plans: api's work is `plans/api.yaml`,
 * and `subPlans` are the files under `plans/` (feature id, packages; a package's `extra` may name
 * a deeper one: `inputs: {waves: {plan: users.yaml}}`); `apiLines` are more lines of api's own
 * YAML (e.g. its verification). Committed; returns the plan's path.
 */
export function commitNestedPlan(
  repo: string,
  feature: string,
  subPlans: Readonly<Record<string, { feature: string; packages: readonly SubPlanPackage[] }>>,
  env: NodeJS.ProcessEnv,
  apiLines: readonly string[] = [],
): string {
  const plan = commitPlan(repo, feature, [{ id: 'api', agent: ['noop'] }, { id: 'ui', deps: ['api'], agent: ['write ui/page.txt page', 'commit'] }], env);
  fs.mkdirSync(path.join(repo, 'plans'));
  const api = ['      write_allow: ["api/**"]', '    inputs: {waves: {plan: plans/api.yaml}}', ...apiLines.map((l) => `    ${l}`)].join('\n');
  fs.writeFileSync(plan, fs.readFileSync(plan, 'utf8').replace('      write_allow: ["api/**"]', api));
  for (const [file, sub] of Object.entries(subPlans)) {
    const lines = ['schema_version: 1', `feature: {id: ${sub.feature}}`, 'packages:'];
    for (const p of sub.packages)
      lines.push(`  - package_id: ${p.id}`, '    retry_budget: 0', '    description: |', ...p.agent.map((a) => `      test-agent: ${a}`), `    scope: {write_allow: ["${p.write}"]}`, ...(p.extra ?? []).map((l) => `    ${l}`));
    fs.writeFileSync(path.join(repo, 'plans', file), lines.join('\n') + '\n');
  }
  execFileSync('git', ['add', '-A'], { cwd: repo, env });
  execFileSync('git', ['commit', '-qm', 'sub-plans'], { cwd: repo, env });
  return plan;
}
