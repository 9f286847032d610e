// `checkEngineFolder` (`src/store/engineFolder.ts`): `.waves` and the folders under it that the
// engine writes into are real folders of the repository, as far as they exist. Real folders
// and links in a temp folder; the writers that call it are tested in test/engine/run/engineFolder.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkEngineFolder, EngineFolderError } from '../../src/store/engineFolder';

function repo(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-engine-folder-')));
}

const refused = (fn: () => void, folder: string, message: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EngineFolderError, String(err));
    assert.equal(err.folder, folder);
    assert.match(err.message, message);
    return true;
  });

describe('checkEngineFolder', () => {
  it('passes real folders and folders not made yet, and creates nothing', () => {
    const root = repo();
    checkEngineFolder(root);
    checkEngineFolder(root, path.join(root, '.waves', 'runs', 'f', 'r1'), { below: true });
    assert.equal(fs.existsSync(path.join(root, '.waves')), false);
    fs.mkdirSync(path.join(root, '.waves', 'runs', 'f', 'r1', 'a', '1'), { recursive: true });
    fs.writeFileSync(path.join(root, '.waves', 'runs', 'f', 'r1', 'a', '1', 'agent.log'), 'log\n');
    checkEngineFolder(root, path.join(root, '.waves', 'runs', 'f', 'r1'), { below: true });
  });

  it('refuses a link at any step, or a file where a folder must be, naming the path and what to do', () => {
    const root = repo();
    const outside = repo();
    fs.symlinkSync(outside, path.join(root, '.waves'));
    refused(() => checkEngineFolder(root), path.join(root, '.waves'), /^.*\/\.waves is a symbolic link \(to .*\): .*remove the link \(`git rm \.waves` and commit/);
    fs.unlinkSync(path.join(root, '.waves'));
    fs.writeFileSync(path.join(root, '.waves'), 'not a folder\n');
    refused(() => checkEngineFolder(root), path.join(root, '.waves'), /\.waves is not a folder: Wave Orchestrator keeps its run files in \.waves\/; move it away/);
    fs.unlinkSync(path.join(root, '.waves'));
    fs.mkdirSync(path.join(root, '.waves'));
    fs.symlinkSync(outside, path.join(root, '.waves', 'history'));
    checkEngineFolder(root, path.join(root, '.waves', 'runs'));
    refused(() => checkEngineFolder(root, path.join(root, '.waves', 'history', 'f')), path.join(root, '.waves', 'history'), /`git rm \.waves\/history`/);
  });

  it('with `below`, a link anywhere inside the folder is refused (a file or a folder)', () => {
    const root = repo();
    const run = path.join(root, '.waves', 'runs', 'f', 'r1');
    fs.mkdirSync(path.join(run, 'a', '1'), { recursive: true });
    fs.symlinkSync('/etc/hostname', path.join(run, 'a', '1', 'agent.log'));
    checkEngineFolder(root, run);
    refused(() => checkEngineFolder(root, run, { below: true }), path.join(run, 'a', '1', 'agent.log'), /agent\.log is a symbolic link \(to \/etc\/hostname\)/);
  });

  it('a folder outside .waves is a programming error', () => {
    const root = repo();
    assert.throws(() => checkEngineFolder(root, path.join(root, 'src')), /is not under/);
    assert.throws(() => checkEngineFolder(root, path.join(root, '.waves', '..', '..', 'x')), /is not under/);
  });
});
