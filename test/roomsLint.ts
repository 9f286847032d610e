/**
 * Linting a snippet as if it were a file at a path of the repository (ESLint's Node API, the
 * project's own eslint.config.mjs): what test/core/rooms.test.ts and test/engine/rooms.test.ts
 * check the rooms' import rules with.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

export const REPO = path.resolve(__dirname, '..');
const eslint = new ESLint({ cwd: REPO });

/** The messages of `no-restricted-imports` for `code` linted as the file `file` (repo-relative), and every other problem. */
export async function lint(file: string, code: string): Promise<{ restricted: string[]; other: string[] }> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  assert.ok(result, `${file} was linted`);
  const restricted = result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  const other = result.messages.filter((m) => m.ruleId !== 'no-restricted-imports').map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
  return { restricted, other };
}

/** An import of `x` from `spec` that uses it (no unused-variable problem). */
export const importing = (spec: string) => `import { x } from '${spec}';\nexport const y = x;\n`;

/** `code` at `file` is refused by one import rule, whose message matches `pattern`, and has no other problem. */
export async function refused(file: string, code: string, pattern: RegExp): Promise<void> {
  const { restricted, other } = await lint(file, code);
  assert.deepEqual(other, [], `${file}: no other problem`);
  assert.equal(restricted.length, 1, `${file} importing as\n${code}\nis refused (got: ${JSON.stringify(restricted)})`);
  assert.match(restricted[0]!, pattern);
}

/** `code` at `file` has no problem at all. */
export async function allowed(file: string, code: string): Promise<void> {
  const { restricted, other } = await lint(file, code);
  assert.deepEqual([...restricted, ...other], [], `${file} importing as\n${code}\nis allowed`);
}
