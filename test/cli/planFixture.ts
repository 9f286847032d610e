/** The plans the CLI tests run: packages with an id, dependencies and the scripted agent's instructions. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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
