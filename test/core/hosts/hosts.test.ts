import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { WALLS_TRIAL_SCRIPT, wallsTrialProblem } from '../../../src/core/walls/walls';
import { checkHostList, commandLine, hostsCapacity, nodeProbe, parseHostsFile, placeOn, readHostCheck, readNodeCheck, shellQuote, sshOptions, type Host } from '../../../src/core/hosts/hostList';

const FILE = `hosts:
  - name: local
    max_parallel: 2
  - name: build-1
    ssh: me@build-1.example.com
    folder: /srv/waves
    max_parallel: 6
    agent: codex
    port: 2222
`;

describe('hosts: the list', () => {
  it('reads a hosts file: this machine and an SSH host with their caps, agent and port', () => {
    const read = parseHostsFile(FILE);
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.hosts, [
      { name: 'local', maxParallel: 2 },
      { name: 'build-1', ssh: 'me@build-1.example.com', folder: '/srv/waves', maxParallel: 6, agent: 'codex', port: 2222 },
    ]);
  });

  it('a setting in camelCase reads the same, and the cap defaults to 4', () => {
    const read = checkHostList([{ name: 'b', ssh: 'b', folder: '/w', identityFile: '/k', sshConfig: '/c' }]);
    assert.deepEqual(read.hosts, [{ name: 'b', ssh: 'b', folder: '/w', identityFile: '/k', sshConfig: '/c', maxParallel: 4 }]);
  });

  it('every problem is named with the line and column of its key', () => {
    const read = parseHostsFile(`hosts:
  - name: a
    ssh: -oProxyCommand=evil
    folder: /w
  - name: a
  - name: c
    ssh: c
    folder: relative/path
  - name: d
    max_parallel: 0
  - name: e
    port: 22
  - name: f
    colour: blue
`);
    const shown = read.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
    assert.deepEqual(shown, [
      '3:5 host 1 (a): ssh "-oProxyCommand=evil" is not an SSH destination (user@host, or a Host alias of your ssh config)',
      '8:5 host 3 (c): folder must be an absolute path there, without ".."',
      '10:5 host 4 (d): max_parallel must be a whole number of at least 1',
      '12:5 host 5 (e): port is only for an SSH host (this one has no ssh: it is this machine)',
      '14:5 host 6 (f): unknown key "colour" (known: name, ssh, port, identity_file, ssh_config, folder, max_parallel, agent, node)',
    ]);
    // The second "a" is a duplicate only once the first was accepted: the first had a problem.
    assert.deepEqual(read.hosts.map((h) => h.name), ['a']);
  });

  it('a duplicated name, a missing folder, a bad name and a file that is not a hosts file', () => {
    assert.match(checkHostList([{ name: 'x' }, { name: 'x' }]).problems[0]!.message, /the name "x" is used twice/);
    assert.match(checkHostList([{ name: 'y', ssh: 'y' }]).problems[0]!.message, /needs a folder/);
    assert.match(checkHostList([{ name: '../z' }]).problems[0]!.message, /needs a name of letters/);
    assert.match(checkHostList([{ name: 'n', ssh: 'h', folder: '/a/../b' }]).problems[0]!.message, /without "\.\."/);
    assert.match(checkHostList({}).problems[0]!.message, /must be a list/);
    assert.deepEqual(parseHostsFile('- a\n').problems.map((p) => p.message), ['a hosts file is a mapping with a "hosts" list']);
    const broken = parseHostsFile('hosts: [\n');
    assert.equal(broken.hosts.length, 0);
    assert.equal(broken.problems[0]!.line, 2);
  });
});

describe('hosts: placement', () => {
  const hosts: Host[] = [
    { name: 'local', maxParallel: 1 },
    { name: 'h1', ssh: 'h1', folder: '/w', maxParallel: 2 },
    { name: 'h2', ssh: 'h2', folder: '/w', maxParallel: 2 },
  ];
  it('the host with the most free slots, the first of equals', () => {
    assert.equal(placeOn(hosts, new Map()), 'h1');
    assert.equal(placeOn(hosts, new Map([['h1', 1]])), 'h2');
    assert.equal(placeOn(hosts, new Map([['h1', 1], ['h2', 1]])), 'local');
    assert.equal(placeOn(hosts, new Map([['h1', 2], ['h2', 2], ['local', 1]])), null);
  });
  it('the host it ran on before, while that one has a slot; never a lost host', () => {
    assert.equal(placeOn(hosts, new Map(), { before: 'local' }), 'local');
    assert.equal(placeOn(hosts, new Map([['local', 1]]), { before: 'local' }), 'h1');
    assert.equal(placeOn(hosts, new Map(), { before: 'h1', lost: new Set(['h1']) }), 'h2');
    assert.equal(placeOn(hosts, new Map([['h2', 2], ['local', 1]]), { lost: new Set(['h1']) }), null);
  });
  it('fills every slot of every host and no more (any order of arrivals)', () => {
    for (let seed = 0; seed < 50; seed++) {
      const busy = new Map<string, number>();
      let placed = 0;
      for (let i = 0; i < 10; i++) {
        const before = seed % 3 === 0 ? hosts[(seed + i) % 3]!.name : null;
        const h = placeOn(hosts, busy, { before });
        if (h === null) break;
        busy.set(h, (busy.get(h) ?? 0) + 1);
        placed++;
      }
      assert.equal(placed, 5);
      for (const h of hosts) assert.equal(busy.get(h.name), h.maxParallel);
    }
  });
  it("the run's cap is the hosts' together, within its own", () => {
    assert.equal(hostsCapacity(hosts, 10), 5);
    assert.equal(hostsCapacity(hosts, 3), 3);
  });
});

describe('hosts: remote command lines', () => {
  it('quotes every argument so the remote shell sees it as one word, verbatim', () => {
    const nasty = ["it's", '$(rm -rf ~)', 'a b', '`x`', '', ';|&', 'new\nline', '*', '-n'];
    // What a POSIX shell makes of the line is exactly the argv.
    const r = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${commandLine(nasty)}`], { encoding: 'utf8' });
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), nasty);
    assert.equal(shellQuote('plain/path-1.txt'), 'plain/path-1.txt');
  });
  it('ssh options: no password prompt, host keys as ssh checks them, the shared connection', () => {
    const opts = sshOptions({ name: 'h', ssh: 'h', folder: '/w', maxParallel: 1, port: 2222, sshConfig: '/c', identityFile: '/k' }, '/tmp/s');
    assert.deepEqual(opts.slice(0, 4), ['-F', '/c', '-p', '2222']);
    assert.ok(opts.includes('BatchMode=yes'));
    assert.ok(opts.includes('ControlMaster=no') && opts.includes('ControlPath=/tmp/s/%C'));
    assert.ok(!opts.some((o) => /StrictHostKeyChecking|UserKnownHostsFile/i.test(o)), 'host keys are never waved through');
    assert.ok(!sshOptions({ name: 'h', ssh: 'h', folder: '/w', maxParallel: 1 }).some((o) => o.startsWith('Control')));
  });
});

describe('hosts: the check', () => {
  it('reads what the host has and names what is missing', () => {
    const items = readHostCheck('folder=/srv/waves\ngit=git version 2.39.5\nnode=v16.20.0\nagent=\ntmux=tmux 3.3a\ndiskkb=524288\n', 'claude');
    const by = Object.fromEntries(items.map((i) => [i.what, i]));
    assert.equal(by.folder!.ok, true);
    assert.equal(by.git!.ok, true);
    assert.deepEqual([by.node!.ok, by.node!.detail], [false, 'node v16.20.0 is older than 18']);
    assert.deepEqual([by.agent!.ok, by.agent!.detail], [false, 'claude is not on the PATH there']);
    assert.equal(by.tmux!.ok, true);
    assert.deepEqual([by.disk!.ok, by.disk!.detail], [false, '0.5 GiB free in the folder']);
  });
  it("a host's node value: not a program, not Node, too old or fine — each named (#36 item 10)", () => {
    const node = (out: string, value?: string) => readNodeCheck(out, value);
    assert.deepEqual(node('nodeat=\nnode=\n', '/opt/n/node'), { what: 'node', ok: false, detail: 'node "/opt/n/node" is not a program there (not found, or not executable, for a non-interactive login)' });
    assert.deepEqual(node('nodeat=/bin/true\nnode=\n', '/bin/true'), { what: 'node', ok: false, detail: 'node "/bin/true" (/bin/true) is not Node.js: it did not run JavaScript' });
    assert.deepEqual(node('nodeat=/usr/bin/python3\nnode=Python 3.11\n', 'python3'), { what: 'node', ok: false, detail: 'node "python3" (/usr/bin/python3) is not Node.js: it did not run JavaScript' });
    assert.deepEqual(node('nodeat=/opt/n16/node\nnode=v16.20.0\n', '/opt/n16/node'), { what: 'node', ok: false, detail: 'node "/opt/n16/node" is v16.20.0, older than 18' });
    assert.deepEqual(node('nodeat=/opt/n22/node\nnode=v22.3.0\n', '/opt/n22/node'), { what: 'node', ok: true, detail: 'node v22.3.0 (/opt/n22/node)' });
    assert.deepEqual(node('nodeat=\nnode=\n'), { what: 'node', ok: false, detail: 'node is not on the PATH of a non-interactive login' });
    // The probe quotes the value: one word there, whatever it holds.
    assert.match(nodeProbe("/opt/it's/node; rm -rf ~"), /command -v '\/opt\/it'\\''s\/node; rm -rf ~'/);
  });
  it('no tmux is no failure (attempts run with setsid), no folder is', () => {
    const items = readHostCheck('git=git version 2\nnode=v20.1.0\ntmux=\ndiskkb=99999999\n', null);
    const by = Object.fromEntries(items.map((i) => [i.what, i]));
    assert.equal(by.tmux!.ok, true);
    assert.match(by.tmux!.detail, /setsid/);
    assert.equal(by.folder!.ok, false);
    assert.equal(by.agent, undefined);
  });
  it('the walls (#32): bubblewrap there and working, missing, or refused by the kernel — the trial a host runs is the one read', () => {
    const by = (out: string) => Object.fromEntries(readHostCheck(`git=git version 2\nnode=v20.1.0\n${out}`, null).map((i) => [i.what, i]));
    assert.deepEqual([by('sandbox=ok\n').sandbox!.ok, by('sandbox=ok\n').sandbox!.detail], [true, 'bubblewrap makes walls (agents run confined)']);
    const missing = by('sandbox=missing\n').sandbox!;
    assert.equal(missing.ok, false);
    assert.match(missing.detail, /^bubblewrap \(bwrap\) is not installed there: install it .* — agents run there only with --unconfined \/ waves\.sandbox\.unconfined$/);
    assert.match(by('sandbox=fails bwrap: No permissions to create new namespace\n').sandbox!.detail, /^bubblewrap cannot make walls there \(bwrap: No permissions to create new namespace\): the kernel may not allow unprivileged user namespaces/);
    assert.equal(by('').sandbox, undefined, 'an older check script said nothing of it');
    // The script itself, run by a real shell here (this machine has bubblewrap: npm test installs it).
    const out = spawnSync('/bin/sh', ['-c', WALLS_TRIAL_SCRIPT], { encoding: 'utf8' }).stdout;
    assert.equal(wallsTrialProblem(out), null, out);
    const without = spawnSync('/bin/sh', ['-c', WALLS_TRIAL_SCRIPT], { encoding: 'utf8', env: { PATH: '/nonexistent' } }).stdout;
    assert.match(wallsTrialProblem(without) ?? '', /not installed there/);
  });
});
