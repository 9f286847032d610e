import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { FEATURE_ID_PATTERN, planFileName, starterPlan, suggestFeatureId, titleFromId } from '../../../src/core/plan/template';

const text = starterPlan('user-profiles', 'User profiles');

describe('template: the starter plan', () => {
  it('analyses with no errors and no warnings', () => {
    const analysis = analyzePlan(text);
    const problems = analysis.diagnostics
      .filter((d) => d.severity !== 'info')
      .map((d) => `${d.severity} ${d.code} at line ${analysis.lines.position(d.range.start).line + 1}: ${d.message}`);
    assert.deepEqual(problems, []);
    assert.equal(analysis.valid, true);
  });

  it('runs in three waves: contracts, then backend and frontend in parallel, then integration', () => {
    const { graph } = analyzePlan(text);
    assert.deepEqual(graph.waves, [['wp-contracts'], ['wp-backend', 'wp-frontend'], ['wp-integration']]);
    const backend = graph.indexOf.get('wp-backend')!;
    const frontend = graph.indexOf.get('wp-frontend')!;
    assert.equal(graph.mayRunInParallel(backend, frontend), true);
  });

  it('has the backend on the critical path (its timeout is the longest of wave 2)', () => {
    assert.deepEqual([...analyzePlan(text).graph.criticalPath], ['wp-contracts', 'wp-backend', 'wp-integration']);
  });

  it('shows every main field of a package', () => {
    const { plan } = analyzePlan(text);
    assert.equal(plan.feature?.id, 'user-profiles');
    assert.equal(plan.feature?.title, 'User profiles');
    assert.deepEqual(
      plan.contractFiles.map((c) => c.value),
      ['contracts/openapi.yaml'],
    );
    for (const p of plan.packages) {
      assert.ok(p.title && p.description && p.taskType, `${p.id}: title, description, task_type`);
      assert.ok(p.scope.writeAllow.length > 0 && p.scope.readAllow.length > 0, `${p.id}: scope`);
      assert.ok(p.worktree?.name && p.worktree.mode, `${p.id}: worktree`);
      assert.ok(p.verification?.tier && p.verification.steps.length > 0, `${p.id}: verification`);
      assert.ok(p.outputs && p.outputs.resultKeys.length > 0, `${p.id}: outputs`);
      assert.ok(p.timeoutMinutes !== undefined && p.retryBudget !== undefined && p.priority !== undefined, `${p.id}: limits`);
    }
    const all = plan.packages;
    assert.ok(all.some((p) => p.scope.deny.length > 0), 'a deny list');
    assert.ok(all.some((p) => p.locks.files.length > 0) && all.some((p) => p.locks.keys.length > 0), 'locks');
    assert.deepEqual(new Set(all.map((p) => p.worktree?.mode)), new Set(['isolated', 'shared']));
    assert.deepEqual(new Set(all.flatMap((p) => p.verification?.steps.map((s) => s.kind) ?? [])), new Set(['command', 'manual']));
    // Every package key is explained where it first appears.
    const packageLines = text.slice(text.indexOf('\npackages:')).split('\n');
    for (const key of ['depends_on:', 'write_allow:', 'read_allow:', 'deny:', 'files:', 'keys:', 'mode:', 'verification:', 'outputs:']) {
      const line = packageLines.find((l) => l.trimStart().startsWith(key));
      assert.match(line ?? '', /#/, `${key} has a comment`);
    }
  });

  it('keeps any valid feature id and any title a string', () => {
    for (const id of ['true', 'null', '123', '1e3', '0x1F', 'a:b', 'A.b_c-1', 'x'.repeat(128)]) {
      assert.match(id, FEATURE_ID_PATTERN);
      const title = 'Say "hi": #1 \\ back\nslash';
      const doc = parse(starterPlan(id, title));
      assert.equal(doc.feature.id, id);
      assert.equal(doc.feature.title, 'Say "hi": #1 \\ back slash');
      assert.equal(analyzePlan(starterPlan(id, title)).plan.feature?.id, id);
    }
  });

  it('makes a title from the id when none is given', () => {
    assert.equal(parse(starterPlan('user-profiles', '  ')).feature.title, 'User profiles');
  });

  const schemaPath = join(__dirname, '../../../schemas/work-packages.schema.json');
  it('conforms to the shipped JSON Schema', { skip: !existsSync(schemaPath) && 'schemas/work-packages.schema.json not written yet' }, () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
    assert.equal(validate(parse(text)), true, JSON.stringify(validate.errors, null, 2));
  });
});

describe('template: names', () => {
  it('suggests a feature id from a folder name', () => {
    assert.equal(suggestFeatureId('acme-notes'), 'acme-notes');
    assert.equal(suggestFeatureId('My App!'), 'my-app');
    assert.equal(suggestFeatureId('Café Crème'), 'cafe-creme');
    assert.equal(suggestFeatureId('__init__'), 'init');
    assert.equal(suggestFeatureId('.config'), 'config');
    assert.equal(suggestFeatureId('日本'), 'new-feature');
    assert.equal(suggestFeatureId(''), 'new-feature');
    assert.match(suggestFeatureId('a'.repeat(300)), FEATURE_ID_PATTERN);
  });

  it('makes a title from a feature id', () => {
    assert.equal(titleFromId('user-profiles'), 'User profiles');
    assert.equal(titleFromId('FEAT-123:pause_v2'), 'FEAT 123 pause v2');
  });

  it('names a second plan after its feature id, without characters Windows rejects', () => {
    assert.equal(planFileName('user-profiles'), 'user-profiles.work-packages.yaml');
    assert.equal(planFileName('FEAT:1'), 'FEAT-1.work-packages.yaml');
  });
});
