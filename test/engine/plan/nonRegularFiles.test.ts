/**
 * Files that are not files (docs/security.md): a plan, a result record or a
 * planning output that is a FIFO, a device or a link out of the repository is refused with
 * its path and what it is, never opened for reading — a FIFO used to hold the reader for good.
 * Real FIFOs (`mkfifo`), real repositories, the real runner and the scripted agent. Every
 * test keeps a process that, after a few seconds, opens the FIFOs for writing (see
 * `releaseFifosAfter`): code that wrongly waits on one then reads an empty file and fails
 * here, instead of hanging the test process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPlan, PlanReadError } from '../../../src/engine';
import { NotRegularFileError, readRegularFile, readRegularFileSync } from '../../../src/util/regularFile';
import { engineFor, isolateGit, planYaml, repoWithPlan } from '../engineFixtures';
import { buildRunner, makeRepo, releaseFifosAfter, tempDir } from '../helpers';

let runnerScript = '';
const stops: (() => void)[] = [];

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});
after(() => stops.forEach((stop) => stop()));

function fifo(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  stops.push(releaseFifosAfter(path.dirname(file)));
  return file;
}

describe('readRegularFile', () => {
  test('a regular file is read; a FIFO, a link to a device, a link out of `within` are refused with what they are; a folder is EISDIR', async () => {
    const dir = tempDir('waves-regular-');
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, 'text');
    assert.equal(readRegularFileSync(file).toString(), 'text');
    assert.equal((await readRegularFile(file)).toString(), 'text');
    const pipe = fifo(path.join(dir, 'pipe.yaml'));
    assert.throws(() => readRegularFileSync(pipe), (err: unknown) => err instanceof NotRegularFileError && /pipe\.yaml is not a regular file \(it is a FIFO\): refused, never read/.test(err.message));
    await assert.rejects(readRegularFile(pipe), NotRegularFileError);
    const zero = path.join(dir, 'zero.yaml');
    fs.symlinkSync('/dev/zero', zero);
    assert.throws(() => readRegularFileSync(zero), /it is a character device/);
    const outside = path.join(tempDir('waves-outside-'), 'secret');
    fs.writeFileSync(outside, 'secret');
    const link = path.join(dir, 'inner', 'link.json');
    fs.mkdirSync(path.dirname(link));
    fs.symlinkSync(outside, link);
    assert.equal(readRegularFileSync(link).toString(), 'secret', 'without `within` a link is followed');
    assert.throws(() => readRegularFileSync(link, { within: dir }), new RegExp(`it is a symbolic link to ${outside}, outside ${dir}`));
    fs.symlinkSync(file, path.join(dir, 'inner', 'ok.yaml'));
    assert.equal(readRegularFileSync(path.join(dir, 'inner', 'ok.yaml'), { within: dir }).toString(), 'text', 'a link inside is read');
    assert.throws(() => readRegularFileSync(path.join(dir, 'inner')), (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
    assert.throws(() => readRegularFileSync(path.join(dir, 'missing')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  });
});

describe("the engine's plan", () => {
  test('loadPlan refuses a FIFO as the plan, and a plan linked out of its repository; a link inside is read', async () => {
    const repo = makeRepo();
    const pipe = fifo(path.join(repo, 'work-packages.yaml'));
    await assert.rejects(loadPlan(pipe), (err: unknown) => err instanceof PlanReadError && /not a regular file \(it is a FIFO\)/.test(err.why));
    const outside = path.join(tempDir('waves-outside-'), 'plan.yaml');
    fs.writeFileSync(outside, planYaml('linked', [{ id: 'a' }]));
    const linked = path.join(repo, 'linked.work-packages.yaml');
    fs.symlinkSync(outside, linked);
    await assert.rejects(loadPlan(linked), (err: unknown) => err instanceof PlanReadError && /symbolic link to .*, outside /.test(err.why));
    fs.writeFileSync(path.join(repo, 'real.yaml'), planYaml('inside', [{ id: 'a' }]));
    fs.symlinkSync(path.join(repo, 'real.yaml'), path.join(repo, 'inside.work-packages.yaml'));
    assert.equal((await loadPlan(path.join(repo, 'inside.work-packages.yaml'))).featureId, 'inside');
  });
});

describe('result records', () => {
  test('an agent that makes its result record a FIFO: the engine never opens it, says so, and the run ends', { timeout: 120_000 }, async () => {
    const { repo, planFile } = repoWithPlan('result-fifo', [
      { id: 'a', agent: ['write a/ok.txt', 'result-fifo'] },
      { id: 'b', deps: ['a'], agent: ['write b/ok.txt'] },
    ]);
    stops.push(releaseFifosAfter(path.join(repo, '.waves'), 8000));
    const { engine, events } = await engineFor(planFile, runnerScript);
    try {
      const outcome = await engine.run();
      const warned = events.filter((e) => e.type === 'problem' && e.packageId === 'a').map((e) => (e as { message: string }).message);
      assert.ok(
        warned.some((m) => /result record: the result record .*result\.json is not a regular file \(it is a FIFO\): refused, never read/.test(m)),
        warned.join('\n'),
      );
      assert.ok(!warned.some((m) => /is empty/.test(m)), 'the FIFO was never read');
      // b's prompt names a's record; nothing of it was carried or read.
      assert.equal(outcome.state.packages.b!.status, 'succeeded');
    } finally {
      engine.dispose();
    }
  });
});
