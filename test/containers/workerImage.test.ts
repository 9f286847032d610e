/**
 * The pull worker's container image (deploy/worker/Containerfile, ADR 0037), for real: built here
 * by scripts/worker-image.sh with Podman from Debian's archive and the npm registry (cached by a
 * tag that names its contents), started as a person starts it — its entry point clones the shared
 * remote into the volume, then runs `waves worker` — against a real PostgreSQL on 127.0.0.1 and a
 * shared bare remote mounted into the container (and KEDA's query of deploy/kubernetes/keda.yaml
 * run against that PostgreSQL as the package waits and is done). Under Podman's default profile the walls cannot be
 * made (its masked /proc): the worker says so at its start, with the option that makes them, and claims nothing; with
 * `--security-opt unmask=/proc/*` the same package is done inside the walls (the agent cannot
 * write the worker's clone, nor read the coordinator's URL from its environment), its commit pushed
 * to the claim's branch and the row done. The agent CLIs the image carries answer `--version` with
 * the versions scripts/agent-clis.sh pins.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import type { QueuedPackage } from '../../src/core/coordinator/workQueue';
import { repositoryKeyOf } from '../../src/engine/coordinator';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { startCluster, type Cluster } from '../coordinator/postgres';

const root = path.resolve(__dirname, '..', '..');
/** The worker's user in the image (deploy/worker/Containerfile). */
const USER = '1000:1000';
const PLAN = 'feature: f\npackages: []\n';
/** The scripted agent, mounted read-only where the walls show it; the image's own Node runs it. */
const AGENT = JSON.stringify(['/opt/node/bin/node', '/opt/test-agent/scripted-agent.mjs', '--prompt', '${promptFile}', '--result', '${resultFile}']);

let podman = '';
let image = '';
let runArgs: string[] = [];
let tmp = '';
let cluster: Cluster;

before(async () => {
  // The suite's runner (scripts/test.mjs) sets these; run alone, this file asks the script itself (it builds the image when missing).
  let vars: Record<string, string | undefined> = process.env;
  if (!process.env.WAVES_WORKER_IMAGE) {
    const r = spawnSync('bash', [path.join(root, 'scripts', 'worker-image.sh'), '--env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
    assert.equal(r.status, 0, 'scripts/worker-image.sh could not build the worker image here');
    vars = Object.fromEntries(r.stdout.split('\n').flatMap((l) => {
      const m = /^(WAVES_[A-Z_]+)=(.*)$/.exec(l);
      return m ? [[m[1]!, m[2]!]] : [];
    }));
  }
  podman = vars.WAVES_PODMAN!;
  image = vars.WAVES_WORKER_IMAGE!;
  runArgs = (vars.WAVES_PODMAN_RUN_ARGS ?? '').split(/\s+/).filter(Boolean);
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-worker-image-')));
  fs.chmodSync(tmp, 0o755);
  cluster = await startCluster(root);
});
after(() => {
  cluster?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const gitIdentity = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.invalid' };
/** git on this machine, in folders the container's user owns. */
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...gitIdentity, HOME: tmp, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' },
  });

/** The driver's repository, the shared bare remote it pushed the run's base to, and the worker's volume (all the container's user's). */
function world() {
  const driver = path.join(tmp, 'driver');
  fs.mkdirSync(driver);
  fs.writeFileSync(path.join(driver, 'README.md'), '# r\n');
  fs.writeFileSync(path.join(driver, 'work-packages.yaml'), PLAN);
  git(driver, 'init', '-q', '-b', 'main');
  git(driver, 'add', '-A');
  git(driver, 'commit', '-q', '-m', 'plan');
  const remote = path.join(tmp, 'remote', 'shared.git');
  fs.mkdirSync(path.dirname(remote));
  git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
  git(driver, 'push', '-q', remote, 'main', 'main:refs/heads/waves/f/integration');
  const volume = path.join(tmp, 'volume');
  fs.mkdirSync(volume);
  for (const p of [path.dirname(remote), volume]) execFileSync('chown', ['-R', USER, p]);
  return { driver, remote, volume, base: git(driver, 'rev-parse', 'HEAD').trim() };
}

/** `waves worker --once` in the image, as its entry point starts it (the clone made in the volume when absent), with `options`. */
function workerInImage(w: ReturnType<typeof world>, options: string[]) {
  const args = [
    'run', '--rm', ...runArgs, ...options,
    // PostgreSQL listens on this machine's 127.0.0.1.
    '--network', 'host',
    '-v', `${w.volume}:/work`,
    '-v', `${path.dirname(w.remote)}:${path.dirname(w.remote)}`,
    '-v', `${path.join(root, 'test', 'fixtures', 'agents')}:/opt/test-agent:ro`,
    '-e', `WAVES_COORDINATOR=${cluster.url}`,
    '-e', `WAVES_REMOTE=${w.remote}`,
    image,
    '--name', 'in-image', '--agent-argv', AGENT, '--once',
  ];
  const r = spawnSync(podman, args, { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The agent logs under the worker's clone in the volume. */
function agentLogs(dir: string): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== '.git') found.push(...agentLogs(p));
    else if (e.name === 'agent.log') found.push(fs.readFileSync(p, 'utf8'));
  }
  return found;
}

/**
 * What KEDA's PostgreSQL scaler reads (deploy/kubernetes/keda.yaml): its ScaledObject's query, run
 * for this repository's key and the agent `custom` in place of the file's example values.
 */
async function kedaCount(key: string): Promise<number> {
  const docs = parseAllDocuments(fs.readFileSync(path.join(root, 'deploy', 'kubernetes', 'keda.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: { triggers: { metadata: { query: string } }[] } });
  const query = docs.find((d) => d.kind === 'ScaledObject')!.spec.triggers[0]!.metadata.query.replace(/repo_key = '[^']*'/, 'repo_key = $1').replace(/agent = '[^']*'/, 'agent = $2');
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    return Number((await client.query<{ count: string }>(query, [key, 'custom'])).rows[0]!.count);
  } finally {
    await client.end();
  }
}

/** scripts/agent-clis.sh's pinned version of `name` (e.g. CLAUDE_CODE). */
function pinned(name: string): string {
  const m = new RegExp(`^${name}_VERSION=\\$\\{WAVES_${name}_VERSION:-([^}]+)\\}$`, 'm').exec(fs.readFileSync(path.join(root, 'scripts', 'agent-clis.sh'), 'utf8'));
  assert.ok(m, `scripts/agent-clis.sh pins ${name}`);
  return m[1]!;
}

describe("the pull worker's container image, built here from Debian packages and the npm registry", () => {
  it("under Podman's default profile the worker refuses to start (the walls cannot be made), claiming nothing; with unmask=/proc/* it does it inside the walls, pushes the agent's commit to the claim's branch, and the row is done", async () => {
    const w = world();
    const key = await repositoryKeyOf(w.driver);
    const c = await PgCoordinator.open(cluster.url, key);
    try {
      const item: QueuedPackage = {
        featureId: 'f',
        runId: 'r1',
        packageId: 'p',
        attempt: 1,
        agent: 'custom',
        labels: [],
        planFile: 'work-packages.yaml',
        planHash: createHash('sha256').update(PLAN, 'utf8').digest('hex'),
        baseRef: 'waves/f/integration',
        baseSha: w.base,
        order: { prompt: ['Do p.', 'test-agent: write p/x.txt by a worker in its image', 'test-agent: try-write /work/clone/planted.txt planted', 'test-agent: env WAVES_COORDINATOR p/coordinator.txt', 'test-agent: commit'].join('\n'), upstream: {}, timeoutMs: 120_000 },
      };
      await c.queue().enqueue([item]);
      assert.equal(await kedaCount(key), 1, "KEDA's query counts the package waiting");

      // Podman's default profile masks parts of /proc: bubblewrap cannot mount its own. The worker says so at its start, with
      // the option that makes the walls, and claims nothing: the package keeps its tries for a worker that can do it.
      const refused = workerInImage(w, []);
      assert.equal(refused.code, 2, refused.out + refused.err);
      assert.match(refused.err, /^waves worker: agents cannot be confined here: .*bubblewrap cannot make walls in this Podman container \(bwrap: Can't mount proc on \/newroot\/proc: Operation not permitted\).*What would make the walls: .*unmask=\/proc\/\*.*waves worker --unconfined/m);
      assert.doesNotMatch(refused.out, /gave p back|done/);
      let [row] = await c.queue().items('f', 'r1');
      assert.deepEqual([row!.state, row!.tries, row!.worker], ['ready', 0, null]);
      assert.equal(await kedaCount(key), 1, 'still waiting');
      assert.ok(fs.existsSync(path.join(w.volume, 'clone', '.git')), 'the entry point cloned the shared remote into the volume');

      // The option the walls' message names: the same package, claimed (the clone in the volume reused), done inside the walls.
      const walled = workerInImage(w, ['--security-opt', 'unmask=/proc/*']);
      assert.equal(walled.code, 0, walled.out + walled.err);
      assert.match(walled.out, /^in-image: p done \(claim 1\): pushed waves-workers\/f\/r1\/p\/1\.1 at [0-9a-f]{12}; /m, walled.err);
      assert.match(walled.err, /^in-image: working for postgres:\/\/waves@127\.0\.0\.1:\d+\/waves with custom$/m);
      [row] = await c.queue().items('f', 'r1');
      assert.deepEqual([row!.state, row!.worker, row!.fence], ['done', 'in-image', 1]);
      assert.equal(await kedaCount(key), 0, 'done: no worker is needed for it');
      const branch = 'waves-workers/f/r1/p/1.1';
      assert.equal(git(w.remote, 'rev-parse', branch).trim(), row!.report?.headSha);
      assert.equal(git(w.remote, 'show', `${branch}:p/x.txt`), 'by a worker in its image');
      assert.equal(git(w.remote, 'log', '-1', '--format=%an %s', branch).trim(), 'Scripted Agent scripted agent p', "the pushed branch's tip is the agent's own commit");
      assert.equal(git(w.remote, 'rev-parse', `${branch}~1`).trim(), w.base, 'on the queued base');
      // Inside the walls: the worker's clone is read-only to its agent.
      assert.ok(agentLogs(path.join(w.volume, 'clone')).some((l) => /^tried write \/work\/clone\/planted\.txt: refused \(EROFS\)$/m.test(l)), 'the agent was refused a write outside its tree');
      assert.equal(fs.existsSync(path.join(w.volume, 'clone', 'planted.txt')), false);
      // The coordinator's URL (its password) is the worker's: the entry point keeps it out of the agents' environment.
      assert.equal(git(w.remote, 'show', `${branch}:p/coordinator.txt`).trim(), 'WAVES_COORDINATOR=unset');
    } finally {
      await c.close();
    }
  });

  it('carries the agent CLIs scripts/agent-clis.sh pins, and `waves` itself', () => {
    // A fixed command line: nothing from outside reaches the shell.
    const r = spawnSync(podman, ['run', '--rm', ...runArgs, '--entrypoint', '/bin/sh', image, '-c', 'claude --version && codex --version && gemini --version && waves --version && node --version'], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], `${pinned('CLAUDE_CODE')} (Claude Code)`);
    assert.equal(lines[1], `codex-cli ${pinned('CODEX')}`);
    assert.equal(lines[2], pinned('GEMINI_CLI'));
    assert.match(lines[3] ?? '', /^\d+\.\d+\.\d+/);
    assert.match(lines[4] ?? '', /^v24\./);
  });
});
