/**
 * The walls on macOS (ADR 0033): the Seatbelt profile made from the walls' plan
 * (src/core/walls/seatbelt.ts), checked here on any machine — Seatbelt itself runs only on macOS
 * (test/platforms/darwin.test.ts, on a macOS runner). The profile of four representative attempts
 * is compared with the golden files a reviewer reads (test/fixtures/walls/seatbelt/*.sb;
 * `WAVES_UPDATE_GOLDEN=1` writes them anew), and the mapping is checked rule by rule on the
 * profile read back as s-expressions: each secret denied, each writable folder allowed and no
 * other, the network only to the proxy, and no path ever in the profile's text.
 *
 * Run: npx tsx --test test/core/walls/seatbelt.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ownPortsOf, SANDBOX_EXEC, seatbeltArgv, seatbeltForReview, seatbeltProfile, seatbeltTrial, type SeatbeltProfile, type SeatbeltRequest } from '../../../src/core/walls/seatbelt';
import { DEFAULT_HIDDEN, type PathKind, type WallsPlan } from '../../../src/core/walls/walls';

const GOLDEN = path.resolve(__dirname, '..', '..', 'fixtures', 'walls', 'seatbelt');

// ---------------------------------------------------------------------------------------
// Four attempts as the runner draws their walls on a Mac (engine/attempt/wallsDraw.ts `wallsFor`,
// every path real): a package's agent, a verification step, the set-up command, a planning agent.
// POSIX paths written out (core/run/runPaths.ts's and core/planning/planningSession.ts's shapes),
// so that the files compare the same on the Windows runner too.

const HOME = '/Users/dev';
const REPO = '/Users/dev/src/shop';
const COMMON = `${REPO}/.git`;
const TREE = `${REPO}.worktrees/checkout/api`;
const ATTEMPT = `${REPO}/.waves/runs/checkout/r-20261201-0930/api/2`;
const USER_TMP = '/private/var/folders/7x/k3j9_2ps1qd5v0000gn/T';
const MACHINE_TMP = ['/private/tmp', '/private/var/tmp', USER_TMP];
const SHARED_CACHE = `${HOME}/.cache/wave-orchestrator/agents`;
const SECRETS = [...DEFAULT_HIDDEN.map((p) => `${HOME}/${p}`), `${HOME}/Library/Keychains`, '/private/tmp/com.apple.launchd.q0tZ7Wd2Xo'];
const NODE = '/Users/dev/.nvm/versions/node/v22.12.0/bin';
const RUNNER = '/Users/dev/.vscode/extensions/wave-orchestrator-0.9.0/dist';

/** What the test's disk holds: every path of the plans is a folder, but files named so. */
const onDisk = (gone: readonly string[] = []) => (p: string): PathKind => (gone.includes(p) ? null : /\.(json|md|xml)$/.test(p) ? 'file' : 'dir');

function agentPlan(tree: string, attempt: string, stateFolders: string[], branchFolder: string): WallsPlan {
  const gitDir = `${COMMON}/worktrees/${path.posix.basename(tree)}`;
  return {
    worktree: tree,
    write: [attempt, `${COMMON}/objects`, gitDir, `${COMMON}/refs/heads/${branchFolder}`, `${COMMON}/logs/refs/heads/${branchFolder}`, ...stateFolders, SHARED_CACHE, `${gitDir}/waves-cache`],
    readBack: [HOME, attempt, RUNNER, NODE, COMMON],
    readOnly: [`${attempt}/spec.json`, `${attempt}/prompt.md`],
    hidden: SECRETS,
    replaced: [{ path: `${HOME}/.m2/settings.xml`, with: `${attempt}/maven/settings.xml` }],
    network: [
      { host: 'api.anthropic.com', port: 443 },
      { host: 'statsig.anthropic.com', port: 443 },
    ],
  };
}

function commandPlan(tree: string, attempt: string): WallsPlan {
  const gitDir = `${COMMON}/worktrees/${path.posix.basename(tree)}`;
  return {
    worktree: tree,
    write: [`${COMMON}/objects`, gitDir, `${COMMON}/refs/heads/waves/checkout`, `${COMMON}/logs/refs/heads/waves/checkout`, SHARED_CACHE, `${gitDir}/waves-cache`],
    readBack: [HOME, attempt, RUNNER, '/bin', COMMON],
    readOnly: [],
    hidden: SECRETS,
    replaced: [{ path: `${HOME}/.m2/settings.xml`, with: `${attempt}/maven/settings.xml` }],
    network: [{ host: 'registry.npmjs.org', port: 443 }],
  };
}

const planning = { worktree: `${REPO}.worktrees/_plans/add-coupons`, round: (n: number) => `${REPO}/.waves/plans/add-coupons/${n}` };
const REPRESENTATIVE: Record<string, SeatbeltRequest> = {
  // A package's agent (Claude Code), headless: its state folders, the model API, its own ports, a model server on this machine.
  'package-agent': {
    plan: { ...agentPlan(TREE, ATTEMPT, [`${HOME}/.claude`, `${HOME}/.config/claude`], 'waves/checkout'), network: [...agentPlan(TREE, ATTEMPT, [], 'waves/checkout').network!, { host: '127.0.0.1', port: 11434 }] },
    kind: onDisk([`${HOME}/.config/claude`]),
    tmp: `${USER_TMP}/waves-walls-Yk2p9Q`,
    machineTmp: MACHINE_TMP,
    proxyPort: 52814,
    ownPorts: ownPortsOf('41100-41199'),
    interactive: false,
    talkSocket: `${ATTEMPT}/waves.sock`,
  },
  // A verification step the person approved (`runner.js --confine`): its tree, git's, the caches; the attempt folder read-only; the hosts allowed.
  'verification-step': {
    plan: commandPlan(TREE, ATTEMPT),
    kind: onDisk(),
    tmp: `${USER_TMP}/waves-walls-c81LmA`,
    machineTmp: MACHINE_TMP,
    proxyPort: 52903,
    ownPorts: null,
    interactive: false,
  },
  // The set-up command (`waves.worktrees.setupCommand`, here `npm ci`) in a new tree, before its agent: a command's walls, no host allowed.
  'setup-command': {
    plan: { ...commandPlan(TREE, ATTEMPT), network: [] },
    kind: onDisk(),
    tmp: `${USER_TMP}/waves-walls-Q0aZr7`,
    machineTmp: MACHINE_TMP,
    proxyPort: 52771,
    ownPorts: null,
    interactive: false,
  },
  // A planning agent (Plan a Feature), in a terminal: its planning tree, its round's folder, Codex's state; it keeps its terminal.
  'planning-agent': {
    plan: { ...agentPlan(planning.worktree, planning.round(1), [`${HOME}/.codex`], 'waves-plan'), network: [{ host: 'api.openai.com', port: 443 }, { host: 'chatgpt.com', port: 443 }] },
    kind: onDisk(),
    tmp: `${USER_TMP}/waves-walls-p4Ue1n`,
    machineTmp: MACHINE_TMP,
    proxyPort: 53017,
    ownPorts: null,
    interactive: true,
  },
};

// ---------------------------------------------------------------------------------------
// The profile read back: a small reader of its s-expressions (strings, #"regex" strings, lists).

type Sexp = string | { str: string } | Sexp[];

function read(text: string): Sexp[] {
  let i = 0;
  const forms: Sexp[] = [];
  const stack: Sexp[][] = [forms];
  while (i < text.length) {
    const c = text[i]!;
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '(') {
      const list: Sexp[] = [];
      stack[stack.length - 1]!.push(list);
      stack.push(list);
      i++;
    } else if (c === ')') {
      assert.ok(stack.length > 1, `an unbalanced ) at ${i}`);
      stack.pop();
      i++;
    } else if (c === '"' || (c === '#' && text[i + 1] === '"')) {
      i += c === '#' ? 2 : 1;
      let s = '';
      while (text[i] !== '"') {
        assert.ok(i < text.length, 'a string not closed');
        if (text[i] === '\\') i++;
        s += text[i++];
      }
      i++;
      stack[stack.length - 1]!.push({ str: s });
    } else {
      let s = '';
      while (i < text.length && !/[\s()";]/.test(text[i]!)) s += text[i++];
      stack[stack.length - 1]!.push(s);
    }
  }
  assert.equal(stack.length, 1, 'every ( is closed');
  return forms;
}

interface Rule {
  action: 'allow' | 'deny';
  ops: string[];
  filters: Sexp[];
}

const readRules = new WeakMap<SeatbeltProfile, Rule[]>();

/** The profile's rules, in order (read once: the same objects each time). */
function rules(profile: SeatbeltProfile): Rule[] {
  let found = readRules.get(profile);
  if (!found) {
    found = read(profile.text).flatMap((f) => {
      if (!Array.isArray(f) || (f[0] !== 'allow' && f[0] !== 'deny')) return [];
      const ops = f.slice(1).filter((x): x is string => typeof x === 'string');
      return [{ action: f[0], ops, filters: f.slice(1 + ops.length) }];
    });
    readRules.set(profile, found);
  }
  return found;
}

/** The parameters a filter list names by `(kind (param "NAME"))`, as their values. */
function paramsIn(filters: Sexp[], kind: 'subpath' | 'literal', profile: SeatbeltProfile): string[] {
  const value = new Map(profile.params.map((p) => [p.name, p.value]));
  return filters.flatMap((f) => {
    if (!Array.isArray(f) || f[0] !== kind) return [];
    const p = f[1];
    if (!Array.isArray(p) || p[0] !== 'param' || typeof p[1] !== 'object' || Array.isArray(p[1])) return [];
    return [value.get(p[1].str)!];
  });
}

/** The rule whose action and operations are these (exactly one). */
function ruleOf(profile: SeatbeltProfile, action: 'allow' | 'deny', ops: string, filterKind?: 'subpath' | 'literal'): Rule {
  const found = rules(profile).filter((r) => r.action === action && r.ops.join(' ') === ops && (!filterKind || paramsIn(r.filters, filterKind, profile).length));
  assert.equal(found.length, 1, `one (${action} ${ops}) rule`);
  return found[0]!;
}

const sorted = (xs: readonly string[]) => [...xs].sort();

// ---------------------------------------------------------------------------------------

describe('the walls on macOS: the Seatbelt profile (golden files)', () => {
  for (const [name, req] of Object.entries(REPRESENTATIVE)) {
    test(`${name}: the profile is the one a reviewer read (test/fixtures/walls/seatbelt/${name}.sb)`, () => {
      const text = seatbeltForReview(seatbeltProfile(req));
      const file = path.join(GOLDEN, `${name}.sb`);
      if (process.env.WAVES_UPDATE_GOLDEN === '1') fs.writeFileSync(file, text);
      // A checkout that wrote the file with CRLF (git on Windows) holds the same profile.
      assert.equal(text, fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n'), `${file} differs: read the change, then WAVES_UPDATE_GOLDEN=1 writes it anew`);
    });
  }

  test('the golden folder holds exactly the four attempts (none left from an attempt no longer made)', () => {
    assert.deepEqual(sorted(fs.readdirSync(GOLDEN).filter((f) => f.endsWith('.sb'))), sorted(Object.keys(REPRESENTATIVE).map((n) => `${n}.sb`)));
  });
});

describe('the walls on macOS: from the plan to the profile', () => {
  const req = REPRESENTATIVE['package-agent']!;
  const profile = seatbeltProfile(req);
  const all = rules(profile);

  test('nothing is allowed but what a rule names; programs start; they see and signal only processes inside the walls', () => {
    assert.deepEqual(read(profile.text).slice(0, 2), [['version', '1'], ['deny', 'default']]);
    assert.ok(all.some((r) => r.action === 'allow' && r.ops.join() === 'process-exec' && r.filters.length === 0));
    assert.ok(all.some((r) => r.action === 'allow' && r.ops.join() === 'process-fork'));
    for (const op of ['signal', 'process-info*']) {
      const r = all.filter((x) => x.action === 'allow' && x.ops.includes(op));
      assert.equal(r.length, 1, op);
      assert.deepEqual(r[0]!.filters, [['target', 'same-sandbox']], `${op}: only inside the walls`);
    }
    assert.ok(!all.some((r) => r.action === 'allow' && (r.ops.includes('default') || r.ops.includes('file-write*')) && r.filters.length === 0), 'no write, and nothing at all, allowed everywhere');
  });

  test('every secret is denied read and write, by the last file rule (no rule after it shows one again)', () => {
    const hidden = ruleOf(profile, 'deny', 'file-read* file-write*');
    assert.deepEqual(sorted(paramsIn(hidden.filters, 'subpath', profile)), sorted([...req.plan.hidden, `${HOME}/.m2/settings.xml`]));
    assert.deepEqual(sorted(paramsIn(hidden.filters, 'literal', profile)), sorted(paramsIn(hidden.filters, 'subpath', profile)), 'each one as itself too (its first making)');
    const last = all.map((r, i) => ({ r, i })).filter(({ r }) => r.ops.some((o) => o.startsWith('file-'))).pop()!;
    assert.equal(all[last.i], hidden, 'no file rule after the secrets');
    assert.ok(paramsIn(hidden.filters, 'subpath', profile).includes(`${HOME}/Library/Keychains`));
  });

  test('writable: exactly the worktree, the plan\'s folders that are there, and its own TMPDIR; nothing else is allowed a write', () => {
    const writes = all.filter((r) => r.action === 'allow' && r.ops.some((o) => o.startsWith('file-write')));
    const devices = writes.filter((r) => paramsIn(r.filters, 'subpath', profile).length === 0);
    // The devices' and terminals' rules name /dev only.
    for (const r of devices) assert.ok(JSON.stringify(r.filters).includes('/dev/'), JSON.stringify(r));
    const w = writes.filter((r) => !devices.includes(r));
    assert.equal(w.length, 1);
    const expected = [req.plan.worktree, ...req.plan.write.filter((p) => p !== `${HOME}/.config/claude`), req.tmp];
    assert.deepEqual(sorted(paramsIn(w[0]!.filters, 'subpath', profile)), sorted(expected));
    assert.ok(!paramsIn(w[0]!.filters, 'subpath', profile).includes(`${HOME}/.config/claude`), 'a writable folder not there is left out, as bubblewrap leaves it');
    for (const p of [HOME, REPO, `${REPO}.worktrees/checkout/web`, `${COMMON}/hooks`, `${COMMON}/config`]) {
      assert.ok(!paramsIn(w[0]!.filters, 'subpath', profile).some((x) => x === p || p.startsWith(`${x}/`)), `${p} is not writable`);
    }
  });

  test('read-only inside the writable folders: the spec and the prompt; the folders holding them are not renamed or removed', () => {
    const ro = ruleOf(profile, 'deny', 'file-write*');
    assert.deepEqual(sorted(paramsIn(ro.filters, 'subpath', profile)), sorted([`${ATTEMPT}/spec.json`, `${ATTEMPT}/prompt.md`]));
    const keep = ruleOf(profile, 'deny', 'file-write-unlink');
    // The attempt folder holds both; it is itself writable (inside a writable root).
    assert.deepEqual(paramsIn(keep.filters, 'literal', profile), [ATTEMPT]);
    assert.ok(all.indexOf(ro) > all.indexOf(ruleOf(profile, 'allow', 'file-read* file-write*')), 'after the writable folders they cover');
  });

  test('a secret inside a writable folder: the folders holding it, up to the writable one, are not renamed away', () => {
    const inside = seatbeltProfile({ ...req, plan: { ...req.plan, hidden: [`${TREE}/config/keys/.env`] } });
    const keep = ruleOf(inside, 'deny', 'file-write-unlink');
    assert.deepEqual(sorted(paramsIn(keep.filters, 'literal', inside)), sorted([`${TREE}/config/keys`, `${TREE}/config`, TREE, ATTEMPT]));
  });

  test("a private /tmp: the machine's temporary folders' contents denied, but what the plan reads there shown again; nothing of it outside them", () => {
    const denied = ruleOf(profile, 'deny', 'file-read-data file-read-xattr');
    assert.deepEqual(paramsIn(denied.filters, 'subpath', profile), MACHINE_TMP);
    assert.equal(
      all.filter((r) => r.action === 'allow' && r.ops.join(' ') === 'file-read-data file-read-xattr').length,
      0,
      'the plan reads nothing under them here: no rule shows anything again',
    );
    const underTmp = seatbeltProfile({ ...req, plan: { ...req.plan, readBack: [...req.plan.readBack, `${USER_TMP}/waves-tests-1`, `${USER_TMP}/gone`] }, kind: onDisk([`${USER_TMP}/gone`]) });
    const back = ruleOf(underTmp, 'allow', 'file-read-data file-read-xattr');
    assert.deepEqual(paramsIn(back.filters, 'subpath', underTmp), [`${USER_TMP}/waves-tests-1`]);
    const r = rules(underTmp);
    assert.ok(r.indexOf(back) > r.indexOf(ruleOf(underTmp, 'deny', 'file-read-data file-read-xattr')));
  });

  test('the network: only the proxy\'s port, the model server on this machine it may reach, and its own ports', () => {
    const out = all.filter((r) => r.action === 'allow' && r.ops.includes('network-outbound'));
    const remote = out.flatMap((r) => r.filters.map((f) => JSON.stringify(f))).filter((f) => !f.startsWith('["remote","unix-socket"'));
    const ports = remote.map((f) => /"localhost:(\d+)"/.exec(f)?.[1]).map(Number);
    assert.ok(remote.every((f) => /^\["remote","ip",\{"str":"localhost:\d+"\}\]$/.test(f)), 'only loopback ports, each named');
    assert.deepEqual(ports.slice(0, 2), [52814, 11434]);
    assert.deepEqual(ports.slice(2), Array.from({ length: 100 }, (_, i) => 41100 + i));
    assert.ok(!ports.includes(443), 'no host beyond this machine but through the proxy');
    const bind = all.filter((r) => r.ops.includes('network-bind'));
    assert.deepEqual(bind.map((r) => JSON.stringify(r.filters)), ['[["local","ip",{"str":"localhost:*"}]]']);
    const none = seatbeltProfile({ ...req, plan: { ...req.plan, network: null }, talkSocket: null });
    assert.ok(!rules(none).some((r) => r.ops.some((o) => o.startsWith('network'))), 'no network: no rule for any');
  });

  test("the run's tools: the attempt's own socket, by a parameter, whatever the network; none without one", () => {
    const sockets = (p: SeatbeltProfile) => rules(p).filter((r) => r.ops.includes('network-outbound')).flatMap((r) => r.filters.map((f) => JSON.stringify(f))).filter((f) => f.includes('unix-socket'));
    assert.deepEqual(sockets(profile), ['["remote","unix-socket",["path-literal",["param",{"str":"TALK_SOCKET"}]]]']);
    assert.deepEqual(profile.params.filter((p) => p.name === 'TALK_SOCKET').map((p) => p.value), [`${ATTEMPT}/waves.sock`]);
    // No network at all: the socket is still reached (it is no network), and nothing else is.
    const offline = seatbeltProfile({ ...req, plan: { ...req.plan, network: null } });
    assert.deepEqual(sockets(offline), sockets(profile));
    assert.equal(rules(offline).filter((r) => r.ops.some((o) => o.startsWith('network'))).length, 1);
    // A verification step's walls (no socket given): no socket of any kind.
    assert.deepEqual(sockets(seatbeltProfile({ ...req, talkSocket: null })), []);
    assert.deepEqual(sockets(seatbeltProfile(REPRESENTATIVE['verification-step']!)), []);
  });

  test("a terminal agent keeps its terminal; a headless one reaches only the pseudo-terminals it opens", () => {
    const ttys = (p: SeatbeltProfile) => rules(p).filter((r) => JSON.stringify(r.filters).includes('^/dev/ttys'));
    assert.deepEqual(
      ttys(profile).map((r) => JSON.stringify(r.filters)),
      ['[["require-all",["regex",{"str":"^/dev/ttys[0-9]+$"}],["extension",{"str":"com.apple.sandbox.pty"}]]]'],
    );
    assert.equal(ttys(seatbeltProfile({ ...req, interactive: true })).length, 2);
  });

  test('a verification step writes no attempt folder and no CLI state', () => {
    const step = REPRESENTATIVE['verification-step']!;
    const p = seatbeltProfile(step);
    const w = ruleOf(p, 'allow', 'file-read* file-write*');
    const writable = paramsIn(w.filters, 'subpath', p);
    assert.ok(!writable.includes(ATTEMPT));
    assert.ok(!writable.some((x) => x.startsWith(`${HOME}/.claude`)));
    assert.equal(rules(p).filter((r) => r.action === 'deny' && r.ops.join(' ') === 'file-write*').length, 0, 'nothing read-only inside its writable folders');
  });
});

describe('the walls on macOS: paths never enter the profile text', () => {
  const shape = (root: string): SeatbeltRequest => ({
    plan: {
      worktree: `${root}/tree`,
      write: [`${root}/objects`, `${root}/cache`],
      readBack: [`${root}/read`],
      readOnly: [`${root}/cache/done`],
      hidden: [`${root}/secret`],
      network: [],
    },
    kind: () => 'dir',
    tmp: `${root}/tmp`,
    machineTmp: [root],
    proxyPort: 50000,
    interactive: false,
  });
  const plain = seatbeltProfile(shape('/Users/dev/work'));
  const odd = ['/Users/dev/wo"rk', '/Users/dev/back\\slash', '/Users/dév/作業/ü', '/Users/dev/new\nline) (allow default) ;', '/Users/dev/#"regex"'];

  for (const root of odd) {
    test(`${JSON.stringify(root)}: the same profile text as a plain path; its exact bytes in the parameters and on sandbox-exec's command line`, () => {
      const req = shape(root);
      const p = seatbeltProfile(req);
      assert.equal(p.text, plain.text, 'the text depends on the plan\'s shape, never on its paths');
      assert.deepEqual(
        p.params.map((x) => x.name),
        plain.params.map((x) => x.name),
      );
      for (const x of p.params) assert.ok(x.value.startsWith(root), `${x.name} holds the path as it is`);
      assert.equal(p.params.find((x) => x.name === 'HIDDEN_0')!.value, `${root}/secret`);
      const argv = seatbeltArgv(p, ['/usr/bin/env', 'node', 'agent.js']);
      assert.deepEqual(argv.slice(0, 3), [SANDBOX_EXEC, '-p', p.text]);
      assert.deepEqual(argv.slice(3, 3 + p.params.length), p.params.map((x) => `-D${x.name}=${x.value}`));
      assert.deepEqual(argv.slice(3 + p.params.length), ['--', '/usr/bin/env', 'node', 'agent.js']);
      // As a reviewer reads it: every parameter on one comment line, its value read back exactly.
      const review = seatbeltForReview(p);
      const lines = review.split('\n').filter((l) => /^; [A-Z_0-9]+=/.test(l));
      assert.deepEqual(
        lines.map((l) => JSON.parse(l.slice(l.indexOf('=') + 1)) as string),
        p.params.map((x) => x.value),
      );
      assert.equal(read(review).length, read(p.text).length, 'the parameters are comments only');
    });
  }
});

describe('the walls on macOS: the rest of the mapping', () => {
  test("the package's own ports from WAVES_PORT_RANGE; none from what is not a range", () => {
    assert.deepEqual(ownPortsOf('41000-41099'), { first: 41000, last: 41099 });
    for (const bad of [undefined, '', '41000', '41099-41000', '0-10', '65000-70000', '1-5000', 'a-b']) assert.equal(ownPortsOf(bad), null, String(bad));
  });

  test('a proxy port that is not one is refused, not written', () => {
    const req = REPRESENTATIVE['setup-command']!;
    for (const port of [0, 70000, 1.5, Number.NaN]) assert.throws(() => seatbeltProfile({ ...req, proxyPort: port }), RangeError);
  });

  test("the trial's profile holds every kind of rule the walls write", () => {
    const p = seatbeltProfile(seatbeltTrial('/private/var/folders/ab/cd/T/trial', HOME));
    const names = new Set(p.params.map((x) => x.name.replace(/_\d+$/, '')));
    assert.deepEqual(sorted([...names]), sorted(['MACHINE_TMP', 'READ_BACK', 'WORKTREE', 'WRITE', 'TMPDIR', 'READ_ONLY', 'KEEP', 'HIDDEN', 'TALK_SOCKET']));
    const ops = new Set(rules(p).map((r) => `${r.action} ${r.ops.join(' ')}`));
    for (const r of rules(seatbeltProfile(REPRESENTATIVE['package-agent']!))) assert.ok(ops.has(`${r.action} ${r.ops.join(' ')}`), `${r.action} ${r.ops.join(' ')}`);
  });
});
