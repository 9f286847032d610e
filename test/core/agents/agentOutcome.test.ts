/**
 * A CLI that dies at its start because its walls refused it a path (core/agents/agentLogs.ts
 * `refusedPath`, core/agents/agentOutcome.ts): read from the CLI's own error as each prints it —
 * Copilot's and Gemini's Node stack traces, Codex's Rust error without a path, Go's and Python's
 * forms — and said in words: the path, that the walls refused it, and the setting that gives a
 * folder; never the stack trace. Outside walls, or a path the walls do not hold, nothing is said.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decideOutcome, type AttemptFacts } from '../../../src/core/agents/agentOutcome';
import { isTraceLine, parseVerdict, refusedPath, refusedPathText, type AgentVerdict } from '../../../src/core/agents/agentLogs';

const HOME = '/home/p';

/** Copilot CLI 1.0.102, first start in walls that gave it no writable ~/.cache (its whole output; exit 1). */
const COPILOT = `Failed to extract bundled package: Error: ENOENT: no such file or directory, mkdir '/home/p/.cache'
    at async Object.mkdir (node:internal/fs/promises:1564:10)
    at async ph (sea-loader.js:11:1213)
    at async If (sea-loader.js:11:643)
    at async xf (sea-loader.js:13:78) {
  errno: -2,
  code: 'ENOENT',
  syscall: 'mkdir',
  path: '/home/p/.cache'
}
`;

/** Gemini CLI 0.61.0 with a read-only ~/.gemini (its last lines; exit 1). */
const GEMINI = `Early cleanup failed: Error: EROFS: read-only file system, open '/home/p/.gemini/projects.json.4a5b82d9.tmp'
    at async open (node:internal/fs/promises:637:25)
    at async Object.writeFile (node:internal/fs/promises:1219:14)
    at async ProjectRegistry.save (file:///opt/gemini/bundle/chunk-JDPZ4CE3.js:252867:7) {
  errno: -30,
  code: 'EROFS',
  syscall: 'open',
  path: '/home/p/.gemini/projects.json.4a5b82d9.tmp'
}
Tool output cleanup failed: EROFS: read-only file system, open '/home/p/.gemini/projects.json.02ac5974.tmp'
An unexpected critical error occurred:Error: EROFS: read-only file system, open '/home/p/.gemini/projects.json.d9d2c8ae.tmp'
    at async open (node:internal/fs/promises:637:25)
    at async Object.writeFile (node:internal/fs/promises:1219:14)
`;

/** Codex CLI 0.169.0 with a read-only CODEX_HOME: no path named (exit 1). */
const CODEX = `WARNING: proceeding, even though we could not create PATH aliases: Read-only file system (os error 30)
Error: failed to initialize in-process app-server client: Read-only file system (os error 30)
`;

const walled = (log: string, id: Parameters<typeof parseVerdict>[0] = 'none') => parseVerdict(id, log, Date.now(), { walls: { home: HOME } });

describe('refusedPath: the path a CLI says its walls refused it', () => {
  it("Copilot's first start: the folder it could not make under the home folder (Node's ENOENT of a recursive mkdir)", () => {
    assert.deepEqual(walled(COPILOT).refused, { path: '/home/p/.cache', code: 'ENOENT', syscall: 'mkdir', line: "Failed to extract bundled package: Error: ENOENT: no such file or directory, mkdir '/home/p/.cache'" });
  });

  it("Gemini's: the last file it could not write", () => {
    const r = walled(GEMINI).refused;
    assert.equal(r?.path, '/home/p/.gemini/projects.json.d9d2c8ae.tmp');
    assert.deepEqual([r?.code, r?.syscall], ['EROFS', 'open']);
  });

  it("Codex's names no path: the read-only file system is said with its line", () => {
    assert.deepEqual(walled(CODEX).refused, { path: null, code: 'EROFS', syscall: null, line: 'Error: failed to initialize in-process app-server client: Read-only file system (os error 30)' });
  });

  it("Go's, Python's and Rust's forms; a path on the line before its cause", () => {
    assert.deepEqual(refusedPath(['Error: mkdir /home/p/.cache/tool: read-only file system'], HOME), { path: '/home/p/.cache/tool', code: 'EROFS', syscall: 'mkdir', line: 'Error: mkdir /home/p/.cache/tool: read-only file system' });
    assert.equal(refusedPath(["OSError: [Errno 30] Read-only file system: '/home/p/.aider.tags.cache.v4'"], HOME)?.path, '/home/p/.aider.tags.cache.v4');
    assert.equal(refusedPath(["PermissionError: [Errno 13] Permission denied: '/home/p/.local/state/x.log'"], HOME)?.code, 'EACCES');
    assert.deepEqual(refusedPath(['error: failed to create directory `/home/p/.local/share/tool`', '', 'Caused by:', '  Read-only file system (os error 30)'].filter(Boolean), HOME), {
      path: '/home/p/.local/share/tool',
      code: 'EROFS',
      syscall: 'mkdir',
      line: 'Read-only file system (os error 30)',
    });
  });

  it('what is not the walls: a permission or a missing file away from the home folder, a missing file it only read, none of these at all', () => {
    assert.equal(refusedPath(["Error: EACCES: permission denied, open '/etc/shadow'"], HOME), null);
    assert.equal(refusedPath(["Error: ENOENT: no such file or directory, open '/home/p/project/missing.json'"], HOME), null);
    assert.equal(refusedPath(['Error: connect ECONNREFUSED 127.0.0.1:8080', 'all is well'], HOME), null);
    // A home folder's neighbour is not in it.
    assert.equal(refusedPath(["Error: EACCES: permission denied, mkdir '/home/pp/.cache'"], HOME), null);
  });

  it('outside walls nothing is read as theirs', () => {
    assert.equal(parseVerdict('none', COPILOT).refused, undefined);
  });
});

describe('the tail of a failure: its own words, not a stack trace', () => {
  it("a Node error's frames and fields are left out", () => {
    assert.deepEqual(parseVerdict('none', COPILOT).tail, ["Failed to extract bundled package: Error: ENOENT: no such file or directory, mkdir '/home/p/.cache'"]);
    for (const frame of ['    at async ph (sea-loader.js:11:1213)', '    at async xf (sea-loader.js:13:78) {', "  code: 'ENOENT',", '}', '  File "/usr/lib/x.py", line 3, in <module>', 'Traceback (most recent call last):', '   3: std::rt::lang_start'])
      assert.equal(isTraceLine(frame), true, frame);
    for (const own of ['Error: something failed', 'Gemini CLI is not running in a trusted directory.', 'at the end of the day']) assert.equal(isTraceLine(own), false, own);
  });
});

describe('decideOutcome: a refused path in words', () => {
  const base: AttemptFacts = { exitCode: 1, signal: null, timedOut: false, cancelled: false, verdict: null, changedFiles: [], resultRecord: null };
  const reasonOf = (verdict: AgentVerdict) => {
    const r = decideOutcome({ ...base, verdict });
    assert.equal(r.next, 'failed');
    return r.reason;
  };

  it("Copilot's start: the folder, that the walls refused it, the setting — no frame of the trace", () => {
    const reason = reasonOf(walled(COPILOT));
    assert.equal(reason, 'the agent exited with code 1 — its walls did not let it make the folder /home/p/.cache (its parent folder is read-only inside the walls): allow a folder with waves.sandbox.write / --sandbox-write');
  });

  it("Gemini's file, Codex's unnamed write, and the CLI's own verdict beside it", () => {
    assert.equal(reasonOf(walled(GEMINI)), 'the agent exited with code 1 — its walls did not let it write /home/p/.gemini/projects.json.d9d2c8ae.tmp (read-only inside the walls): allow a folder with waves.sandbox.write / --sandbox-write');
    assert.equal(
      reasonOf(walled(CODEX)),
      'the agent exited with code 1 — its walls did not let it write (read-only inside the walls; its error names no path: “Error: failed to initialize in-process app-server client: Read-only file system (os error 30)”): allow a folder with waves.sandbox.write / --sandbox-write',
    );
    const reported: AgentVerdict = { ...walled(GEMINI), reported: true, ok: false, detail: 'Gemini CLI reported an error: boom' };
    assert.match(reasonOf(reported), /--sandbox-write \(Gemini CLI reported an error: boom\)$/);
  });

  it('a clean exit, a usage limit and a timeout are judged as before', () => {
    const v = walled(COPILOT);
    assert.equal(decideOutcome({ ...base, exitCode: 0, verdict: v, changedFiles: ['a.txt'] }).next, 'verify');
    assert.equal(decideOutcome({ ...base, verdict: { ...v, usageLimit: true } }).next, 'usage-limit');
    assert.match(decideOutcome({ ...base, exitCode: null, timedOut: true, verdict: v }).reason ?? '', /^timed out/);
    // Without one, the tail as before.
    assert.equal(decideOutcome({ ...base, verdict: parseVerdict('none', 'Gemini CLI is not running in a trusted directory.\n') }).reason, 'the agent exited with code 1 — it said: Gemini CLI is not running in a trusted directory.');
  });

  it('no exit code: the runner\'s (or the queue\'s) words why, where it gave them', () => {
    assert.equal(decideOutcome({ ...base, exitCode: null, verdict: null }).reason, 'the agent ended without an exit code');
    assert.equal(decideOutcome({ ...base, exitCode: null, verdict: null, ended: 'no worker did it: its last worker (w1) stopped answering, after 3 tries' }).reason, 'no worker did it: its last worker (w1) stopped answering, after 3 tries');
    assert.match(decideOutcome({ ...base, exitCode: null, timedOut: true, verdict: null, ended: 'stopped' }).reason ?? '', /^timed out/, 'a time-out says so first');
  });

  it('refusedPathText names what was tried', () => {
    assert.equal(refusedPathText({ path: '/home/p/x', code: 'EROFS', syscall: 'rename', line: '' }), 'its walls did not let it rename /home/p/x (read-only inside the walls)');
    assert.equal(refusedPathText({ path: '/home/p/x', code: 'EACCES', syscall: null, line: '' }), 'its walls did not let it write /home/p/x (read-only inside the walls)');
  });
});
