/**
 * Shared pieces of the engine's end-to-end tests and bench: a plan written from a short
 * description of its packages (the scripted test agent's instructions go into each
 * package's description), a repository holding it, and the scripted agent as a `custom`
 * agent profile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { customProfile, type AgentProfile } from '../../src/core/agents/agentProfiles';
import { RunEngine, type EngineEvent, type EngineOptions, type RunOutcome } from '../../src/engine/run/engine';
import { runStateFile } from '../../src/core/run/runPaths';
import type { RunState } from '../../src/core/run/runState';
import { git, gitEnv, makeRepo, REPO_ROOT, SCRIPTED_AGENT, spawnProcess, tempDir, waitFor } from './helpers';

export interface TestPackage {
  id: string;
  deps?: string[];
  /** write_allow globs (default: `<id>/**`). */
  write?: string[];
  deny?: string[];
  /** The scripted agent's instructions (one per line of the description). */
  agent?: string[];
  timeoutMinutes?: number;
  retryBudget?: number;
  mode?: 'isolated' | 'shared';
  lockFiles?: string[];
  /** `locks.keys`: logical lock keys. */
  lockKeys?: string[];
  /** Verification `command` steps (shell command lines, run in the package's tree). */
  commands?: string[];
  /** The plan's `task_type` (`integrate` marks the integration package the guard's checks come from). */
  taskType?: string;
  /** Best of n: its `inputs.waves` (`candidates`, `candidate_agents`, `pick`, `confirm`). */
  candidates?: { count?: number; agents?: string[]; pick?: string; confirm?: boolean };
  /** Plans of plans: its `inputs.waves.plan` (a file relative to this plan, or `{by: agent}` when no file) and `max_parallel`. */
  subPlan?: { file?: string; maxParallel?: number };
  /** Pull workers: its `inputs.waves.requires` (the labels its worker must have); not with `subPlan` or `candidates`. */
  requires?: string[];
}

const q = (s: string) => JSON.stringify(s);

export function planYaml(featureId: string, packages: readonly TestPackage[]): string {
  const out = ['schema_version: 1', 'feature:', `  id: ${q(featureId)}`, `  title: ${q(`Test feature ${featureId}`)}`, 'defaults:', '  retry_budget: 0', 'packages:'];
  for (const p of packages) {
    out.push(`  - package_id: ${q(p.id)}`, `    title: ${q(`Package ${p.id}`)}`);
    if (p.taskType) out.push(`    task_type: ${q(p.taskType)}`);
    out.push(`    depends_on: [${(p.deps ?? []).map(q).join(', ')}]`);
    if (p.agent?.length) {
      out.push('    description: |');
      for (const line of p.agent) out.push(`      test-agent: ${line}`);
    }
    out.push('    scope:', `      write_allow: [${(p.write ?? [`${p.id}/**`]).map(q).join(', ')}]`);
    if (p.deny?.length) out.push(`      deny: [${p.deny.map(q).join(', ')}]`);
    if (p.lockFiles?.length || p.lockKeys?.length) {
      out.push('    locks:');
      if (p.lockFiles?.length) out.push(`      files: [${p.lockFiles.map(q).join(', ')}]`);
      if (p.lockKeys?.length) out.push(`      keys: [${p.lockKeys.map(q).join(', ')}]`);
    }
    if (p.mode) out.push('    worktree:', `      mode: ${p.mode}`);
    if (p.commands?.length) {
      out.push('    verification:', '      steps:');
      p.commands.forEach((c, i) => out.push(`        - name: check-${i + 1}`, '          kind: command', `          command: ${q(c)}`));
    }
    if (p.timeoutMinutes !== undefined) out.push(`    timeout_minutes: ${p.timeoutMinutes}`);
    if (p.retryBudget !== undefined) out.push(`    retry_budget: ${p.retryBudget}`);
    if (p.subPlan) {
      out.push('    inputs:', '      waves:', `        plan: ${p.subPlan.file === undefined ? '{by: agent}' : q(p.subPlan.file)}`);
      if (p.subPlan.maxParallel !== undefined) out.push(`        max_parallel: ${p.subPlan.maxParallel}`);
    }
    if (p.requires) {
      if (p.subPlan || p.candidates) throw new Error(`${p.id}: requires with subPlan or candidates is not written by this fixture`);
      out.push('    inputs:', '      waves:', `        requires: [${p.requires.map(q).join(', ')}]`);
    }
    if (p.candidates) {
      out.push('    inputs:', '      waves:');
      if (p.candidates.count !== undefined) out.push(`        candidates: ${p.candidates.count}`);
      if (p.candidates.agents) out.push(`        candidate_agents: [${p.candidates.agents.map(q).join(', ')}]`);
      if (p.candidates.pick) out.push(`        pick: ${q(p.candidates.pick)}`);
      if (p.candidates.confirm !== undefined) out.push(`        confirm: ${p.candidates.confirm}`);
    }
  }
  return out.join('\n') + '\n';
}

/** A repository on `main` with the plan committed as `work-packages.yaml`; returns the repo and the plan's path. */
export function repoWithPlan(featureId: string, packages: readonly TestPackage[], files: Record<string, string> = {}): { repo: string; planFile: string } {
  const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': planYaml(featureId, packages), ...files });
  return { repo, planFile: path.join(repo, 'work-packages.yaml') };
}

/** The scripted agent as the user's custom agent; "waiting for approval" lines mean it needs input. */
export function scriptedAgent(): AgentProfile {
  return customProfile([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}'], {
    verdict: 'claude-stream-json',
    needsInputPattern: 'waiting for approval',
    label: 'scripted test agent',
  });
}

/** Gives this process (and so the engine's git and the agents) a fixed git identity and no user config. */
export function isolateGit(): void {
  const home = tempDir('waves-home-');
  const env = gitEnv(home);
  for (const key of ['GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL', 'HOME', 'WAVES_CONFIG_DIR', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'])
    process.env[key] = env[key];
}

/** `git ls-tree -r --name-only` of a revision, sorted. */
export function treeFiles(repo: string, rev: string): string[] {
  return git(repo, 'ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean).sort();
}

export function readAt(repo: string, rev: string, file: string): string {
  return git(repo, 'show', `${rev}:${file}`);
}

export function exists(file: string): boolean {
  return fs.existsSync(file);
}

/**
 * An engine on `planFile` with the scripted agent, short grace and poll times, and every event
 * recorded. `runnerScript` is the built runner (`buildRunner()` in the test's `before`).
 */
export async function engineFor(
  planFile: string,
  runnerScript: string,
  extra: Partial<EngineOptions> = {},
): Promise<{ engine: RunEngine; events: EngineEvent[] }> {
  const engine = await RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript, graceMs: 500, pollMs: 200, ...extra });
  const events: EngineEvent[] = [];
  engine.events((e) => events.push(e));
  return { engine, events };
}

/** A whole run of `planFile` (`run` options: `resume`), the engine disposed after; its outcome and events. */
export async function runToEnd(planFile: string, runnerScript: string, extra: Partial<EngineOptions> = {}, run: { resume?: boolean } = {}, meanwhile?: () => void): Promise<{ outcome: RunOutcome; events: EngineEvent[] }> {
  const { engine, events } = await engineFor(planFile, runnerScript, extra);
  try {
    const done = engine.run(run);
    meanwhile?.();
    return { outcome: await done, events };
  } finally {
    engine.dispose();
  }
}

/**
 * A run started on `planFile` whose engine goes away (as a window reload takes the extension
 * host) once the agents of `waiting` wait for input ("waiting for approval"); the agents stay.
 * Returns the run's id.
 */
export async function engineGoneWhileWaiting(planFile: string, runnerScript: string, waiting: readonly string[], extra: Partial<EngineOptions> = {}): Promise<string> {
  const { engine, events } = await engineFor(planFile, runnerScript, extra);
  void engine.run().catch(() => undefined);
  await waitFor(() => waiting.every((id) => events.some((e) => e.type === 'needs-input' && e.packageId === id)), `${waiting.join(' and ')} to wait for input`, 30_000);
  engine.dispose();
  return (JSON.parse(fs.readFileSync(runStateFile(engine.repoRoot, engine.featureId), 'utf8')) as RunState).runId;
}

/**
 * The tricks of an agent that plants git set-up in the shared `.git`: hooks, a hooks path
 * and an fsmonitor, each script appending its name to `<out>/ran.txt` when git runs it.
 */
export const PLANTED_SETUP = [
  'hook pre-commit #!/bin/sh\\necho pre-commit >> @OUT@/ran.txt',
  'hook post-commit #!/bin/sh\\necho post-commit >> @OUT@/ran.txt',
  'hook post-checkout #!/bin/sh\\necho post-checkout >> @OUT@/ran.txt',
  'write-exec @OUT@/planted-hooks/pre-commit #!/bin/sh\\necho hooks-path-pre-commit >> @OUT@/ran.txt',
  'write-exec @OUT@/fsmonitor #!/bin/sh\\necho fsmonitor >> @OUT@/ran.txt',
  'git config core.hooksPath @OUT@/planted-hooks',
  'git config core.fsmonitor @OUT@/fsmonitor',
];

/** What the person does next in their checkout: a commit, a status, a checkout. Returns what of the planted set-up ran. */
export function personsGitRuns(repo: string, out: string): string[] {
  fs.appendFileSync(path.join(repo, 'mine.txt'), 'mine\n');
  git(repo, 'add', 'mine.txt');
  git(repo, 'commit', '-q', '-m', 'my own commit');
  git(repo, 'status', '--porcelain');
  git(repo, 'checkout', '-q', '-B', 'my-topic');
  const ran = path.join(out, 'ran.txt');
  return fs.existsSync(ran) ? fs.readFileSync(ran, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * A run of `planFile` in an engine of its own process (test/engine/engine-driver.ts), killed with
 * SIGKILL once `packageId` waits for input (its scripted agent's `ask`), then resumed by an engine
 * here; the agents' `ask` goes on once the resumed run started. The resumed run's outcome and
 * events, and the killed run's id. A resumed run that does not start is cancelled, not left running.
 */
export async function killWaitingThenResume(planFile: string, runnerScript: string, packageId: string): Promise<{ outcome: RunOutcome; events: EngineEvent[]; killedRunId: string }> {
  const resume = path.join(tempDir(), 'resume');
  const env = { WAVES_TEST_AGENT_RESUME: resume };
  const driver = spawnProcess([process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'), JSON.stringify({ planFile, runnerScript, env })], { cwd: REPO_ROOT });
  const lines = () => driver.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as EngineEvent);
  await waitFor(() => lines().some((e) => e.type === 'needs-input' && e.packageId === packageId), `${packageId} to wait for input (driver: ${driver.stderr()})`, 30_000);
  driver.child.kill('SIGKILL');
  await driver.exited;
  const started = lines().find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started');
  const { engine, events } = await engineFor(planFile, runnerScript, { env });
  try {
    const done = engine.run({ resume: true });
    try {
      await waitFor(() => events.some((e) => e.type === 'run-started'), 'the resumed run to start');
    } catch (err) {
      await engine.cancel();
      await done.catch(() => undefined);
      throw err;
    }
    fs.writeFileSync(resume, '');
    return { outcome: await done, events, killedRunId: started?.runId ?? '' };
  } finally {
    engine.dispose();
  }
}
