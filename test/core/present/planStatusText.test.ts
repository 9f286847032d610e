import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { oversizedAnalysis } from '../../../src/core/plan/analyze';
import { buildGraph } from '../../../src/core/plan/graph';
import type { Diagnostic, Located, Plan, PlanPackage, Severity } from '../../../src/core/plan/model';
import {
  chain,
  code,
  codeList,
  countsText,
  criticalPathStandsOut,
  escapeMarkdown,
  isOnCriticalPath,
  packageProblems,
  packageTooltip,
  placeOf,
  planCounts,
  planTooltip,
  problemsBySeverity,
  statusBarAccessibleText,
  statusBarText,
  type AnalysisView,
} from '../../../src/core/present/planStatusText';
import { plural } from '../../../src/core/util/plural';

// Analyses are built by hand: the summaries only read the model, the graph and diagnostics.

const at = (value: string): Located<string> => ({ value, range: { start: 0, end: 0 } });

interface PkgSpec {
  id: string;
  deps?: string[];
  title?: string;
  timeout?: number;
  write?: string[];
  read?: string[];
  deny?: string[];
  lockFiles?: string[];
  lockKeys?: string[];
  description?: string;
}

function pkg(spec: PkgSpec, index: number): PlanPackage {
  const start = index * 100;
  return {
    id: spec.id,
    idRange: { start: start + 10, end: start + 10 + spec.id.length },
    range: { start, end: start + 99 },
    index,
    title: spec.title,
    description: spec.description,
    dependsOn: (spec.deps ?? []).map(at),
    scope: { writeAllow: (spec.write ?? []).map(at), readAllow: (spec.read ?? []).map(at), deny: (spec.deny ?? []).map(at) },
    locks: { files: (spec.lockFiles ?? []).map(at), keys: (spec.lockKeys ?? []).map(at) },
    timeoutMinutes: spec.timeout,
    keyRanges: {},
  };
}

function diag(severity: Severity, packageId: string | null, start = 0): Diagnostic {
  return { severity, code: 'test', message: 'test', range: { start, end: start + 1 }, packageId };
}

function analysis(specs: PkgSpec[], diagnostics: Diagnostic[] = [], extra: Partial<Plan> = {}): AnalysisView {
  const packages = specs.map(pkg);
  const plan: Plan = {
    feature: { id: 'user-profiles', title: 'User profiles', range: { start: 0, end: 0 } },
    contractFiles: [],
    defaults: {},
    packages,
    packagesRange: { start: 0, end: 0 },
    ...extra,
  };
  const graph = buildGraph(packages.map((p) => ({ id: p.id, dependsOn: p.dependsOn.map((d) => d.value), weight: p.timeoutMinutes })));
  return { plan, graph, diagnostics };
}

const demo = () =>
  analysis(
    [
      { id: 'wp-contracts', title: 'Contract', timeout: 30 },
      { id: 'wp-api', deps: ['wp-contracts'], title: 'API', timeout: 90, write: ['src/server/**'], deny: ['src/web/**'] },
      { id: 'wp-web', deps: ['wp-contracts'], title: 'Web', timeout: 60 },
      { id: 'wp-integration', deps: ['wp-api', 'wp-web'], timeout: 45 },
    ],
    [diag('error', 'wp-web'), diag('warning', 'wp-web'), diag('warning', null), diag('info', 'wp-api')],
  );

describe('summary: words and counts', () => {
  it('pluralises', () => {
    assert.equal(plural(0, 'package'), '0 packages');
    assert.equal(plural(1, 'package'), '1 package');
    assert.equal(plural(2, 'dependency', 'dependencies'), '2 dependencies');
  });

  it('counts waves, packages and problems (errors + warnings, not infos)', () => {
    const counts = planCounts(demo());
    assert.deepEqual(counts, { waves: 3, packages: 4, unwaved: 0, errors: 1, warnings: 2, infos: 1 });
    assert.equal(countsText(counts), '3 waves · 4 packages · 3 problems');
    assert.equal(statusBarText(counts), '$(layers) 3 waves · 4 packages · 3 problems');
    assert.equal(statusBarAccessibleText(counts), 'Wave Orchestrator: 3 waves, 4 packages, 3 problems');
  });

  it('uses the singular for one and leaves a clean plan quiet in the status bar', () => {
    const single = planCounts(analysis([{ id: 'a' }], [diag('warning', 'a')]));
    assert.equal(countsText(single), '1 wave · 1 package · 1 problem');
    const clean = planCounts(analysis([{ id: 'a' }, { id: 'b', deps: ['a'] }], [diag('info', 'a')]));
    assert.equal(statusBarText(clean), '$(layers) 2 waves · 2 packages');
    assert.equal(countsText(clean), '2 waves · 2 packages · no problems');
  });

  it('counts packages without a wave (cycles, duplicates, missing ids)', () => {
    const a = analysis([{ id: 'a' }, { id: 'b', deps: ['c'] }, { id: 'c', deps: ['b'] }, { id: 'a' }, { id: '' }]);
    assert.deepEqual(
      { waves: planCounts(a).waves, packages: planCounts(a).packages, unwaved: planCounts(a).unwaved },
      { waves: 1, packages: 5, unwaved: 4 },
    );
  });

  it('reads problems by severity', () => {
    assert.equal(problemsBySeverity({ errors: 0, warnings: 0, infos: 3 }), 'no problems');
    assert.equal(problemsBySeverity({ errors: 1, warnings: 0, infos: 0 }), '1 error');
    assert.equal(problemsBySeverity({ errors: 2, warnings: 1, infos: 0 }), '2 errors, 1 warning');
  });
});

describe('summary: markdown', () => {
  it('escapes user text so it shows literally', () => {
    assert.equal(escapeMarkdown('a *b* [c](command:x) <i> $(zap)'), 'a \\*b\\* \\[c\\]\\(command:x\\) \\<i\\> \\$\\(zap\\)');
    assert.equal(escapeMarkdown('two\nlines'), 'two lines');
  });

  it('fences code spans longer than the backtick runs inside them', () => {
    assert.equal(code('src/**'), '`src/**`');
    assert.equal(code('a`b'), '`` a`b ``');
    assert.equal(code('x\ny'), '`x y`');
  });

  it('shortens long lists and chains', () => {
    assert.equal(codeList(['a', 'b', 'c'], 2), '`a`, `b` … and 1 more');
    assert.equal(chain(['a', 'b']), '`a` → `b`');
    const long = chain(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 6);
    assert.equal(long, '`a` → `b` → … → `h` → `i` → `j`');
  });
});

describe('summary: packages', () => {
  it('places packages in waves and says why others have none', () => {
    const a = analysis([{ id: 'a' }, { id: 'b', deps: ['b2'] }, { id: 'b2', deps: ['b'] }, { id: 'a' }, { id: '' }]);
    const [first, cyc, , dup, none] = a.plan.packages;
    assert.deepEqual(placeOf(a, first), { node: 0, wave: 1, reason: undefined });
    assert.equal(placeOf(a, cyc).reason, 'cycle');
    assert.deepEqual(placeOf(a, dup), { node: undefined, wave: null, reason: 'duplicate-id' });
    assert.equal(placeOf(a, none).reason, 'no-id');
  });

  it('counts the problems of each package and finds the critical path', () => {
    const a = demo();
    const [contracts, api, web] = a.plan.packages;
    assert.deepEqual(packageProblems(a, web), { errors: 1, warnings: 1, infos: 0 });
    assert.deepEqual(packageProblems(a, api), { errors: 0, warnings: 0, infos: 1 });
    assert.deepEqual([...a.graph.criticalPath], ['wp-contracts', 'wp-api', 'wp-integration']);
    assert.equal(isOnCriticalPath(a, contracts), true);
    assert.equal(isOnCriticalPath(a, web), false);
  });

  it('marks the critical path only where it stands out from the plan', () => {
    assert.equal(criticalPathStandsOut(demo()), true);
    assert.equal(criticalPathStandsOut(analysis([{ id: 'a' }])), false);
    assert.equal(criticalPathStandsOut(analysis([{ id: 'a' }, { id: 'b', deps: ['a'] }])), false);
    assert.equal(criticalPathStandsOut(analysis([{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['c'] }])), false);
  });

  it('gives a package without an id the problems inside its text', () => {
    const a = analysis([{ id: 'a' }, { id: '' }], [diag('error', null, 150), diag('error', null, 20)]);
    assert.deepEqual(packageProblems(a, a.plan.packages[1]), { errors: 1, warnings: 0, infos: 0 });
  });

  it('summarises a package in its tooltip', () => {
    const a = analysis(
      [
        { id: 'wp-contracts', timeout: 30 },
        {
          id: 'wp-api',
          deps: ['wp-contracts'],
          title: 'API *endpoints*',
          description: 'Implements\nthe API.',
          write: ['src/server/**'],
          read: ['contracts/**'],
          deny: ['src/web/**'],
          lockFiles: ['src/server/app.ts'],
          lockKeys: ['api:GET /v1/profile'],
        },
        { id: 'wp-docs', deps: ['wp-api'] },
      ],
      [diag('error', 'wp-api'), diag('warning', 'wp-api'), diag('warning', 'wp-api')],
      { defaults: { timeoutMinutes: 60 } },
    );
    const text = packageTooltip(a, a.plan.packages[1]);
    assert.match(text, /^\*\*wp\\-api\*\* — API \\\*endpoints\\\*/);
    assert.match(text, /Wave 2 · on the critical path/);
    assert.match(text, /Implements the API\\\./);
    assert.match(text, /Depends on: `wp-contracts` {2}\nDependents: `wp-docs`/);
    assert.match(text, /Writes: `src\/server\/\*\*` {2}\nReads: `contracts\/\*\*` {2}\nDenied: `src\/web\/\*\*`/);
    assert.match(text, /Locks files: `src\/server\/app\.ts` {2}\nLock keys: `api:GET \/v1\/profile`/);
    assert.match(text, /Timeout: 60 min \(plan default\) {2}\nProblems: 1 error, 2 warnings$/);
  });

  it('says what a package lacks rather than leaving lines out', () => {
    const a = analysis([{ id: 'solo', timeout: 15 }]);
    const text = packageTooltip(a, a.plan.packages[0]);
    assert.match(text, /Depends on: nothing {2}\nDependents: none/);
    assert.match(text, /Writes: nothing \(read-only\)/);
    assert.doesNotMatch(text, /Reads:|Denied:|Lock/);
    assert.match(text, /Timeout: 15 min {2}\nProblems: no problems$/);
  });

  it('explains a package without a wave', () => {
    const a = analysis([{ id: 'x', deps: ['y'] }, { id: 'y', deps: ['x'] }]);
    assert.match(packageTooltip(a, a.plan.packages[0]), /No wave: on or behind a dependency cycle/);
  });
});

describe('summary: plan tooltip', () => {
  it('names the plan, feature, waves, critical path and problems, with command links', () => {
    const text = planTooltip({ label: 'plans/work-packages.yaml', analysis: demo(), planCount: 2 });
    assert.match(text, /^\*\*Wave Orchestrator\*\* — `plans\/work-packages\.yaml`/);
    assert.match(text, /Feature `user-profiles`: User profiles/);
    assert.match(text, /Wave 1: 1 package {2}\nWave 2: 2 packages {2}\nWave 3: 1 package/);
    assert.match(text, /Critical path: `wp-contracts` → `wp-api` → `wp-integration`/);
    assert.match(text, /Problems: 1 error, 2 warnings/);
    assert.match(text, /\[Show Waves\]\(command:waves\.focusView "[^"]+"\) · \[Show Problems\]\(command:workbench\.actions\.view\.problems "[^"]+"\) · \[Select Plan\]\(command:waves\.selectPlan "[^"]+"\)$/);
  });

  it('offers Select Plan only with several plans and Show Problems only with problems', () => {
    const clean = analysis([{ id: 'a' }]);
    const text = planTooltip({ label: 'work-packages.yaml', analysis: clean, planCount: 1 });
    assert.match(text, /Problems: no problems/);
    assert.match(text, /\[Show Waves\]/);
    assert.doesNotMatch(text, /Select Plan|Show Problems|Critical path/);
    assert.doesNotMatch(planTooltip({ label: 'x', analysis: clean, planCount: 3, links: false }), /command:/);
  });

  it('caps the wave list and counts packages without a wave', () => {
    const specs: PkgSpec[] = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, deps: i ? [`p${i - 1}`] : [] }));
    specs.push({ id: 'x', deps: ['x'] });
    const text = planTooltip({ label: 'w', analysis: analysis(specs), planCount: 1 });
    assert.match(text, /Wave 10: 1 package {2}\n… and 2 more waves {2}\nNo wave: 1 package/);
    assert.doesNotMatch(text, /Wave 11/);
  });

  it('says when a plan has no packages and escapes the feature title', () => {
    const text = planTooltip({
      label: 'w',
      analysis: analysis([], [diag('error', null)], { feature: { title: 'Profiles [beta]', range: { start: 0, end: 0 } } }),
      planCount: 1,
    });
    assert.match(text, /Feature: Profiles \\\[beta\\\]/);
    assert.match(text, /No packages yet/);
    assert.match(text, /Problems: 1 error/);
  });

  it('says a plan over the editor\'s size cap is too large, in the counts, the status bar and the tooltip (#15)', () => {
    const over = oversizedAnalysis('packages:\n' + '  - package_id: a\n'.repeat(10), 13.2 * 1_048_576, 5 * 1_048_576, 'waves.plan.maxSizeMB');
    const counts = planCounts(over);
    assert.equal(counts.tooLarge, true);
    assert.equal(countsText(counts), 'too large for the editor · 1 problem');
    assert.equal(statusBarText(counts), '$(layers) too large for the editor · 1 problem');
    const text = planTooltip({ label: 'big.work-packages.yaml', analysis: over, planCount: 1 });
    assert.match(over.diagnostics[0].message, /^This plan is 13\.2 MB, over the 5\.0 MB analysed in the editor \(setting waves\.plan\.maxSizeMB\)/);
    assert.ok(text.includes(`\n\n${escapeMarkdown(over.diagnostics[0].message)}\n\n`), text);
    assert.doesNotMatch(text, /No packages yet/);
    // A plan that merely has no packages is not "too large".
    assert.equal(planCounts(analysis([], [diag('error', null)])).tooLarge, undefined);
  });
});
