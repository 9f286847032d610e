/**
 * The `waves` command as a user runs it: the built bin in a real process.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { generatePlan } from '../../bench/generate';
import { workerBytes } from '../../src/cli/bigPlanAnalysis';
import { analyzePlan } from '../../src/core/plan/analyze';
import { toReport } from '../../src/core/plan/planReport';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const demo = path.join(root, 'examples', 'demo', 'work-packages.yaml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-cli-'));

function waves(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, cwd: tmp });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

const broken = `schema_version: 1
feature: { id: broken, plan_revision: 1 }
contracts: { revision: 1, openapi: { primary: c.yaml, files: [c.yaml] } }
packages:
  - package_id: a
    depends_on: [ghost]
    scope: { write_allow: ["src/**"], read_allow: ["**"] }
  - package_id: b
    depends_on: []
    scope: { write_allow: ["src/b/*.ts"], read_allow: ["**"] }
`;

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

describe('waves validate', () => {
  it('stops quietly when its reader goes before the output is written (`| head`): its exit code, no stack trace', async () => {
    const file = write('big.yaml', generatePlan(3000)); // its report (240 KB) is more than a pipe holds
    const child = spawn(process.execPath, [bin, 'validate', '--json', file], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.once('data', () => child.stdout.destroy()); // the reader goes after the first bytes
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(err, '');
    assert.equal(code, 0);
  });

  it('accepts the demo plan: exit 0, a waves summary', () => {
    const r = waves(['validate', demo]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /valid — 6 packages in 4 waves, 0 errors, 0 warnings/);
    assert.match(r.out, /wave 2: wp-db, wp-api, wp-web/);
    assert.match(r.out, /critical path: wp-contracts → wp-api → wp-docs → wp-integration/);
  });

  it('exits 1 on errors and prints file:line:col severity code message', () => {
    const file = write('broken.yaml', broken);
    const r = waves(['validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:18 error dependency-unknown `, 'm'));
    assert.match(r.out, /:7:\d+ error write-overlap .*`src\/b\/[^`]*\.ts`/);
  });

  it('--json prints exactly one JSON document of the documented shape', () => {
    const file = write('broken2.yaml', broken);
    const r = waves(['validate', '--json', demo, file]);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.out);
    assert.equal(doc.plans.length, 2);
    const [good, bad] = doc.plans;
    assert.equal(good.valid, true);
    assert.deepEqual(good.waves, [['wp-contracts'], ['wp-db', 'wp-api', 'wp-web'], ['wp-docs'], ['wp-integration']]);
    assert.deepEqual(good.criticalPath, ['wp-contracts', 'wp-api', 'wp-docs', 'wp-integration']);
    assert.deepEqual(good.packages[1], { id: 'wp-db', wave: 2, dependsOn: ['wp-contracts'] });
    assert.equal(bad.valid, false);
    const unknown = bad.diagnostics.find((d: { code: string }) => d.code === 'dependency-unknown');
    assert.deepEqual(unknown, {
      severity: 'error',
      code: 'dependency-unknown',
      message: unknown.message,
      line: 6,
      column: 18,
      endLine: 6,
      endColumn: 23,
      packageId: 'a',
    });
  });

  it('lists packages recovered under a dialect by their id', () => {
    const file = write('dialect.yaml', 'packages:\n  - id: a\n  - id: b\n    dependencies: [a]\n');
    const r = waves(['validate', '--json', file]);
    const [p] = JSON.parse(r.out).plans;
    assert.deepEqual(p.packages, [
      { id: 'a', wave: 1, dependsOn: [] },
      { id: 'b', wave: 2, dependsOn: ['a'] },
    ]);
    assert.ok(p.diagnostics.some((d: { code: string; severity: string }) => d.code === 'dialect-field' && d.severity === 'warning'));
  });

  it('--max-parallel turns a wide wave into a warning, still exit 0', () => {
    const r = waves(['validate', '--max-parallel', '2', demo]);
    assert.equal(r.code, 0);
    assert.match(r.out, /warning wave-too-wide Wave 2 has 3 packages/);
  });

  it("--max-parallel is its row of the run's options: waves run's parsing and message, its help from the row", () => {
    for (const bad of ['0', 'x', '2.5', '-1']) {
      const validate = waves(['validate', '--max-parallel', bad, demo]);
      const run = waves(['run', '--dry-run', '--max-parallel', bad, demo]);
      assert.equal(validate.code, 2);
      assert.equal(validate.err.split('\n')[0], `waves: --max-parallel must be a whole number ≥ 1, not "${bad}"`);
      assert.equal(validate.err.split('\n')[0], run.err.split('\n')[0], 'the message waves run gives');
      assert.match(validate.err, /\nUsage:\n {2}waves validate \[--json\] \[--max-parallel N\] /);
    }
    assert.equal(waves(['validate', '--max-parallel=3', demo]).code, 0);
    assert.match(waves(['validate', '--max-parallel']).err, /^waves: --max-parallel needs a value\n/);
    assert.match(waves(['validate', '--help']).out, /--max-parallel N \(waves\.maxParallel\): at most N attempts at once; a wave with more\s+packages runs in several rounds \(a wave-too-wide warning\); default \d+\./);
  });

  it('exits 2 for unreadable files, still reporting the readable ones', () => {
    const r = waves(['validate', '--json', demo, path.join(tmp, 'missing.yaml')]);
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.out);
    assert.equal(doc.plans[0].valid, true);
    assert.equal(doc.plans[1].diagnostics[0].code, 'file-unreadable');
    assert.match(r.err, /no such file/);
    assert.equal(waves(['validate', tmp]).code, 2, 'a directory is unreadable');
  });

  it('refuses a FIFO as a plan at once, positioned and named — never waiting for a writer (#32); graph too', () => {
    const fifo = path.join(tmp, 'fifo.work-packages.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['validate', fifo], ['validate', '--json', demo, fifo], ['graph', fifo]]) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp, timeout: 20_000 });
      assert.equal(r.signal, null, `waves ${args[0]} returned by itself (it was not killed after 20 s)`);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^waves: cannot read .*fifo\.work-packages\.yaml: not a regular file \(it is a FIFO\): refused, never read$/m);
      if (args[1] === '--json') {
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.plans[0].valid, true, 'the readable plan is still reported');
        assert.deepEqual(
          [doc.plans[1].diagnostics[0].code, doc.plans[1].diagnostics[0].line, doc.plans[1].diagnostics[0].column],
          ['file-unreadable', 1, 1],
        );
      }
    }
  });

  it('exits 2 on usage errors', () => {
    assert.equal(waves([]).code, 2);
    assert.equal(waves(['validate']).code, 2);
    assert.equal(waves(['validate', '--max-parallel', 'x', demo]).code, 2);
    assert.equal(waves(['validate', '--bogus', demo]).code, 2);
    assert.equal(waves(['frobnicate']).code, 2);
    assert.match(waves(['frobnicate']).err, /unknown command "frobnicate"/);
    assert.match(waves(['frobnicate']).err, /^ {2}waves overlap /m, 'an unknown command: every command\'s usage');
  });

  it("a known command's usage error shows that command's usage, not every command's", () => {
    const r = waves(['graph', '--format', 'png', demo]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^waves: --format must be mermaid or dot, not "png"\nUsage:\n {2}waves graph /);
    assert.equal((r.err.match(/^ {2}waves /gm) ?? []).length, 1, 'only graph');
  });

  it('never crashes on garbage: binary, empty, alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(', ')}]`);
    for (const [name, text] of [
      ['empty.yaml', ''],
      ['binary.yaml', '\u0000\u0001\u0002PNG\u0000'],
      ['bomb.yaml', bomb.join('\n') + '\npackages: *j\n'],
      ['list.yaml', '- a\n- b\n'],
      ['syntax.yaml', 'packages:\n  - package_id: a\n   depends_on: [\n'],
    ]) {
      const r = waves(['validate', '--json', write(name, text)]);
      assert.equal(r.code, 1, `${name}: ${r.err}`);
      const [p] = JSON.parse(r.out).plans;
      assert.ok(p.diagnostics.length > 0, name);
      assert.equal(r.err, '', name);
    }
  });

  it("analyses a plan with V8's heap tuned for it, and sets V8's own sizing back once the analysis is done", () => {
    // A script loaded before the command records each heap flag the command sets, and says them
    // as the process exits.
    const probe = write(
      'heap-probe.cjs',
      "const v8 = require('v8'); const set = v8.setFlagsFromString; const flags = [];" +
        ' v8.setFlagsFromString = (flag) => { set(flag); flags.push(flag); };' +
        " process.on('exit', () => require('fs').writeSync(2, `heap ${flags.join(' ')}\\n`));",
    );
    const run = (file: string) => {
      const r = spawnSync(process.execPath, ['--require', probe, bin, 'validate', '--json', file], { encoding: 'utf8', cwd: tmp, maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, r.stderr);
      const [, flags] = /heap (.*)\n$/.exec(r.stderr) ?? assert.fail(r.stderr);
      return { flags, report: JSON.parse(r.stdout).plans[0] };
    };
    const tunedThenDefaults = '--semi-space-growth-factor=1 --heap-growing-percent=25 --semi-space-growth-factor=2 --heap-growing-percent=0';
    const text = generatePlan(3000);
    const large = run(write('heap-large.yaml', text));
    assert.equal(large.flags, tunedThenDefaults, "tuned for the analysis, V8's own sizing back once it is done");
    assert.deepEqual(large.report, JSON.parse(JSON.stringify(toReport(path.join(tmp, 'heap-large.yaml'), analyzePlan(text)))));
    // (Both outside any repository: no coupling check, which runs after the analysis under V8's
    // own sizing again.)
    const small = run(write('heap-small.yaml', fs.readFileSync(demo, 'utf8')));
    assert.equal(small.flags, tunedThenDefaults);
  });

  it('a plan that could take most of the heap is analysed in a worker thread, with exactly the report of an analysis in this process', () => {
    // With 400 MB of heap, plans from about 4 MB go to the worker (40 MB with Node's usual
    // heap: too large for a unit test). The next test shows the worker: there, running out of
    // memory is an answer, not a crash.
    const text = generatePlan(2500, { every: true });
    assert.ok(text.length >= workerBytes(400 * 1_048_576 * 1.1), `${text.length} characters`);
    const r = spawnSync(process.execPath, [bin, 'validate', '--json', write('large.yaml', text)], {
      encoding: 'utf8',
      cwd: tmp,
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=400' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).plans[0], JSON.parse(JSON.stringify(toReport(path.join(tmp, 'large.yaml'), analyzePlan(text)))));
  });

  it('never crashes when the analysis runs out of memory: it says so, with the size and how to give Node more, and exits 2 (#15)', () => {
    const file = write('huge.yaml', generatePlan(3000, { every: true }));
    // 40 MB: the analysis of this plan needs more (it fitted in 120 since the heap is tuned for
    // it, and in 60 since the direct read's sites are packed).
    const r = spawnSync(process.execPath, [bin, 'validate', '--json', file], { encoding: 'utf8', cwd: tmp, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=40' } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^waves: .*huge\.yaml: the analysis of this 5\.\d MB plan ran out of memory: Node may use \d+ MB here.*NODE_OPTIONS=--max-old-space-size=<MB>\.\n$/);
    const [p] = JSON.parse(r.stdout).plans;
    assert.deepEqual(
      p.diagnostics.map((d: { code: string; line: number }) => [d.code, d.line]),
      [['plan-too-large', 1]],
    );
    assert.equal(p.valid, false);
  });
});

describe('waves overlap', () => {
  it('prints a witness or disjoint', () => {
    assert.deepEqual(waves(['overlap', 'src/api/*.py', 'src/**/users.py']), { code: 0, out: 'src/api/users.py\n', err: '' });
    assert.equal(waves(['overlap', '*.md', 'docs/*.md']).out, 'disjoint\n');
  });

  it('--json', () => {
    assert.deepEqual(JSON.parse(waves(['overlap', '--json', 'docs', 'docs/**/a.md']).out), { overlap: true, witness: 'docs/a.md' });
    assert.deepEqual(JSON.parse(waves(['overlap', '--json', 'a/*', 'b/*']).out), { overlap: false, witness: null });
  });

  it('answers tab-separated pairs from stdin, one line each, in order', () => {
    const r = waves(['overlap'], 'src/api/*.py\tsrc/**/users.py\n*.md\tdocs/*.md\nno tab here\r\ndocs/\tdocs/x\n');
    assert.equal(r.code, 0);
    assert.deepEqual(r.out.split('\n'), ['src/api/users.py', 'disjoint', 'error: expected two patterns separated by a tab', 'docs/x', '']);
    const j = waves(['overlap', '--json'], 'a\tb\n');
    assert.deepEqual(JSON.parse(j.out), { overlap: false, witness: null });
  });
});

describe('waves graph', () => {
  it('mermaid: one subgraph per wave and every edge', () => {
    const r = waves(['graph', '--format', 'mermaid', demo]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^flowchart LR\n/);
    assert.equal((r.out.match(/subgraph /g) ?? []).length, 4);
    assert.equal((r.out.match(/ --> /g) ?? []).length, 8);
    assert.match(r.out, /subgraph c2\["Wave 2"\]\n {4}n1\["wp-db"\]\n {4}n2\["wp-api"\]\n {4}n3\["wp-web"\]\n {2}end/);
  });

  it('dot: one cluster per wave and every edge', () => {
    const r = waves(['graph', '--format=dot', demo]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^digraph plan \{/);
    assert.equal((r.out.match(/subgraph cluster_/g) ?? []).length, 4);
    assert.match(r.out, /"wp-contracts" -> "wp-api";/);
    assert.equal((r.out.match(/ -> /g) ?? []).length, 8);
  });

  it('puts packages on a cycle in their own cluster', () => {
    const file = write('cycle.yaml', 'packages:\n  - package_id: a\n    depends_on: [b]\n  - package_id: b\n    depends_on: [a]\n');
    const r = waves(['graph', '--format', 'dot', file]);
    assert.match(r.out, /label="No wave \(dependency cycle\)";/);
    // a cycle is an error: exit 1 with the problem on stderr, as validate reports it
    assert.equal(r.code, 1);
    assert.match(r.err, /cycle\.yaml:\d+:\d+ error dependency-cycle /);
  });

  it('exits 1 with the problems on stderr and draws nothing for an empty or binary file (#6)', () => {
    const empty = write('empty.yaml', '');
    const binary = write('binary.yaml', 'packages:\0\x01\x02');
    for (const file of [empty, binary]) {
      for (const format of ['mermaid', 'dot']) {
        const r = waves(['graph', '--format', format, file]);
        assert.equal(r.code, 1, `${file} ${format}`);
        assert.equal(r.out, '', 'no chart on stdout');
        assert.match(r.err, new RegExp(`${path.basename(file)}:1:\\d+ error yaml-`));
        assert.match(r.err, /invalid — 0 packages/);
      }
    }
  });

  it('rejects an unknown format', () => {
    assert.equal(waves(['graph', '--format', 'png', demo]).code, 2);
  });
});

describe('waves hosts check', () => {
  const hosts = () => write('hosts.yaml', 'hosts:\n  - name: local\n    max_parallel: 2\n');

  it("--agent and --agent-argv are the agent's row of the run's options: waves run's parsing and messages, before any host is reached", () => {
    const cases: [string[], string][] = [
      [['--agent', 'nonesuch'], 'waves: --agent: unknown agent preset "nonesuch" (presets: claude-code, '],
      [['--agent', 'codex-interactive'], 'waves: --agent: "codex-interactive" is an interactive agent: it needs a terminal of its own, which the editor gives it; from the command line use "codex"'],
      [['--agent', 'codex', '--agent-argv', '["x"]'], 'waves: --agent and --agent-argv do not go together'],
      [['--agent-argv', '[]'], 'waves: --agent-argv needs a program: the array is empty or its first string is'],
      [['--agent-argv', 'x y'], 'waves: --agent-argv is not a JSON array of strings: '],
      [['--agent-fallback', 'codex'], 'waves: unknown option --agent-fallback'],
    ];
    for (const [flags, message] of cases) {
      const r = waves(['hosts', 'check', '--hosts', hosts(), ...flags]);
      assert.equal(r.code, 2, flags.join(' '));
      assert.equal(r.out, '', 'no host is checked');
      assert.ok(r.err.startsWith(message), `${flags.join(' ')}: ${r.err}`);
      assert.match(r.err, /\nUsage:\n {2}waves hosts check --hosts FILE \[--agent PRESET \| --agent-argv JSON\] \[--json\]\n/);
      if (!flags.includes('--agent-fallback')) assert.equal(r.err.split('\n')[0], waves(['run', '--dry-run', ...flags, demo]).err.split('\n')[0], 'the message waves run gives');
    }
  });

  it('an agent given as a program (--agent-argv) is checked on a host without its own: its program, found or not', () => {
    const found = waves(['hosts', 'check', '--json', '--hosts', hosts(), '--agent-argv', JSON.stringify([process.execPath, '${promptFile}'])]);
    const agentOf = (out: string) => (JSON.parse(out) as { hosts: { items: { what: string; ok: boolean; detail: string }[] }[] }).hosts[0]!.items.find((i) => i.what === 'agent')!;
    assert.equal(agentOf(found.out).ok, true, found.out + found.err);
    assert.match(agentOf(found.out).detail, new RegExp(process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const missing = waves(['hosts', 'check', '--json', '--hosts', hosts(), '--agent-argv', '["no-such-agent-program"]']);
    assert.equal(missing.code, 1);
    assert.deepEqual([agentOf(missing.out).ok, agentOf(missing.out).detail], [false, 'no-such-agent-program is not on the PATH there']);
  });
});

describe('waves <command> --help (#6)', () => {
  it("prints that command's help alone and exits 0", () => {
    for (const command of ['validate', 'overlap', 'graph']) {
      for (const flag of ['--help', '-h']) {
        const r = waves([command, flag]);
        assert.equal(r.code, 0, `${command} ${flag}: ${r.err}`);
        assert.equal(r.err, '');
        assert.match(r.out, new RegExp(`^Usage:\\n  waves ${command} `));
        assert.equal((r.out.match(/^  waves /gm) ?? []).length, 1, 'only this command');
      }
    }
  });

  it('waves --help lists every command and says how to get one command\'s help', () => {
    const r = waves(['--help']);
    assert.equal(r.code, 0);
    for (const command of ['validate', 'overlap', 'graph']) assert.match(r.out, new RegExp(`^  waves ${command} `, 'm'));
    assert.match(r.out, /waves <command> --help/);
  });
});

describe('waves prompt', () => {
  const repo = path.join(tmp, 'prompt-repo');
  const plan = path.join(repo, 'plans', 'work-packages.yaml');
  before(() => {
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    fs.mkdirSync(path.dirname(plan), { recursive: true });
    fs.copyFileSync(demo, plan);
  });

  it('prints the package prompt with this repository\'s paths; no run yet → the "preview" run id', () => {
    const r = waves(['prompt', plan, 'wp-api']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^# Work package `wp-api`: Profile endpoints\n/);
    const headings = r.out.split('\n').filter((l) => l.startsWith('## '));
    assert.deepEqual(headings, ['## Task', '## Upstream contracts', '## Ownership', '## Downstream obligations', '## Verification', '## Result record']);
    assert.ok(r.out.includes(`Result record: \`${path.join(repo, '.waves', 'runs', 'user-profiles', 'preview', 'wp-contracts', '1', 'result.json')}\``), r.out);
    assert.ok(r.out.includes(`write this JSON file: \`${path.join(repo, '.waves', 'runs', 'user-profiles', 'preview', 'wp-api', '1', 'result.json')}\``));
    assert.ok(r.out.includes(`Work in \`${path.join(tmp, 'prompt-repo.worktrees', 'user-profiles', 'wp-api')}\``));
    assert.match(r.err, /no run yet: paths use the run id "preview"/);
    assert.equal(waves(['prompt', plan, 'wp-api']).out, r.out, 'deterministic');
  });

  it('takes the run id and the dependencies\' changes from the feature\'s run state', () => {
    const runs = path.join(repo, '.waves', 'runs');
    fs.mkdirSync(runs, { recursive: true });
    fs.writeFileSync(
      path.join(runs, 'user-profiles.json'),
      JSON.stringify({ version: 2, runId: 'r7', packages: { 'wp-contracts': { status: 'succeeded', attempts: 2, resultFile: null, changedFiles: [{ path: 'contracts/openapi.yaml', change: 'M' }] } } }),
    );
    try {
      const r = waves(['prompt', plan, 'wp-api']);
      assert.equal(r.code, 0, r.err);
      assert.ok(r.out.includes(path.join(repo, '.waves', 'runs', 'user-profiles', 'r7', 'wp-contracts', '2', 'result.json')), r.out);
      assert.match(r.out, /Files it changed:\n {2}- `contracts\/openapi\.yaml`/);
      assert.match(r.err, /run r7 \(from /);
    } finally {
      fs.rmSync(path.join(repo, '.waves'), { recursive: true, force: true });
    }
  });

  it("--run-id and --worktree; a shared package works in the feature's shared worktree, not in the repository", () => {
    const r = waves(['prompt', '--run-id', 'r9', '--worktree=/elsewhere/wt', plan, 'wp-db']);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(path.join(repo, '.waves', 'runs', 'user-profiles', 'r9', 'wp-db', '1', 'result.json')));
    assert.match(r.out, /Work in `\/elsewhere\/wt`/);
    assert.equal(r.err, '');
    assert.ok(waves(['prompt', plan, 'wp-integration']).out.includes(`Work in \`${path.join(`${repo}.worktrees`, 'user-profiles', '_shared')}\`: the feature's shared git worktree`));
  });

  it('refuses an unknown package, a bad run id and wrong arguments, with a clear message', () => {
    const unknown = waves(['prompt', plan, '$(touch pwned); wp-x']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /has no package "\$\(touch pwned\); wp-x" \(its packages: wp-contracts, wp-db, wp-api, wp-web, wp-docs, wp-integration\)/);
    assert.equal(fs.existsSync(path.join(tmp, 'pwned')), false);
    assert.match(waves(['prompt', '--run-id', '../x', plan, 'wp-api']).err, /--run-id "\.\.\/x" cannot name a folder/);
    assert.equal(waves(['prompt', plan]).code, 2);
    assert.match(waves(['prompt', path.join(tmp, 'missing.yaml'), 'a']).err, /cannot read .*missing\.yaml: no such file/);
    assert.match(waves(['prompt', '--help']).out, /waves prompt \[--run-id ID\] \[--worktree DIR\] <plan> <package>/);
  });

  it('prints the prompt of a plan with errors but reports them and exits 1', () => {
    const file = write('prompt-broken.yaml', broken);
    const r = waves(['prompt', file, 'a']);
    assert.equal(r.code, 1);
    assert.match(r.out, /^# Work package `a`/);
    assert.match(r.err, /error dependency-unknown/);
  });
});

describe('plans of plans: waves validate, graph and run', () => {
  /** A repository holding a plan whose package `api` is a parent of `plans/api.yaml`. */
  function nestedRepo(subWrites: string): string {
    const repo = fs.mkdtempSync(path.join(tmp, 'nested-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    fs.mkdirSync(path.join(repo, 'plans'));
    fs.writeFileSync(
      path.join(repo, 'work-packages.yaml'),
      `schema_version: 1
feature: {id: shop}
packages:
  - package_id: api
    scope: {write_allow: ["src/api/users/**"]}
    inputs: {waves: {plan: plans/api.yaml}}
  - package_id: ui
    depends_on: [api]
    scope: {write_allow: ["src/ui/**"]}
`,
    );
    fs.writeFileSync(
      path.join(repo, 'plans', 'api.yaml'),
      `schema_version: 1
feature: {id: shop-api}
packages:
  - package_id: model
    scope: {write_allow: ["${subWrites}"]}
  - package_id: routes
    depends_on: [model]
    scope: {write_allow: ["src/api/users/routes/**"]}
`,
    );
    return repo;
  }
  const inRepo = (repo: string, args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repo });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('validate reads each sub-plan and says a write outside its parent in the sub-plan\'s file, at its line', () => {
    const repo = nestedRepo('src/api/**');
    const r = inRepo(repo, ['validate', 'work-packages.yaml']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^work-packages\.yaml: valid — 2 packages in 2 waves/m);
    assert.match(r.out, /^plans\/api\.yaml:5:27 error sub-plan-scope `src\/api\/\*\*` is not inside `src\/api\/users\/\*\*` \(the write scope of `api` in work-packages\.yaml\): `src\/api[^`]*`$/m);
    assert.match(r.out, /^plans\/api\.yaml: invalid — 2 packages in 2 waves, 1 error/m);
    const json = JSON.parse(inRepo(repo, ['validate', '--json', 'work-packages.yaml']).out) as { plans: { file: string; valid: boolean; subPlanOf?: unknown }[] };
    assert.deepEqual(json.plans.map((p) => [p.file, p.valid, p.subPlanOf ?? null]), [
      ['work-packages.yaml', true, null],
      ['plans/api.yaml', false, { file: 'work-packages.yaml', packageId: 'api' }],
    ]);
    fs.writeFileSync(path.join(repo, 'plans', 'api.yaml'), fs.readFileSync(path.join(repo, 'plans', 'api.yaml'), 'utf8').replace('src/api/**', 'src/api/users/model.ts'));
    assert.equal(inRepo(repo, ['validate', 'work-packages.yaml']).code, 0);
  });

  it('validate refuses a sub-plan that leads out of the repository, and one missing, at the parent\'s value', () => {
    const repo = nestedRepo('src/api/users/model.ts');
    const outside = write('outside-plan.yaml', 'packages:\n  - package_id: x\n');
    fs.rmSync(path.join(repo, 'plans', 'api.yaml'));
    fs.symlinkSync(outside, path.join(repo, 'plans', 'api.yaml'));
    const r = inRepo(repo, ['validate', 'work-packages.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.out, /^work-packages\.yaml:6:28 error sub-plan-outside the sub-plan `plans\/api\.yaml` is .*outside-plan\.yaml, outside the plan's repository/m);
    assert.doesNotMatch(r.out, /outside-plan\.yaml: (in)?valid/);
    fs.rmSync(path.join(repo, 'plans', 'api.yaml'));
    assert.match(inRepo(repo, ['validate', 'work-packages.yaml']).out, /^work-packages\.yaml:6:28 error sub-plan-missing cannot read the sub-plan plans\/api\.yaml: no such file$/m);
  });

  it("prompt gives a sub-plan's package by its run id, with its sub-plan and what it depends on; a parent's says no agent works on it", () => {
    const repo = nestedRepo('src/api/users/model.ts');
    const routes = inRepo(repo, ['prompt', 'work-packages.yaml', 'api__routes']);
    assert.equal(routes.code, 0, routes.err);
    assert.match(routes.out, /^# Work package `api__routes`/);
    assert.match(routes.out, /This package is part of the sub-plan `plans\/api\.yaml`.*the work of `api`\./);
    assert.match(routes.out, /^### `api__model`/m);
    assert.match(routes.out, /^- `src\/api\/users\/routes\/\*\*`$/m);
    const parent = inRepo(repo, ['prompt', 'work-packages.yaml', 'api']);
    assert.equal(parent.code, 0, parent.err);
    assert.equal(parent.out, "No agent: `api` is its sub-plan's join. It starts once api__model, api__routes landed; its verification runs on their work together.\n");
    // The sub-plan's own id is not the run's: the packages the run has are named.
    const local = inRepo(repo, ['prompt', 'work-packages.yaml', 'model']);
    assert.equal(local.code, 2);
    assert.match(local.err, /has no package "model" \(its packages: api, api__model, api__routes, ui\)/);
  });

  it('graph draws the parent as a cluster holding its sub-plan\'s waves, in Mermaid and DOT', () => {
    const repo = nestedRepo('src/api/users/model.ts');
    const m = inRepo(repo, ['graph', 'work-packages.yaml']);
    assert.equal(m.code, 0, m.err);
    assert.equal(
      m.out,
      [
        'flowchart LR',
        '  subgraph c1["Wave 1"]',
        '    subgraph c2["api: plans/api.yaml"]',
        '      n0["api"]',
        '      subgraph c3["Wave 1"]',
        '        n1["model"]',
        '      end',
        '      subgraph c4["Wave 2"]',
        '        n2["routes"]',
        '      end',
        '    end',
        '  end',
        '  subgraph c5["Wave 2"]',
        '    n3["ui"]',
        '  end',
        '  n0 --> n3',
        '  n1 --> n2',
        '  classDef critical stroke-width:3px',
        '  class n0,n3 critical',
        '',
      ].join('\n'),
    );
    const dot = inRepo(repo, ['graph', '--format', 'dot', 'work-packages.yaml']);
    assert.match(dot.out, /subgraph cluster_2 \{\n {6}label="api: plans\/api\.yaml";\n {6}n0 \[label="api", penwidth=3\];\n {6}subgraph cluster_3 \{/);
    assert.match(dot.out, /n1 -> n2;/);
  });

  it('run takes a plan with a parent as one run (its children under it, then it, then its dependents); refuses one whose sub-plan has errors, positioned; a sub-plan planned at run time plans first', () => {
    const commit = (repo: string) => {
      execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'add', '-A'], { cwd: repo });
      execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'plan'], { cwd: repo });
    };
    const good = nestedRepo('src/api/users/model.ts');
    commit(good);
    const dry = inRepo(good, ['run', '--dry-run', '--unconfined', '--agent-argv', '["true"]', 'work-packages.yaml']);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^shop: 4 packages,/);
    assert.match(dry.out, /^ {2}1\. api__model\n {2}2\. api__routes\n {2}3\. api\n {2}4\. ui$/m);
    assert.match(dry.out, /===== prompt of api .*=====\nNo agent: `api` is its sub-plan's join\. It starts once api__model, api__routes landed/);

    const bad = nestedRepo('src/db/**');
    commit(bad);
    const r = inRepo(bad, ['run', '--unconfined', '--agent-argv', '["true"]', 'work-packages.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.err, /work-packages\.yaml has sub-plans that cannot run:\n {2}plans\/api\.yaml:5:27 error sub-plan-scope `src\/db\/\*\*` is not inside `src\/api\/users\/\*\*`/);
    assert.equal(fs.existsSync(path.join(bad, '.waves', 'runs')), false);

    const byAgent = nestedRepo('src/api/users/model.ts');
    fs.writeFileSync(path.join(byAgent, 'work-packages.yaml'), fs.readFileSync(path.join(byAgent, 'work-packages.yaml'), 'utf8').replace('plan: plans/api.yaml', 'plan: {by: agent}'));
    commit(byAgent);
    // Valid, with nothing to say before a run: its planner plans first, then its dependents wait for what it planned.
    const checked = inRepo(byAgent, ['validate', 'work-packages.yaml']);
    assert.equal(checked.code, 0, checked.out + checked.err);
    assert.match(checked.out, /0 errors, 0 warnings/);
    const planned = inRepo(byAgent, ['run', '--dry-run', '--unconfined', '--agent-argv', '["true"]', 'work-packages.yaml']);
    assert.equal(planned.code, 0, planned.err);
    assert.match(planned.out, /^ {2}1\. api___plan\n {2}2\. api\n {2}3\. ui$/m);
    assert.match(planned.out, /===== prompt of api___plan .*=====\n# Plan the work of package `api`/);
    assert.match(planned.out, /Every package writes only inside `src\/api\/users\/\*\*`/);
    assert.match(planned.out, /^- Locks: no lock files; no lock keys \(`api`.s own\)\.$/m);
    assert.match(planned.out, /^Sub-plan file: `[^`]*api___plan[/\\]1[/\\]sub-plan\.yaml`$/m);
    // `waves prompt` prints the same planner's prompt.
    const prompt = inRepo(byAgent, ['prompt', 'work-packages.yaml', 'api___plan']);
    assert.equal(prompt.code, 0, prompt.err);
    assert.match(prompt.out, /^# Plan the work of package `api`/);
    assert.match(prompt.out, /^Sub-plan file: `[^`]*api___plan[/\\]1[/\\]sub-plan\.yaml`$/m);
    // Once a run kept what the planner wrote, `waves validate` checks it as a sub-plan file, positioned in it, and the dry run runs it after the planner.
    fs.mkdirSync(path.join(byAgent, '.waves', 'planned', 'shop'), { recursive: true });
    fs.writeFileSync(path.join(byAgent, '.waves', 'planned', 'shop', 'api.yaml'), 'schema_version: 1\nfeature: {id: shop-api}\npackages:\n  - package_id: model\n    scope: {write_allow: ["src/web/**"]}\n');
    const keptBad = inRepo(byAgent, ['validate', 'work-packages.yaml']);
    assert.equal(keptBad.code, 1, keptBad.out);
    assert.match(keptBad.out, /^\.waves\/planned\/shop\/api\.yaml:5:\d+ error sub-plan-scope `src\/web\/\*\*` is not inside `src\/api\/users\/\*\*`/m);
    fs.writeFileSync(path.join(byAgent, '.waves', 'planned', 'shop', 'api.yaml'), 'schema_version: 1\nfeature: {id: shop-api}\npackages:\n  - package_id: model\n    scope: {write_allow: ["src/api/users/model/**"]}\n');
    const keptDry = inRepo(byAgent, ['run', '--dry-run', '--unconfined', '--agent-argv', '["true"]', 'work-packages.yaml']);
    assert.equal(keptDry.code, 0, keptDry.err);
    assert.match(keptDry.out, /^ {2}1\. api___plan\n {2}2\. api__model\n {2}3\. api\n {2}4\. ui$/m);
    assert.equal(fs.existsSync(path.join(byAgent, '.waves', 'runs')), false);
  });
});
