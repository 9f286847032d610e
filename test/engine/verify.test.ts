/**
 * Verification `command` steps (`src/engine/verify.ts`) with real shells: approvals keyed by
 * plan file + SHA-256 of the exact ordered list, refusal before anything runs, each command
 * announced before it runs, output in verify-<n>.log, per-step results.
 *
 * Run: node --import tsx --test test/engine/verify.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { approvalsFile as approvalsPath, verifyLogFile } from '../../src/core/run/runPaths.js';
import { approve, commandsHash, isApproved, planKey, runVerification, shellFor, VerificationNotApprovedError, type CommandStep } from '../../src/engine/verify.js';
import { tempDir } from './helpers.js';

function setup() {
  const repo = tempDir('waves-verify-');
  const cwd = path.join(repo, 'tree');
  const attempt = path.join(repo, '.waves', 'runs', 'f', 'r1', 'a', '1');
  fs.mkdirSync(cwd, { recursive: true });
  fs.mkdirSync(attempt, { recursive: true });
  return { repo, cwd, attempt, approvals: approvalsPath(repo), plan: path.join(repo, 'plans', 'work-packages.yaml') };
}

describe('approvals', () => {
  it('keyed by the repo-relative plan file and the hash of the exact ordered list', async () => {
    const s = setup();
    const cmds = ['npm test', 'npm run lint'];
    assert.equal(isApproved(s.approvals, s.plan, cmds), false);
    await approve(s.approvals, s.plan, cmds, new Date('2026-01-02T03:04:05Z'));
    assert.equal(isApproved(s.approvals, s.plan, cmds), true);
    assert.equal(isApproved(s.approvals, 'plans/work-packages.yaml', cmds), true, 'relative and absolute name the same plan');
    assert.equal(isApproved(s.approvals, s.plan, [...cmds].reverse()), false, 'order matters');
    assert.equal(isApproved(s.approvals, s.plan, ['npm test', 'npm run lint ']), false, 'any edit asks again');
    assert.equal(isApproved(s.approvals, path.join(s.repo, 'other.yaml'), cmds), false, 'another plan is not approved');
    const file = JSON.parse(fs.readFileSync(s.approvals, 'utf8'));
    assert.deepEqual(file.plans['plans/work-packages.yaml'], [{ hash: commandsHash(cmds), commands: cmds, approvedAt: '2026-01-02T03:04:05.000Z' }]);
    assert.equal(planKey(s.approvals, s.plan), 'plans/work-packages.yaml');
  });

  it('approving again keeps one entry per list; an empty list needs no approval; a corrupt file approves nothing', async () => {
    const s = setup();
    await approve(s.approvals, s.plan, ['a']);
    await approve(s.approvals, s.plan, ['a']);
    await approve(s.approvals, s.plan, ['b']);
    assert.equal(JSON.parse(fs.readFileSync(s.approvals, 'utf8')).plans['plans/work-packages.yaml'].length, 2);
    assert.equal(isApproved(s.approvals, s.plan, []), true);
    fs.writeFileSync(s.approvals, '{not json');
    assert.equal(isApproved(s.approvals, s.plan, ['a']), false);
  });

  it('commandsHash is SHA-256 hex of the list, sensitive to the split between commands', () => {
    assert.match(commandsHash(['x']), /^[0-9a-f]{64}$/);
    assert.notEqual(commandsHash(['a b']), commandsHash(['a', 'b']));
  });
});

describe('runVerification', () => {
  const steps: CommandStep[] = [
    { step: 'unit', command: 'echo "unit ok in $(basename "$PWD")" && test -f marker' },
    { step: 'lint', command: 'echo lint failed >&2; exit 3' },
    { step: 'pipes', command: 'printf "a\\nb\\n" | wc -l' },
  ];

  it('unapproved: refuses with the list of commands, runs nothing', async () => {
    const s = setup();
    await assert.rejects(
      runVerification({ approvalsFile: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps, onCommand: () => assert.fail('nothing runs') }),
      (e: unknown) => e instanceof VerificationNotApprovedError && e.commands.length === 3 && e.message.includes('exit 3'),
    );
    assert.equal(fs.existsSync(verifyLogFile(s.attempt, 1)), false);
  });

  it('approved: runs each command with the shell in the tree, announced first, logged, one result per step', async () => {
    const s = setup();
    fs.writeFileSync(path.join(s.cwd, 'marker'), '');
    await approve(s.approvals, s.plan, steps.map((x) => x.command));
    const announced: string[] = [];
    const results = await runVerification({
      approvalsFile: s.approvals,
      planFile: s.plan,
      cwd: s.cwd,
      attemptDir: s.attempt,
      steps,
      onCommand: (step, n) => {
        announced.push(`${n}:${step.step}`);
        assert.equal(fs.existsSync(verifyLogFile(s.attempt, n)), false, 'announced before it runs');
      },
    });
    assert.deepEqual(announced, ['1:unit', '2:lint', '3:pipes']);
    assert.deepEqual(
      results.map((r) => [r.step, r.ok]),
      [
        ['unit', true],
        ['lint', false],
        ['pipes', true],
      ],
    );
    assert.match(results[1]!.detail, /exit 3 — lint failed \(log: .*verify-2\.log\)/);
    assert.equal(fs.readFileSync(verifyLogFile(s.attempt, 1), 'utf8'), `$ ${steps[0]!.command}\nunit ok in tree\n`);
    assert.match(fs.readFileSync(verifyLogFile(s.attempt, 3), 'utf8'), /^\s*2$/m);
  });

  it("one package's share of the approved plan list runs without an approval of its own; a step outside the list is refused", async () => {
    const s = setup();
    fs.writeFileSync(path.join(s.cwd, 'marker'), '');
    const planList = steps.map((x) => x.command);
    await approve(s.approvals, s.plan, planList);
    const before = fs.readFileSync(s.approvals, 'utf8');
    const [r] = await runVerification({ approvalsFile: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: [steps[0]!], approvedList: planList });
    assert.equal(r!.ok, true);
    assert.equal(fs.readFileSync(s.approvals, 'utf8'), before, 'approvals.json is not written for a share');
    // Without the list, the share alone was never approved.
    await assert.rejects(
      runVerification({ approvalsFile: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: [steps[0]!] }),
      VerificationNotApprovedError,
    );
    // A command that is not in the approved list never runs, whatever list is named.
    const outside = [{ step: 'evil', command: 'touch evil' }];
    await assert.rejects(
      runVerification({ approvalsFile: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: outside, approvedList: planList }),
      VerificationNotApprovedError,
    );
    assert.equal(fs.existsSync(path.join(s.cwd, 'evil')), false);
  });

  it('a step that runs too long is stopped and reported', async () => {
    const s = setup();
    const slow = [{ step: 'slow', command: 'sleep 30' }];
    await approve(s.approvals, s.plan, slow.map((x) => x.command));
    const [r] = await runVerification({ approvalsFile: s.approvals, planFile: s.plan, cwd: s.cwd, attemptDir: s.attempt, steps: slow, timeoutMs: 300 });
    assert.equal(r!.ok, false);
    assert.match(r!.detail, /timed out/);
  });
});

describe('shellFor', () => {
  it("the user's shell when it is usable, /bin/sh otherwise, cmd on Windows", () => {
    assert.deepEqual(shellFor('x', { SHELL: '/bin/sh' }, 'linux'), { file: '/bin/sh', args: ['-c', 'x'], verbatim: false });
    assert.equal(shellFor('x', { SHELL: '/no/such/shell' }, 'linux').file, '/bin/sh');
    assert.equal(shellFor('x', { SHELL: 'zsh' }, 'linux').file, '/bin/sh', 'a relative SHELL is not trusted');
    assert.equal(shellFor('x', {}, 'linux').file, '/bin/sh');
    assert.deepEqual(shellFor('npm test', { ComSpec: 'C:\\Windows\\system32\\cmd.exe' }, 'win32'), {
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"npm test"'],
      verbatim: true,
    });
  });
});
