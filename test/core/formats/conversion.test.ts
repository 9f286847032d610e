/**
 * The one conversion `waves convert` and the editor's Convert both make (conversion.ts): the
 * plan's text naming its source, what it asks to review, and the names a plan may take.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertPlan, freePlanName, planNames, sourceRef } from '../../../src/core/formats/conversion';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { sourceLinkOf } from '../../../src/core/formats/sourceLink';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { read } from './fixtures';

describe('convertPlan', () => {
  it('writes what convertToWorkPackages writes, the source named from the plan, and counts what to review', () => {
    const r = read('spec-kit', '001-photo-albums.tasks.md');
    const c = convertPlan(r, { planFile: '/repo/specs/001/work-packages.yaml', source: '/repo/specs/001/tasks.md' });
    assert.equal(c.yaml, convertToWorkPackages(r, 'tasks.md', { path: 'tasks.md' }));
    assert.equal(c.implied, 23);
    assert.equal(c.guessed, 16);
    const plan = analyzePlan(c.yaml).plan;
    assert.deepEqual(sourceLinkOf(plan.packages[0]), { file: 'tasks.md', format: 'spec-kit', tasks: ['T001'] });
  });

  it('a source outside the plan\'s folder is not named (the plan stays valid for every reader)', () => {
    const r = read('spec-kit', '001-photo-albums.tasks.md');
    const c = convertPlan(r, { planFile: '/repo/plans/work-packages.yaml', source: '/repo/specs/001/tasks.md' });
    assert.equal(c.yaml, convertToWorkPackages(r, 'tasks.md'));
    assert.equal(sourceLinkOf(analyzePlan(c.yaml).plan.packages[0]), null);
  });
});

describe('sourceRef', () => {
  it('is the path from the plan\'s folder, with /, inside it only', () => {
    assert.deepEqual(sourceRef('/r/a/work-packages.yaml', '/r/a/tasks.md', undefined), { path: 'tasks.md' });
    assert.deepEqual(sourceRef('/r/work-packages.yaml', '/r/.taskmaster/tasks/tasks.json', 'feature-x'), { path: '.taskmaster/tasks/tasks.json', tag: 'feature-x' });
    assert.deepEqual(sourceRef('C:\\r\\work-packages.yaml', 'c:\\r\\specs\\tasks.md', undefined), { path: 'specs/tasks.md' });
    assert.deepEqual(sourceRef('/r/a/./work-packages.yaml', '/r/a/b/../tasks.md', undefined), { path: 'tasks.md' });
    assert.equal(sourceRef('/r/a/work-packages.yaml', '/r/b/tasks.md', undefined), undefined);
    assert.equal(sourceRef('/r/a/work-packages.yaml', '/r/a', undefined), undefined, 'the folder the plan is in (a folder converted)');
    assert.equal(sourceRef('/r/ab/work-packages.yaml', '/r/a/tasks.md', undefined), undefined);
  });
});

describe('planNames', () => {
  it('work-packages.yaml first, then names of the feature the editor and the CLI find as plans', () => {
    const first = (id: string | undefined, n: number) => {
      const out: string[] = [];
      for (const name of planNames(id)) if (out.push(name) >= n) break;
      return out;
    };
    assert.deepEqual(first('feature-001-photo-albums', 4), ['work-packages.yaml', 'feature-001-photo-albums.work-packages.yaml', 'feature-001-photo-albums-2.work-packages.yaml', 'feature-001-photo-albums-3.work-packages.yaml']);
    assert.deepEqual(first('../x y', 2), ['work-packages.yaml', 'x-y.work-packages.yaml']);
    assert.deepEqual(first(undefined, 2), ['work-packages.yaml', 'converted.work-packages.yaml']);
    for (const name of first('a/b\\c', 5)) assert.match(name, /^([^/\\]+\.)?work-packages\.yaml$/, 'a name in the folder, not a path');
  });

  it('freePlanName: the first not taken; none after a thousand taken', () => {
    const taken = new Set(['work-packages.yaml', 'f.work-packages.yaml']);
    assert.equal(freePlanName('f', (n) => taken.has(n)), 'f-2.work-packages.yaml');
    assert.equal(freePlanName('f', () => false), 'work-packages.yaml');
    assert.equal(freePlanName('f', () => true), undefined);
  });
});
