/**
 * `waves status` as a person runs it — the built bin in real processes, real git repositories,
 * the scripted test agent inside its walls:
 * - parity: over a real run on a host of the hosts list, with a review revision and what the
 *   walls refused, every fact the text status, `waves review` and the report show of a package is
 *   in `waves status --json`, with the same value (core/present/packageFacts.ts is where all of
 *   them read it);
 * - a run started under one home folder, looked at under another on the same machine (sudo, a
 *   container, a CI job): not called another machine's (ADR 0027);
 * - a plan of plans as a tree; the person's own folder unusable, said plainly.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { reviewHeadline, statusPackageLines, type StatusPackage } from '../../src/core/present/packageFacts';
import { sanitize } from '../../src/core/present/terminalText';
import { runStateFile } from '../../src/core/run/runPaths';
import type { RunState } from '../../src/core/run/runState';
import { cliTestbed, commitNestedPlan, commitPlan, type ScriptedPackage } from './planFixture';

const { tmp, AGENT, homeEnv, waves } = cliTestbed('waves-status-cli-');

/** A repository on `main` with the plan (packages: id, dependencies, the scripted agent's instructions) committed. */
function repoWithPlan(feature: string, packages: ScriptedPackage[], env: NodeJS.ProcessEnv): string {
  return commitPlan(path.join(tmp, feature), feature, packages, env);
}

type StatusJson = {
  foreign: string | null;
  packages: (StatusPackage & { title: string | null; locks: unknown[]; report: Record<string, unknown> | null })[];
};

describe('waves status --json carries every fact of a package the others show', () => {
  it('a run on a host, with a review revision and what the walls refused: the text status, waves review and the report say nothing --json does not, with the same values', () => {
    const env = homeEnv('parity-home');
    const plan = repoWithPlan(
      'parity',
      [
        {
          id: 'p',
          agent: ['unless-followup write p/x.ts const a = 1;\\n', 'if-followup write p/x.ts const A = 1;\\n', 'try-proxy example.com:443', 'commit'],
        },
        { id: 'q', deps: ['p'], agent: ['write q/y.txt after p', 'commit'] },
      ],
      env,
    );
    // The packages placed on a host of the hosts list: this machine, by its name there.
    const hosts = path.join(tmp, 'hosts.yaml');
    fs.writeFileSync(hosts, 'hosts:\n  - name: here\n    max_parallel: 2\n');
    const RUN = ['--agent-argv', AGENT, '--hosts', hosts];
    const first = waves(['run', ...RUN, plan], env);
    assert.equal(first.code, 0, first.out + first.err);

    // A revision: two comments sent to p, carried out by a resumed run on the same host.
    const comments = path.join(tmp, 'comments.txt');
    fs.writeFileSync(comments, 'p/x.ts:1: Upper-case this constant\np/x.ts: And say where it starts\n');
    const sent = waves(['review', '--comments', comments, '--request-changes', '--no-run', plan, 'p'], env);
    assert.equal(sent.code, 0, sent.out + sent.err);
    const resumed = waves(['run', '--resume', ...RUN, plan], env);
    assert.equal(resumed.code, 0, resumed.out + resumed.err);

    const status = JSON.parse(waves(['status', '--json', plan], env).out) as StatusJson;
    const byId = new Map(status.packages.map((p) => [p.id, p]));
    const p = byId.get('p')!;
    // What the run did is there: the host, the revision, the refusal, the follow-up, the merge.
    assert.deepEqual(
      [p.status, p.attempts, p.host, p.revisions, p.refused, p.merge, p.followUps.map((f) => [f.kind, f.attempt]), p.openComments],
      ['succeeded', 2, 'here', 1, ['example.com:443'], 'merged', [['review', 2]], 2],
    );
    assert.equal(byId.get('q')!.host, 'here');

    // The text status: every package line is what the JSON's facts make — nothing else is in it.
    const text = waves(['status', plan], env);
    assert.equal(text.code, 0, text.err);
    const expected = statusPackageLines(status.packages, Infinity).map(sanitize);
    assert.ok(text.out.includes(expected.join('\n') + '\n'), `the text status:\n${text.out}\nthe JSON's facts say:\n${expected.join('\n')}`);
    assert.match(text.out, /^p +1 +succeeded +2 +\S+ +0 +merged +on here$/m);
    assert.match(text.out, /^p: Its walls refused a connection to example\.com:443 /m);
    assert.match(text.out, /^p: 1 revision; 2 open comments$/m);

    // waves review: its facts of each package are the status's.
    const review = JSON.parse(waves(['review', '--json', plan], env).out) as { packages: { packageId: string; status: string; attempts: number; revisions: number; threads: unknown[] }[] };
    assert.equal(review.packages.length, status.packages.length);
    for (const r of review.packages) {
      const s = byId.get(r.packageId)!;
      assert.deepEqual([r.status, r.attempts, r.revisions, r.threads.length], [s.status, s.attempts, s.revisions, s.openComments], r.packageId);
    }
    const reviewText = waves(['review', plan], env).out;
    for (const s of status.packages) assert.match(reviewText, new RegExp(`^${reviewHeadline(s, s.openComments ?? 0).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));

    // The report: every key of each of its packages is in the status, with the same value
    // (what it judged of the result records under `report`, as the report read them at the run's end).
    const report = JSON.parse(waves(['report', '--json', plan], env).out) as { packages: Record<string, unknown>[]; integrationGuard?: { blamed: { packageId: string; attempt: number; at: string }[] } };
    assert.equal(report.packages.length, status.packages.length);
    for (const r of report.packages) {
      const s = byId.get(r.id as string)! as unknown as Record<string, unknown>;
      assert.ok(s, `${String(r.id)} in the status`);
      const reported = s.report as Record<string, unknown> | null;
      assert.ok(reported, `${String(r.id)}: the status carries what the report says of its result record`);
      for (const [key, value] of Object.entries(r)) {
        const mine: unknown = key in s ? s[key] : reported[key];
        assert.deepEqual(mine, value, `${String(r.id)}.${key}: status ${JSON.stringify(mine)}, report ${JSON.stringify(value)}`);
      }
    }
    const markdown = waves(['report', plan], env).out;
    assert.match(markdown, /^\| `p` Package p \| succeeded \| 2 \|.*Its walls refused a connection to example\.com:443.*1 review revision/m);
  });
});

describe('a run under another home folder on this machine', () => {
  it('a run started under one home folder is not another machine\'s under another: it says so, and it is not driven there but on Resume', () => {
    const mine = homeEnv('home-one');
    const other = homeEnv('home-two');
    const plan = repoWithPlan('homes', [{ id: 'p', agent: ['write p/a.txt one'] }, { id: 'q', deps: ['p'], agent: ['write q/b.txt two'] }], mine);
    // Only p: q is left to run.
    const run = waves(['run', '--only', 'p', '--agent-argv', AGENT, plan], mine);
    assert.equal(run.code, 0, run.out + run.err);

    // Under the home that started it: its own.
    assert.equal((JSON.parse(waves(['status', '--json', plan], mine).out) as StatusJson).foreign, null);
    assert.doesNotMatch(waves(['status', plan], mine).out, /not yours here/);

    // Under another home on this machine: not this person's — and not called another machine's.
    const folder = other.WAVES_CONFIG_DIR!;
    const why = `it was started on this machine, but by another user or under another home folder (not with ${folder})`;
    const json = JSON.parse(waves(['status', '--json', plan], other).out) as StatusJson;
    assert.equal(json.foreign, why);
    const text = waves(['status', plan], other).out;
    assert.ok(text.includes(`this run is not yours here: ${why}; nothing drives it here unless you resume it`), text);
    assert.doesNotMatch(text, /another machine/);

    // Their Run does not go on with it: a run of their own starts, and the message is as true.
    const again = waves(['run', '--json', '--agent-argv', AGENT, plan], other);
    assert.ok(again.out.includes(`which is not yours here: ${why}. A new run starts;`), again.out + again.err);
    assert.doesNotMatch(again.out + again.err, /another machine/);
    // That run is theirs now: under their home it is not foreign, under the first one it is (on this machine).
    assert.equal((JSON.parse(waves(['status', '--json', plan], other).out) as StatusJson).foreign, null);
    assert.equal((JSON.parse(waves(['status', '--json', plan], mine).out) as StatusJson).foreign, `it was started on this machine, but by another user or under another home folder (not with ${mine.WAVES_CONFIG_DIR})`);
  });
});

describe('a plan of plans in waves run and waves status', () => {
  it('waves run carries a plan of plans out as one run; waves status prints it as a tree, each package below its parent, and --json names the parent', () => {
    const env = homeEnv('nested-home');
    const repo = path.join(tmp, 'nested');
    // api's work is plans/api.yaml, two levels deep; its scope holds its children's.
    const plan = commitNestedPlan(repo, 'nested', {
      'api.yaml': { feature: 'nested-api', packages: [{ id: 'users', write: 'api/users/**', agent: ['noop'], extra: ['inputs: {waves: {plan: users.yaml}}'] }, { id: 'orders', write: 'api/orders/**', agent: ['write api/orders/o.txt o', 'commit'], extra: ['depends_on: [users]'] }] },
      'users.yaml': { feature: 'nested-users', packages: [{ id: 'model', write: 'api/users/model.txt', agent: ['write api/users/model.txt m', 'commit'] }] },
    }, env);

    const run = waves(['run', '--agent-argv', AGENT, plan], env);
    assert.equal(run.code, 0, run.out + run.err);
    const text = waves(['status', plan], env).out;
    const rows = text.split('\n').filter((l) => /^ *(api|ui)\S*\s+\d/.test(l)).map((l) => l.replace(/\s{2,}\d.*$/, ''));
    assert.deepEqual(rows, ['api', '  api__users', '    api__users__model', '  api__orders', 'ui'], text);
    assert.match(text, /^ {4}api__users__model\s+\d\s+succeeded/m);
    assert.match(text, / 3\/3 done/, 'the header counts the leaves, as the status bar does');
    const json = JSON.parse(waves(['status', '--json', plan], env).out) as StatusJson;
    assert.deepEqual(json.packages.map((p) => [p.id, p.parent ?? null, p.depth ?? 0, p.status]), [
      ['api', null, 0, 'succeeded'],
      ['api__users', 'api', 1, 'succeeded'],
      ['api__users__model', 'api__users', 2, 'succeeded'],
      ['api__orders', 'api', 1, 'succeeded'],
      ['ui', null, 0, 'succeeded'],
    ]);
    // A parent's time runs from the first start below it to its own end, not its join's moment alone.
    const of = (id: string) => json.packages.find((p) => p.id === id)!;
    const state = JSON.parse(fs.readFileSync(runStateFile(repo, 'nested'), 'utf8')) as RunState;
    assert.equal(of('api').elapsedMs, Date.parse(state.packages.api!.endedAt!) - Date.parse(state.packages.api__users__model!.startedAt!));
    assert.ok(of('api').elapsedMs! >= of('api__orders').elapsedMs!, 'at least as long as any package below it');
    // waves finish counts as the run's end and status do (the leaves; a parent is its sub-plan's join), and lists every merge.
    const finish = waves(['finish', plan], env).out;
    assert.match(finish, /holds 3 of 3 packages of run /, finish);
    assert.match(finish, /^ {2}merged {2}api__users \([0-9a-f]{12}\) — its sub-plan's join$/m, finish);
    assert.match(finish, /^ {2}merged {2}api__users__model \([0-9a-f]{12}\) — 1 file$/m, finish);
  });

  it("a parent whose own check fails on its children's work: waves status counts it as a failure, once, beside its leaves", () => {
    const env = homeEnv('nested-fail-home');
    const repo = path.join(tmp, 'nested-fail');
    const plan = commitNestedPlan(repo, 'nested-fail', {
      'api.yaml': { feature: 'nested-fail-api', packages: [{ id: 'model', write: 'api/model/**', agent: ['write api/model/m.txt m', 'commit'] }] },
    }, env, ['verification:', '  steps:', '    - {name: served, kind: command, command: "test -f api/served.txt"}']);
    assert.equal(waves(['approve', '--yes', plan], env).code, 0);
    const run = waves(['run', '--agent-argv', AGENT, plan], env);
    assert.equal(run.code, 1, run.out + run.err);
    const text = waves(['status', plan], env).out;
    assert.match(text, /^api\s+\d\s+failed/m, text);
    assert.match(text, /^ {2}api__model\s+\d\s+succeeded/m);
    // The leaves (model, ui) and the failed parent, each once: before, the header said "2/2 done · 1 blocked".
    assert.match(text, /^wave 3\/3 · 3\/3 done · 1 failed · 1 blocked$/m, text);
  });
});

describe("the person's own folder unusable", () => {
  it('WAVES_CONFIG_DIR naming a file: status and a dry run of a plan that ran say so and how to choose another, exit 2, no internal error', () => {
    const env = homeEnv('config-home');
    const plan = repoWithPlan('config', [{ id: 'a', agent: ['write a/x.txt x', 'commit'] }], env);
    assert.equal(waves(['run', '--agent-argv', AGENT, plan], env).code, 0);
    const file = path.join(tmp, 'config-home', 'not-a-folder');
    fs.writeFileSync(file, 'x\n');
    for (const args of [['status', plan], ['run', '--dry-run', '--agent-argv', AGENT, plan]]) {
      const r = waves(args, { ...env, WAVES_CONFIG_DIR: file });
      assert.equal(r.code, 2, `${args[0]}: ${r.out}${r.err}`);
      assert.equal(r.err, `waves: Wave Orchestrator's own folder ${file} cannot be used: a file is in its place. It keeps your approvals and your id on this machine: set WAVES_CONFIG_DIR to a folder you can write, or move what is in the way.\n`);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'x\n', 'the file is left as it was');
  });
});
