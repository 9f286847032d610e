/**
 * The front door's run reading (`waves status` / `report`, the editor's Show Run Report and
 * Show Prompt): the run state read only — none, unusable, newer (read-only) — the feature's
 * live locks, and the report or why there is none; on real files.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { attemptDir, attemptFiles, lockTableFile, reportFiles, runStateFile } from '../../../src/core/run/runPaths';
import { attemptPrompt, hasRun, liveLocks, readReport, readRun } from '../../../src/engine';
import { tempDir } from '../helpers';
import { writeRunState } from './fixtures';

describe('readRun', () => {
  it('none, then ok, then bad (half-written) — the file is never changed', () => {
    const repo = tempDir();
    assert.equal(readRun(repo, 'f').kind, 'none');
    assert.equal(hasRun(repo, 'f'), false);
    const state = writeRunState(repo, 'f', ['a']);
    const ok = readRun(repo, 'f');
    assert.ok(ok.kind === 'ok' && !ok.newer);
    assert.deepEqual(ok.state.packages.a!.status, state.packages.a!.status);
    fs.writeFileSync(runStateFile(repo, 'f'), '{"version": 2, "featureId"');
    const bad = readRun(repo, 'f');
    assert.ok(bad.kind === 'bad');
    assert.match(bad.detail, /not valid JSON.*mid-write/);
    assert.equal(fs.readFileSync(runStateFile(repo, 'f'), 'utf8'), '{"version": 2, "featureId"', 'left as it was');
  });

  it('a state of a newer version is read, marked newer', () => {
    const repo = tempDir();
    writeRunState(repo, 'f', ['a']);
    const file = runStateFile(repo, 'f');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), version: 3 }));
    const r = readRun(repo, 'f');
    assert.ok(r.kind === 'ok' && r.newer);
  });
});

describe('liveLocks', () => {
  it('the feature\'s live locks only: not another feature\'s, not expired ones', () => {
    const repo = tempDir();
    const lock = (featureId: string, holder: string, expiresAt: string | null) => ({ key: `${holder}/**`, kind: 'file', featureId, runId: 'r1', holder, acquiredAt: '2025-01-01T00:00:00.000Z', expiresAt });
    fs.mkdirSync(path.dirname(lockTableFile(repo)), { recursive: true });
    fs.writeFileSync(lockTableFile(repo), JSON.stringify({ version: 1, locks: [lock('f', 'a', null), lock('g', 'b', null), lock('f', 'c', '2000-01-01T00:00:00.000Z')] }));
    const { locks, problems } = liveLocks(repo, 'f');
    assert.deepEqual(locks.map((l) => l.holder), ['a']);
    assert.deepEqual(problems, []);
  });
});

describe('readReport and attemptPrompt', () => {
  it('why there is no report (running / stopped), then the report', () => {
    const repo = tempDir();
    const running = writeRunState(repo, 'f', ['a'], (s) => void (s.packages.a!.status = 'running'));
    assert.deepEqual(readReport(repo, running), { ok: false, file: reportFiles(repo, 'f', 'r1').markdown, why: 'running' });
    const stopped = writeRunState(repo, 'f', ['a'], (s) => void (s.packages.a!.status = 'interrupted'));
    assert.equal(readReport(repo, stopped, 'json').ok === false && (readReport(repo, stopped, 'json') as { why: string }).why, 'stopped');
    const files = reportFiles(repo, 'f', 'r1');
    fs.mkdirSync(path.dirname(files.json), { recursive: true });
    fs.writeFileSync(files.json, '{"featureId":"f"}\n');
    assert.deepEqual(readReport(repo, stopped, 'json'), { ok: true, file: files.json, text: '{"featureId":"f"}\n' });
  });

  it('the prompt of the latest attempt, when it was written', () => {
    const repo = tempDir();
    const state = writeRunState(repo, 'f', ['a'], (s) => void (s.packages.a!.attempts = 2));
    assert.equal(attemptPrompt(repo, state, 'a'), null);
    const file = attemptFiles(attemptDir(repo, 'f', 'r1', 'a', 2)).prompt;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '# prompt\n');
    assert.equal(attemptPrompt(repo, state, 'a'), file);
    assert.equal(attemptPrompt(repo, state, 'nope'), null);
  });
});
