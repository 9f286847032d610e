import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { judgePrompt, MAX_DIFF_CHARS, readRanking } from '../../../src/core/run/pickJudge';

describe("best of n: the judge's prompt and answer", () => {
  it('shows the task and each green candidate\'s diff, a long one cut and said so, and how to answer', () => {
    const prompt = judgePrompt({
      packageId: 'wp-api',
      title: 'The API',
      task: 'Add the limits.',
      candidates: [
        { candidate: 2, agent: 'codex', diff: '+export const a = 1;' },
        { candidate: 3, agent: 'claude-code', diff: 'x'.repeat(MAX_DIFF_CHARS + 5) },
      ],
    });
    assert.match(prompt, /^# Judge the candidates of work package `wp-api`/);
    assert.match(prompt, /## Task\n\nThe API\n\nAdd the limits\.\n/);
    assert.match(prompt, /## Candidate 2 \(codex\)\n\n```diff\n\+export const a = 1;\n```/);
    assert.match(prompt, /## Candidate 3 \(claude-code\)[\s\S]*\(cut at 40000 characters of 40005\)/);
    assert.match(prompt, /Write the file `ranking\.json` in your working folder/);
    assert.match(prompt, /"candidate": 2/);
  });

  it('reads its first green candidate with the reason; says what is wrong otherwise', () => {
    const r = (text: string | null) => readRanking(text, [2, 3]);
    assert.deepEqual(r('{"ranking":[{"candidate":5,"reason":"x"},{"candidate":3,"reason":" smaller "}]}'), { ok: true, candidate: 3, reason: 'smaller' });
    assert.deepEqual(r('{"ranking":[{"candidate":2}]}'), { ok: true, candidate: 2, reason: 'ranked first' });
    assert.deepEqual(r(null), { ok: false, problem: 'it wrote no ranking.json' });
    assert.deepEqual(r('not json'), { ok: false, problem: 'its ranking.json is not JSON' });
    assert.deepEqual(r('{"ranking":[]}'), { ok: false, problem: 'its ranking.json has no ranking' });
    assert.deepEqual(r('{"ranking":[{"candidate":1}]}'), { ok: false, problem: 'its ranking names none of the green candidates (2, 3)' });
  });

  it('never throws, and never names a candidate that is not green (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(null)), (text) => {
        const r = readRanking(text, [2, 3]);
        if (r.ok) assert.ok([2, 3].includes(r.candidate));
      }),
    );
  });
});
