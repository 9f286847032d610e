import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { detectFormat, readForeignFolder, readForeignPlan } from '../../../src/core/formats/foreignPlan';
import type { ForeignDiagnostic } from '../../../src/core/formats/foreignModel';
import { readKittyTasksMd } from '../../../src/core/formats/specKittyTasks';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { codes, deps, folderFiles, readFolder } from './fixtures';

const REAL = 'spec-kitty/write-path-integrity-01KZZD69';

describe('Spec Kitty work packages', () => {
  it('a tasks/ folder: one package a WP, dependencies explicit, owned_files as write scope', () => {
    const r = readFolder(REAL);
    assert.equal(r.format, 'spec-kitty');
    assert.equal(r.plan.feature?.id, 'write-path-integrity-01kzzd69');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp01', 'wp02', 'wp03', 'wp04']);
    assert.deepEqual(deps(r, 'wp03'), ['wp01']);
    assert.deepEqual(deps(r, 'wp04'), ['wp02', 'wp03']);
    assert.equal(r.plan.packages[0].title, 'Unify the git-topology primitive (#3373)');
    assert.equal(r.packages[0].phase, 'Phase 1 - Substrate');
    assert.deepEqual(r.plan.packages[3].scope.writeAllow.map((w) => w.value), ['tests/architectural/test_wp_integrity_partition_call_shape.py', 'tests/integration/test_wp_integrity_crash_recovery.py']);
    assert.match(r.plan.packages[0].description ?? '', /^Subtasks: T001, T002, T003, T004, T005, T006\.\n# Work Package Prompt: WP01/);
    assert.deepEqual(r.diagnostics, []); // every WP declares its files; none may run in parallel with another on one file
  });

  it('positions: ids, dependencies and owned files where they are written, in their own file', () => {
    const r = readFolder(REAL);
    r.plan.packages.forEach((p, i) => assert.equal(r.at(r.packages[i].file, p.idRange), `WP0${i + 1}`));
    const wp4 = r.packages[3];
    assert.equal(wp4.file, `${REAL}/tasks/WP04-arch-gate-and-pins.md`);
    assert.deepEqual(wp4.dependencies.map((d) => r.at(wp4.file, d.range)), ['WP02', 'WP03']);
    assert.equal(r.at(wp4.file, wp4.declaredWrites[1].range), 'tests/integration/test_wp_integrity_crash_recovery.py');
  });

  it('bad input: cycle, unknown, duplicate, no owned_files, the older lane layout', () => {
    const r = readFolder('spec-kitty/broken');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp01', 'wp02', 'wp03', 'wp04']);
    const cycle = codes(r, 'foreign-dependency-cycle');
    assert.equal(cycle.length, 1);
    assert.equal(r.at(cycle[0].file, cycle[0].range), 'WP01');
    assert.equal(cycle[0].file, 'spec-kitty/broken/tasks/WP02-api.md');
    const unknown = codes(r, 'foreign-dependency-unknown');
    assert.equal(r.at(unknown[0].file, unknown[0].range), 'WP07');
    const dup = codes(r, 'foreign-duplicate-id');
    assert.equal(dup[0].file, 'spec-kitty/broken/tasks/WP05-again.md');
    const noScope = codes(r, 'foreign-no-write-scope');
    assert.equal(noScope.length, 1);
    assert.deepEqual(r.packages[1].writeGuesses.map((g) => g.value), ['src/api/albums.py', 'src/app.py']);
    assert.equal(r.packages[3].done, true); // tasks/done/, lane: done
    assert.deepEqual(r.plan.packages[0].scope.writeAllow.map((w) => w.value), ['db/migrations/**', 'src/db/schema.py']);
    assert.ok(r.notes.some((n) => /1 of 5 work packages have no `dependencies`/.test(n)));
  });

  it('one WP file read alone (detectFormat, readForeignPlan)', () => {
    const file = folderFiles(REAL).find((f) => f.path.endsWith('WP03-checkout-identity-seam-b.md'))!;
    assert.equal(detectFormat(file.path, file.text), 'spec-kitty');
    const r = readForeignPlan(file.path, file.text);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp03']);
    assert.equal(codes(r, 'foreign-dependency-unknown')[0].file, file.path); // WP01 is not among the files read
  });

  it('round trip: the checker reads back the packages and dependencies', () => {
    for (const rel of [REAL, 'spec-kitty/broken']) {
      const r = readFolder(rel);
      const a = analyzePlan(convertToWorkPackages(r));
      assert.deepEqual(a.plan.packages.map((p) => p.id), r.plan.packages.map((p) => p.id));
      a.plan.packages.forEach((p, i) => assert.deepEqual(p.dependsOn.map((d) => d.value), r.packages[i].dependencies.map((d) => d.id), p.id));
      for (const d of a.diagnostics.filter((x) => x.severity === 'error')) assert.match(d.code, /^(write-overlap|dependency-cycle)$/, d.message);
    }
    assert.ok(analyzePlan(convertToWorkPackages(readFolder(REAL))).valid);
  });
});

/** The line (1-based) of a diagnostic in its file. */
function lineOf(d: Pick<ForeignDiagnostic, 'file' | 'range'>): number {
  const file = folderFiles(d.file!.split('/').slice(0, 2).join('/')).find((f) => f.path === d.file)!;
  return file.text.slice(0, d.range.start).split('\n').length;
}

/** A feature folder written here: each entry a path under `f/` and its text. */
const feature = (files: Record<string, string>) => readForeignFolder(Object.entries(files).map(([p, text]) => ({ path: `f/${p}`, text })));
const wp = (id: string, extra = '') => `---\nwork_package_id: ${id}\ntitle: ${id}\ndependencies: []\nowned_files:\n- src/${id}.py\n${extra}---\n# ${id}\n`;
const move = (id: string, wpId: string, from: string, to: string, at: string, extra = '') =>
  `{"actor": "a", "at": "${at}", "event_id": "${id}", "execution_mode": "worktree", "force": false, "from_lane": "${from}", "to_lane": "${to}", "wp_id": "${wpId}"${extra}}`;

describe('Spec Kitty state files: lanes beside tasks/', () => {
  it('status.events.jsonl: lanes as Spec Kitty reads them; approved is not done; front matter `lane` overridden', () => {
    const r = readFolder(REAL);
    assert.deepEqual(r.packages.map((p) => p.done), [false, false, false, false]); // every WP approved, none merged
    assert.ok(r.notes.some((n) => n === '`WP01`, `WP02`, `WP03`, `WP04` are `approved` in status.events.jsonl (reviewed, not merged yet): read as not done.'));
    const rel = 'spec-kitty/cli-saas-fanout-preserves-local-at-01KRNS87';
    const fanout = readFolder(rel);
    assert.match(folderFiles(rel).find((f) => f.path.endsWith('.md'))!.text, /^lane: planned$/m);
    assert.equal(fanout.packages[0].done, true); // the log moved it to done; its front matter still says planned
    assert.deepEqual(fanout.diagnostics, []);
  });

  it('status.json alone, and lanes.json: the order of lane-mates sharing files, as implied dependencies', () => {
    const rel = 'spec-kitty/execution-state-canonical-surface-01KTG6P9';
    const r = readFolder(rel);
    assert.equal(r.packages.length, 14);
    assert.ok(r.packages.every((p) => p.done));
    assert.deepEqual(deps(r, 'wp12'), ['wp11?']);
    assert.deepEqual(deps(r, 'wp13'), ['wp12?']);
    assert.deepEqual(deps(r, 'wp14'), ['wp04', 'wp13?']);
    assert.deepEqual(deps(r, 'wp05'), ['wp04']); // already ordered by its dependencies: nothing implied
    const implied = codes(r, 'foreign-implied-dependency');
    assert.deepEqual(implied.map((d) => [d.file, r.at(d.file, d.range), lineOf(d)]), [
      [`${rel}/tasks/WP12-ownership-scope-backfill-port.md`, 'WP12', 2],
      [`${rel}/tasks/WP13-legacy-migration-rebuild-port.md`, 'WP13', 2],
      [`${rel}/tasks/WP14-merge-coord-topology-hardening.md`, 'WP14', 2],
    ]);
    assert.match(implied[0].message, /`WP12` waits for `WP11` only because of the order of Spec Kitty's lane `lane-b` in lanes\.json \(write_scope_overlap\)/);
    assert.equal(r.diagnostics.length, 3);
    // That order is what makes the converted plan safe: without lanes.json, the overlaps Spec Kitty serialised.
    assert.ok(analyzePlan(convertToWorkPackages(r)).valid);
    const without = readForeignFolder(folderFiles(rel).filter((f) => !f.path.endsWith('lanes.json')));
    const overlaps = analyzePlan(convertToWorkPackages(without)).diagnostics.filter((d) => d.code === 'write-overlap');
    assert.ok(overlaps.some((d) => d.packageId === 'wp05' && /`src\/specify_cli\/\*\*` overlaps `src\/specify_cli\/migration\/backfill_ownership\.py` of `wp12`/.test(d.message)));
  });

  it('malformed state files: positioned diagnostics in each file; the rest read as Spec Kitty would', () => {
    const rel = 'spec-kitty/broken-state';
    const r = readFolder(rel);
    // WP01: a rollback beats the forward move of the same instant (in_progress, whatever its front matter says);
    // WP02: done; WP03: the first of two moves with one event id (done); WP04: no valid move, `lane: wip`.
    assert.deepEqual(r.packages.map((p) => p.done), [false, true, true, false]);
    assert.deepEqual(deps(r, 'wp03'), ['wp01', 'wp02?']); // lane-b runs WP02 then WP03: both write src/shared.py
    assert.deepEqual(deps(r, 'wp01'), []); // lane-a's order contradicts WP04's dependencies: not read
    const seen = r.diagnostics.map((d) => [d.severity, d.code, d.file!.slice(rel.length + 1), lineOf(d), r.at(d.file, d.range)]);
    assert.deepEqual(seen, [
      ['info', 'foreign-implied-dependency', 'tasks/WP03-cli.md', 2, 'WP03'],
      ['warning', 'foreign-state-invalid', 'tasks/WP04-docs.md', 4, 'wip'],
      ['error', 'foreign-not-format', 'status.events.jsonl', 16, '"'],
      ['warning', 'foreign-state-invalid', 'status.events.jsonl', 17, '"WP07"'],
      ['warning', 'foreign-state-invalid', 'status.events.jsonl', 18, '"wip"'],
      ['warning', 'foreign-state-invalid', 'status.events.jsonl', 19, folderFiles(rel).find((f) => f.path.endsWith('jsonl'))!.text.split('\n')[18]],
      ['warning', 'foreign-state-invalid', 'status.events.jsonl', 20, '"mystery"'],
      ['warning', 'foreign-state-invalid', 'status.json', 8, '"approved"'],
      ['warning', 'foreign-state-invalid', 'status.json', 17, '"planned"'],
      ['warning', 'foreign-state-invalid', 'status.json', 19, '"WP09"'],
      ['warning', 'foreign-state-invalid', 'lanes.json', 9, '"WP01"'],
      ['warning', 'foreign-state-invalid', 'lanes.json', 37, '"WP09"'],
    ]);
    const message = (file: string, line: number) => r.diagnostics.find((d) => d.file === `${rel}/${file}` && lineOf(d) === line)!.message;
    assert.match(message('status.json', 8), /^status\.json says `WP01` is `approved`, but status\.events\.jsonl, which Spec Kitty reads the lanes from, says `in_progress`: read as `in_progress`\./);
    assert.match(message('lanes.json', 9), /^lanes\.json runs `WP04` before `WP01`, which `WP04` depends on/);
    assert.match(message('status.events.jsonl', 17), /names `WP07` \(1 line\), which is not a work package of these files/);
  });

  it('the reducer: rollbacks with a review_ref, the `doing` alias, (at, event id) order, other features\' files passed over', () => {
    const at = (s: number) => `2026-01-01T00:00:0${s}Z`;
    const read = (lines: string[], extra: Record<string, string> = {}) =>
      feature({ 'tasks/WP01-a.md': wp('WP01'), 'status.events.jsonl': lines.join('\n') + '\n', ...extra });
    // for_review → in_progress is a rollback only with a review_ref: then it beats done at the same instant.
    assert.equal(read([move('B', 'WP01', 'approved', 'done', at(1)), move('A', 'WP01', 'for_review', 'in_progress', at(1), ', "review_ref": "r.md"')]).packages[0].done, false);
    assert.equal(read([move('B', 'WP01', 'for_review', 'in_progress', at(1)), move('C', 'WP01', 'approved', 'done', at(1))]).packages[0].done, true);
    assert.equal(read([move('C', 'WP01', 'approved', 'done', at(1)), move('B', 'WP01', 'for_review', 'in_progress', at(1))]).packages[0].done, true); // sorted by event id
    assert.equal(read([move('A', 'WP01', 'doing', 'done', at(2)), move('B', 'WP01', 'planned', 'doing', at(1))]).packages[0].done, true); // by time, not line
    // A state file of another feature folder is not this feature's.
    const other = feature({ 'a/tasks/WP01-a.md': wp('WP01'), 'b/status.json': '{"work_packages": {"WP01": {"lane": "done"}}}' });
    assert.equal(other.packages[0].done, false);
    assert.deepEqual(other.diagnostics.filter((d) => d.code !== 'foreign-no-write-scope'), []);
  });

  it('lanes.json lanes formed by dependencies only, or with no reason given: no order read beyond the dependencies', () => {
    const lanes = (report: string) =>
      `{"lanes": [{"lane_id": "lane-a", "wp_ids": ["WP01", "WP02", "WP03"], "depends_on_lanes": [], "parallel_group": 0}]${report}}`;
    const files = { 'tasks/WP01-a.md': wp('WP01'), 'tasks/WP02-b.md': wp('WP02').replace('dependencies: []', 'dependencies: [WP01]'), 'tasks/WP03-c.md': wp('WP03').replace('dependencies: []', 'dependencies: [WP01]') };
    const byDeps = feature({ ...files, 'lanes.json': lanes(', "collapse_report": {"events": [{"wp_a": "WP02", "wp_b": "WP01", "rule": "dependency", "evidence": "WP02 depends on WP01"}, {"wp_a": "WP03", "wp_b": "WP01", "rule": "dependency", "evidence": "WP03 depends on WP01"}]}') });
    assert.deepEqual(deps(byDeps, 'wp03'), ['wp01']); // WP02 and WP03 stay parallel
    assert.deepEqual(codes(byDeps, 'foreign-implied-dependency'), []);
    assert.ok(byDeps.notes.includes('lanes.json runs the work packages of lane `lane-a` (WP01, WP02, WP03) one after another because of their dependencies only: read by their dependencies alone, what those leave parallel may run in parallel.'));
    const noReason = feature({ ...files, 'lanes.json': lanes('') });
    assert.deepEqual(deps(noReason, 'wp03'), ['wp01']);
    assert.ok(noReason.notes.some((n) => /gives no reason \(no `collapse_report`\)/.test(n)));
    const shared = feature({ ...files, 'lanes.json': lanes(', "collapse_report": {"events": [{"wp_a": "WP02", "wp_b": "WP03", "rule": "write_scope_overlap", "evidence": "x"}]}') });
    assert.deepEqual(deps(shared, 'wp03'), ['wp01', 'wp02?']);
  });

  it('state files that are not JSON or not Spec Kitty\'s: foreign-not-format where it fails', () => {
    const r = feature({ 'tasks/WP01-a.md': wp('WP01', 'lane: done\n'), 'status.json': '{"work_packages": {"WP01": {"lane": "done"},}}', 'lanes.json': '{"version": 1}' });
    const bad = codes(r, 'foreign-not-format');
    assert.deepEqual(bad.map((d) => [d.file, d.range.start]), [
      ['f/status.json', '{"work_packages": {"WP01": {"lane": "done"},}}'.indexOf(',}') + 1],
      ['f/lanes.json', 0],
    ]);
    assert.match(bad[0].message, /^status\.json is not valid JSON \(expected a key in quotes, found `\}`\): it is not read\./);
    assert.match(bad[1].message, /^lanes\.json has no `lanes` list/);
    assert.equal(r.packages[0].done, true); // read by its front matter
  });
});


describe('Spec Kitty tasks.md: the dependencies it states', () => {
  const AUTO = 'spec-kitty/003-auto-protect-agent';
  const NAMING = 'spec-kitty/naming-identity-routing-rider-01KV7SFD';

  it('front matter silent (`dependencies: []`): read from tasks.md, each where it is written; the waves follow them', () => {
    const r = readFolder(AUTO);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp01', 'wp02', 'wp03', 'wp04', 'wp05']);
    assert.deepEqual(['wp02', 'wp03', 'wp04', 'wp05'].map((id) => deps(r, id)), [['wp01'], ['wp02'], ['wp02'], ['wp03']]);
    const wp02 = r.packages[1].dependencies[0];
    assert.deepEqual([wp02.file, r.at(wp02.file, wp02.range), wp02.kind], [`${AUTO}/tasks.md`, 'WP01', 'explicit']);
    assert.equal(lineOf(wp02), 82);
    assert.ok(r.notes.includes('`WP02`, `WP03`, `WP04`, `WP05` have no dependency in their front matter: their dependencies are read from tasks.md.'));
    assert.ok(!r.notes.some((n) => /read as depending on none/.test(n)));
    assert.deepEqual(analyzePlan(convertToWorkPackages(r)).graph.waves, [['wp01'], ['wp02'], ['wp03', 'wp04'], ['wp05']]);
    // Without tasks.md the same work packages depend on nothing: all in one wave.
    const alone = readForeignFolder(folderFiles(AUTO).filter((f) => !f.path.endsWith('/tasks.md')));
    assert.deepEqual(analyzePlan(convertToWorkPackages(alone)).graph.waves, [['wp01', 'wp02', 'wp03', 'wp04', 'wp05']]);
  });

  it('tasks.md against the front matter: what would close a cycle is not read, said in both files; what the front matter orders already is read quietly', () => {
    const r = readFolder(NAMING);
    // WP01's front matter waits for WP03, WP04, WP05 (as tasks.md's overview says); their sections say the reverse.
    assert.deepEqual(deps(r, 'wp01'), ['wp03', 'wp04', 'wp05']);
    assert.deepEqual(['wp03', 'wp04', 'wp05'].map((id) => deps(r, id)), [[], [], []]);
    // WP02's section names WP03, WP04, WP05: its front matter's WP01 waits for them already.
    assert.deepEqual(deps(r, 'wp02'), ['wp01', 'wp03', 'wp04', 'wp05']);
    const seen = r.diagnostics.map((d) => [d.code, d.file!.slice(NAMING.length + 1), lineOf(d), r.at(d.file, d.range)]);
    assert.deepEqual(seen, [
      ['foreign-dependencies-disagree', 'tasks/WP01-seam-ssot-entrypoint.md', 5, 'WP03'],
      ['foreign-dependencies-disagree', 'tasks/WP01-seam-ssot-entrypoint.md', 6, 'WP04'],
      ['foreign-dependencies-disagree', 'tasks/WP01-seam-ssot-entrypoint.md', 7, 'WP05'],
      ['foreign-dependencies-disagree', 'tasks.md', 87, 'WP01'],
      ['foreign-dependencies-disagree', 'tasks.md', 99, 'WP01'],
      ['foreign-dependencies-disagree', 'tasks.md', 113, 'WP01'],
    ]);
    assert.ok(r.diagnostics.every((d) => d.severity === 'warning'));
    assert.equal(r.diagnostics[3].message, 'tasks.md says `WP03` depends on `WP01`, which waits for `WP03` already (`WP01` → `WP03`): not read, as it would close a dependency cycle. Correct one of them.');
    assert.equal(r.diagnostics[0].message, '`WP01` depends on `WP03` here, but tasks.md says `WP03` depends on `WP01` (`WP01` → `WP03`): that is not read, as it would close a dependency cycle. Correct one of them.');
    const a = analyzePlan(convertToWorkPackages(r));
    assert.deepEqual(a.graph.waves, [['wp03', 'wp04', 'wp05', 'wp06', 'wp07'], ['wp01'], ['wp02']]);
  });

  it('both list dependencies and tasks.md names one more: read as depending on both, a warning in each place', () => {
    const files = {
      'tasks/WP01-a.md': wp('WP01'),
      'tasks/WP02-b.md': wp('WP02'),
      'tasks/WP03-c.md': wp('WP03').replace('dependencies: []', 'dependencies: [WP01]'),
      'tasks.md': '# Work Packages\n\n## Work Package WP03: C\n\n**Dependencies**: WP01, WP02 (the API and the schema)\n',
    };
    const r = feature(files);
    const at = (file: string | undefined, range: { start: number; end: number }) => files[file!.slice(2) as keyof typeof files].slice(range.start, range.end);
    assert.deepEqual(deps(r, 'wp03'), ['wp01', 'wp02']);
    const warned = codes(r, 'foreign-dependencies-disagree');
    assert.deepEqual(warned.map((d) => [d.file, at(d.file, d.range)]), [
      ['f/tasks/WP03-c.md', '[WP01]'],
      ['f/tasks.md', 'WP02'],
    ]);
    assert.match(warned[0].message, /^`dependencies` does not name `WP02`, which tasks.md says `WP03` depends on: read as depending on both \(`WP01`, `WP02`\)\./);
    assert.match(warned[1].message, /^tasks\.md says `WP03` depends on `WP02`, which the `dependencies` of its front matter do not name/);
    // A dependency tasks.md names that the front matter orders already (through WP02): read, no warning.
    const through = feature({
      'tasks/WP01-a.md': wp('WP01'),
      'tasks/WP02-b.md': wp('WP02').replace('dependencies: []', 'dependencies: [WP01]'),
      'tasks/WP03-c.md': wp('WP03').replace('dependencies: []', 'dependencies: [WP02]'),
      'tasks.md': '## WP03 — C\n\n- Depends on WP01, WP02\n',
    });
    assert.deepEqual(deps(through, 'wp03'), ['wp02', 'wp01']);
    assert.deepEqual(codes(through, 'foreign-dependencies-disagree'), []);
  });

  it('a tasks/ folder whose files name no work package (`01-export-model.md`): ids from work_package_id, the number in the name, or the place', () => {
    const rel = 'spec-kitty/numbered-tasks';
    const r = readFolder(rel);
    assert.equal(r.format, 'spec-kitty');
    assert.deepEqual(r.files!.map((f) => f.slice(rel.length + 1)), ['tasks/01-export-model.md', 'tasks/02-export-api.md', 'tasks/03-export-docs.md', 'tasks/cleanup.md']);
    assert.deepEqual(r.packages.map((p) => p.sourceIds[0]), ['WP01', 'WP02', 'WP03', 'WP04']);
    assert.deepEqual([deps(r, 'wp02'), deps(r, 'wp03'), deps(r, 'wp04')], [['wp01'], ['wp01', 'wp02'], []]);
    assert.ok(r.notes.includes('`01-export-model.md` → `WP01`, `02-export-api.md` → `WP02`: their front matter has no `work_package_id` and their names no work package id; read by the numbers their names start with.'));
    assert.ok(r.notes.includes('`cleanup.md` → `WP04`: its front matter has no `work_package_id` and its name no work package id; read by its place among the files.'));
    assert.deepEqual(r.diagnostics, []);
    assert.ok(analyzePlan(convertToWorkPackages(r)).valid);
  });
});

describe('readKittyTasksMd: the dependencies written in a tasks.md', () => {
  const read = (text: string) => Object.fromEntries(readKittyTasksMd(text).map((s) => [s.wp, s.dependencies.map((d) => `${d.key}@${text.slice(d.range.start, d.range.end)}`)]));

  it('the forms Spec Kitty writes: Depends on, a Dependencies field, a list under a Dependencies heading', () => {
    const text = [
      '## Work Package WP02: API',
      '### Dependencies',
      '- Depends on WP01 (the schema), and benefits from WP05.',
      '## WP03 — Docs',
      '- **Priority**: P2 · **Depends on**: WP01 and WP02',
      '### WP04: Sweep',
      '**Dependencies:** WP01–WP03. **Owns:** `src/`',
      '## Work Package 5: Polish',
      '#### Dependencies',
      '- WP04 (after the sweep)',
      '- WP09 must run after WP08',
      '*Dependency Setup*: Depends on WP02',
      '## WP06 — None',
      '**Dependencies**: none (starting package)',
      'Dependencies: WP01 and WP02 landing first is assumed',
    ].join('\n');
    assert.deepEqual(read(text), {
      WP02: ['WP01@WP01'],
      WP03: ['WP01@WP01', 'WP02@WP02'],
      WP04: ['WP01@WP01–WP03', 'WP02@WP01–WP03', 'WP03@WP01–WP03'],
      WP05: ['WP04@WP04', 'WP02@WP02'],
      WP06: [],
    });
  });

  it('a section ends at the next heading of its level or above; code blocks and other headings are no sections', () => {
    const text = [
      '# Work Packages',
      '## 1. Setup',
      'Depends on WP07',
      '### WP01 — Model',
      '```bash',
      '# Depends on WP09 (a comment in a code block)',
      '```',
      '- Depends on WP02',
      '## Dependencies',
      '- WP01 → WP02 → WP03 (strictly linear)',
      '- Depends on WP05',
      '## Work Package WP02: API',
      'Depends on WP02',
    ].join('\n');
    assert.deepEqual(read(text), { WP01: ['WP02@WP02'], WP02: [] });
    assert.deepEqual(readKittyTasksMd(text).map((s) => [s.wp, text.slice(s.range.start, s.range.end)]), [['WP01', 'WP01'], ['WP02', 'WP02']]);
  });
});
