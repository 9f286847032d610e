/**
 * The ordinary toolchain commands inside the walls, with the real bubblewrap, the real
 * engine, real package registries on 127.0.0.1 and a realistic project: a scripted agent
 * (test/fixtures/agents/toolchain-agent.mjs) runs `npm ci`, `npm install <dep>`, the project's
 * tests, a venv and `pip install` from a local index, `cargo build`, `go build` and maven (whose
 * parent POM comes from the mirror the person's `~/.m2/settings.xml` names: maven reads no
 * HTTPS_PROXY, only the JVM's proxy properties the walls set) in its tree, then hunts for the
 * person's registry token and maven password. The person is a temporary home whose `.npmrc`
 * names the registry (verdaccio, offline: every package from a copy of the storage
 * scripts/registry-tools.sh filled once) with a token for it, whose pip configuration names
 * the local index, and whose `~/.m2/settings.xml` names the mirror beside a server's login and a
 * proxy's (the agent and maven read a copy without them, at the path maven reads); its caches
 * hold the person's own files. Judged on disk afterwards: the home,
 * caches included, byte for byte as it was. Without the registries allowed, `npm ci` and maven fail
 * and the package's problem says it was the walls, and the switch that opens them, naming the
 * maven mirror by the host name only its proxy saw.
 *
 * Run: node --import tsx --test test/engine/attempt/toolchainsInWalls.test.ts
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { customProfile } from '../../../src/core/agents/agentProfiles';
import { attemptDir } from '../../../src/core/run/runPaths';
import { RunEngine, type EngineEvent } from '../../../src/engine/run/engine';
import { cleanUpWorktrees } from '../../../src/engine/usecases';
import { isolateGit, planYaml, readAt } from '../engineFixtures';
import { buildRunner, git, makeRepo, REPO_ROOT, tempDir } from '../helpers';
import { PROJECTS, registryTools, startPythonIndex, startRegistry, type PythonIndex, type Registry } from '../../registry';

const TOOLCHAIN_AGENT = path.join(REPO_ROOT, 'test', 'fixtures', 'agents', 'toolchain-agent.mjs');
/** The home this process had before the tests gave it a temporary one (rustup's toolchains live there). */
const REAL_HOME = os.homedir();

let runnerScript = '';
let registry: Registry;
let pyIndex: PythonIndex;
let maven: MavenMirror;

/** A maven mirror serving one parent POM, named by this machine's host name (no loopback name: the JVM's proxy properties leave those out), listening on every address that name may resolve to. */
interface MavenMirror {
  url: string;
  host: string;
  port: number;
  requests: string[];
  stop(): Promise<void>;
}

const PARENT_POM = '<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>waves.test</groupId><artifactId>parent</artifactId><version>1</version><packaging>pom</packaging>\n</project>\n';
/** maven in the project's folder; a line ended after its output (maven 3.8 ends it with colour resets and no newline). */
const MVN_VALIDATE = 'try cd maven && mvn -B -ntp validate; s=$?; echo; exit $s';
/** The user settings maven says it reads (its debug output, colours out), and what that file holds inside the walls. */
const MVN_SETTINGS = "try cd maven && f=$(mvn -B -ntp -X validate 2>&1 | sed -e 's/\\x1b\\[[0-9;]*m//g' | sed -n 's/^\\[DEBUG\\] Reading user settings from //p') && echo \"maven reads $f\" && cat \"$f\"";
/** A project whose parent POM is only in the mirror: `mvn validate` downloads it and needs no plugin. */
const CHILD_POM = '<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <parent><groupId>waves.test</groupId><artifactId>parent</artifactId><version>1</version><relativePath/></parent>\n  <artifactId>child</artifactId><packaging>pom</packaging>\n</project>\n';

async function startMavenMirror(): Promise<MavenMirror> {
  const host = os.hostname().toLowerCase();
  // Resolved outside the walls (by their proxy) as by any program here; inside, the JVM asks the proxy.
  await dns.lookup(host).catch((err: Error) => {
    throw new Error(`this machine's host name ${host} does not resolve (${err.message}): the maven test names its mirror by it`);
  });
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === '/maven/waves/test/parent/1/parent-1.pom') res.end(PARENT_POM);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://${host}:${port}/maven`, host, port, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

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
  [registry, pyIndex, maven] = await Promise.all([startRegistry(), startPythonIndex(), startMavenMirror()]);
});

after(async () => {
  await Promise.all([registry?.stop(), pyIndex?.stop(), maven?.stop()]);
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
  /** The login of a server and of a proxy in the person's maven settings. */
  mavenUser: string;
  mavenPassword: string;
}

/**
 * The person: a home whose `.npmrc` names the registry (with a token for it and a few settings
 * of theirs) and whose pip configuration names the local index, and whose caches of npm, pip,
 * go and cargo hold their own files. HOME is this home for the engine and its agents.
 */
function person(): Person {
  const home = tempDir('waves-person-');
  const token = `npm_${crypto.randomBytes(18).toString('hex')}`;
  const mavenUser = `mvnuser_${crypto.randomBytes(6).toString('hex')}`;
  const mavenPassword = `mvnpw_${crypto.randomBytes(12).toString('hex')}`;
  // As people write them: the mirror, a server's login for a deploy repository, a proxy (the walls' stands in: maven would try it straight).
  const m2 = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">',
    '  <!-- nexus: ask ops for the password -->',
    `  <servers>\n    <server>\n      <id>deploy</id>\n      <username>${mavenUser}</username>\n      <password>${mavenPassword}</password>\n    </server>\n  </servers>`,
    `  <mirrors>\n    <mirror><id>theirs</id><mirrorOf>*</mirrorOf><url>${maven.url}</url></mirror>\n  </mirrors>`,
    `  <proxies>\n    <proxy><id>corp</id><active>true</active><protocol>http</protocol><host>proxy.invalid</host><port>3128</port><username>${mavenUser}</username><password>${mavenPassword}</password></proxy>\n  </proxies>`,
    '</settings>',
    '',
  ].join('\n');
  const files: Record<string, string> = {
    '.npmrc': [`registry=${registry.url}`, `//127.0.0.1:${registry.port}/:_authToken=${token}`, 'fetch-retries=1', 'fetch-retry-mintimeout=1000', 'fetch-retry-maxtimeout=2000', 'fund=false', 'audit=false', ''].join('\n'),
    '.config/pip/pip.conf': `[global]\nindex-url = ${pyIndex.url}\n`,
    '.m2/settings.xml': m2,
    '.npm/_cacache/index-v5/00/mine': 'the person\'s npm cache\n',
    '.cache/pip/http-v2/mine': 'the person\'s pip cache\n',
    '.cache/go-build/00/mine-a': 'the person\'s go build cache\n',
    'go/pkg/mod/cache/mine': 'the person\'s go modules\n',
    '.cargo/registry/index/mine': 'the person\'s cargo registry\n',
    '.bashrc': '# mine\n',
    // As people write it: MAVEN_OPTS set outright (`mvn` sources it after the environment's), which would drop the walls' proxy and repository.
    '.mavenrc': `MAVEN_OPTS="-Xmx512m -Duser.home=${home}"\n`,
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    fs.writeFileSync(path.join(home, rel), text);
  }
  process.env.HOME = home;
  // The JVM's home is the account's, whatever HOME says: the person's maven reads this one's settings.xml (their MAVEN_OPTS, kept inside the walls).
  process.env.MAVEN_OPTS = `-Duser.home=${home}`;
  // A person's shell, not an npm script's: `npm test` hands its own settings down as npm_config_* variables, which npm reads before any .npmrc.
  for (const k of Object.keys(process.env)) if (/^npm_(config|package|lifecycle)_/i.test(k)) delete process.env[k];
  return { home, token, mavenUser, mavenPassword };
}

/** A repository holding small-node at its root, the tiny crate in `crate/`, the tiny Go module in `gomod/` and a maven project in `maven/`, with a one-package plan whose agent follows `steps`. */
function projectRepo(feature: string, steps: string[]): { repo: string; planFile: string } {
  const repo = makeRepo({ ...projectFiles('small-node'), ...projectFiles('tiny-crate', 'crate'), ...projectFiles('tiny-go', 'gomod'), 'maven/pom.xml': CHILD_POM, '.gitignore': 'node_modules/\n.venv/\n' });
  const planFile = path.join(repo, 'work-packages.yaml');
  fs.writeFileSync(planFile, planYaml(feature, [{ id: 'tools', write: ['**'], agent: steps, timeoutMinutes: 15 }]));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'plan');
  return { repo, planFile };
}

/** The real engine on the plan with the toolchain agent, confined with `registries` allowed or not and a shared cache of the test's. */
async function runConfined(planFile: string, registries: boolean, cacheDir: string, extra: { setupHook?: string[]; maxParallel?: number } = {}) {
  const agent = customProfile([process.execPath, TOOLCHAIN_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}'], { label: 'toolchain agent' });
  const engine = await RunEngine.prepare({ planFile, agent, runnerScript, graceMs: 500, pollMs: 200, confinement: { options: { registries, cacheDir } }, ...extra });
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
      `hunt ${Buffer.from(me.mavenPassword).toString('hex')}`,
      'try cat ~/.m2/settings.xml',
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
      MVN_VALIDATE,
      MVN_SETTINGS,
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
    // maven: the parent POM from the person's mirror, through the walls' proxy (straight, its host name is this machine's loopback inside, where nothing serves it).
    assert.match(ran.find((c) => c.command.startsWith('cd maven'))!.output, /BUILD SUCCESS/);
    assert.ok(maven.requests.includes('GET /maven/waves/test/parent/1/parent-1.pom'), maven.requests.join(', '));

    // The token and the maven password: nowhere the agent could look.
    assert.equal(log.match(/^hunt: not found \(\d+ files\)$/gm)?.length, 2, log.split('\n').filter((l) => l.startsWith('hunt:')).join('\n'));
    for (const secret of [me.token, me.mavenUser, me.mavenPassword]) assert.ok(!log.includes(secret), 'no credential is in anything the agent printed');
    // The person's maven settings as the agent and maven read them: at ~/.m2/settings.xml and where maven says it reads them (user.home), the mirror without the logins, the proxy or the comment.
    const home = ran.find((c) => c.command === 'cat ~/.m2/settings.xml')!.output;
    const mavens = ran.find((c) => c.command.includes('Reading user settings'))!.output;
    assert.equal(mavens.split('\n')[0], `maven reads ${path.join(me.home, '.m2', 'settings.xml')}`);
    for (const shown of [home, mavens.slice(mavens.indexOf('\n') + 1)]) {
      assert.ok(shown.includes(`<url>${maven.url}</url>`), shown);
      assert.doesNotMatch(shown, /<servers|<server>|<password|<username|<proxies|proxy\.invalid|<!--/, shown);
    }
    assert.deepEqual(state?.packages.tools?.refused ?? [], [], 'the walls refused nothing');

    // The agent's work merged: the dependency it added is in the project's manifest and lockfile.
    assert.match(readAt(repo, outcome.integrationBranch!, 'package.json'), /"kleur": "\^4\.1\.5"/);
    assert.match(readAt(repo, outcome.integrationBranch!, 'package-lock.json'), /node_modules\/kleur/);

    // The person's home, their caches and settings included, byte for byte as it was.
    assert.deepEqual(changes(before, snapshot(me.home)), []);
    // The downloads went to the agents' shared cache instead.
    assert.ok(fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).length > 0, `the agents' shared cache ${cacheDir} holds something`);
  });

  test("an agent's npm ci over the node_modules laid from the checkout answers at once while nothing changed it; once the agent changed the laid folder, npm ci runs; the checkout's node_modules is untouched", async () => {
    // The person's home names the registry (its .npmrc), for the checkout's install and the agent's npm ci that runs.
    person();
    const cacheDir = path.join(tempDir('waves-agents-cache-'), 'agents');
    const steps = [
      'try npm ci --no-audit',
      // A login shell, as Codex runs its commands: /etc/profile resets PATH, and /usr/local/bin holds the walls' npm too.
      'try bash -lc "npm ci"',
      'try node --test test/',
      // Not answered: another command, a flag that changes what npm installs.
      'try npm ci --omit=dev',
      'try npm ci --no-fund',
      'append LAID.md the laid folder was used\\n',
      'commit the laid folder used',
    ];
    const { repo, planFile } = projectRepo('laidnpmci', steps);
    // The person installed the project in their checkout, as the lockfile asks.
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repo, stdio: 'ignore' });
    const checkout = snapshot(path.join(repo, 'node_modules'));
    const { outcome, state } = await runConfined(planFile, true, cacheDir);
    const log = fs.readFileSync(path.join(attemptDir(repo, 'laidnpmci', outcome.runId, 'tools', 1), 'agent.log'), 'utf8');
    assert.equal(outcome.outcome, 'succeeded', `${JSON.stringify(outcome.counts)} ${state?.packages.tools?.lastError ?? ''}\n${log.slice(-3000)}`);
    const ran = commandsOf(log);
    assert.deepEqual(ran.map((c) => `${c.command} → ${c.exit}`), steps.filter((x) => x.startsWith('try ')).map((x) => `${x.slice(4)} → 0`), log.slice(-3000));
    // The first: answered by the laid folder, npm not run (nothing added).
    assert.match(ran[0]!.output, /^waves: npm ci not run: node_modules is laid from \S+\/node_modules \(copy-on-write inside the walls\), which npm installed exactly as package-lock\.json asks/m);
    assert.doesNotMatch(ran[0]!.output, /added \d+ packages/);
    assert.match(log, /^waves: npm ci in the tree answers at once while nothing has changed its laid node_modules/m, 'the attempt log says so first');
    assert.match(ran[1]!.output, /^waves: npm ci not run: node_modules is laid from /m, `in a login shell: ${ran[1]!.output}`);
    // The project's tests ran on the laid dependencies.
    assert.match(ran[2]!.output, /^# pass 6$/m);
    // npm ci --omit=dev is npm's own: it removed the laid folder and wrote the packages anew; after it, the folder is changed, so a plain npm ci runs too.
    assert.match(ran[3]!.output, /added \d+ packages/);
    assert.match(ran[4]!.output, /added \d+ packages/);
    // The person's checkout: its node_modules byte for byte as it was.
    assert.deepEqual(changes(checkout, snapshot(path.join(repo, 'node_modules'))), []);
  });

  test("no node_modules in the checkout: the set-up npm ci runs in one tree for all those with the same lockfile, and its folder is laid over each (the other's set-up not run, each agent's npm ci answered); the checkout stays without", async () => {
    person();
    const cacheDir = path.join(tempDir('waves-agents-cache-'), 'agents');
    const steps = (id: string) => ['try npm ci', 'try node --test test/', `append ${id}/done.txt ${id}\\n`, `commit ${id}`];
    const repo = makeRepo({ ...projectFiles('small-node'), '.gitignore': 'node_modules/\n' });
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('sharedinstall', [{ id: 'a', agent: steps('a') }, { id: 'b', agent: steps('b') }]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { outcome, state } = await runConfined(planFile, true, cacheDir, { setupHook: ['npm', 'ci'], maxParallel: 2 });
    const file = (id: string, name: string) => fs.readFileSync(path.join(attemptDir(repo, 'sharedinstall', outcome.runId, id, 1), name), 'utf8');
    assert.equal(outcome.outcome, 'succeeded', `${JSON.stringify(outcome.counts)} ${state?.packages.a?.lastError ?? ''} ${state?.packages.b?.lastError ?? ''}\n${file('a', 'agent.log').slice(-2000)}`);
    const logs = ['a', 'b'].map((id) => file(id, 'setup.log'));
    const installed = logs.filter((l) => /added \d+ packages/.test(l));
    assert.equal(installed.length, 1, `npm ci ran once:\n${logs.join('\n---\n')}`);
    assert.match(installed[0]!, /^waves: its node_modules is now the one the trees with this package\.json and lockfile share: moved to \S+\/\.git\/waves-deps\/npm-[0-9a-f]{24}, laid over each of them/m);
    const other = logs.find((l) => l !== installed[0])!;
    assert.match(other, /^waves: npm ci not run: node_modules is laid from \S+\/\.git\/waves-deps\/npm-[0-9a-f]{24}\/node_modules/m, other);
    for (const id of ['a', 'b']) {
      const ran = commandsOf(file(id, 'agent.log'));
      assert.match(ran[0]!.output, /^waves: npm ci not run: node_modules is laid from /m, `${id}: ${ran[0]!.output}`);
      assert.match(ran[1]!.output, /^# pass 6$/m, id);
    }
    assert.equal(fs.existsSync(path.join(repo, 'node_modules')), false, 'the checkout is left without');
    // Finished (the integration branch taken), then Clean Up Worktrees: the install no tree lays any more goes with the trees.
    const shared = /moved to (\S+\/\.git\/waves-deps\/npm-[0-9a-f]{24})/.exec(installed[0]!)![1]!;
    assert.ok(fs.existsSync(path.join(shared, 'node_modules', '.package-lock.json')));
    git(repo, 'merge', '-q', '--ff-only', outcome.integrationBranch!);
    const cleaned = await cleanUpWorktrees(repo, outcome.state);
    assert.ok(cleaned.removed.includes(shared), JSON.stringify(cleaned));
    assert.equal(fs.existsSync(shared), false);
  });

  test('without the registries allowed: npm ci fails, and the package says it was the walls, with the switch that allows them', async () => {
    const me = person();
    const cacheDir = path.join(tempDir('waves-agents-cache-'), 'agents');
    maven.requests.length = 0;
    const { repo, planFile } = projectRepo('no-registries', [MVN_VALIDATE, 'run npm ci', 'commit not reached']);
    const before = snapshot(me.home);
    const { outcome, events, state } = await runConfined(planFile, false, cacheDir);
    const log = fs.readFileSync(path.join(attemptDir(repo, 'no-registries', outcome.runId, 'tools', 1), 'agent.log'), 'utf8');
    assert.equal(outcome.outcome, 'failed', log.slice(-2000));
    assert.match(log, /^\$ npm ci$/m);
    assert.doesNotMatch(log, /^=> exit 0 /m, 'npm ci did not get through');
    assert.doesNotMatch(log, /added \d+ packages/);
    assert.match(log, /^\$ cd maven && mvn -B -ntp validate;[^\n]*\n[\s\S]*?Non-resolvable parent POM[\s\S]*?^=> exit 1 /m);
    assert.deepEqual(maven.requests, [], 'the mirror was never reached');
    // The proxy saw maven ask for its mirror by name (the JVM's proxy properties), and refused it as a registry.
    assert.ok(state?.packages.tools?.refused?.includes(`${maven.host}:${maven.port}`), JSON.stringify(state?.packages.tools?.refused));
    // Said as the walls', with the switch (the flag and the setting): in the run's problems or the package's error.
    const texts = [...events.filter((e) => e.type === 'problem' && e.packageId === 'tools').map((e) => (e.type === 'problem' ? e.message : '')), state?.packages.tools?.lastError ?? ''];
    assert.ok(
      texts.some((t) => /walls/.test(t) && t.includes('--allow-registries') && t.includes('waves.sandbox.registries')),
      `a problem of the package names the walls and --allow-registries / waves.sandbox.registries:\n${texts.join('\n')}\n--- agent.log ---\n${log.slice(-1500)}`,
    );
    assert.deepEqual(changes(before, snapshot(me.home)), []);
  });
});
