/** A folder read as one plan as the one text its conversion is remembered by (`folderSourceText`). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { folderSourceText } from '../../../src/core/formats/sourceLink';

describe('folderSourceText', () => {
  test("each file as read, in order: its path and text NUL-separated, the files joined by NUL", () => {
    const files = [
      { path: '/f/tasks/WP01.md', text: 'one' },
      { path: '/f/status.json', text: '{}' },
    ];
    assert.equal(folderSourceText(files), '/f/tasks/WP01.md\0one\0/f/status.json\0{}');
    assert.notEqual(folderSourceText([...files].reverse()), folderSourceText(files), 'the order counts');
    assert.notEqual(folderSourceText([{ path: '/f/a', text: 'b' }]), folderSourceText([{ path: '/f/ab', text: '' }]), 'a path and its text stay apart');
    assert.equal(folderSourceText([{ path: '/f/x.md', text: '' }]), '/f/x.md\0');
    assert.equal(folderSourceText([]), '');
  });
});
