/**
 * Task lists of other tools given to `waves convert`, `validate` and `graph`: the built bin
 * (`npm run build` first) in a real process. GSD and Spec Kitty as folders and as one file of
 * one; the other formats read-only by validate and graph.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const fixtures = path.join(root, 'test', 'fixtures', 'formats');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-foreign-'));

function waves(args: string[], cwd = tmp) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A fixture folder copied under the temporary folder. */
function copyDir(rel: string): string {
  const to = path.join(fs.mkdtempSync(path.join(tmp, 'copy-')), path.basename(rel));
  fs.cpSync(path.join(fixtures, rel), to, { recursive: true });
  return to;
}

const KITTY = 'spec-kitty/write-path-integrity-01KZZD69';

describe('waves convert: formats kept one task a file', () => {
  it('a Spec Kitty feature folder: work-packages.yaml in it, valid, dependencies and owned files kept', () => {
    const dir = copyDir(KITTY);
    const r = waves(['convert', dir]);
    assert.equal(r.code, 0, r.out + r.err);
    const yaml = fs.readFileSync(path.join(dir, 'work-packages.yaml'), 'utf8');
    assert.match(yaml, /- package_id: wp04\n(.*\n)*? {4}depends_on:\n {6}- wp02\n {6}- wp03\n/);
    assert.match(yaml, /write_allow:\n {8}- "src\/mission_runtime\/resolution\.py"\n/);
    assert.match(r.out, /4 packages from Spec Kitty work packages/);
    assert.match(r.out, /work-packages\.yaml: valid — 4 packages in 3 waves/);
  });

  it('one GSD PLAN.md: its phase folder read with it, diagnostics in each plan file', () => {
    const dir = copyDir('gsd/phases/02-auth');
    const r = waves(['convert', path.join(dir, '02-03-PLAN.md')]);
    assert.ok(fs.existsSync(path.join(dir, 'work-packages.yaml')), r.out + r.err);
    assert.match(r.out, /4 packages from GSD PLAN\.md/);
    assert.match(r.out, new RegExp(`02-03-PLAN\\.md:5:7 warning foreign-wave-mismatch`));
    assert.match(r.out, new RegExp(`02-04-PLAN\\.md:6:32 error foreign-dependency-unknown`));
    assert.match(r.out, new RegExp(`02-01-PLAN\\.md:6:14 info foreign-dependency-external`));
  });
});

describe('waves validate and graph: task lists of other tools, read-only', () => {
  it('validate a Spec Kitty folder and a GSD phase folder: the waves, exit 0; --json too', () => {
    const r = waves(['validate', '--no-coupling', path.join(fixtures, KITTY)]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /valid — 4 packages in 3 waves, 0 errors, 0 warnings\n {2}wave 1: wp01, wp02\n {2}wave 2: wp03\n {2}wave 3: wp04\n/);
    const one = waves(['validate', '--no-coupling', path.join(fixtures, 'gsd/phases/01-test')]);
    assert.equal(one.code, 0, one.out + one.err);
    const json = JSON.parse(waves(['validate', '--json', '--no-coupling', path.join(fixtures, KITTY)]).out);
    assert.deepEqual(json.plans[0].waves, [['wp01', 'wp02'], ['wp03'], ['wp04']]);
    assert.equal(json.plans[0].format, 'spec-kitty');
    assert.equal(fs.existsSync(path.join(fixtures, KITTY, 'work-packages.yaml')), false); // read-only
  });

  it('validate a file with errors: file:line:col in each source file, the checker\'s overlaps on the package, exit 1', () => {
    const r = waves(['validate', '--no-coupling', path.join(fixtures, 'gsd/phases/02-auth/02-01-PLAN.md')]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /02-04-PLAN\.md:6:32 error foreign-dependency-unknown Task `02-04` depends on `02-09`/);
    assert.match(r.out, /02-03-PLAN\.md:3:7 error write-overlap `src\/app\.ts`/); // the plan's own check, on `plan: 03`
    assert.match(r.out, /invalid — 4 packages in 3 waves, 3 errors, 3 warnings/);
    const kitty = waves(['validate', '--no-coupling', path.join(fixtures, 'spec-kitty/broken/tasks/WP02-api.md')]);
    assert.equal(kitty.code, 1);
    assert.match(kitty.out, /broken\/tasks\/WP02-api\.md:5:3 error foreign-dependency-cycle/);
    assert.match(kitty.out, /no wave \(dependency cycle\): wp01, wp02, wp03/);
  });

  it('Spec Kitty state files beside tasks/ are read with it: lanes, lane order, diagnostics in each state file', () => {
    const r = waves(['validate', '--no-coupling', path.join(fixtures, 'spec-kitty/broken-state/tasks/WP02-api.md')]);
    assert.equal(r.code, 1, r.out + r.err); // one line of the log is not JSON
    assert.match(r.out, /broken-state\/status\.events\.jsonl:16:131 error foreign-not-format /);
    assert.match(r.out, /broken-state\/status\.json:8:15 warning foreign-state-invalid status\.json says `WP01` is `approved`/);
    assert.match(r.out, /broken-state\/lanes\.json:9:9 warning foreign-state-invalid lanes\.json runs `WP04` before `WP01`/);
    assert.match(r.out, /broken-state\/tasks\/WP03-cli\.md:2:18 info foreign-implied-dependency /);
    assert.match(r.err, /2 of 4 packages are done already in the source/);
    for (const state of ['status.events.jsonl', 'status.json', 'lanes.json']) {
      const one = waves(['validate', '--no-coupling', path.join(fixtures, 'spec-kitty/broken-state', state)]);
      assert.equal(one.out, r.out.replace(/tasks\/WP02-api\.md: invalid/, `${state}: invalid`), state); // the feature it is of: not an issues.jsonl, not a plan
    }
    const dir = copyDir('spec-kitty/execution-state-canonical-surface-01KTG6P9');
    const c = waves(['convert', dir]);
    assert.equal(c.code, 0, c.out + c.err);
    assert.match(fs.readFileSync(path.join(dir, 'work-packages.yaml'), 'utf8'), /- package_id: wp12\n(.*\n)*? {6}- wp11 {2}# implied: the order of Spec Kitty's lane `lane-b` in lanes\.json/);
  });

  it('validate each single-file format: tasks.md, tasks.json, issues.jsonl', () => {
    for (const [rel, packages] of [
      ['spec-kit/001-photo-albums.tasks.md', 16],
      ['kiro/photo-albums-en.tasks.md', null],
      ['openspec/add-global-install-scope.tasks.md', null],
      ['taskmaster/legacy.tasks.json', 3],
      ['beads/issues-37f3a8da.jsonl', null],
    ] as const) {
      const r = waves(['validate', '--no-coupling', path.join(fixtures, rel)]);
      assert.ok(r.code === 0 || r.code === 1, `${rel}: ${r.err}`);
      assert.match(r.out, new RegExp(`${path.basename(rel).replace(/\./g, '\\.')}: (valid|invalid) — ${packages ?? '\\d+'} packages? in \\d+ waves?`), rel);
      assert.doesNotMatch(r.out, /schema-|yaml-/, rel); // never read as YAML
    }
    const tm = waves(['validate', '--no-coupling', path.join(fixtures, 'taskmaster/broken.tasks.json')]);
    assert.equal(tm.code, 1);
    assert.match(tm.out, /broken\.tasks\.json:\d+:\d+ error foreign-dependency-cycle/);
  });

  it('graph: mermaid and dot of the dependencies; a plan with errors exits 1 with its problems on stderr', () => {
    const m = waves(['graph', path.join(fixtures, KITTY)]);
    assert.equal(m.code, 0, m.err);
    assert.match(m.out, /^flowchart LR\n/);
    assert.match(m.out, /subgraph c3\["Wave 3"\]\n {4}n3\["wp04"\]/);
    assert.match(m.out, /n1 --> n3/);
    const d = waves(['graph', '--format', 'dot', path.join(fixtures, 'taskmaster/legacy.tasks.json')]);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /"task-1" -> "task-3";/);
    const bad = waves(['graph', path.join(fixtures, 'spec-kitty/broken')]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /No wave \(dependency cycle\)/);
    assert.match(bad.err, /WP02-api\.md:5:3 error foreign-dependency-cycle/);
  });

  it('a work-packages.yaml is still read as a plan; a missing folder exits 2', () => {
    const dir = copyDir(KITTY);
    assert.equal(waves(['convert', dir]).code, 0);
    const r = waves(['validate', '--no-coupling', path.join(dir, 'work-packages.yaml')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /work-packages\.yaml: valid — 4 packages in 3 waves/);
    assert.equal(waves(['graph', path.join(tmp, 'nothing-here', 'tasks.md')]).code, 2);
  });

  it('a Spec Kitty tasks/ folder whose files name no work package (`01-….md`): read, never exit 2; `.` too', () => {
    const dir = copyDir('spec-kitty/numbered-tasks');
    const tasks = path.join(dir, 'tasks');
    const r = waves(['validate', '--no-coupling', tasks]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /tasks: valid — 4 packages in 3 waves, 0 errors, 0 warnings\n {2}wave 1: wp01, wp04\n {2}wave 2: wp02\n {2}wave 3: wp03\n/);
    assert.match(r.err, /`01-export-model\.md` → `WP01`, `02-export-api\.md` → `WP02`: their front matter has no `work_package_id`/);
    const here = waves(['validate', '--no-coupling', '.'], tasks);
    assert.equal(here.code, 0, here.out + here.err);
    assert.match(here.out, /^\.: valid — 4 packages in 3 waves/m);
    // A problem in it: positioned, exit 1.
    fs.appendFileSync(path.join(dir, 'tasks.md'), '\n## Work Package WP04: Cleanup\n\n- Depends on WP09.\n');
    const bad = waves(['validate', '--no-coupling', dir]);
    assert.equal(bad.code, 1, bad.out + bad.err);
    assert.match(bad.out, /numbered-tasks\/tasks\.md:38:14 error foreign-dependency-unknown Task `WP04` depends on `WP09`/);
  });

  it('Spec Kitty dependencies stated only in tasks.md order the waves; a contradiction is a warning in both files', () => {
    const r = waves(['validate', '--no-coupling', path.join(fixtures, 'spec-kitty/003-auto-protect-agent')]);
    assert.match(r.out, /003-auto-protect-agent: (valid|invalid) — 5 packages in 4 waves/);
    assert.match(r.err, /`WP02`, `WP03`, `WP04`, `WP05` have no dependency in their front matter: their dependencies are read from tasks\.md\./);
    const n = waves(['validate', '--no-coupling', path.join(fixtures, 'spec-kitty/naming-identity-routing-rider-01KV7SFD')]);
    assert.equal(n.code, 0, n.out + n.err);
    assert.match(n.out, /naming-identity-routing-rider-01KV7SFD\/tasks\.md:87:21 warning foreign-dependencies-disagree tasks\.md says `WP03` depends on `WP01`/);
    assert.match(n.out, /naming-identity-routing-rider-01KV7SFD\/tasks\/WP01-seam-ssot-entrypoint\.md:5:3 warning foreign-dependencies-disagree `WP01` depends on `WP03` here/);
  });

  it("a Spec Kitty feature's tasks.md is read as the feature, as its folder is; a tasks.md beside a tasks/ of no work package alone", () => {
    const feature = path.join(fixtures, 'spec-kitty/naming-identity-routing-rider-01KV7SFD');
    const r = waves(['validate', '--no-coupling', path.join(feature, 'tasks.md')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /tasks\.md: valid — 7 packages in 3 waves, 0 errors, 6 warnings\n {2}wave 1: wp03, wp04, wp05, wp06, wp07\n {2}wave 2: wp01\n {2}wave 3: wp02\n/);
    assert.match(r.out, /naming-identity-routing-rider-01KV7SFD\/tasks\.md:87:21 warning foreign-dependencies-disagree tasks\.md says `WP03` depends on `WP01`/);
    assert.match(r.out, /naming-identity-routing-rider-01KV7SFD\/tasks\/WP01-seam-ssot-entrypoint\.md:5:3 warning foreign-dependencies-disagree/);
    // Read alone, this tasks.md (with task boxes) is a spec-kit list of 40 tasks.
    const json = JSON.parse(waves(['validate', '--json', '--no-coupling', path.join(fixtures, 'spec-kitty/003-auto-protect-agent/tasks.md')]).out);
    assert.equal(json.plans[0].format, 'spec-kitty');
    assert.deepEqual(json.plans[0].waves, [['wp01'], ['wp02'], ['wp03', 'wp04'], ['wp05']]);
    const specs = fs.mkdtempSync(path.join(tmp, 'specs-'));
    fs.mkdirSync(path.join(specs, 'tasks'));
    fs.writeFileSync(path.join(specs, 'tasks', 'notes.md'), '# Notes\n');
    fs.writeFileSync(path.join(specs, 'tasks.md'), '- [ ] T001 Write the model in src/model.ts\n- [ ] T002 [P] Write the docs in docs/model.md\n');
    const alone = JSON.parse(waves(['validate', '--json', '--no-coupling', path.join(specs, 'tasks.md')]).out);
    assert.equal(alone.plans[0].format, 'spec-kit');
    assert.equal(alone.plans[0].packages.length, 2);
  });
});
