/**
 * The person's checkout as an attempt's bounds read it (`src/engine/git/checkoutGuard.ts`), on a
 * real repository: a file ignored for the run (a task list it ticks) and this engine's own write of
 * it under way (its temp file) are no change of an agent's; anything else is.
 *
 * Run: node --import tsx --test test/engine/git/checkoutGuard.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { changedSince, snapshotCheckout } from '../../../src/engine/git/checkoutGuard.js';
import { isolateGit } from '../engineFixtures.js';
import { makeRepo } from '../helpers.js';

describe("the person's checkout, as an attempt's bounds read it", () => {
  it("leaves out a ticked task list and this engine's write of it under way, never another file", async () => {
    isolateGit();
    const repo = makeRepo({ 'README.md': '# r\n', 'specs/tasks.md': '- [ ] T001 a\n' });
    const ignore = ['specs/tasks.md'];
    const before = await snapshotCheckout(repo, ignore);
    // The tick's atomic write caught in the middle: its temp file beside the task list.
    fs.writeFileSync(path.join(repo, 'specs', `tasks.md.tmp-${process.pid}-7`), '- [x] T001 a\n');
    fs.writeFileSync(path.join(repo, 'specs', 'tasks.md'), '- [x] T001 a\n');
    assert.deepEqual(await changedSince(repo, before, ignore), []);
    // Another process's file of that name, or any other file, is a change.
    fs.writeFileSync(path.join(repo, 'specs', 'tasks.md.tmp-1-1'), 'x\n');
    fs.writeFileSync(path.join(repo, 'specs', `notes.md.tmp-${process.pid}-8`), 'x\n');
    assert.deepEqual((await changedSince(repo, before, ignore)).sort(), ['specs/notes.md.tmp-' + process.pid + '-8', 'specs/tasks.md.tmp-1-1']);
  });
});
