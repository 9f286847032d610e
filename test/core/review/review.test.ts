import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  commentsToSend,
  emptyReviewFile,
  excerptOf,
  isRepoPath,
  lineHunks,
  linesText,
  markSent,
  openCounts,
  parseCommentsFile,
  parseReviewFile,
  reanchorLines,
  reanchorThread,
  refreshAnchors,
  routeToOwner,
  sameCounts,
  serializeReviewFile,
  type Hunk,
  type ReviewThread,
} from '../../../src/core/review/review';
import { OwnerIndex } from '../../../src/core/ownership/ownership';
import { analyzePlan } from '../../../src/core/plan/analyze';

function thread(over: Partial<ReviewThread> = {}): ReviewThread {
  return {
    id: 't1',
    packageId: 'wp-a',
    file: 'src/a.ts',
    startLine: 2,
    endLine: 3,
    anchorCommit: 'c0ffee',
    excerpt: 'b\nc',
    comments: [{ id: 'c1', body: 'Rename this', author: 'me', at: '2026-11-26T08:00:00.000Z' }],
    status: 'open',
    ...over,
  };
}

const lines = (n: number, tag = 'l') => Array.from({ length: n }, (_, k) => `${tag}${k + 1}`).join('\n') + '\n';

/** Applies hunks to old lines with new text, to check `lineHunks` against its own claim. */
function apply(oldText: string, newText: string, hunks: readonly Hunk[]): string[] {
  const a = oldText === '' ? [] : oldText.replace(/\n$/, '').split('\n');
  const b = newText === '' ? [] : newText.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let i = 0;
  for (const h of hunks) {
    const upTo = h.oldCount === 0 ? h.oldStart : h.oldStart - 1;
    while (i < upTo) out.push(a[i++]);
    i += h.oldCount;
    const from = h.newCount === 0 ? h.newStart : h.newStart - 1;
    out.push(...b.slice(from, from + h.newCount));
  }
  while (i < a.length) out.push(a[i++]);
  return out;
}

describe('review: threads and what is sent', () => {
  it('tells counts that changed from counts read again unchanged (the views redraw only on a change)', () => {
    const ts = [thread(), thread({ id: 't2', packageId: 'wp-b' })];
    assert.equal(sameCounts(openCounts(ts), openCounts([...ts].reverse())), true);
    assert.equal(sameCounts(undefined, new Map()), true);
    assert.equal(sameCounts(undefined, openCounts(ts)), false);
    assert.equal(sameCounts(openCounts(ts), openCounts([thread(), thread({ id: 't2' })])), false, 'same size, other packages');
    assert.equal(sameCounts(openCounts(ts), openCounts([...ts, thread({ id: 't3' })])), false, 'one more on wp-a');
    assert.equal(sameCounts(openCounts(ts), openCounts([ts[0]!])), false, 'one fewer');
  });

  it('counts open threads per package and says so', () => {
    const ts = [thread(), thread({ id: 't2' }), thread({ id: 't3', status: 'resolved' }), thread({ id: 't4', packageId: 'wp-b' }), thread({ id: 't5', packageId: null })];
    assert.deepEqual([...openCounts(ts)], [['wp-a', 2], ['wp-b', 1]]);
    assert.equal(linesText(0, 0), 'the whole file');
    assert.equal(linesText(4, 4), 'line 4');
    assert.equal(linesText(4, 9), 'lines 4–9');
  });

  it('sends each open thread of the package with its file, lines, excerpt and every word of it', () => {
    const ts = [
      thread({ comments: [{ id: 'c1', body: 'Rename this', author: 'me', at: 'x' }, { id: 'c2', body: ' and test it ', author: 'me', at: 'y' }] }),
      thread({ id: 't2', status: 'resolved' }),
      thread({ id: 't3', packageId: 'wp-b' }),
      thread({ id: 't4', startLine: 0, endLine: 0, excerpt: '', comments: [{ id: 'c', body: 'Split this file', author: 'me', at: 'z' }] }),
      thread({ id: 't5', comments: [] }),
      thread({ id: 't6', outdated: 'were deleted by attempt 2', comments: [{ id: 'c', body: 'Why?', author: 'me', at: 'z' }] }),
    ];
    const { comments, notSent } = commentsToSend(ts, 'wp-a');
    assert.deepEqual(comments[0], { file: 'src/a.ts', startLine: 2, endLine: 3, excerpt: 'b\nc', body: 'Rename this\n\nand test it', threadId: 't1' });
    assert.deepEqual(comments[1], { file: 'src/a.ts', startLine: 0, endLine: 0, excerpt: '', body: 'Split this file', threadId: 't4' });
    assert.equal(comments[2].startLine, 0);
    assert.match(comments[2].body, /Written on lines 2–3, which were deleted by attempt 2/);
    assert.equal(comments.length, 3);
    assert.deepEqual(notSent, [{ threadId: 't5', file: 'src/a.ts', why: 'it holds no words yet' }]);
    const sent = markSent(ts, new Set(['t1', 't4']), 2);
    assert.equal(sent[0].sentIn, 2);
    assert.equal(sent[3].sentIn, 2);
    assert.equal(sent[1].sentIn, undefined);
  });

  it('takes excerpts and names a line that does not exist', () => {
    assert.deepEqual(excerptOf('a\nb\nc\n', 2, 3), { ok: true, excerpt: 'b\nc' });
    assert.deepEqual(excerptOf('a\nb\nc\n', 0, 0), { ok: true, excerpt: '' });
    assert.deepEqual(excerptOf('a\nb\nc\n', 3, 4), { ok: false, why: 'line 4 does not exist: the file has 3 lines' });
    assert.equal(excerptOf('a', 2, 1).ok, false);
    const long = excerptOf(lines(100), 1, 100);
    assert.ok(long.ok && long.excerpt.endsWith('… (60 more lines)'));
  });
});

describe('review: the store file', () => {
  it('round-trips', () => {
    const file = { ...emptyReviewFile('feat'), threads: [thread(), thread({ id: 't2', sentIn: 2, status: 'resolved', outdated: 'was deleted by attempt 2', from: 'integration' })] };
    const read = parseReviewFile(serializeReviewFile(file), 'feat');
    assert.equal(read.kind, 'ok');
    assert.deepEqual(read.kind === 'ok' && read.file, file);
    assert.deepEqual(read.kind === 'ok' && read.problems, []);
  });

  it('never throws: bad JSON, another feature, a newer version, an old one', () => {
    assert.equal(parseReviewFile('{', 'f').kind, 'bad');
    assert.equal(parseReviewFile('[]', 'f').kind, 'bad');
    assert.equal(parseReviewFile('{"threads":[]}', 'f').kind, 'bad');
    assert.match(JSON.stringify(parseReviewFile('{"version":1,"featureId":"g","threads":[]}', 'f')), /feature \\"g\\"/);
    assert.deepEqual(parseReviewFile('{"version":9,"featureId":"f","threads":[]}', 'f'), { kind: 'newer', version: 9 });
    assert.equal(parseReviewFile('{"version":0,"featureId":"f","threads":[]}', 'f').kind, 'bad');
    assert.equal(parseReviewFile('{"version":1,"featureId":"f","threads":{}}', 'f').kind, 'bad');
  });

  it('keeps a bad thread as it was and reports it, and keeps it again on the next write', () => {
    const bad = [{ id: 'x', packageId: 'wp-a', file: '../etc/passwd' }, 'text', thread({ id: 'dup' }), thread({ id: 'dup' }), thread({ id: 'r', startLine: 3, endLine: 2 }), thread({ id: 'w', startLine: 0, endLine: 4 })];
    const text = JSON.stringify({ version: 1, featureId: 'f', threads: [thread(), ...bad] });
    const read = parseReviewFile(text, 'f');
    assert.equal(read.kind, 'ok');
    if (read.kind !== 'ok') return;
    assert.deepEqual(read.file.threads.map((t) => t.id), ['t1', 'dup']);
    assert.equal(read.file.unreadable.length, 5);
    assert.deepEqual(
      read.problems.map((p) => p.replace(/;.*/, '')),
      ['thread 2: "file" is not a path inside the repository', 'thread 3: not an object', 'thread 5: a second thread with id "dup"', 'thread 6: lines 3-2 are not a range', 'thread 7: lines 0-4 are not a range'],
    );
    const again = parseReviewFile(serializeReviewFile(read.file), 'f');
    assert.ok(again.kind === 'ok' && again.file.unreadable.length === 5 && again.problems.length === 1);
  });

  it('knows a path inside the repository', () => {
    for (const ok of ['a', 'src/a.ts', 'a b/c']) assert.ok(isRepoPath(ok), ok);
    for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', './a', 'C:/x', 'a\\b', 'a\0b']) assert.ok(!isRepoPath(bad), bad);
  });
});

describe('review: re-anchoring', () => {
  it('diffs lines as a unified diff numbers them', () => {
    assert.deepEqual(lineHunks('a\nb\nc\n', 'a\nb\nc\n'), []);
    assert.deepEqual(lineHunks('a\nb\nc\n', 'a\nX\nc\n'), [{ oldStart: 2, oldCount: 1, newStart: 2, newCount: 1 }]);
    assert.deepEqual(lineHunks('a\nb\nc\n', 'a\nc\n'), [{ oldStart: 2, oldCount: 1, newStart: 1, newCount: 0 }]);
    assert.deepEqual(lineHunks('a\nc\n', 'a\nb\nc\n'), [{ oldStart: 1, oldCount: 0, newStart: 2, newCount: 1 }]);
    assert.deepEqual(lineHunks('', 'a\n'), [{ oldStart: 0, oldCount: 0, newStart: 1, newCount: 1 }]);
  });

  it('diffs that apply: random edits', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: rand(30) }, () => `x${rand(6)}`);
      const b = [...a];
      for (let e = rand(6); e > 0; e--) {
        const at = rand(b.length + 1);
        if (rand(2) && b.length) b.splice(at, 1);
        else b.splice(at, 0, `y${rand(6)}`);
      }
      const oldText = a.length ? a.join('\n') + '\n' : '';
      const newText = b.length ? b.join('\n') + '\n' : '';
      assert.deepEqual(apply(oldText, newText, lineHunks(oldText, newText)), b, `${oldText} → ${newText}`);
    }
  });

  it('moves lines with what was inserted or deleted above them, not with what came after', () => {
    const h = (oldStart: number, oldCount: number, newStart: number, newCount: number): Hunk => ({ oldStart, oldCount, newStart, newCount });
    assert.deepEqual(reanchorLines(5, 6, []), { kind: 'kept', startLine: 5, endLine: 6 });
    assert.deepEqual(reanchorLines(5, 6, [h(1, 0, 2, 3)]), { kind: 'kept', startLine: 8, endLine: 9 });
    assert.deepEqual(reanchorLines(5, 6, [h(1, 2, 0, 0)]), { kind: 'kept', startLine: 3, endLine: 4 });
    assert.deepEqual(reanchorLines(5, 6, [h(6, 0, 7, 4)]), { kind: 'kept', startLine: 5, endLine: 6 });
    assert.deepEqual(reanchorLines(5, 6, [h(7, 3, 7, 1)]), { kind: 'kept', startLine: 5, endLine: 6 });
    assert.deepEqual(reanchorLines(5, 6, [h(4, 0, 5, 2)]), { kind: 'kept', startLine: 7, endLine: 8 });
    assert.deepEqual(reanchorLines(0, 0, [h(1, 3, 1, 0)]), { kind: 'kept', startLine: 0, endLine: 0 });
  });

  it('says a range was changed when its lines were rewritten, and deleted when nothing is left', () => {
    const h = (oldStart: number, oldCount: number, newStart: number, newCount: number): Hunk => ({ oldStart, oldCount, newStart, newCount });
    assert.deepEqual(reanchorLines(5, 6, [h(6, 1, 6, 3)]), { kind: 'changed', startLine: 5, endLine: 8 });
    assert.deepEqual(reanchorLines(5, 6, [h(5, 2, 5, 1)]), { kind: 'changed', startLine: 5, endLine: 5 });
    assert.deepEqual(reanchorLines(5, 7, [h(5, 0, 6, 2)]), { kind: 'changed', startLine: 5, endLine: 9 });
    assert.deepEqual(reanchorLines(5, 6, [h(1, 1, 0, 0), h(5, 2, 3, 0)]), { kind: 'deleted' });
    assert.deepEqual(reanchorLines(5, 6, [h(3, 6, 2, 0)]), { kind: 'deleted' });
  });

  it('re-anchors a thread on the new version of its file', () => {
    const old = 'a\nb\nc\nd\ne\n';
    // Lines inserted above: moved, unchanged, not addressed.
    const moved = reanchorThread(thread(), old, 'new1\nnew2\na\nb\nc\nd\ne\n', 'c2', 2);
    assert.deepEqual([moved.startLine, moved.endLine, moved.anchorCommit, moved.excerpt, moved.addressed], [4, 5, 'c2', 'b\nc', undefined]);
    // Its lines rewritten: addressed, the new lines excerpted.
    const changed = reanchorThread(thread(), old, 'a\nB\nc\nd\ne\n', 'c2', 2);
    assert.deepEqual([changed.startLine, changed.endLine, changed.excerpt, changed.addressed], [2, 3, 'B\nc', true]);
    // Cut and pasted lower down: found again as a block.
    const pasted = reanchorThread(thread(), old, 'a\nd\ne\nb\nc\n', 'c2', 2);
    assert.deepEqual([pasted.startLine, pasted.endLine, pasted.outdated], [4, 5, undefined]);
    // Deleted: outdated, kept with its excerpt and its place.
    const gone = reanchorThread(thread(), old, 'a\nd\ne\n', 'c2', 2);
    assert.deepEqual([gone.startLine, gone.endLine, gone.excerpt, gone.outdated, gone.anchorCommit], [2, 3, 'b\nc', 'were deleted by attempt 2', 'c0ffee']);
    assert.equal(reanchorThread(thread({ startLine: 2, endLine: 2 }), old, 'a\nc\nd\ne\n', 'c2', 2).outdated, 'was deleted by attempt 2');
    // The file deleted; a whole-file thread on a changed file.
    assert.equal(reanchorThread(thread(), old, null, 'c2', 3).outdated, 'was deleted with its file by attempt 3');
    const whole = reanchorThread(thread({ startLine: 0, endLine: 0 }), old, old + 'f\n', 'c2');
    assert.deepEqual([whole.anchorCommit, whole.addressed], ['c2', true]);
    // An outdated thread stays as it is.
    assert.equal(reanchorThread(gone, 'a\nd\ne\n', 'x\n', 'c3'), gone);
  });
});

describe('review: a comments file', () => {
  it('reads path:line, path:start-end and path: text, skipping blanks and # lines; an indented line goes on', () => {
    const text = '# review of wp-a\n\nsrc/a.ts:3: Use a constant\nsrc/a.ts:10-12:   Split this\n  into two functions\nREADME.md: Say why\nC:/x:1: hm\n';
    const { comments, errors } = parseCommentsFile(text, 'comments.txt');
    assert.deepEqual(comments, [
      { file: 'src/a.ts', startLine: 3, endLine: 3, body: 'Use a constant', source: 3 },
      { file: 'src/a.ts', startLine: 10, endLine: 12, body: 'Split this\ninto two functions', source: 4 },
      { file: 'README.md', startLine: 0, endLine: 0, body: 'Say why', source: 6 },
    ]);
    assert.deepEqual(errors, ['comments.txt:7: "C:/x" is not a path inside the repository (relative, "/"-separated, no "..")']);
  });

  it('names each bad line by its place', () => {
    const text = '  orphan\nno colon here\n../x.ts:1: up\nsrc/a.ts:0: zero\nsrc/a.ts:5-2: backwards\nsrc/a.ts:4:\n';
    assert.deepEqual(parseCommentsFile(text, 'c.txt').errors, [
      'c.txt:1: an indented line goes on the comment above, and there is none',
      'c.txt:2: expected "path:line: text", "path:start-end: text" or "path: text"',
      'c.txt:3: "../x.ts" is not a path inside the repository (relative, "/"-separated, no "..")',
      'c.txt:4: lines are counted from 1',
      'c.txt:5: 5-2 is not a range (start ≤ end)',
      'c.txt:6: the comment has no text',
    ]);
    assert.deepEqual(parseCommentsFile('# nothing\n', 'c.txt').errors, ['c.txt: holds no comment']);
  });

  it('reads JSON', () => {
    const json = JSON.stringify([{ file: 'a.ts', line: 2, body: 'x' }, { file: 'a.ts', startLine: 2, endLine: 4, body: 'y' }, { file: 'b.md', body: 'whole' }, { file: 'a.ts', line: -1, body: 'z' }, { body: 'no file' }, 3]);
    const { comments, errors } = parseCommentsFile(json, 'c.json');
    assert.deepEqual(comments.map((c) => [c.file, c.startLine, c.endLine, c.body]), [['a.ts', 2, 2, 'x'], ['a.ts', 2, 4, 'y'], ['b.md', 0, 0, 'whole']]);
    assert.deepEqual(errors, ['c.json: comment 4: "line"/"startLine" is not a line number', 'c.json: comment 5: "file" is missing or not text', 'c.json: comment 6: not an object']);
    assert.match(parseCommentsFile('[{', 'c.json').errors[0], /^c\.json: not JSON/);
    assert.equal(parseCommentsFile('{"comments":[{"file":"a","body":"b"}]}', 'c.json').comments.length, 1);
  });
});

describe('review: an integration thread goes to its owner', () => {
  const plan = `version: 1
feature: { id: f, title: F }
packages:
  - id: wp-a
    title: A
    scope: { write_allow: ["src/a/**", "shared/**"] }
  - id: wp-b
    title: B
    depends_on: [wp-a]
    scope: { write_allow: ["src/b/**", "shared/**"] }
`;
  const index = new OwnerIndex(analyzePlan(plan));

  it('one owner: to it; several: asked among them; none: asked among all', () => {
    assert.deepEqual(routeToOwner(index, 'src/a/x.ts'), { kind: 'owner', packageId: 'wp-a' });
    assert.deepEqual(routeToOwner(index, 'src/b/y.ts'), { kind: 'owner', packageId: 'wp-b' });
    const several = routeToOwner(index, 'shared/z.ts');
    assert.ok(several.kind === 'ask' && several.why === 'several');
    assert.deepEqual(several.kind === 'ask' && several.candidates, ['wp-a', 'wp-b']);
    const none = routeToOwner(index, 'README.md');
    assert.ok(none.kind === 'ask' && none.why === 'none' && /outside every package's write scope/.test(none.text));
    assert.deepEqual(none.kind === 'ask' && none.candidates, ['wp-a', 'wp-b']);
  });
});

describe('review: threads brought onto the newest commit', () => {
  it('re-anchors the threads sent once their attempt made a commit, and only those', async () => {
    const files: Record<string, string> = { 'c0ffee:src/a.ts': 'a\nb\nc\nd\n', 'c2:src/a.ts': 'top\na\nb\nc\nd\n' };
    const read = async (commit: string, file: string) => files[`${commit}:${file}`] ?? null;
    const ts = [thread({ sentIn: 2 }), thread({ id: 'not-sent' }), thread({ id: 'other', packageId: 'wp-b', sentIn: 2 }), thread({ id: 'later', sentIn: 3 })];
    const { threads, changed } = await refreshAnchors(ts, (p) => (p === 'wp-a' ? { commit: 'c2', attempt: 2 } : null), read);
    assert.equal(changed, true);
    assert.deepEqual(threads.map((t) => [t.id, t.startLine, t.anchorCommit]), [['t1', 3, 'c2'], ['not-sent', 2, 'c0ffee'], ['other', 2, 'c0ffee'], ['later', 2, 'c0ffee']]);
    const again = await refreshAnchors(threads, () => ({ commit: 'c2', attempt: 2 }), read);
    assert.equal(again.threads[0], threads[0]);
  });
});
