// The environment every test run gets, whether through `npm test` (scripts/test.mjs) or a suite
// started alone (scripts/test-vscode.mjs): imported first, for its effect, before anything reads it.
// - The person's approvals (src/engine/consent/approvalStore.ts personalApprovals): never the real
//   ones of whoever runs the tests; every suite's processes (and code-server's extension host)
//   inherit this.
// - Agents run inside walls that cover /tmp with a private one: the tests' own temporary folders
//   (repositories, homes, the gates a test opens for its scripted agent) live in one folder the
//   walls show read-only (WAVES_SANDBOX_READ), as a person's `waves.sandbox.read` would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

if (!process.env.WAVES_CONFIG_DIR) process.env.WAVES_CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-test-config-'));
if (!process.env.WAVES_SANDBOX_READ) {
  const tests = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-tests-'));
  fs.chmodSync(tests, 0o755); // other users of the tests (PostgreSQL's, sshd's) reach their folders in it, as in /tmp
  process.env.TMPDIR = tests;
  process.env.WAVES_SANDBOX_READ = tests;
}
