/**
 * What a person reads names no issue: issue numbers (`#12`, `(#12)`, `issue 12`) belong in commit
 * messages, never in README.md, CHANGELOG.md, the docs the README links to (docs/*.md and the ADRs
 * in docs/decisions/), the Marketplace page and the settings, commands and views of package.json,
 * the schemas' hovers, `waves --help`, or the string literals of src/ and webview/ (messages,
 * notifications, tooltips, problems, report text). Code comments are for developers and are not
 * read here.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { main, type Io } from '../../src/cli/waves';

const root = path.resolve(__dirname, '..', '..');

/**
 * An issue reference: `#` and digits not inside a word or an HTML entity (`&#39;`, `file.md#3`),
 * or the word issue before a number.
 */
const ISSUE_REF = /(?<![\w&])#\d+\b|\bissues?\s+#?\d+\b/gi;
/** A colour (`#000`, `#123456`) is no issue reference. */
const COLOUR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** Each issue reference in `text`, with its line, as `where:line: …context…`. */
function issueRefs(text: string, where: string): string[] {
  if (COLOUR.test(text.trim())) return [];
  const found: string[] = [];
  for (const m of text.matchAll(ISSUE_REF)) {
    const line = text.slice(0, m.index).split('\n').length;
    const start = Math.max(0, m.index - 40);
    found.push(`${where}:${line}: …${text.slice(start, m.index + m[0].length + 20).replace(/\s+/g, ' ')}…`);
  }
  return found;
}

const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Every string value below `value`, with its JSON path. */
function* stringsOf(value: unknown, at: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [at, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsOf(v, `${at}[${i}]`);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* stringsOf(v, `${at}.${k}`);
}

/** Files below `dir` (relative to the repository) whose names end in one of `exts`. */
function filesUnder(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
      const p = path.posix.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (exts.some((x) => e.name.endsWith(x))) out.push(p);
    }
  };
  if (fs.existsSync(path.join(root, dir))) walk(dir);
  return out.sort();
}

/** The text of each string literal, template piece and JSX text of a source file (not its comments). */
function literalsOf(file: string): [number, string][] {
  const text = read(file);
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const out: [number, string][] = [];
  const visit = (n: ts.Node) => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateLiteralToken(n) || ts.isJsxText(n)) {
      out.push([sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, n.text]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('the text a person reads names no issue', () => {
  it('the check finds an issue reference, and not a colour, an HTML entity or a link fragment', () => {
    assert.equal(issueRefs('- **The guard** (#12): it runs', 'x').length, 1);
    assert.equal(issueRefs('fixed in #7 and issue 9', 'x').length, 2);
    assert.deepEqual(issueRefs('#000', 'x'), []);
    assert.deepEqual(issueRefs('it&#39;s [there](docs/a.md#3-steps)', 'x'), []);
  });

  it('README.md, CHANGELOG.md and the markdown in media/', () => {
    const found = ['README.md', 'CHANGELOG.md', ...filesUnder('media', ['.md'])].flatMap((f) => issueRefs(read(f), f));
    assert.deepEqual(found, []);
  });

  it('the docs the README links to: docs/*.md and the decisions in docs/decisions/*.md', () => {
    const docs = filesUnder('docs', ['.md']).filter((f) => /^docs\/(?:decisions\/)?[^/]+\.md$/.test(f));
    assert.ok(docs.includes('docs/security.md') && docs.includes('docs/decisions/0019-confined-agents.md'), docs.join(', '));
    const found = docs.flatMap((f) => issueRefs(read(f), f));
    assert.deepEqual(found, []);
  });

  it('package.json: its description and every string of what it contributes (settings, commands, views, walkthroughs)', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, unknown>;
    const found = [
      ...stringsOf({ displayName: pkg.displayName, description: pkg.description, contributes: pkg.contributes }, 'package.json'),
    ].flatMap(([at, s]) => issueRefs(s, at));
    assert.deepEqual(found, []);
  });

  it("the schemas' descriptions and titles (the editor's hovers on plans and run states)", () => {
    const found = filesUnder('schemas', ['.json']).flatMap((f) =>
      [...stringsOf(JSON.parse(read(f)), f)]
        .filter(([at]) => /\.(description|markdownDescription|title|errorMessage|patternErrorMessage)$/.test(at))
        .flatMap(([at, s]) => issueRefs(s, at)),
    );
    assert.deepEqual(found, []);
  });

  it("waves --help (every command's help)", async () => {
    let out = '';
    const io: Io = {
      out: (t) => void (out += t),
      err: (t) => void (out += t),
      readFile: () => '',
      readRegularFile: () => '',
      stdin: () => (async function* () {})(),
    };
    assert.equal(await main(['--help'], io), 0);
    assert.match(out, /waves review /);
    assert.deepEqual(issueRefs(out, 'waves --help'), []);
  });

  it('the string literals of src/ and webview/ (messages, tooltips, problems, reports), not their comments', () => {
    const found = [...filesUnder('src', ['.ts', '.tsx', '.js']), ...filesUnder('webview', ['.ts', '.tsx'])].flatMap((f) =>
      literalsOf(f).flatMap(([line, s]) => issueRefs(s, `${f}:${line}`)),
    );
    assert.deepEqual(found, []);
  });
});
