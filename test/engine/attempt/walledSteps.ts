/**
 * Verification steps that try the walls, and what their results must say, for the tests of the
 * two ways a walled step runs here: a pooled runner (verify.test.ts) and the command host
 * (commandHost.test.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { verifyLogFile } from '../../../src/core/run/runPaths.js';
import type { CommandStep, StepResult } from '../../../src/engine/attempt/verification.js';

/** A CONNECT to example.com through the walls' proxy: the proxy's first line, or the error's code. */
const PROXY_TRY = `node -e "const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT example.com:443 HTTP/1.1\\r\\n\\r\\n'));s.on('data',d=>{console.log(String(d).split('\\r\\n')[0]);process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})"`;

/** Builds in its tree (none of the engine's variables seen), fails, tries the home folder, tries the network. */
export const WALLED_STEPS: readonly CommandStep[] = [
  { step: 'build', command: 'echo built > out.txt && cat out.txt && test -z "$NODE_CHANNEL_FD$WAVES_WALLS_AHEAD$WAVES_COORDINATOR"' },
  { step: 'lint', command: 'echo lint failed >&2; exit 3' },
  { step: 'home', command: `! sh -c 'echo planted >> "$HOME/.bashrc"'` },
  { step: 'net', command: PROXY_TRY },
];

/** The person's `.bashrc` before the steps run (the third must not change it). */
export function plantBashrc(): void {
  fs.writeFileSync(path.join(process.env.HOME!, '.bashrc'), '# mine\n');
}

/** What `WALLED_STEPS` must have done and said: the first four of `results`. */
export function assertWalledResults(s: { attempt: string; cwd: string }, results: readonly StepResult[]): void {
  assert.deepEqual(results.slice(0, 4).map((r) => r.ok), [true, false, true, true], JSON.stringify(results));
  assert.equal(fs.readFileSync(verifyLogFile(s.attempt, 1), 'utf8'), `$ ${WALLED_STEPS[0]!.command}\nbuilt\n`, 'its header, then its output, nothing of the relay');
  assert.equal(fs.readFileSync(path.join(s.cwd, 'out.txt'), 'utf8'), 'built\n', 'its tree is writable');
  assert.match(results[1]!.detail, /exit 3 — lint failed \(log: .*verify-2\.log\)/);
  assert.match(fs.readFileSync(verifyLogFile(s.attempt, 3), 'utf8'), /Read-only file system/);
  assert.equal(fs.readFileSync(path.join(process.env.HOME!, '.bashrc'), 'utf8'), '# mine\n');
  assert.match(fs.readFileSync(verifyLogFile(s.attempt, 4), 'utf8'), /403 Forbidden/, "the walls' proxy answered through the network made ahead");
  assert.match(results[3]!.detail, /: passed; its walls refused a connection to example\.com:443/);
}
