import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { detectFormat, readForeignFolder, readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { codes, deps, folderFiles, readFolder } from './fixtures';

const AUTH = 'gsd/phases/02-auth';

describe('GSD PLAN.md', () => {
  it('a phase folder: one package a plan, depends_on explicit (canonical and short form), files_modified as write scope', () => {
    const r = readFolder(AUTH);
    assert.equal(r.format, 'gsd');
    assert.deepEqual(r.files, ['02-01', '02-02', '02-03', '02-04'].map((id) => `${AUTH}/${id}-PLAN.md`)); // the SUMMARY.md passed over
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['plan-02-01', 'plan-02-02', 'plan-02-03', 'plan-02-04']);
    assert.equal(r.plan.feature?.id, 'feature-02-auth');
    assert.deepEqual(deps(r, 'plan-02-02'), ['plan-02-01']); // "01": the same phase's short form
    assert.deepEqual(deps(r, 'plan-02-04'), ['plan-02-02', 'plan-02-03']);
    assert.ok(r.packages.every((p) => p.dependencies.every((d) => d.kind === 'explicit')));
    assert.deepEqual(r.plan.packages[0].scope.writeAllow.map((w) => w.value), ['src/lib/auth.ts', 'src/middleware/auth.ts']);
    assert.deepEqual(r.packages[1].declaredWrites.map((w) => w.value), ['src/features/dashboard.ts', 'src/app.ts']);
    assert.equal(r.plan.packages[0].title, 'Auth foundation: session tokens and the middleware that checks them.');
    assert.match(r.plan.packages[2].description ?? '', /^Not autonomous \(autonomous: false\)[\s\S]*Task: Task 1: Settings route/);
    assert.deepEqual(r.packages.map((p) => p.done), [true, false, false, false]); // 02-01-SUMMARY.md
  });

  it('positions: each package and diagnostic in its own file', () => {
    const r = readFolder(AUTH);
    r.plan.packages.forEach((p, i) => {
      assert.equal(r.packages[i].file, `${AUTH}/${r.packages[i].sourceIds[0]}-PLAN.md`);
      assert.equal(r.at(r.packages[i].file, p.idRange), r.packages[i].sourceIds[0].slice(3)); // the `plan:` value
    });
    const dep = r.packages[1].dependencies[0];
    assert.equal(r.at(r.packages[1].file, dep.range), '"01"');
    assert.equal(r.at(r.packages[0].file, r.packages[0].declaredWrites[1].range), 'src/middleware/auth.ts');
    for (const d of r.diagnostics) assert.ok(d.file?.startsWith(`${AUTH}/`), d.code);
    const external = codes(r, 'foreign-dependency-external');
    assert.equal(external.length, 1);
    assert.equal(r.at(external[0].file, external[0].range), '"01-01"');
    const wave = codes(r, 'foreign-wave-mismatch');
    assert.equal(wave.length, 1);
    assert.equal(wave[0].file, `${AUTH}/02-03-PLAN.md`);
    assert.equal(r.at(wave[0].file, wave[0].range), '2');
    const same = codes(r, 'foreign-parallel-same-file');
    assert.equal(same.length, 1);
    assert.equal(r.at(same[0].file, same[0].range), 'src/app.ts');
    const unknown = codes(r, 'foreign-dependency-unknown');
    assert.equal(r.at(unknown[0].file, unknown[0].range), '"02-09"');
    const noScope = codes(r, 'foreign-no-write-scope');
    assert.equal(noScope.length, 1);
    assert.match(noScope[0].message, /`src\/lib\/sessions\.ts`/); // named in its <files>: a guess
  });

  it('several phase folders: a phase waits for the one before it (implied), cross-phase depends_on resolved', () => {
    const r = readFolder('gsd/phases');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['plan-01-01', 'plan-02-01', 'plan-02-02', 'plan-02-03', 'plan-02-04']);
    assert.deepEqual(deps(r, 'plan-02-01'), ['plan-01-01']); // depends_on: ["01-01"]
    assert.deepEqual(deps(r, 'plan-02-03'), ['plan-01-01?']);
    assert.deepEqual(deps(r, 'plan-02-02'), ['plan-02-01']);
    assert.equal(codes(r, 'foreign-dependency-external').length, 0);
    assert.equal(codes(r, 'foreign-implied-dependency').length, 1);
  });

  it('one PLAN.md read alone (detectFormat, readForeignPlan)', () => {
    const [file] = folderFiles('gsd/phases/01-test');
    assert.equal(detectFormat(file.path, file.text), 'gsd');
    const r = readForeignPlan(file.path, file.text);
    assert.equal(r.format, 'gsd');
    assert.equal(r.fileName, file.path);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['plan-01-01']);
    assert.equal(r.plan.packages[0].title, 'Create a simple output file to prove the SDK can execute a plan end-to-end.');
    assert.deepEqual(r.packages[0].declaredWrites.map((w) => w.value), ['output.txt']);
    assert.deepEqual(r.diagnostics, []);
  });

  it('bad input: no front matter, bad YAML, nothing of the format — positioned, never a throw', () => {
    const r = readForeignFolder([
      { path: 'p/03-01-PLAN.md', text: '# no front matter\n' },
      { path: 'p/03-02-PLAN.md', text: '---\nwave: [1\ndepends_on: []\n---\n' },
      { path: 'p/notes.md', text: 'nothing' },
    ]);
    assert.equal(r.format, 'gsd');
    assert.equal(r.plan.packages.length, 2);
    assert.equal(codes(r, 'foreign-task-incomplete')[0].file, 'p/03-01-PLAN.md');
    assert.equal(codes(r, 'foreign-not-format')[0].file, 'p/03-02-PLAN.md');
    const none = readForeignFolder([{ path: 'x/README.md', text: '# hi' }]);
    assert.equal(none.format, null);
    assert.equal(none.diagnostics[0].code, 'foreign-not-format');
    assert.equal(readForeignFolder([]).format, null);
  });

  it('round trip: the checker reads back the packages and dependencies', () => {
    for (const rel of [AUTH, 'gsd/phases', 'gsd/phases/01-test']) {
      const r = readFolder(rel);
      const a = analyzePlan(convertToWorkPackages(r));
      assert.deepEqual(a.plan.packages.map((p) => p.id), r.plan.packages.map((p) => p.id));
      a.plan.packages.forEach((p, i) => assert.deepEqual(p.dependsOn.map((d) => d.value), r.packages[i].dependencies.map((d) => d.id), p.id));
      for (const d of a.diagnostics.filter((x) => x.severity === 'error')) assert.match(d.code, /^(write-overlap|dependency-cycle)$/, d.message);
    }
  });
});
