/**
 * A process's tree as `/proc` has it (src/engine/attempt/processTree.ts), read again and again as a
 * runner's memory watch reads it: what a reading keeps of the one before never hides a process
 * whose parent ended and that a reaper inside the tree took (bubblewrap's first process), nor
 * keeps one that left. Real processes, the real bubblewrap.
 *
 * Run: node --import tsx --test test/engine/attempt/processTree.test.ts
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { confinementAvailable } from '../../../src/engine/attempt/confinement';
import { processTree, treeRss } from '../../../src/engine/attempt/processTree';
import { waitFor } from '../helpers';

const started: ChildProcess[] = [];
after(() => {
  for (const c of started) {
    if (c.pid === undefined) continue;
    for (const p of processTree([c.pid]).reverse()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
});

/** A process's command line, words joined by spaces; '' when gone. */
function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Its parent's pid from `/proc/<pid>/stat`; null when gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** The pid in `root`'s tree running exactly `command`, if any. */
function inTree(root: number, command: string): number | undefined {
  return processTree([root]).find((p) => commandOf(p.pid) === command)?.pid;
}

describe('a process tree read again and again', { skip: process.platform !== 'linux' && 'Linux /proc only' }, () => {
  test('a process whose parent ended stays in the tree under the reaper that took it, at every reading', async () => {
    const avail = confinementAvailable();
    assert.ok(avail.ok, avail.ok ? '' : avail.why);
    // Inside the walls' own pid namespace, bubblewrap's first process reaps orphans: `sleep 300`
    // starts under a subshell that ends after 1.5 s, and is then that first process's child.
    const child = spawn(avail.bwrap, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--', 'sh', '-c', '(sleep 300 & sleep 1.5); sleep 301'], { stdio: 'ignore' });
    started.push(child);
    const root = child.pid!;
    // Read first while its parent runs: the reading holds it under the subshell.
    const orphan = await waitFor(() => (inTree(root, 'sleep 1.5') ? inTree(root, 'sleep 300') : undefined), 'the sleeps started', 10_000);
    const firstParent = parentOf(orphan);
    assert.ok(treeRss(root)! > 0, 'the tree holds memory');
    // Then every 100 ms while the subshell ends and the sleep is taken by the reaper.
    for (const until = Date.now() + 3_500; Date.now() < until; ) {
      assert.equal(inTree(root, 'sleep 300'), orphan, `the orphaned sleep in the tree (its parent now ${parentOf(orphan)}): ${processTree([root]).map((p) => commandOf(p.pid)).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(inTree(root, 'sleep 1.5'), undefined, 'the subshell and its short sleep ended');
    assert.notEqual(parentOf(orphan), firstParent, 'the sleep has another parent now');
  });

  test('a process forked off outside the tree is no longer in it once its parent ended', async () => {
    // `setsid -f` forks the sleep off and exits: the sleep goes to a reaper outside the tree.
    const child = spawn('sh', ['-c', 'setsid -f sleep 302; sleep 303'], { stdio: 'ignore' });
    started.push(child);
    const root = child.pid!;
    await waitFor(() => inTree(root, 'sleep 303'), 'the shell at its own sleep', 10_000);
    const commands = processTree([root]).map((p) => commandOf(p.pid));
    assert.deepEqual(commands, ['sh -c setsid -f sleep 302; sleep 303', 'sleep 303']);
    const off = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).find((pid) => commandOf(pid) === 'sleep 302');
    assert.ok(off !== undefined, 'the forked-off sleep runs');
    process.kill(off, 'SIGKILL');
  });
});
