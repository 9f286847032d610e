/**
 * `waves run`, `status`, `cancel`, `report`, `finish`, `clean`, `approve` as a user runs them: the
 * built bin in real processes, on real temporary git repositories, with the scripted test
 * agent (test/fixtures/agents/scripted-agent.mjs, which reads only its package's Task) as the
 * user's `--agent-argv`.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createRunState } from '../../src/core/run/runStateInit';
import { applied, exitRecordText, startedEvents } from '../fixtures/shippedRun';
import { gitEnv, processesNaming, waitFor } from '../engine/helpers';
import { callerAgent, RENAMED_EXPORT_FILES, RENAMER_AGENT } from '../fixtures/renamedExport';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-run-cli-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);

/** No user or system git config, a fixed identity: the same on every machine. */
const env = gitEnv(home);

function waves(args: string[], cwd = tmp) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The person's approvals recorded on this (test) machine, of the plans in `tmp` whose file names `filter` matches. */
function personalApprovals(filter = (planFile: string) => planFile.startsWith(tmp)): { planFile: string; lists: { commands: string[] }[] }[] {
  const folder = path.join(env.WAVES_CONFIG_DIR!, 'approvals');
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(fs.readFileSync(path.join(folder, n), 'utf8')) as { planFile: string; lists: { commands: string[] }[] })
    .filter((a) => filter(a.planFile));
}

/** The built bin as a background process: its output so far, its exit, and a way to stop it. */
function startWaves(args: string[], runEnv: NodeJS.ProcessEnv = env) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmp, env: runEnv });
  const run = { child, out: '', err: '', exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (d) => (run.out += d));
  child.stderr.on('data', (d) => (run.err += d));
  return run;
}

/** A verification command a raw terminal would show as `npm test`, and how it must be shown. */
const HIDING = 'echo pwned\r\u001b[2Knpm test \u202e#';
const HIDING_SHOWN = 'echo pwned\\r\\x1b[2Knpm test \\u202e#';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();
}

interface Pkg {
  id: string;
  deps?: string[];
  /** The scripted agent's instructions. */
  agent?: string[];
  timeout?: number;
  priority?: number;
  verify?: string[];
  lockFiles?: string[];
  /** `task_type` (`integrate`: the plan's integration package). */
  taskType?: string;
  /** Write scope (default `<id>/**`). */
  write?: string[];
  /** Its work is a sub-plan its agent writes at run time (`plan: {by: agent}`). */
  byAgent?: boolean;
}

let repoCount = 0;
/** A repository on `main` with the plan committed as `work-packages.yaml`; returns the plan's path. */
function repoWithPlan(feature: string, packages: Pkg[], files: Record<string, string> = {}): string {
  const repo = path.join(tmp, `repo${++repoCount}`);
  fs.mkdirSync(repo);
  const lines = [
    'schema_version: 1',
    'feature:',
    `  id: ${feature}`,
    `  title: Feature ${feature}`,
    'defaults:',
    '  retry_budget: 0',
    'packages:',
  ];
  for (const p of packages) {
    lines.push(`  - package_id: ${p.id}`, `    title: Package ${p.id}`, `    depends_on: [${(p.deps ?? []).join(', ')}]`);
    if (p.agent?.length) lines.push('    description: |', ...p.agent.map((a) => `      test-agent: ${a}`));
    if (p.taskType) lines.push(`    task_type: ${p.taskType}`);
    lines.push('    scope:', `      write_allow: [${(p.write ?? [`${p.id}/**`]).map((w) => JSON.stringify(w)).join(', ')}]`);
    if (p.byAgent) lines.push('    inputs:', '      waves:', '        plan: {by: agent}');
    if (p.timeout) lines.push(`    timeout_minutes: ${p.timeout}`);
    if (p.priority) lines.push(`    priority: ${p.priority}`);
    if (p.lockFiles?.length) lines.push('    locks:', `      files: [${p.lockFiles.map((f) => JSON.stringify(f)).join(', ')}]`);
    if (p.verify?.length) {
      lines.push('    verification:', '      steps:');
      p.verify.forEach((c, k) =>
        lines.push(`        - name: check-${k + 1}`, '          kind: command', `          command: ${JSON.stringify(c)}`),
      );
    }
  }
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(repo, 'README.md'), '# test\n');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    fs.writeFileSync(path.join(repo, name), text);
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  return path.join(repo, 'work-packages.yaml');
}

/**
 * The schedule `--dry-run` must print, computed here from the plan alone: every package
 * takes one step; at each step the packages whose dependencies all finished start, at most
 * `cap`, longest remaining chain (weighted by timeout_minutes, default 60) first, then
 * priority (1 first, default 5), then id.
 */
function expectedOrder(packages: Pkg[], cap: number): string[][] {
  const byId = new Map(packages.map((p) => [p.id, p]));
  const chain = new Map<string, number>();
  const length = (id: string): number => {
    if (!chain.has(id)) {
      const dependents = packages.filter((p) => p.deps?.includes(id));
      chain.set(id, (byId.get(id)!.timeout ?? 60) + Math.max(0, ...dependents.map((d) => length(d.id))));
    }
    return chain.get(id)!;
  };
  const done = new Set<string>();
  const order: string[][] = [];
  while (done.size < packages.length) {
    const ready = packages
      .filter((p) => !done.has(p.id) && (p.deps ?? []).every((d) => done.has(d)))
      .sort((a, b) => length(b.id) - length(a.id) || (a.priority ?? 5) - (b.priority ?? 5) || (a.id < b.id ? -1 : 1));
    const step = ready.slice(0, cap).map((p) => p.id);
    assert.ok(step.length > 0, 'the test plan has a cycle');
    order.push(step);
    step.forEach((id) => done.add(id));
  }
  return order;
}

/** `waves run` of `plan`, its engine killed (SIGKILL) once the run state says `id` is `status`. */
async function killedWhen(plan: string, feature: string, id: string, status: string): Promise<void> {
  const run = startWaves(['run', '--json', '--agent-argv', AGENT, plan]);
  try {
    await waitFor(() => stateSays(plan, feature, id, status), `${id} to be ${status}`, 60_000);
  } finally {
    run.child.kill('SIGKILL');
  }
  await run.exited;
}

/** Whether the run state file of `feature` says `id` is `status` (the events may come before the save lands). */
function stateSays(plan: string, feature: string, id: string, status: string): boolean {
  try {
    return (
      JSON.parse(fs.readFileSync(path.join(path.dirname(plan), '.waves', 'runs', `${feature}.json`), 'utf8')).packages[id].status === status
    );
  } catch {
    return false;
  }
}

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

describe('waves run --dry-run', () => {
  const packages: Pkg[] = [
    { id: 'base', agent: ['write base/a.txt a'] },
    { id: 'left', deps: ['base'] },
    { id: 'right', deps: ['base'], timeout: 90 },
    { id: 'side', deps: ['base'], priority: 1 },
    { id: 'lone', priority: 2 },
    { id: 'top', deps: ['left', 'right'] },
    { id: 'after-side', deps: ['side'], timeout: 10 },
  ];

  it('prints the schedule the cap allows, as computed independently from the plan', () => {
    const plan = repoWithPlan('dry', packages);
    for (const cap of [1, 2, 3, 10]) {
      const r = waves(['run', '--dry-run', '--json', '--max-parallel', String(cap), plan]);
      assert.equal(r.code, 0, r.err);
      const doc = JSON.parse(r.out);
      assert.deepEqual(doc.order, expectedOrder(packages, cap), `cap ${cap}`);
      assert.equal(doc.maxParallel, cap);
      assert.deepEqual(doc.prompts.map((p: { packageId: string }) => p.packageId).sort(), packages.map((p) => p.id).sort());
    }
    const human = waves(['run', '--dry-run', '--max-parallel', '2', plan]);
    assert.equal(human.code, 0, human.err);
    expectedOrder(packages, 2).forEach((ids, k) => assert.match(human.out, new RegExp(`^  ${k + 1}\\. ${ids.join(', ')}$`, 'm')));
    // every package's prompt, with its task
    for (const p of packages) assert.match(human.out, new RegExp(`===== prompt of ${p.id} `));
    assert.match(human.out, /test-agent: write base\/a\.txt a/);
    // The forecast: no run of this plan yet, so from timeout_minutes.
    assert.match(human.out, /^Forecast: no history yet: up to \d+h \d\dm from timeout_minutes, at most 2 at once\.$/m);
    assert.equal(JSON.parse(waves(['run', '--dry-run', '--json', plan]).out).forecast.history, 'none');
  });

  it('starts nothing and writes nothing', () => {
    const plan = repoWithPlan('dry2', packages);
    const repo = path.dirname(plan);
    const r = waves(['run', '--dry-run', plan]);
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.existsSync(path.join(repo, '.waves')), false);
    assert.equal(fs.existsSync(`${repo}.worktrees`), false);
    assert.equal(git(repo, 'status', '--porcelain', '--ignored'), '');
    assert.equal(git(repo, 'branch', '--list'), '* main');
  });

  it('--only runs a subset; one whose dependency outside it never succeeded in a run is refused, as the run would be', () => {
    const plan = repoWithPlan('dry4', packages);
    const r = waves(['run', '--dry-run', '--json', '--only', 'base,left,top,right', plan]);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.order, [['base'], ['right', 'left'], ['top']]);
    assert.deepEqual(doc.prompts.map((p: { packageId: string }) => p.packageId).sort(), ['base', 'left', 'right', 'top']);
    // No run yet: base never succeeds in a run of left, top and right.
    const without = waves(['run', '--dry-run', '--json', '--only', 'left,top,right', plan]);
    assert.equal(without.code, 2, without.out + without.err);
    assert.match(without.err, /^waves: `left`, `right` would never start: they wait for packages this run does not run:\n {2}`left` depends on `base`, which has not succeeded in this run\n {2}`right` depends on `base`, which has not succeeded in this run\n {2}run `base` too, or the whole plan\n/);
  });

  it('--barrier waits for each wave', () => {
    const plan = repoWithPlan('dry3', packages);
    const doc = JSON.parse(waves(['run', '--dry-run', '--json', '--barrier', plan]).out);
    assert.deepEqual(
      doc.order.map((ids: string[]) => [...ids].sort()),
      [
        ['base', 'lone'],
        ['left', 'right', 'side'],
        ['after-side', 'top'],
      ],
    );
  });
});

describe('waves run', () => {
  it('runs a plan to success: exit 0, NDJSON events, then status, report and finish', () => {
    const plan = repoWithPlan('ok', [
      { id: 'api', agent: ['write api/x.txt x', 'commit'] },
      { id: 'web', deps: ['api'], agent: ['write web/y.txt y'] },
      { id: 'doc', deps: ['api'], agent: ['write doc/z.txt z'] },
    ]);
    const repo = path.dirname(plan);
    const r = waves(['run', '--json', '--agent-argv', AGENT, plan]);
    assert.equal(r.code, 0, r.out + r.err);
    const events = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(events[0].type, 'run-started');
    assert.deepEqual([...events[0].packages].sort(), ['api', 'doc', 'web']);
    const last = events.at(-1);
    assert.equal(last.type, 'run-finished');
    assert.equal(last.outcome, 'succeeded');
    for (const id of ['api', 'web', 'doc'])
      assert.ok(
        events.some((e) => e.type === 'package' && e.packageId === id && e.status === 'succeeded'),
        id,
      );
    // a dependent starts only after its dependency succeeded
    const at = (id: string, status: string) => events.findIndex((e) => e.type === 'package' && e.packageId === id && e.status === status);
    assert.ok(at('api', 'succeeded') < at('web', 'running'));

    const status = waves(['status', '--json', plan]);
    assert.equal(status.code, 0, status.err);
    const s = JSON.parse(status.out);
    assert.deepEqual(
      s.packages.map((p: { id: string; status: string; attempts: number; merge: string }) => [p.id, p.status, p.attempts, p.merge]),
      [
        ['api', 'succeeded', 1, 'merged'],
        ['web', 'succeeded', 1, 'merged'],
        ['doc', 'succeeded', 1, 'merged'],
      ],
    );
    assert.equal(s.owner, null);
    assert.deepEqual(s.locks, []);
    const human = waves(['status', plan]);
    assert.match(human.out, /^wave 2\/2 · 3\/3 done$/m);
    assert.match(human.out, /^driven by: nobody/m);

    const report = waves(['report', plan]);
    assert.equal(report.code, 0, report.err);
    assert.match(report.out, /^# Run report/m);
    const reportJson = JSON.parse(waves(['report', '--json', plan]).out);
    assert.equal(reportJson.featureId, 'ok');

    // The integration branch holds every package's file; finish offers it, --yes moves main.
    const branch = s.integration.branch;
    const files = git(repo, 'ls-tree', '-r', '--name-only', branch).split('\n').sort();
    assert.deepEqual(files, ['README.md', 'api/x.txt', 'doc/z.txt', 'web/y.txt', 'work-packages.yaml']);
    const offer = waves(['finish', plan]);
    assert.equal(offer.code, 0, offer.err);
    assert.match(offer.out, /holds 3 of 3 packages/);
    assert.match(offer.out, /waves finish --yes/);
    assert.equal(git(repo, 'rev-parse', 'main'), git(repo, 'rev-parse', 'HEAD'));
    assert.notEqual(git(repo, 'rev-parse', 'main'), git(repo, 'rev-parse', branch));
    // Before the finish, clean keeps the integration tree: main does not hold it yet.
    const early = waves(['clean', plan]);
    assert.equal(early.code, 0, early.err);
    assert.match(early.out, /^ {2}kept {2}\S+_integration: waves\/ok\/_integration is not merged into HEAD; kept$/m);
    const done = waves(['finish', '--yes', plan]);
    assert.equal(done.code, 0, done.err);
    assert.equal(git(repo, 'rev-parse', 'main'), git(repo, 'rev-parse', branch));
    assert.equal(git(repo, 'status', '--porcelain'), '');
    // After it, every tree of the run goes — with the guard's scratch tree an engine stopped during
    // a check leaves (locked "initializing", as git leaves a tree whose add was stopped) — and the
    // person's checkout alone is left.
    const scratch = path.join(path.dirname(s.integration.worktree), '_check');
    git(repo, 'worktree', 'add', '--quiet', '--detach', scratch, branch);
    fs.writeFileSync(path.join(git(scratch, 'rev-parse', '--absolute-git-dir'), 'locked'), 'initializing');
    const clean = waves(['clean', plan]);
    assert.equal(clean.code, 0, clean.err);
    assert.match(clean.out, /^removed 2 worktrees\n {2}removed {2}\S+_integration\n {2}removed {2}\S+_check$/m);
    assert.equal(git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length, 1);
    assert.equal(waves(['clean', plan]).out, 'removed 0 worktrees\n');
  });

  it('a failing package: exit 1, its dependents blocked, one line per event without a TTY', () => {
    const plan = repoWithPlan('bad', [
      { id: 'good', agent: ['write good/a.txt a'] },
      { id: 'broken', agent: ['print about to fail', 'exit 3'] },
      { id: 'needs-broken', deps: ['broken'], agent: ['write needs-broken/b.txt b'] },
    ]);
    const r = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /^\d\d:\d\d:\d\d broken running \(attempt 1\)$/m);
    assert.match(r.out, /^\d\d:\d\d:\d\d broken failed/m);
    assert.match(r.out, /^\d\d:\d\d:\d\d needs-broken blocked/m);
    assert.match(r.out, /some packages did not succeed/);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    const byId = Object.fromEntries(s.packages.map((p: { id: string }) => [p.id, p]));
    assert.equal(byId.good.status, 'succeeded');
    assert.equal(byId.broken.status, 'failed');
    assert.equal(byId.broken.exitCode, 3);
    assert.equal(byId['needs-broken'].status, 'blocked');
    assert.deepEqual(byId['needs-broken'].blockedBy, ['broken']);

    // main moved on meanwhile: finish shows the branch but refuses to fast-forward
    const repo = path.dirname(plan);
    fs.writeFileSync(path.join(repo, 'NOTES.md'), 'mine\n');
    git(repo, 'add', 'NOTES.md');
    git(repo, 'commit', '-q', '-m', 'my own work');
    const before = git(repo, 'rev-parse', 'main');
    const finish = waves(['finish', '--yes', plan]);
    assert.equal(finish.code, 1, finish.out + finish.err);
    assert.match(finish.out, /holds 1 of 3 packages/);
    assert.match(finish.out, /not merged {2}broken \(failed/);
    assert.match(finish.out, /no fast-forward: main has commits/);
    assert.equal(git(repo, 'rev-parse', 'main'), before);
  });

  it('waves cancel from another process stops the run; status works while it runs', async () => {
    const plan = repoWithPlan('stop', [
      // timeouts: the runner's watchdog ends a hanging agent even if the test fails before cancelling
      { id: 'slow', agent: ['write slow/a.txt a', 'hang'], lockFiles: ['shared/config.json'], timeout: 2 },
      { id: 'other', agent: ['hang'], timeout: 2 },
      { id: 'later', deps: ['slow'] },
    ]);
    const run = startWaves(['run', '--agent-argv', AGENT, '--timeout-grace', '2', plan]);
    const child = run.child;
    try {
      await waitFor(
        () => stateSays(plan, 'stop', 'slow', 'running') && stateSays(plan, 'stop', 'other', 'running'),
        'the run to start',
        60_000,
      );
      const s = JSON.parse(waves(['status', '--json', plan]).out);
      assert.equal(s.owner.alive, true);
      assert.equal(s.owner.pid, child.pid);
      const slow = s.packages.find((p: { id: string }) => p.id === 'slow');
      assert.equal(slow.status, 'running');
      assert.deepEqual(slow.locks, [{ key: 'shared/config.json', kind: 'file', expiresAt: slow.locks[0].expiresAt }]);
      assert.match(waves(['status', plan]).out, /^ {2}slow: file shared\/config\.json/m);

      const second = waves(['run', '--agent-argv', AGENT, plan]);
      assert.equal(second.code, 2);
      assert.match(second.err, /driven by another engine/);

      // one package: it stops, the rest goes on
      assert.equal(waves(['cancel', plan, 'ghost']).code, 2);
      const one = waves(['cancel', plan, 'other']);
      assert.equal(one.code, 0, one.err);
      assert.match(one.out, /to cancel other;/);
      await waitFor(() => stateSays(plan, 'stop', 'other', 'cancelled'), 'other to be cancelled', 60_000);
      assert.ok(stateSays(plan, 'stop', 'slow', 'running'), 'slow still runs');
      assert.equal(child.exitCode, null, 'the run goes on');

      const cancel = waves(['cancel', plan]);
      assert.equal(cancel.code, 0, cancel.err);
      assert.match(cancel.out, /asked the engine/);
      const code = await run.exited;
      assert.equal(code, 1, run.out + run.err);
      assert.match(run.out, /cancelled; resume with `waves run --resume /);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    const byId = Object.fromEntries(s.packages.map((p: { id: string }) => [p.id, p]));
    assert.equal(byId.slow.status, 'cancelled');
    assert.equal(byId.later.status, 'cancelled');
    assert.equal(s.owner, null);
    assert.equal(waves(['cancel', plan]).code, 1, 'nothing drives it any more');
    assert.deepEqual(s.locks, [], 'the locks were released');
  });

  it('an agent that waits for a person shows as needs-input, not as running forever', async () => {
    const go = path.join(tmp, 'go-needs-input');
    const plan = repoWithPlan('wait', [{ id: 'w', agent: ['write w/a.txt a', 'ask', 'write w/b.txt b'], timeout: 2 }]);
    const run = startWaves(['run', '--agent-argv', AGENT, plan], { ...env, WAVES_TEST_AGENT_RESUME: go });
    try {
      const waiting = () => JSON.parse(waves(['status', '--json', plan]).out || '{}').packages?.[0]?.needsInput;
      await waitFor(() => stateSays(plan, 'wait', 'w', 'running') && waiting(), 'needs input in the run state', 60_000);
      assert.match(waiting().reason, /usage limit/);
      assert.match(waves(['status', plan]).out, /^w\s+1\s+needs-input\s+1\s.*needs input since .*usage limit/m);
      fs.writeFileSync(go, 'go');
      assert.equal(await run.exited, 0, run.out + run.err);
    } finally {
      fs.writeFileSync(go, 'go'); // never leave the agent waiting
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    assert.match(run.out, /w needs input: usage limit/);
    assert.match(run.out, /w goes on \(input given\)/);
  });

  it("kill the engine with its git mid-write, then --resume: git's lock it left is removed and the merge goes on", async () => {
    const plan = repoWithPlan('stalelock', [
      { id: 'p', agent: ['sleep 1500', 'write p/a.txt a', 'commit'], timeout: 2 },
      { id: 'q', deps: ['p'], agent: ['write q/c.txt c', 'commit'] },
    ]);
    const repo = path.dirname(plan);
    await killedWhen(plan, 'stalelock', 'p', 'running');
    // What a git killed with its engine while it merged leaves in the integration tree: its index lock.
    const integration = git(repo, 'worktree', 'list', '--porcelain').split('\n').find((l) => l.endsWith('/_integration'))!.slice('worktree '.length);
    const lock = path.join(git(integration, 'rev-parse', '--absolute-git-dir'), 'index.lock');
    fs.writeFileSync(lock, '');
    const before = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, before, before);
    const second = startWaves(['run', '--resume', '--agent-argv', AGENT, plan]);
    assert.equal(await second.exited, 0, second.out + second.err);
    assert.match(second.out, /Removed git's lock \.git\/worktrees\/_integration\/index\.lock, left by a git that no longer runs/);
    assert.equal(fs.existsSync(lock), false);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.deepEqual(s.packages.map((p: { id: string; status: string }) => [p.id, p.status]), [['p', 'succeeded'], ['q', 'succeeded']]);
    assert.equal(git(integration, 'show', 'HEAD:p/a.txt'), 'a');
  });

  it('kill the engine after a package landed, then --resume: its tree is removed at the end, as one this engine landed', async () => {
    const plan = repoWithPlan('lefttree', [
      { id: 'p', agent: ['write p/a.txt a', 'commit'] },
      { id: 'q', deps: ['p'], agent: ['sleep 2500', 'write q/c.txt c', 'commit'], timeout: 2 },
    ]);
    const repo = path.dirname(plan);
    await killedWhen(plan, 'lefttree', 'q', 'running');
    // p landed; its tree is there as an engine stopped before its clean-up leaves it.
    const tree = path.join(`${repo}.worktrees`, 'lefttree', 'p');
    if (!fs.existsSync(tree)) {
      if (!git(repo, 'branch', '--list', 'waves/lefttree/p')) git(repo, 'branch', 'waves/lefttree/p', 'waves/lefttree/_integration');
      git(repo, 'worktree', 'add', '--quiet', tree, 'waves/lefttree/p');
    }
    const second = startWaves(['run', '--resume', '--agent-argv', AGENT, plan]);
    assert.equal(await second.exited, 0, second.out + second.err);
    assert.equal(fs.existsSync(tree), false, 'the landed package\'s tree removed');
    assert.doesNotMatch(git(repo, 'worktree', 'list'), /lefttree\/p\b/);
  });

  it('an engine stopped between its runner\'s start and the record of it: the adopted attempt is audited against its own base, not the tip that moved', async () => {
    const plan = repoWithPlan('unrecorded', [
      { id: 'a', agent: ['write a/x.txt a', 'commit'] },
      { id: 'b', agent: ['sleep 2500', 'write b/y.txt b', 'commit'], timeout: 2 },
    ]);
    const repo = path.dirname(plan);
    const run = startWaves(['run', '--json', '--agent-argv', AGENT, plan]);
    try {
      await waitFor(() => stateSays(plan, 'unrecorded', 'a', 'succeeded') && stateSays(plan, 'unrecorded', 'b', 'running'), 'a merged while b runs', 60_000);
    } finally {
      run.child.kill('SIGKILL');
    }
    await run.exited;
    // The run state as it was on disk in that moment: b queued, its runner (meta.json) already there.
    const stateFile = path.join(repo, '.waves', 'runs', 'unrecorded.json');
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    const b = state.packages.b;
    assert.equal(b.attempts, 1);
    Object.assign(b, { status: 'queued', attempts: 0, startedAt: null, startToken: null, pid: null, branch: null, baseSha: null, logFile: null, resultFile: null });
    b.phases = b.phases.filter((m: { phase: string }) => m.phase !== 'running');
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
    const second = startWaves(['run', '--resume', '--agent-argv', AGENT, plan]);
    assert.equal(await second.exited, 0, second.out + second.err);
    assert.match(second.out, /b running \(attempt 1\): adopted the running agent/);
    assert.doesNotMatch(second.out, /scope-violation/);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.deepEqual(s.packages.map((p: { id: string; status: string; attempts: number }) => [p.id, p.status, p.attempts]), [['a', 'succeeded', 1], ['b', 'succeeded', 1]]);
    assert.equal(git(repo, 'show', 'waves/unrecorded/_integration:a/x.txt'), 'a');
    assert.equal(git(repo, 'show', 'waves/unrecorded/_integration:b/y.txt'), 'b');
  });

  it('kill the engine mid-run, then --resume: the running agent is adopted, not run again', async () => {
    const go = path.join(tmp, 'go-resume');
    const plan = repoWithPlan('resume', [
      { id: 'p', agent: ['write p/a.txt a', 'ask', 'write p/b.txt b'], timeout: 2 }, // the watchdog ends it if the test fails
      { id: 'q', deps: ['p'], agent: ['write q/c.txt c'] },
    ]);
    const repo = path.dirname(plan);
    const runEnv = { ...env, WAVES_TEST_AGENT_RESUME: go };
    const first = startWaves(['run', '--json', '--agent-argv', AGENT, plan], runEnv);
    try {
      // Killed only once the state file says running.
      await waitFor(() => stateSays(plan, 'resume', 'p', 'running'), 'the run to start', 60_000);
    } finally {
      first.child.kill('SIGKILL');
    }
    await first.exited;
    const stale = JSON.parse(waves(['status', '--json', plan]).out);
    assert.equal(stale.owner.alive, false);
    assert.match(stale.owner.stale, /gone|heartbeat/);
    assert.equal(stale.packages[0].status, 'running');
    assert.match(waves(['status', plan]).out, /^driven by: nobody alive — the lease of pid \d+ .* is stale/m);

    const second = startWaves(['run', '--json', '--resume', '--agent-argv', AGENT, plan], runEnv);
    try {
      await waitFor(() => /"type":"run-started".*"resumed":true/.test(second.out), 'the resumed run to start', 60_000);
      fs.writeFileSync(go, 'go');
      assert.equal(await second.exited, 0, second.out + second.err);
    } finally {
      if (second.child.exitCode === null) second.child.kill('SIGKILL');
    }
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.deepEqual(
      s.packages.map((p: { id: string; status: string; attempts: number }) => [p.id, p.status, p.attempts]),
      [
        ['p', 'succeeded', 1],
        ['q', 'succeeded', 1],
      ],
    );
    const files = git(repo, 'ls-tree', '-r', '--name-only', s.integration.branch).split('\n');
    for (const f of ['p/a.txt', 'p/b.txt', 'q/c.txt']) assert.ok(files.includes(f), f);
  });

  it("a run state the repository ships is foreign: status says so, and run starts the person's own run, the shipped one kept in the history (#15)", () => {
    // Each agent's run shows in what it wrote in its own tree (its walls keep it there).
    const plan = repoWithPlan('shipped-run', [
      { id: 'a', agent: ['write a/x.txt x', 'write a/a.ran ran'] },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt x', 'write b/b.ran ran'] },
    ]);
    const repo = path.dirname(plan);
    // What the repository ships: a run whose `a` runs, its exit.json beside it.
    const state = applied(
      createRunState({ featureId: 'shipped-run', planFile: 'work-packages.yaml', runId: 'r-shipped', packageIds: ['a', 'b'], now: new Date('2025-01-01T00:00:00.000Z') }),
      startedEvents('a', 'tok-a', { worktree: path.join(repo, 'x'), logFile: path.join(repo, 'x.log') }),
    );
    const attempt = path.join(repo, '.waves', 'runs', 'shipped-run', 'r-shipped', 'a', '1');
    fs.mkdirSync(attempt, { recursive: true });
    fs.writeFileSync(path.join(attempt, 'exit.json'), exitRecordText('tok-a'));
    fs.writeFileSync(path.join(repo, '.waves', 'runs', 'shipped-run.json'), JSON.stringify(state, null, 2) + '\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'ship a run');

    const status = waves(['status', plan]);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^this run is not yours here: it does not say it was started on this machine \(it may have come with the repository\); nothing drives it here unless you resume it \(`waves run --resume`\)$/m);
    assert.equal(JSON.parse(waves(['status', '--json', plan]).out).foreign, "it does not say it was started on this machine (it may have come with the repository)");

    const run = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(run.code, 0, run.out + run.err);
    assert.ok(
      run.out.includes(".waves/runs/shipped-run.json holds run r-shipped, which is not yours here: it does not say it was started on this machine (it may have come with the repository). A new run starts; that one is kept in .waves/history/shipped-run/r-shipped.json."),
      run.out,
    );
    const after = JSON.parse(waves(['status', '--json', plan]).out);
    assert.notEqual(after.runId, 'r-shipped');
    assert.equal(after.foreign, null, "the person's own run");
    const merged = git(repo, 'ls-tree', '-r', '--name-only', 'waves/shipped-run/_integration').split('\n');
    assert.ok(merged.includes('a/a.ran') && merged.includes('b/b.ran'), `the agents of the person's run ran: ${merged.join(', ')}`);
    assert.equal(fs.existsSync(path.join(attempt, '..', '2')), false, 'nothing of the shipped run was driven');
  });
});

describe('a folder in the way', () => {
  it("a worktree of another repository left where the run's worktree goes: refused with the folder and what to do, nothing in it touched, no internal error", () => {
    const plan = repoWithPlan('in-the-way', [{ id: 'a', agent: ['write a/x.txt x'] }]);
    const repo = path.dirname(plan);
    // What a repository once at this path left beside it: its integration worktree, with files.
    const tree = path.join(`${repo}.worktrees`, 'in-the-way', '_integration');
    fs.mkdirSync(tree, { recursive: true });
    fs.writeFileSync(path.join(tree, '.git'), `gitdir: ${path.join(tmp, 'gone', '.git', 'worktrees', '_integration')}\n`);
    fs.writeFileSync(path.join(tree, 'notes.md'), 'mine\n');
    const run = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(run.code, 2, run.out + run.err);
    assert.equal(run.err, `waves: the folder ${tree}, where this run's worktree goes, holds files (notes.md) and no commit of this repository; nothing in it was touched: move it away, then run again\n`);
    assert.equal(fs.readFileSync(path.join(tree, 'notes.md'), 'utf8'), 'mine\n');
    fs.rmSync(`${repo}.worktrees`, { recursive: true, force: true });
    const again = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(again.code, 0, again.out + again.err);
  });
});

describe('on a terminal', () => {
  /** Runs the built bin on a pseudo-terminal (util-linux `script`), with `input` typed into it. */
  function onTty(args: string[], input: string, cwd: string) {
    const command = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd,
      env: { ...env, COLUMNS: '100', LINES: '30' },
      input,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.error, undefined, `util-linux script is needed for the terminal tests: ${String(r.error)}`);
    return { code: r.status, out: r.stdout };
  }

  it('asks once for the verification commands, then draws the table in place', () => {
    const plan = repoWithPlan('tty', [
      { id: 'a', agent: ['write a/x.txt x'], verify: ['test -f a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt y'] },
    ]);
    const repo = path.dirname(plan);
    const no = onTty(['run', '--agent-argv', AGENT, plan], 'n\n', repo);
    assert.equal(no.code, 2, no.out);
    assert.match(no.out, /^ {2}test -f a\/x\.txt\r?$/m);
    assert.match(no.out, /not approved; nothing was started/);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false);

    const yes = onTty(['run', '--agent-argv', AGENT, plan], 'y\n', repo);
    assert.equal(yes.code, 0, yes.out);
    assert.match(yes.out, /Approve these commands for this plan\? \[y\/N\]/);
    // rows cleared and redrawn, the cursor moved back up over the previous frame
    assert.match(yes.out, /\x1b\[2Kwave 1\/2 · 0\/2 done/);
    assert.match(yes.out, /\x1b\[4F\x1b\[2K/);
    assert.match(yes.out, /\x1b\[2Kwave 2\/2 · 2\/2 done · succeeded\r?\n/);
    assert.match(yes.out, /\x1b\[2Ka\s+1\s+succeeded\s+1\s+\d+s/);
    assert.match(waves(['approve', plan]).out, /already approved/);
  });
  it("asks for an agent's request for more write scope, escaped, and a yes grants it: the audit allows the file and it merges", () => {
    const ask = 'mcp request_scope {"paths": ["docs/a.md"], "reason": "its page\\u001b[2K"}';
    const plan = repoWithPlan('tty-scope', [{ id: 'a', agent: [ask, 'write docs/a.md # A', 'write a/x.txt x'] }]);
    const repo = path.dirname(plan);
    const yes = onTty(['run', '--agent-argv', AGENT, plan], 'y\n', repo);
    assert.equal(yes.code, 0, yes.out);
    assert.match(yes.out, /a's agent \(attempt 1\) asks to also write:\r?\n {2}docs\/a\.md\r?\n {2}because: its page\\x1b\[2K\r?\n/);
    assert.match(yes.out, /Grant a these files\? \[y\/N\]/);
    assert.match(git(repo, 'show', 'waves/tty-scope/_integration:docs/a.md'), /# A/);
  });
  it("asks, while the run goes on, for a planner's sub-plan's commands not approved yet, escaped: a yes approves them and the sub-plan runs in the same run", () => {
    const sub = [
      'schema_version: 1',
      'feature: {id: api-planned, title: Planned}',
      'packages:',
      '  - package_id: users',
      '    title: Users',
      '    depends_on: []',
      '    description: |',
      '      test-agent: write api/users/u.txt users',
      '    scope: {write_allow: ["api/users/**"]}',
      '    verification:',
      '      steps:',
      '        - {name: check, kind: command, command: "test -s api/users/u.txt # \u001b[2K"}',
    ].join('\n');
    const plan = repoWithPlan('tty-subplan', [{ id: 'api', byAgent: true, write: ['api/**'], agent: [`write-sub-plan ${Buffer.from(sub).toString('base64')}`] }]);
    const repo = path.dirname(plan);
    const yes = onTty(['run', '--agent-argv', AGENT, plan], 'y\n', repo);
    assert.equal(yes.code, 0, yes.out);
    assert.match(yes.out, /api's planner wrote a sub-plan \(\.waves\/planned\/tty-subplan\/api\.yaml\) whose verification commands run with your shell in each package's tree; not approved for this plan yet:\r?\n {2}test -s api\/users\/u\.txt # \\x1b\[2K\r?\n/);
    assert.match(yes.out, /Approve these commands and run the sub-plan now\? \[y\/N\]/);
    assert.equal(/\x1b/.test(yes.out.slice(yes.out.indexOf("api's planner wrote"), yes.out.indexOf('Not approved, it waits'))), false, 'the command is shown escaped');
    const s = JSON.parse(waves(['status', '--json', plan]).out) as { packages: { id: string; status: string; attempts: number }[] };
    const users = s.packages.find((p) => p.id === 'api__users');
    assert.equal(users?.status, 'succeeded', JSON.stringify(s.packages));
    assert.equal(users?.attempts, 1, 'its first attempt');
  });
  it('shows a command holding CR, an escape sequence or a bidi override escaped in its question (#15)', () => {
    const plan = repoWithPlan('tty-escape', [{ id: 'a', agent: ['write a/x.txt x'], verify: [HIDING] }]);
    const repo = path.dirname(plan);
    const no = onTty(['run', '--agent-argv', AGENT, plan], 'n\n', repo);
    assert.equal(no.code, 2, no.out);
    assert.match(no.out, /Approve these commands for this plan\? \[y\/N\]/);
    assert.ok(no.out.includes(`  ${HIDING_SHOWN}`), no.out);
    assert.match(no.out, /warning: the list holds control or bidi characters/);
    // The list up to the question (readline draws the question itself with escape sequences):
    // the pseudo-terminal turns each \n into \r\n; no other CR, no ESC, no bidi control.
    const list = no.out.slice(0, no.out.lastIndexOf('\n', no.out.indexOf('Approve these commands')) + 1);
    assert.ok(list.includes(HIDING_SHOWN), list);
    assert.equal(/\r(?!\n)|\x1b|[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(list), false, JSON.stringify(list));
    assert.equal(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]|\x1b\[2K/.test(no.out), false, JSON.stringify(no.out));
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false);
  });
});

describe('Ctrl-C', () => {
  it('the first interrupt cancels the run cleanly and says how to resume', async () => {
    const plan = repoWithPlan('interrupt', [{ id: 'slow', agent: ['hang'], timeout: 2 }]);
    const run = startWaves(['run', '--agent-argv', AGENT, '--timeout-grace', '2', plan]);
    const child = run.child;
    try {
      await waitFor(() => /slow running \(attempt 1\)/.test(run.out), 'the run to start', 60_000);
      child.kill('SIGINT');
      assert.equal(await run.exited, 1, run.out + run.err);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.match(run.out, /cancelling… \(Ctrl-C again to exit at once\)/);
    assert.match(run.out, /cancelled; resume with `waves run --resume /);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.equal(s.packages[0].status, 'cancelled');
    assert.equal(s.owner, null, 'the lease was released');
    // Nothing of the agent is left running: not its walls, their relay or the agent (each names the run's folder).
    const runs = path.join(path.dirname(plan), '.waves', 'runs');
    const left = () => processesNaming(runs);
    await waitFor(() => left().length === 0, `the agent's processes gone (left: ${left().join('; ')})`, 10_000);
  });
});

describe('verification commands need an approval', () => {
  it('run refuses without a TTY and names the list; approve --yes records it', () => {
    const plan = repoWithPlan('checks', [
      { id: 'a', agent: ['write a/x.txt x'], verify: ['test -f a/x.txt', 'echo "ok"'] },
      { id: 'b', agent: ['write b/y.txt y'], verify: ['test -f b/y.txt'] },
    ]);
    const refused = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /^ {2}test -f a\/x\.txt$/m);
    assert.match(refused.err, /^ {2}echo "ok"$/m);
    assert.match(refused.err, /waves approve /);
    assert.equal(fs.existsSync(path.join(path.dirname(plan), '.waves', 'runs')), false, 'nothing started');

    const noTty = waves(['approve', plan]);
    assert.equal(noTty.code, 1);
    assert.match(noTty.out, /a · check-1: test -f a\/x\.txt/);
    assert.match(noTty.err, /--yes/);
    const yes = waves(['approve', '--yes', plan]);
    assert.equal(yes.code, 0, yes.err);
    assert.match(yes.out, /^approved/m);
    assert.match(waves(['approve', plan]).out, /already approved/);

    // The plan's whole list approved covers a run of some of its packages, and the whole run.
    const some = waves(['run', '--only', 'a', '--agent-argv', AGENT, plan]);
    assert.equal(some.code, 0, some.out + some.err);
    assert.match(some.out, /a verifying: \$ test -f a\/x\.txt/);
    const all = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(all.code, 0, all.out + all.err);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.deepEqual(
      s.packages.map((p: { id: string; status: string }) => [p.id, p.status]),
      [
        ['a', 'succeeded'],
        ['b', 'succeeded'],
      ],
    );
  });
  it("a repository that ships approvals of its own commands gets no run of them: approvals are the person's (#15)", () => {
    const out = fs.mkdtempSync(path.join(tmp, 'outside-'));
    const marker = path.join(out, 'pwned');
    const command = `touch ${marker}`;
    const plan = repoWithPlan('shipped', [{ id: 'a', agent: ['write a/x.txt x'], verify: [command] }]);
    const repo = path.dirname(plan);
    // What the repository ships: the old in-repository approvals file with the hash of its own
    // list, and a copy of what a personal approval looks like, committed under .waves/.
    const hash = crypto.createHash('sha256').update(JSON.stringify([command])).digest('hex');
    const entry = { hash, commands: [command], approvedAt: '2026-01-01T00:00:00.000Z' };
    fs.mkdirSync(path.join(repo, '.waves', 'approvals'), { recursive: true });
    fs.writeFileSync(path.join(repo, '.waves', 'approvals.json'), JSON.stringify({ version: 1, plans: { 'work-packages.yaml': [entry] } }));
    const named = crypto.createHash('sha256').update(fs.realpathSync(plan)).digest('hex');
    fs.writeFileSync(path.join(repo, '.waves', 'approvals', `${named}.json`), JSON.stringify({ version: 2, planFile: fs.realpathSync(plan), lists: [entry] }));
    git(repo, 'add', '-f', '.waves');
    git(repo, 'commit', '-q', '-m', 'ship approvals');

    const refused = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(refused.code, 2, refused.out + refused.err);
    assert.match(refused.err, /not approved yet/);
    assert.ok(refused.err.includes(`  ${command}\n`), refused.err);
    const asked = waves(['approve', plan]);
    assert.match(asked.out + asked.err, /not approved/);
    assert.doesNotMatch(asked.out, /already approved/);
    assert.equal(fs.existsSync(marker), false, 'the shipped command never ran');
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'nothing started');
  });

  it('shows a command holding CR, an escape sequence or a bidi override escaped, and approves its exact text (#15)', () => {
    const plan = repoWithPlan('escape', [{ id: 'a', agent: ['write a/x.txt x'], verify: [HIDING] }]);
    const repo = path.dirname(plan);
    const raw = /[\r\x1b\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

    const refused = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(refused.code, 2);
    assert.ok(refused.err.includes(`  ${HIDING_SHOWN}\n`), refused.err);
    assert.doesNotMatch(refused.out + refused.err, raw);

    const noTty = waves(['approve', plan]);
    assert.equal(noTty.code, 1);
    assert.ok(noTty.out.includes(`  a · check-1: ${HIDING_SHOWN}\n`), noTty.out);
    assert.match(noTty.out, /warning: the list holds control or bidi characters/);
    assert.doesNotMatch(noTty.out + noTty.err, raw);

    const yes = waves(['approve', '--yes', plan]);
    assert.equal(yes.code, 0, yes.err);
    assert.ok(yes.out.includes(HIDING_SHOWN), yes.out);
    assert.doesNotMatch(yes.out + yes.err, raw);
    // what is approved is the exact text, not what was shown
    const approvals = personalApprovals((f) => f === fs.realpathSync(plan));
    assert.equal(approvals.length, 1);
    assert.deepEqual(approvals[0]!.lists[0]!.commands, [HIDING]);
    assert.equal(approvals[0]!.planFile, fs.realpathSync(plan));
    assert.ok(!fs.existsSync(path.join(repo, '.waves', 'approvals.json')), 'nothing of the approval is in the repository');
    const again = waves(['approve', plan]);
    assert.match(again.out, /already approved/);
    assert.doesNotMatch(again.out + again.err, raw);
  });
});

describe('waves run --integration-guard (#34)', () => {
  it('names the package whose merge broke the check, sends its agent the failure, ends green; status and report say so', async () => {
    const gate = path.join(tmp, 'guard-gate');
    const plan = repoWithPlan(
      'guarded',
      [
        { id: 'a', agent: [...RENAMER_AGENT] },
        { id: 'b', agent: callerAgent(gate) },
        { id: 'int', deps: ['a', 'b'], taskType: 'integrate', write: ['tests/**'], agent: ['write tests/ok.txt ok', 'commit'], verify: ['node check.mjs'] },
      ],
      RENAMED_EXPORT_FILES,
    );
    const repo = path.dirname(plan);
    // A plan that states no retry_budget, as most real plans: the format's default (one) lets the guard send the failure.
    fs.writeFileSync(plan, fs.readFileSync(plan, 'utf8').replace('defaults:\n  retry_budget: 0\n', ''));
    git(repo, 'commit', '-q', '-am', 'no retry budget stated');
    assert.equal(waves(['approve', '--yes', plan]).code, 0);
    // The flag before the plan and after it: it takes no value.
    assert.equal(waves(['run', '--integration-guard', '--dry-run', plan]).code, 0);
    assert.equal(waves(['run', '--dry-run', plan, '--integration-guard']).code, 0);
    assert.match(waves(['run', '--integration-guard', '--no-integration-guard', plan]).err, /do not go together/);

    const run = startWaves(['run', '--agent-argv', AGENT, '--unconfined', '--integration-guard', plan]);
    try {
      await waitFor(() => JSON.parse(waves(['status', '--json', plan]).out).packages?.some((p: { id: string; status: string }) => p.id === 'a' && p.status === 'succeeded'), 'a merged', 60_000);
      fs.writeFileSync(gate, 'go');
      assert.equal(await run.exited, 0, run.out + run.err);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    assert.match(run.out, /integration check FAILED at [0-9a-f]{12} \(tip\): node check\.mjs/);
    assert.match(run.out, /b .*broke the integration check node check\.mjs: sent the failure to its agent/);
    const status = waves(['status', plan]);
    assert.match(status.out, /^integration checks green at [0-9a-f]{8}$/m, status.out);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.equal(s.integration.guard.status, 'green');
    assert.deepEqual(
      s.packages.map((p: { id: string; status: string; attempts: number }) => [p.id, p.status, p.attempts]),
      [['a', 'succeeded', 1], ['b', 'succeeded', 2], ['int', 'succeeded', 1]],
    );
    const report = waves(['report', plan]);
    assert.match(report.out, /- `b` broke a check and was sent the failure \(attempt 2, /);
    assert.match(git(repo, 'show', 'waves/guarded/_integration:b/use.mjs'), /loadUser/);
  });

  it('with retry_budget 0 the run ends failed, and status and the report name the breaker, the check, what it printed and what to do', async () => {
    const gate = path.join(tmp, 'guard-gate-0');
    const plan = repoWithPlan(
      'guarded-spent',
      [
        { id: 'a', agent: [...RENAMER_AGENT] },
        { id: 'b', agent: callerAgent(gate) },
        { id: 'int', deps: ['a', 'b'], taskType: 'integrate', write: ['tests/**'], agent: ['write tests/ok.txt ok', 'commit'], verify: ['node check.mjs'] },
      ],
      RENAMED_EXPORT_FILES,
    );
    assert.match(fs.readFileSync(plan, 'utf8'), /defaults:\n {2}retry_budget: 0\n/);
    assert.equal(waves(['approve', '--yes', plan]).code, 0);
    const run = startWaves(['run', '--agent-argv', AGENT, '--unconfined', '--integration-guard', plan]);
    try {
      await waitFor(() => JSON.parse(waves(['status', '--json', plan]).out).packages?.some((p: { id: string; status: string }) => p.id === 'a' && p.status === 'succeeded'), 'a merged', 60_000);
      fs.writeFileSync(gate, 'go');
      assert.equal(await run.exited, 1, run.out + run.err);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    assert.match(run.out, /b's merge broke the integration check `node check\.mjs` and its retry budget is spent/);
    const s = JSON.parse(waves(['status', '--json', plan]).out);
    assert.equal(s.integration.guard.status, 'red');
    assert.equal(s.integration.guard.blamed.packageId, 'b');
    assert.equal(s.integration.guard.blamed.outcome, 'no-retry');
    assert.match(s.integration.guard.blamed.output, /fetchUser/, 'what the check printed is kept');
    assert.deepEqual(
      s.packages.map((p: { id: string; status: string; attempts: number }) => [p.id, p.status, p.attempts]),
      [['a', 'succeeded', 1], ['b', 'succeeded', 1], ['int', 'ready', 0]],
    );
    const status = waves(['status', plan]).out;
    assert.match(status, /^integration red: b broke node check\.mjs and has no retry left$/m, status);
    assert.match(status, /^ {2}b's merge broke the integration check `node check\.mjs` and its retry budget is spent: it was not sent the failure, and what depends on it waits\.$/m, status);
    assert.match(status, /^ {2}Raise b's retry_budget in the plan and resume the run \(its agent is then sent the failure\), or fix it by hand on the branch waves\/guarded-spent\/_integration and resume\.$/m, status);
    assert.match(status, /^ {2}what it printed \(its end\):\n(?: {4}.*\n)*? {4}.*fetchUser/m, status);
    const report = waves(['report', plan]).out;
    assert.match(report, /\*\*b's merge broke the integration check `node check\.mjs` and its retry budget is spent: it was not sent the failure, and what depends on it waits\.\*\*\n\nRaise b's retry_budget/);
    assert.match(report, /What `node check\.mjs` printed at [0-9a-f]{12} \(its end\):\n\n```text\n[^]*fetchUser[^]*\n```\n/);
  });
});

describe('waves finish', () => {
  it("refuses to overwrite the person's ignored file that the run adds, names it, and leaves it byte for byte", () => {
    // The person ignores api/.env with a .gitignore of their own that the repository does not
    // track: the package's worktree does not have it, so the agent's api/.env is an ordinary
    // file there — in scope, audited, merged. A plain `git merge --ff-only` overwrites the
    // person's file without a word.
    const plan = repoWithPlan('env', [{ id: 'api', agent: ['write api/.env API_KEY=agent\\n', 'write api/x.txt x'] }]);
    const repo = path.dirname(plan);
    const mine = Buffer.from('API_KEY=mine\n\u0000\u00ff', 'latin1');
    fs.mkdirSync(path.join(repo, 'api'));
    fs.writeFileSync(path.join(repo, 'api', '.gitignore'), '.env\n.gitignore\n');
    fs.writeFileSync(path.join(repo, 'api', '.env'), mine);
    const r = waves(['run', '--agent-argv', AGENT, plan]);
    assert.equal(r.code, 0, r.out + r.err);
    const branch = 'waves/env/_integration';
    assert.equal(git(repo, 'show', `${branch}:api/.env`), 'API_KEY=agent');
    const before = git(repo, 'rev-parse', 'main');

    const finish = waves(['finish', '--yes', plan]);
    assert.equal(finish.code, 1, finish.out + finish.err);
    assert.match(
      finish.out,
      /^no fast-forward: main is checked out in .*, where the fast-forward would overwrite or delete a file of yours that git does not track: api\/\.env \(ignored\); move it out of the way \(waves\/env\/_integration has the incoming version\), then finish again$/m,
    );
    assert.equal(git(repo, 'rev-parse', 'main'), before, 'main did not move');
    assert.deepEqual(fs.readFileSync(path.join(repo, 'api', '.env')), mine, 'the file is byte-identical');

    // Moved aside, the fast-forward goes through and the person's copy is where they put it.
    fs.renameSync(path.join(repo, 'api', '.env'), path.join(repo, 'api', '.env.mine'));
    const done = waves(['finish', '--yes', plan]);
    assert.equal(done.code, 0, done.out + done.err);
    assert.equal(git(repo, 'rev-parse', 'main'), git(repo, 'rev-parse', branch));
    assert.deepEqual(fs.readFileSync(path.join(repo, 'api', '.env.mine')), mine);
  });
});

describe('status, report, cancel before any run', () => {
  it('say there is nothing yet', () => {
    const plan = repoWithPlan('fresh', [{ id: 'a' }]);
    const status = waves(['status', plan]);
    assert.equal(status.code, 0);
    assert.match(status.out, /fresh: not run yet/);
    assert.deepEqual(JSON.parse(waves(['status', '--json', plan]).out), { featureId: 'fresh', run: null, reason: 'not run yet' });
    const report = waves(['report', plan]);
    assert.equal(report.code, 1);
    assert.match(report.err, /no report: fresh has not been run yet/);
    assert.equal(waves(['cancel', plan]).code, 1);
    assert.equal(waves(['finish', plan]).code, 1);
  });
});

describe('waves run --scope-requests', () => {
  const ask = 'mcp request_scope {"paths": ["docs/a.md"], "reason": "its page"}';
  it('grant: a request no other package clashes with is granted without asking; refuse, and ask without a terminal: refused, and the file written anyway fails the audit', () => {
    const plan = repoWithPlan('scope-grant', [{ id: 'a', agent: [ask, 'write docs/a.md # A', 'write a/x.txt x'] }]);
    const granted = waves(['run', '--scope-requests', 'grant', '--agent-argv', AGENT, plan]);
    assert.equal(granted.code, 0, granted.err);
    assert.match(git(path.dirname(plan), 'show', 'waves/scope-grant/_integration:docs/a.md'), /# A/);
    for (const [feature, flags] of [['scope-refuse', ['--scope-requests', 'refuse']], ['scope-ask', []]] as const) {
      const p = repoWithPlan(feature, [{ id: 'a', agent: [ask, 'write docs/a.md # A', 'write a/x.txt x'] }]);
      const refused = waves(['run', ...flags, '--json', '--agent-argv', AGENT, p]);
      assert.notEqual(refused.code, 0, refused.out);
      const problems = refused.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; message?: string }).filter((e) => e.type === 'problem').map((e) => e.message);
      assert.ok(problems.some((m) => /^a's agent asked for more write scope \(docs\/a\.md\), refused: /.test(m ?? '')), JSON.stringify(problems));
      assert.match(waves(['status', p]).out, /docs\/a\.md/);
    }
  });
  it('takes only ask, grant or refuse', () => {
    const r = waves(['run', '--scope-requests', 'always', '--agent-argv', AGENT, 'work-packages.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--scope-requests is ask, grant or refuse, not "always"/);
  });
});

describe('help and usage errors', () => {
  for (const command of ['run', 'status', 'cancel', 'report', 'finish', 'approve']) {
    it(`waves ${command} --help`, () => {
      const r = waves([command, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^Usage:\\n  waves ${command} `));
      assert.equal(r.err, '');
    });
  }

  it('waves --help lists the new commands', () => {
    const r = waves(['--help']);
    for (const command of ['run', 'status', 'cancel', 'report', 'finish', 'approve'])
      assert.match(r.out, new RegExp(`^  waves ${command} `, 'm'));
  });

  it('exit 2 with a clear message, never a stack trace', () => {
    const plan = repoWithPlan('usage', [{ id: 'a' }]);
    const cases: [string[], RegExp][] = [
      [['run'], /run takes exactly one plan file/],
      [['run', '--max-parallel', '0', plan], /--max-parallel must be a whole number ≥ 1, not "0"/],
      [['run', '--max-parallel', 'x', plan], /--max-parallel must be/],
      [['run', '--agent', 'nonesuch', plan], /unknown agent preset "nonesuch" \(presets: claude-code/],
      [['run', '--agent', 'codex-interactive', plan], /"codex-interactive" is an interactive agent: .* use "codex"/],
      [['run', '--agent-argv', 'not json', plan], /--agent-argv is not a JSON array of strings/],
      [['run', '--agent-argv', '[]', plan], /--agent-argv needs a program: the array is empty/],
      [['run', '--agent-argv', '[1]', plan], /--agent-argv must be a JSON array of strings, the program first/],
      [['run', '--agent-argv', '["x", "${nope}"]', plan], /unknown placeholder \$\{nope\}/],
      [['run', '--agent-argv', '["/no/such/agent"]', plan], /the agent program "\/no\/such\/agent" was not found/],
      [['run', '--agent', 'codex', '--agent-argv', AGENT, plan], /--agent and --agent-argv do not go together/],
      [['run', '--agent-cap', 'codex=0', plan], /--agent-cap needs AGENT=N .*, not "codex=0"/],
      [['run', '--agent-fallback', 'codex-interactive', plan], /--agent-fallback: "codex-interactive" is an interactive agent/],
      [['run', '--unconfined', '--allow-registries', plan], /--allow-registries opens the walls; --unconfined has none/],
      [['run', '--dry-run', '--resume', plan], /do not go together/],
      [['run', '--bogus', plan], /unknown option --bogus/],
      [['run', '--dry-run', path.join(tmp, 'missing.yaml')], /cannot read .*missing\.yaml: no such file/],
      [['run', '--dry-run', '--only', 'ghost', plan], /no package "ghost"/],
      [['status'], /status takes exactly one plan file/],
      [['cancel', plan, 'a', 'b'], /cancel takes a plan file and optionally a package id/],
      [['report', '--json', 'x', 'y'], /report takes exactly one plan file/],
      [['finish', '--yes=1', plan], /--yes takes no value/],
    ];
    for (const [args, message] of cases) {
      const r = waves(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.err, message, args.join(' '));
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    }
  });

  it('a plan with errors: exit 2 and its problems as file:line:col, like validate', () => {
    const repo = path.dirname(repoWithPlan('broken', [{ id: 'a' }]));
    const plan = path.join(repo, 'broken.yaml');
    fs.writeFileSync(
      plan,
      'schema_version: 1\nfeature: { id: broken }\npackages:\n  - package_id: a\n    depends_on: [ghost]\n    scope: { write_allow: ["a/**"] }\n',
    );
    const r = waves(['run', '--dry-run', plan]);
    assert.equal(r.code, 2);
    assert.match(r.err, /broken\.yaml:5:\d+ error dependency-unknown /);
    assert.match(r.err, /has errors; fix them before running it/);
  });

  it('a plan outside any git repository: exit 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-nogit-'));
    const plan = path.join(dir, 'work-packages.yaml');
    fs.writeFileSync(
      plan,
      'schema_version: 1\nfeature: { id: nogit }\npackages:\n  - package_id: a\n    depends_on: []\n    scope: { write_allow: ["a/**"] }\n',
    );
    for (const args of [
      ['run', '--dry-run', plan],
      ['status', plan],
    ]) {
      const r = waves(args, dir);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, /not in a git repository/);
    }
  });
});
