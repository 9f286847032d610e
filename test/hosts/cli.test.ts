/**
 * `waves hosts check` and `waves run --hosts` as a person meets them: the built bin in a real
 * process, against a real sshd on 127.0.0.1 (test/hosts/sshd.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readAt, repoWithPlan } from '../engine/engineFixtures';
import { gitEnv, REPO_ROOT, SCRIPTED_AGENT, tempDir } from '../engine/helpers';
import { SshClient, startHost, type TestHost } from './sshd';

const AGENT = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}']);
let env: NodeJS.ProcessEnv;
let client: SshClient;
let h1: TestHost;

before(async () => {
  env = gitEnv(tempDir('waves-home-'));
  client = new SshClient();
  h1 = await startHost(client, 'cli1', 2);
});
after(() => {
  h1?.remove();
  client?.remove();
});

function waves(cwd: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

function hostsFile(dir: string, text: string): string {
  const file = path.join(dir, 'hosts.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('waves hosts check', () => {
  test('one line per need and host; exit 1 naming what is missing on a host that cannot be reached', async () => {
    const dir = tempDir('waves-hosts-');
    const file = hostsFile(dir, `hosts:\n  - name: cli1\n    ssh: cli1\n    ssh_config: ${client.config}\n    folder: ${h1.folder}\n  - name: gone\n    ssh: nobody@127.0.0.1\n    port: 1\n    folder: /tmp/x\n`);
    const r = await waves(dir, 'hosts', 'check', '--hosts', file, '--agent', 'codex');
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^✗ cli1 \(cli1\): agent missing$/m);
    assert.match(r.out, /✓ reachable ssh cli1/);
    assert.match(r.out, /✓ git +git version/);
    assert.match(r.out, /✗ agent +codex is not on the PATH there/);
    assert.match(r.out, /✓ sandbox +bubblewrap makes walls \(agents run confined\)/);
    assert.match(r.out, /^✗ gone \(nobody@127\.0\.0\.1\): reachable missing$/m);
    assert.match(r.out, /Connection refused/);
  });

  test('a node value that is not a usable program: refused, naming the value (#36 item 10)', async () => {
    const dir = tempDir('waves-hosts-');
    const entry = (name: string, node: string) => `  - name: ${name}\n    ssh: cli1\n    ssh_config: ${client.config}\n    folder: ${h1.folder}\n    node: ${JSON.stringify(node)}\n`;
    const file = hostsFile(dir, `hosts:\n${entry('missing', '/opt/no-such/bin/node')}${entry('notnode', '/bin/true')}${entry('named', process.execPath)}`);
    const r = await waves(dir, 'hosts', 'check', '--hosts', file, '--agent', 'codex');
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^✗ missing \(cli1\): node, agent missing$/m);
    assert.match(r.out, /✗ node +node "\/opt\/no-such\/bin\/node" is not a program there/);
    assert.match(r.out, /✗ node +node "\/bin\/true" \(\/bin\/true\) is not Node\.js: it did not run JavaScript/);
    // A path to a real Node is named too, and passes.
    const nodeLine = r.out.split('\n').find((l) => l.includes(`(${process.execPath})`));
    assert.match(nodeLine ?? '', /^ +✓ node +node v\d+\.\d+\.\d+ \(/, r.out);
  });

  test('a hosts file with a problem: a usage error at its line and column, nothing reached', async () => {
    const dir = tempDir('waves-hosts-');
    const file = hostsFile(dir, 'hosts:\n  - name: x\n    ssh: x\n');
    const r = await waves(dir, 'hosts', 'check', '--hosts', file);
    assert.equal(r.code, 2);
    assert.match(r.err, /hosts\.yaml:2:5 host 1 \(x\): an SSH host needs a folder/);
  });
});

describe('waves run --hosts', () => {
  test('the packages run on the host and their work is merged here', async () => {
    const { repo } = repoWithPlan('cli-hosts', [
      { id: 'p', agent: ['write p/a.txt made there', 'commit'] },
      { id: 'q', deps: ['p'], agent: ['write q/b.txt after p'] },
    ]);
    const file = hostsFile(tempDir('waves-hosts-'), `hosts:\n  - name: cli1\n    ssh: cli1\n    ssh_config: ${client.config}\n    folder: ${h1.folder}\n    max_parallel: 1\n`);
    const r = await waves(repo, 'run', '--agent-argv', AGENT, '--hosts', file, 'work-packages.yaml');
    assert.equal(r.code, 0, r.out + r.err);
    const status = await waves(repo, 'status', '--json', 'work-packages.yaml');
    const st = JSON.parse(status.out) as { packages: { id: string; status: string; host: string | null }[] };
    assert.deepEqual(st.packages.map((p) => [p.id, p.status, p.host]), [['p', 'succeeded', 'cli1'], ['q', 'succeeded', 'cli1']]);
    const human = await waves(repo, 'status', 'work-packages.yaml');
    assert.match(human.out, /^p .*succeeded.* on cli1$/m);
    assert.equal(readAt(repo, 'waves/cli-hosts/_integration', 'p/a.txt'), 'made there');
    assert.equal(readAt(repo, 'waves/cli-hosts/_integration', 'q/b.txt'), 'after p');
    assert.ok(fs.readdirSync(path.join(h1.folder, 'trees')).length > 0, 'the trees were on the host');
  });

  test("agents on the host talk back (ADR 0036): their calls, inside the host's walls, reach the run here through the forwarded socket; the note reaches the dependent there", async () => {
    const { repo } = repoWithPlan('cli-hosts-talk', [
      {
        id: 'api',
        agent: ['mcp progress {"fraction": 0.5, "message": "half way there"}', 'mcp handoff {"note": "the endpoint is /v2/users"}', 'mcp who_owns {"path": "ui/page.txt"}', 'write api/a.txt api', 'commit'],
      },
      { id: 'ui', deps: ['api'], agent: ['write ui/page.txt ui', 'commit'] },
    ]);
    const file = hostsFile(tempDir('waves-hosts-'), `hosts:\n  - name: cli1\n    ssh: cli1\n    ssh_config: ${client.config}\n    folder: ${h1.folder}\n    max_parallel: 1\n`);
    const r = await waves(repo, 'run', '--json', '--agent-argv', AGENT, '--hosts', file, 'work-packages.yaml');
    assert.equal(r.code, 0, r.out + r.err);
    const events = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; packageId?: string; fraction?: number; note?: string });
    assert.ok(events.some((e) => e.type === 'progress' && e.packageId === 'api' && e.fraction === 0.5), r.out);
    assert.ok(events.some((e) => e.type === 'handoff' && e.packageId === 'api' && e.note === 'the endpoint is /v2/users'), r.out);
    const state = JSON.parse(fs.readFileSync(path.join(repo, '.waves', 'runs', 'cli-hosts-talk.json'), 'utf8')) as { packages: Record<string, { host?: string; handoffs?: string[]; logFile: string }> };
    assert.equal(state.packages.api!.host, 'cli1');
    assert.deepEqual(state.packages.api!.handoffs, ['the endpoint is /v2/users']);
    // What the agent there was answered; and ui's prompt there carries the note.
    assert.match(fs.readFileSync(state.packages.api!.logFile, 'utf8'), /^mcp who_owns: ui\/page\.txt may be written by ui \(pending\)\./m);
    assert.match(fs.readFileSync(path.join(path.dirname(state.packages.ui!.logFile), 'prompt.md'), 'utf8'), /> the endpoint is \/v2\/users/);
    // The forwarding ended with the attempt: no socket left there.
    assert.equal(fs.existsSync(path.join(path.dirname(state.packages.api!.logFile), 'waves.sock')), false);
  });

  test('an SSH host with bubblewrap runs its agents and its verification commands confined: the host\'s runner cannot be replaced from inside', async () => {
    const runner = path.join(h1.folder, 'runner');
    const { repo } = repoWithPlan('cli-hosts-walls', [
      {
        id: 'w',
        // The host's folder is under /tmp here, which the walls cover with a private one: a write there lands in that, never on the disk.
        agent: ['write w/a.txt made inside walls', `try-write ${runner}/planted.js planted`, `try-write ${h1.folder}/planted.txt planted`, 'commit'],
        commands: ['test -f w/a.txt', `! sh -c 'echo planted > ${runner}/planted-by-command.js'`],
      },
    ]);
    const file = hostsFile(tempDir('waves-hosts-'), `hosts:\n  - name: cli1\n    ssh: cli1\n    ssh_config: ${client.config}\n    folder: ${h1.folder}\n`);
    assert.equal((await waves(repo, 'approve', '--yes', 'work-packages.yaml')).code, 0);
    const r = await waves(repo, 'run', '--agent-argv', AGENT, '--hosts', file, 'work-packages.yaml');
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(readAt(repo, 'waves/cli-hosts-walls/_integration', 'w/a.txt'), 'made inside walls');
    // The attempt there: its spec asked for the host's bubblewrap, and the agent met the walls.
    const attempts: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'spec.json' && p.includes('cli-hosts-walls')) attempts.push(d);
      }
    };
    walk(path.join(h1.folder, 'runs'));
    assert.equal(attempts.length, 1, attempts.join(', '));
    const spec = JSON.parse(fs.readFileSync(path.join(attempts[0]!, 'spec.json'), 'utf8')) as { walls?: { bwrap: string } };
    assert.equal(spec.walls?.bwrap, 'bwrap');
    const log = fs.readFileSync(path.join(attempts[0]!, 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`^tried write ${runner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/planted\\.js: refused \\((EROFS|ENOENT)\\)$`, 'm'));
    assert.deepEqual(fs.readdirSync(runner).filter((n) => n.includes('planted')), [], 'nothing planted beside the host\'s runner');
    assert.equal(fs.existsSync(path.join(h1.folder, 'planted.txt')), false);
    assert.match(fs.readFileSync(path.join(attempts[0]!, 'verify-2.log'), 'utf8'), /Read-only file system|No such file/);
  });

  test('a host whose node is not a usable program: the start is refused at once, naming it; nothing started or written (#36 item 10)', async () => {
    const { repo } = repoWithPlan('cli-hosts-node', [{ id: 'p', agent: ['write p/a.txt', 'commit'] }]);
    const file = hostsFile(tempDir('waves-hosts-'), `hosts:\n  - name: cli1\n    ssh: cli1\n    ssh_config: ${client.config}\n    folder: ${h1.folder}\n    node: /opt/no-such/bin/node\n`);
    const r = await waves(repo, 'run', '--agent-argv', AGENT, '--hosts', file, 'work-packages.yaml');
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /waves: the hosts list \(.*hosts\.yaml\) cannot be used:\n {2}host cli1: node "\/opt\/no-such\/bin\/node" is not a program there/);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false, 'no run state written');
    assert.doesNotMatch(r.out, /running|queued/, 'no package started');
  });

  test('--on-host-lost takes wait or retry only', async () => {
    const { repo } = repoWithPlan('cli-hosts-b', [{ id: 'p' }]);
    const file = hostsFile(tempDir('waves-hosts-'), `hosts:\n  - name: local\n`);
    const r = await waves(repo, 'run', '--agent-argv', AGENT, '--hosts', file, '--on-host-lost', 'later', 'work-packages.yaml');
    assert.equal(r.code, 2);
    assert.match(r.err, /--on-host-lost is wait or retry, not "later"/);
  });
});
