/**
 * The dependency folders on macOS (ADR 0026, ADR 0033), what is pure: how each platform lays
 * them, the argv that clones one (macOS's cp, APFS clones, never a shell), which folders are not
 * cloned, and the attempt's log lines.
 *
 * Run: npx tsx --test test/core/walls/dependencyClones.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLONE_CP, cloneArgv, clonedNote, cloneFailedNote, cloneRefusal, DEPENDENCY_FOLDERS, layingMechanism } from '../../../src/core/walls/dependencyFolders';

describe('dependency folders cloned on macOS (core)', () => {
  test('each platform its mechanism: overlays on Linux, APFS clones on macOS, none elsewhere', () => {
    assert.equal(layingMechanism('linux'), 'overlay');
    assert.equal(layingMechanism('darwin'), 'clone');
    assert.equal(layingMechanism('win32'), null);
    assert.equal(layingMechanism('freebsd'), null);
  });

  test("the argv: macOS's own cp at its system path, -c (clonefile) and -R, each path one argument as given", () => {
    assert.equal(CLONE_CP, '/bin/cp');
    assert.deepEqual(cloneArgv('/Users/p/repo/node_modules', '/Users/p/trees/a/node_modules'), ['/bin/cp', '-c', '-R', '/Users/p/repo/node_modules', '/Users/p/trees/a/node_modules']);
    const odd = "/Users/p/my repo; rm -rf ~ 'x'/node_modules";
    const argv = cloneArgv(odd, '/t/$(id)/node_modules');
    assert.equal(argv.length, 5);
    assert.equal(argv[3], odd);
    assert.equal(argv[4], '/t/$(id)/node_modules');
  });

  test('node_modules is cloned; a virtual environment is not (its scripts name the checkout), and the note says what to do', () => {
    const byName = (f: string) => DEPENDENCY_FOLDERS.find((d) => d.folder === f)!;
    assert.equal(cloneRefusal(byName('node_modules')), null);
    for (const f of ['.venv', 'venv']) {
      const why = cloneRefusal(byName(f));
      assert.ok(why?.startsWith(`${f}: not cloned`), f);
      assert.match(why!, /make it in the tree/);
    }
  });

  test("the log's lines: the folder and where it came from; a failure with cp's words, saying nothing was copied", () => {
    const ok = clonedNote('node_modules', '/Users/p/repo/node_modules');
    assert.match(ok, /^node_modules: cloned from \/Users\/p\/repo\/node_modules \(APFS clones, copy-on-write/);
    const failed = cloneFailedNote('node_modules', '/Volumes/usb/repo/node_modules', 'cp: clonefile failed: Operation not supported');
    assert.match(failed, /^node_modules: could not be cloned from \/Volumes\/usb\/repo\/node_modules \(cp: clonefile failed: Operation not supported\)/);
    assert.match(failed, /nothing was copied, the tree is as it was \(install them\)$/);
  });
});
