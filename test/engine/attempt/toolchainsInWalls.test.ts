/**
 * The ordinary toolchain commands inside the walls (#50), with the real bubblewrap, the real
 * engine, real package registries on 127.0.0.1 and a realistic project: a scripted agent
 * (test/fixtures/agents/toolchain-agent.mjs) runs `npm ci`, `npm install <dep>`, the project's
 * tests, a venv and `pip install` from a local index, `cargo build` and `go build` in its tree,
 * then hunts for the person's registry token. The person is a temporary home whose `.npmrc`
 * names the registry (verdaccio, offline: every package from a copy of the storage
 * scripts/registry-tools.sh filled once) with a token for it, and whose pip configuration names
 * the local index; its caches hold the person's own files. Judged on disk afterwards: the home,
 * caches included, byte for byte as it was. Without the registries allowed, `npm ci` fails and
 * the package's problem says it was the walls, and the switch that opens them.
 *
 * Run: node --import tsx --test test/engine/attempt/toolchainsInWalls.test.ts
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { customProfile } from '../../../src/core/agents/agentProfiles';
import { attemptDir } from '../../../src/core/run/runPaths';
import { RunEngine, type EngineEvent } from '../../../src/engine/run/engine';
import { isolateGit, planYaml, readAt } from '../engineFixtures';
import { buildRunner, git, makeRepo, REPO_ROOT, tempDir } from '../helpers';
import { PROJECTS, registryTools, startPythonIndex, startRegistry, type PythonIndex, type Registry } from '../../registry';

const TOOLCHAIN_AGENT = path.join(REPO_ROOT, 'test', 'fixtures', 'agents', 'toolchain-agent.mjs');
/** The home this process had before the tests gave it a temporary one (rustup's toolchains live there). */
const REAL_HOME = os.homedir();

let runnerScript = '';
let registry: Registry;
let pyIndex: PythonIndex;

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  const tools = registryTools();
  // Debian's go and cargo (or a rustup's cargo), as the person has them on PATH.
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter);
  for (const bin of [tools.go, tools.cargo]) if (!pathDirs.includes(path.dirname(bin))) process.env.PATH = `${path.dirname(bin)}${path.delimiter}${process.env.PATH}`;
  // A rustup proxy finds its toolchains under RUSTUP_HOME (else ~/.rustup): the person's, whatever HOME the test gives.
  const rustup = path.join(REAL_HOME, '.rustup');
  if (!process.env.RUSTUP_HOME && fs.existsSync(rustup) && fs.realpathSync(tools.cargo).includes(`${path.sep}.cargo${path.sep}`)) process.env.RUSTUP_HOME = rustup;
  [registry, pyIndex] = await Promise.all([startRegistry(), startPythonIndex()]);
});

after(async () => {
  await Promise.all([registry?.stop(), pyIndex?.stop()]);
});

/** Every file of a fixture project (relative path → text), without what installs and builds make. */
function projectFiles(name: string, under = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const root = path.join(PROJECTS, name);
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'target', '.venv'].includes(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.join(under, path.relative(root, p))] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** Each file, folder and link under `root` with its kind, mode and content's hash (a link: its target). */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(root, p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(rel, `link ${fs.readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else out.set(rel, `file ${mode} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

/** What changed between two snapshots, one line each (empty: nothing). */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) out.push(`${k}: ${v} → ${after.get(k) ?? 'gone'}`);
  for (const [k, v] of after) if (!before.has(k)) out.push(`${k}: new (${v})`);
  return out;
}

interface Person {
  home: string;
  token: string;
}

/**
 * The person: a home whose `.npmrc` names the registry (with a token for it and a few settings
 * of theirs) and whose pip configuration names the local index, and whose caches of npm, pip,
 * go and cargo hold their own files. HOME is this home for the engine and its agents.
 */
function person(): Person {
  const home = tempDir('waves-person-');
  const token = `npm_${crypto.randomBytes(18).toString('hex')}`;
  const files: Record<string, string> = {
    '.npmrc': [`registry=${registry.url}`, `//127.0.0.1:${registry.port}/:_authToken=${token}`, 'fetch-retries=1', 'fetch-retry-mintimeout=1000', 'fetch-retry-maxtimeout=2000', 'fund=false', 'audit=false', ''].join('\n'),
    '.config/pip/pip.conf': `[global]\nindex-url = ${pyIndex.url}\n`,
    '.npm/_cacache/index-v5/00/mine': 'the person\'s npm cache\n',
    '.cache/pip/http-v2/mine': 'the person\'s pip cache\n',
    '.cache/go-build/00/mine-a': 'the person\'s go build cache\n',
    'go/pkg/mod/cache/mine': 'the person\'s go modules\n',
    '.cargo/registry/index/mine': 'the person\'s cargo registry\n',
    '.bashrc': '# mine\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    fs.writeFileSync(path.join(home, rel), text);
  }
  process.env.HOME = home;
  // A person's shell, not an npm script's: `npm test` hands its own settings down as npm_config_* variables, which npm reads before any .npmrc.
  for (const k of Object.keys(process.env)) if (/^npm_(config|package|lifecycle)_/i.test(k)) delete process.env[k];
  return { home, token };
}

/** A repository holding small-node at its root, the tiny crate in `crate/` and the tiny Go module in `gomod/`, with a one-package plan whose agent follows `steps`. */
function projectRepo(feature: string, steps: string[]): { repo: string; planFile: string } {
  const repo = makeRepo({ ...projectFiles('small-node'), ...projectFiles('tiny-crate', 'crate'), ...projectFiles('tiny-go', 'gomod'), '.gitignore': 'node_modules/\n.venv/\n' });
  const planFile = path.join(repo, 'work-packages.yaml');
  fs.writeFileSync(planFile, planYaml(feature, [{ id: 'tools', write: ['**'], agent: steps, timeoutMinutes: 15 }]));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'plan');
  return { repo, planFile };
}

/** The real engine on the plan with the toolchain agent, confined with `registries` allowed or not and a shared cache of the test's. */
async function runConfined(planFile: string, registries: boolean, cacheDir: string) {
  const agent = customProfile([process.execPath, TOOLCHAIN_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}'], { label: 'toolchain agent' });
  const engine = await RunEngine.prepare({ planFile, agent, runnerScript, graceMs: 500, pollMs: 200, confinement: { options: { registries, cacheDir } } });
  const events: EngineEvent[] = [];
  engine.events((e) => events.push(e));
  try {
    const outcome = await engine.run();
    return { outcome, events, state: engine.store?.state };
  } finally {
    engine.dispose();
  }
}

/** Each `$ command` of the agent's log with its exit and output. */
function commandsOf(log: string): { command: string; exit: number; output: string }[] {
  const out: { command: string; exit: number; output: string }[] = [];
  const re = /^\$ (.*)\n([\s\S]*?)^=> exit (\d+) in \d+ ms$/gm;
  for (const m of log.matchAll(re)) out.push({ command: m[1]!, exit: Number(m[3]), output: m[2]! });
  return out;
}

describe('toolchains inside the walls (bubblewrap, verdaccio and a Python index on 127.0.0.1)', () => {
  test('with the registries allowed: npm ci, npm install, the tests, a venv and pip install, cargo build and go build succeed; the token never reaches the agent; the home and its caches are unchanged', async () => {
    const me = person();
    const cacheDir = path.join(tempDir('waves-agents-cache-'), 'agents');
    const steps = [
      `hunt ${Buffer.from(me.token).toString('hex')}`,
      'try npm config get registry',
      'try npm config get fetch-retries',
      'try npm ci',
      'try npm install kleur@4.1.5',
      'try node --test test/',
      'try node -e "console.log(require(\'kleur\').bold(\'kleur from the registry\'))"',
      'try python3 -m venv .venv',
      `try .venv/bin/pip install --index-url ${pyIndex.url} waves-tiny`,
      'try .venv/bin/python -c "import waves_tiny; print(waves_tiny.greet(\'the walls\'))"',
      'try cd crate && cargo build && ./target/debug/waves-tiny-crate',
      'try cd gomod && go build -o wavestiny . && ./wavestiny',
      'commit toolchains inside the walls',
    ];
    const { repo, planFile } = projectRepo('toolchains', steps);
    const before = snapshot(me.home);
    const { outcome, state } = await runConfined(planFile, true, cacheDir);
    const log = fs.readFileSync(path.join(attemptDir(repo, 'toolchains', outcome.runId, 'tools', 1), 'agent.log'), 'utf8');
    assert.equal(outcome.outcome, 'succeeded', `${JSON.stringify(outcome.counts)} ${state?.packages.tools?.lastError ?? ''}\n${log.slice(-3000)}`);

    const ran = commandsOf(log);
    assert.equal(ran.length, steps.filter((s) => s.startsWith('try ')).length, log.slice(-3000));
    const failed = ran.filter((c) => c.exit !== 0);
    assert.deepEqual(failed.map((c) => `${c.command} → exit ${c.exit}`), [], failed.map((c) => `$ ${c.command}\n${c.output.slice(-1500)}`).join('\n'));
    const said = (cmd: string) => ran.find((c) => c.command === cmd)!.output;
    // The person's npm settings reached npm inside (not their token: below).
    assert.equal(said('npm config get registry').trim().replace(/\/$/, ''), registry.url.replace(/\/$/, ''));
    assert.equal(said('npm config get fetch-retries').trim(), '1');
    assert.match(said('npm ci'), /added 24 packages/);
    assert.match(said('node --test test/'), /^# pass 6$/m);
    assert.match(ran.find((c) => c.command.includes("require('kleur')"))!.output, /kleur from the registry/);
    assert.match(ran.find((c) => c.command.includes('pip install'))!.output, /Successfully installed waves-tiny-1\.0\.0/);
    assert.match(ran.find((c) => c.command.includes('import waves_tiny'))!.output, /hello, the walls, from waves-tiny 1\.0\.0/);
    assert.match(ran.find((c) => c.command.startsWith('cd crate'))!.output, /hello, waves, from a crate built inside the walls/);
    assert.match(ran.find((c) => c.command.startsWith('cd gomod'))!.output, /hello, waves, from a module built inside the walls/);
    assert.ok(pyIndex.requests.some((r) => r.endsWith('.whl')), `the wheel came from the local index: ${pyIndex.requests.join(', ')}`);

    // The token: nowhere the agent could look.
    assert.match(log, /^hunt: not found \(\d+ files\)$/m, log.split('\n').filter((l) => l.startsWith('hunt:')).join('\n'));
    assert.ok(!log.includes(me.token), 'the token is not in anything the agent printed');
    assert.deepEqual(state?.packages.tools?.refused ?? [], [], 'the walls refused nothing');

    // The agent's work merged: the dependency it added is in the project's manifest and lockfile.
    assert.match(readAt(repo, outcome.integrationBranch!, 'package.json'), /"kleur": "\^4\.1\.5"/);
    assert.match(readAt(repo, outcome.integrationBranch!, 'package-lock.json'), /node_modules\/kleur/);

    // The person's home, their caches and settings included, byte for byte as it was.
    assert.deepEqual(changes(before, snapshot(me.home)), []);
    // The downloads went to the agents' shared cache instead.
    assert.ok(fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).length > 0, `the agents' shared cache ${cacheDir} holds something`);
  });

  test('without the registries allowed: npm ci fails, and the package says it was the walls, with the switch that allows them', async () => {
    const me = person();
    const cacheDir = path.join(tempDir('waves-agents-cache-'), 'agents');
    const { repo, planFile } = projectRepo('no-registries', ['run npm ci', 'commit not reached']);
    const before = snapshot(me.home);
    const { outcome, events, state } = await runConfined(planFile, false, cacheDir);
    const log = fs.readFileSync(path.join(attemptDir(repo, 'no-registries', outcome.runId, 'tools', 1), 'agent.log'), 'utf8');
    assert.equal(outcome.outcome, 'failed', log.slice(-2000));
    assert.match(log, /^\$ npm ci$/m);
    assert.doesNotMatch(log, /^=> exit 0 /m, 'npm ci did not get through');
    assert.doesNotMatch(log, /added \d+ packages/);
    // Said as the walls', with the switch (the flag and the setting): in the run's problems or the package's error.
    const texts = [...events.filter((e) => e.type === 'problem' && e.packageId === 'tools').map((e) => (e.type === 'problem' ? e.message : '')), state?.packages.tools?.lastError ?? ''];
    assert.ok(
      texts.some((t) => /walls/.test(t) && t.includes('--allow-registries') && t.includes('waves.sandbox.registries')),
      `a problem of the package names the walls and --allow-registries / waves.sandbox.registries:\n${texts.join('\n')}\n--- agent.log ---\n${log.slice(-1500)}`,
    );
    assert.deepEqual(changes(before, snapshot(me.home)), []);
  });
});
