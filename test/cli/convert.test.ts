/**
 * `waves convert` as a person runs it: the built bin (`npm run build` first) in a real process.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const fixtures = path.join(root, 'test', 'fixtures', 'formats');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-convert-'));

function waves(args: string[], cwd = tmp) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A fixture copied into a folder of its own under the temporary folder. */
function copy(format: string, name: string, as = name): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${format}-`));
  const file = path.join(dir, as);
  fs.copyFileSync(path.join(fixtures, format, name), file);
  return file;
}

describe('waves convert', () => {
  it('writes work-packages.yaml beside the source, says where, and prints the checks as file:line:col', () => {
    const file = copy('spec-kit', '001-photo-albums.tasks.md', 'tasks.md');
    const r = waves(['convert', file]);
    const out = path.join(path.dirname(file), 'work-packages.yaml');
    assert.equal(r.code, 1, r.out + r.err); // two stories may both write backend/src/api/albums.py
    assert.ok(fs.existsSync(out));
    assert.match(r.out, new RegExp(`waves: wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 16 packages from spec-kit tasks\\.md`));
    assert.match(r.out, /tasks\.md:18:7 warning foreign-no-write-scope `T004` declares no files/);
    assert.match(r.out, /tasks\.md:\d+:\d+ warning foreign-parallel-same-file `T013` and `T011` may run in parallel/);
    assert.match(r.out, /work-packages\.yaml:\d+:\d+ error write-overlap /);
    assert.match(r.out, /work-packages\.yaml: invalid — 16 packages in \d+ waves/);
    const yaml = fs.readFileSync(out, 'utf8');
    assert.match(yaml, /# implied: /);
    assert.match(yaml, /# guess: named in the task text/);
  });

  it('never overwrites an existing file without --force', () => {
    const file = copy('taskmaster', 'legacy.tasks.json', 'tasks.json');
    const out = path.join(path.dirname(file), 'work-packages.yaml');
    fs.writeFileSync(out, 'mine\n');
    const r = waves(['convert', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /exists already; not overwritten \(--force/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'mine\n');
    const forced = waves(['convert', '--force', file]);
    assert.equal(forced.code, 0, forced.out + forced.err);
    assert.match(fs.readFileSync(out, 'utf8'), /package_id: task-3/);
    assert.match(forced.out, /valid — 3 packages in 2 waves, 0 errors/);
  });

  it('--out writes elsewhere; a valid plan exits 0', () => {
    const file = copy('openspec', 'add-global-install-scope.tasks.md', 'tasks.md');
    const out = path.join(tmp, 'openspec-plan.yaml');
    const r = waves(['convert', file, '--out', out]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(fs.readFileSync(out, 'utf8'), /package_id: section-1/);
  });

  it('a file that is no task list: positioned error, nothing written, exit 1; a missing file exits 2', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'none-'));
    const file = path.join(dir, 'notes.md');
    fs.writeFileSync(file, '# Notes\n\nNothing to do here.\n');
    const r = waves(['convert', file]);
    assert.equal(r.code, 1);
    assert.match(r.out, /notes\.md:1:1 error foreign-not-format /);
    assert.match(r.err, /nothing to convert; no plan written/);
    assert.ok(!fs.existsSync(path.join(dir, 'work-packages.yaml')));
    assert.equal(waves(['convert', path.join(dir, 'missing.md')]).code, 2);
  });

  it('has its help and usage errors', () => {
    const help = waves(['convert', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /waves convert \[--out PATH\] \[--force\]/);
    assert.match(waves(['--help']).out, /waves convert/);
    const bad = waves(['convert']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /convert takes exactly one task list file/);
    assert.match(waves(['convert', '--format', 'jira', 'x.md']).err, /--format must be one of spec-kit, kiro, taskmaster, beads, openspec/);
  });

  it('convert --force . replaces the plan it wrote in a folder it reads (GSD phase, Spec Kitty tasks/), never a task file', () => {
    for (const rel of ['gsd/phases/02-auth', 'spec-kitty/numbered-tasks/tasks']) {
      const dir = path.join(fs.mkdtempSync(path.join(tmp, 'folder-')), path.basename(rel));
      fs.cpSync(path.join(fixtures, rel), dir, { recursive: true });
      if (rel.startsWith('spec-kitty')) fs.copyFileSync(path.join(fixtures, 'spec-kitty/numbered-tasks/tasks.md'), path.join(dir, '..', 'tasks.md'));
      const out = path.join(dir, 'work-packages.yaml');
      const first = waves(['convert', '.'], dir);
      assert.ok(first.code === 0 || first.code === 1, first.out + first.err);
      const written = fs.readFileSync(out, 'utf8');
      const again = waves(['convert', '.'], dir);
      assert.equal(again.code, 1, rel);
      assert.match(again.err, /exists already; not overwritten/);
      fs.writeFileSync(out, written.replace(/^schema_version/m, '# an edit\nschema_version'));
      const forced = waves(['convert', '--force', '.'], dir);
      assert.equal(forced.code, first.code, `${rel}: ${forced.out}${forced.err}`);
      assert.equal(fs.readFileSync(out, 'utf8'), written, rel);
      const task = fs.readdirSync(dir).find((f) => /PLAN\.md$|^01-/.test(f))!;
      const before = fs.readFileSync(path.join(dir, task), 'utf8');
      const refused = waves(['convert', '--force', '--out', task, '.'], dir);
      assert.equal(refused.code, 2, rel);
      assert.match(refused.err, /--out must not be a file being converted/);
      assert.equal(fs.readFileSync(path.join(dir, task), 'utf8'), before);
    }
  });
});
