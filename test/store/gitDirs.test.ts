// Where a work tree and its git folders are, read from the disk as git finds them: real
// repositories (one nested in another, a linked worktree), no git process asked.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { gitDirsOf } from '../../src/store/gitDirs';
import { workTreeOf } from '../../src/util/workTree';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();

describe('workTreeOf and gitDirsOf', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-gitdirs-')));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const outer = path.join(root, 'outer');
  const inner = path.join(outer, 'vendor', 'inner');
  fs.mkdirSync(path.join(inner, 'deep', 'er'), { recursive: true });
  git(outer, 'init', '-q', '-b', 'main');
  git(inner, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(inner, 'f.txt'), 'f\n');
  git(inner, 'add', '-A');
  git(inner, 'commit', '-q', '-m', 'one');
  const linked = path.join(root, 'linked');
  git(inner, 'worktree', 'add', '-q', linked, '-b', 'side');

  it("is the nearest folder holding .git, as git's own --show-toplevel says", () => {
    for (const [from, want] of [
      [outer, outer],
      [path.join(outer, 'vendor'), outer],
      [inner, inner],
      [path.join(inner, 'deep', 'er'), inner],
      [linked, linked],
    ] as const) {
      assert.equal(workTreeOf(from)?.root, want, from);
      assert.equal(git(from, 'rev-parse', '--show-toplevel'), want, `git agrees for ${from}`);
    }
  });

  it('is null where no folder above holds .git', () => {
    assert.equal(workTreeOf(root), null);
    assert.equal(gitDirsOf(root), null);
  });

  it("gives a work tree's git folder and the common one a linked worktree shares", () => {
    assert.deepEqual(gitDirsOf(path.join(inner, 'deep')), { gitDir: path.join(inner, '.git'), commonDir: path.join(inner, '.git') });
    const dirs = gitDirsOf(linked);
    assert.equal(dirs?.commonDir, path.join(inner, '.git'));
    assert.equal(dirs?.gitDir, git(linked, 'rev-parse', '--absolute-git-dir'));
  });

  it('passes over a .git that is neither a folder nor a file (a link to nowhere)', () => {
    const odd = path.join(root, 'odd');
    fs.mkdirSync(odd);
    fs.symlinkSync(path.join(root, 'missing'), path.join(odd, '.git'));
    assert.equal(workTreeOf(odd), null);
  });
});
