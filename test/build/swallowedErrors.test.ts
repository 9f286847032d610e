/**
 * Every error the code swallows says why that is safe, or is reported: a `catch {}` (no binding)
 * in src/ or webview/ either carries a comment on its line or the first line of its block, or its
 * block throws, logs, or hands back words of what went wrong (a `problem`, a `why`, a message).
 * A fallback returned without a word hides a fault from the person and from whoever reads the code.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'generated' && e.name !== 'node_modules') out.push(...sources(rel));
    } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The lines of a block from the `{` of `catch {` on line `at` to its closing `}` (braces counted, strings ignored). */
function blockOf(lines: string[], at: number): string[] {
  const out: string[] = [];
  let depth = 0;
  for (let i = at; i < lines.length; i++) {
    const text = i === at ? lines[i]!.slice(lines[i]!.indexOf('catch {') + 'catch '.length) : lines[i]!;
    out.push(text);
    for (const c of text.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '')) {
      if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    if (depth <= 0) break;
  }
  return out;
}

/** Whether a swallowing `catch {` block says something: a comment, a throw, a log, or words of the fault handed back. */
export function saysWhy(block: string[]): boolean {
  const head = `${block[0] ?? ''}\n${block[1] ?? ''}`;
  if (/\/\/|\/\*/.test(head)) return true;
  const body = block.join('\n');
  return /\bthrow\b|\blog\b|\.(?:warn|error|info|debug|trace)\(|\bio\.err\(|\b(?:problem|problems|why|reason|message|error)\b\s*[:=(]|\bfail\(|\brefuse\(|showErrorMessage|showWarningMessage/.test(body);
}

/** `file:line` of each `catch {` of src/ and webview/ that swallows an error without a word. */
export function silentCatches(): string[] {
  const found: string[] = [];
  for (const file of [...sources('src'), ...sources('webview')]) {
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.includes('catch {') && !/^\s*(\/\/|\*)/.test(line) && !saysWhy(blockOf(lines, i))) found.push(`${file}:${i + 1}`);
    });
  }
  return found;
}

describe('swallowed errors', () => {
  it('the rule: a comment, a throw, a log or the fault in words counts; a bare fallback does not', () => {
    assert.equal(saysWhy(['{', '  return null;', '}']), false);
    assert.equal(saysWhy(['{', '  continue;', '}']), false);
    assert.equal(saysWhy(['{ /* gone: nothing to remove */ }']), true);
    assert.equal(saysWhy(['{', '  // not JSON: the file is read as empty settings', '  return {};', '}']), true);
    assert.equal(saysWhy(['{', '  log.warn(`could not read ${file}`);', '}']), true);
    assert.equal(saysWhy(['{', "  return { ok: false, problem: 'not a URL' };", '}']), true);
    assert.equal(saysWhy(['{', "  throw new Error('no');", '}']), true);
  });

  it('every catch {} of src/ and webview/ says why the error is safe to drop, or reports it', () => {
    const silent = silentCatches();
    assert.deepEqual(silent, [], `${silent.length} catch blocks drop an error without a word:\n${silent.join('\n')}`);
  });
});
