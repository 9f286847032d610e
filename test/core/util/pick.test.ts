import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pick } from '../../../src/core/util/pick';

describe('pick', () => {
  it('copies the named fields as they are (the same arrays, nulls kept) and no other', () => {
    const files = [{ path: 'a.ts', change: 'M' }];
    const record = { status: 'failed', attempts: 2, lastError: null, changedFiles: files, worktree: '/w' };
    const picked = pick(record, ['status', 'lastError', 'changedFiles']);
    assert.deepEqual(picked, { status: 'failed', lastError: null, changedFiles: files });
    assert.equal(picked.changedFiles, files);
    assert.ok(!('worktree' in picked) && !('attempts' in picked));
  });
});
