/**
 * What `npm test` says again at its end about each failed test (scripts/tapFailures.mjs): read
 * from the TAP report of a real `node --test` run over a test file that fails in three ways —
 * deep in nested suites, by a thrown error, and at the top level — beside tests that pass.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tapFailures } from '../../scripts/tapFailures.mjs';

/** The TAP report of `node --test` over one file of the given source (in a folder of its own). */
function tapOf(source: string): { text: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-tap-'));
  const file = path.join(dir, 'some.test.mjs');
  fs.writeFileSync(file, source);
  // The runner of the suites themselves, without their environment (a parent test run's context).
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: dir, encoding: 'utf8', env });
  return { text: r.stdout, file };
}

describe('tapFailures: the failed tests of a TAP report', () => {
  it("names each failed test by its suites, with where it is and its error's first lines; passing tests and suites failed only through them are not listed", () => {
    const { text, file } = tapOf(
      [
        "import { describe, test } from 'node:test';",
        "import assert from 'node:assert/strict';",
        "describe('outer', () => {",
        "  describe('inner', () => {",
        "    test('fails deep', () => { assert.equal(1, 2, 'one is not two'); });",
        "    test('passes', () => {});",
        '  });',
        "  test('throws', () => { throw new Error('boom\\nsecond line'); });",
        '});',
        "test('top fails', () => { assert.deepEqual({ a: 1 }, { a: 2 }); });",
        "test('top passes', () => {});",
      ].join('\n'),
    );
    const failures = tapFailures(text);
    assert.deepEqual(
      failures.map((f) => [f.name, f.location]),
      [
        ['outer › inner › fails deep', `${file}:5:5`],
        ['outer › throws', `${file}:8:3`],
        ['top fails', `${file}:10:1`],
      ],
    );
    assert.deepEqual(failures[0]!.error.slice(0, 3), ['one is not two', '', '1 !== 2']);
    assert.deepEqual(failures[1]!.error, ['boom', 'second line']);
    assert.ok(failures[2]!.error.includes('+   a: 1') && failures[2]!.error.includes('-   a: 2'), failures[2]!.error.join('\n'));
    assert.ok(failures.every((f) => f.more === 0));
  });

  it('keeps the first lines of a long error and says how many were left out; a report with no failure gives none', () => {
    const { text } = tapOf("import { test } from 'node:test';\ntest('long', () => { throw new Error(Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\\n')); });\n");
    const [long] = tapFailures(text, { maxErrorLines: 5 });
    assert.deepEqual(long!.error, ['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    assert.equal(long!.more, 25);
    assert.deepEqual(tapFailures(tapOf("import { test } from 'node:test';\ntest('fine', () => {});\n").text), []);
  });
});
