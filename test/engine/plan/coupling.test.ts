/**
 * The coupling check's I/O: imports read by tree-sitter (`src/engine/plan/
 * importParser.ts`) in every form the check knows, and `findCoupling` on a real git repository —
 * TSX and JavaScript too, its bounds (files, bytes) and a file that is not source text said once.
 *
 * Run: node --import tsx --test test/engine/plan/coupling.test.ts
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { couplingOfPlan } from '../../../src/engine';
import { findCoupling } from '../../../src/engine/plan';
import { importsOf } from '../../../src/engine/plan/importParser';
import { planOf, repoWith, TS_FILES } from '../../fixtures/couplingRepo';

const ROOT = path.resolve(__dirname, '../../..');

const specs = async (file: string, text: string) => (await importsOf(file, text))?.map((r) => (r.names ? `${r.specifier} [${r.names.join(',')}]` : r.specifier));

describe('importsOf: a real parser per language', () => {
  it('TypeScript: imports, type imports, re-exports, dynamic import() and require() with a string literal', async () => {
    const text = [
      "import a from './a';",
      "import type { B } from './b.js';",
      "import * as c from '../c';",
      "import './side-effect';",
      "export { d } from './d';",
      "export * from './e';",
      "const f = await import('./f');",
      "const g = require('./g');",
      "const notALiteral = import(`./h${x}`);",
      "const alsoNot = require(name);",
      "// import fake from './comment';",
      "const s = \"import fake from './string'\";",
      "import x = require('./legacy');",
    ].join('\n');
    assert.deepEqual(await specs('src/x.ts', text), ['./a', './b.js', '../c', './side-effect', './d', './e', './f', './g']);
  });

  it('TSX, JavaScript (ES modules and CommonJS), with JSX around', async () => {
    assert.deepEqual(await specs('src/v.tsx', "import { A } from './a';\nexport const V = () => <A x={1} />;\n"), ['./a']);
    assert.deepEqual(await specs('src/v.jsx', "import A from './a';\nexport const V = () => <A />;\n"), ['./a']);
    assert.deepEqual(await specs('src/m.cjs', "const a = require('./a');\nmodule.exports = { a };\n"), ['./a']);
    assert.deepEqual(await specs('src/m.mjs', "export { a } from './a.mjs';\n"), ['./a.mjs']);
  });

  it('Python: import, import as, from … import (relative at every level, aliases, parentheses, *)', async () => {
    const text = [
      'import os',
      'import a.b as ab, c',
      'from pkg_a.api import f, g as h',
      'from . import sibling',
      'from ..up import (x,\n    y)',
      'from .star import *',
      '# import commented',
      'def f():\n    import late.module',
    ].join('\n');
    assert.deepEqual(await specs('pkg/m.py', text), ['os', 'a.b', 'c', 'pkg_a.api [f,g]', '. [sibling]', '..up [x,y]', '.star []', 'late.module']);
  });

  it('a file with a syntax error still gives the imports around it; one that is not text gives none', async () => {
    assert.deepEqual(await specs('src/x.ts', "import a from './a';\nconst = ;\nimport b from './b';\n"), ['./a', './b']);
    assert.equal(await importsOf('video.ts', 'G\0\x11\x10\0'), undefined);
    assert.deepEqual(await importsOf('notes.md', "import a from './a'"), []);
  });
});

describe('findCoupling on a real repository', () => {
  it('follows TSX and JavaScript imports too, and says nothing when no package has a parallel partner', async () => {
    const dir = repoWith({
      'src/a/view.tsx': 'export const V = () => null;\n',
      'src/a/lib.js': 'module.exports = {};\n',
      'src/b/page.tsx': "import { V } from '../a/view';\nexport const P = () => <V />;\n",
      'src/b/old.js': "const lib = require('../a/lib.js');\n",
    });
    const scan = await findCoupling(dir, analyzePlan(planOf('src/a/**', 'src/b/**')));
    assert.deepEqual(scan.notes, []);
    assert.equal(scan.parsed, 4);
    assert.deepEqual(scan.diagnostics.map((d) => d.message), [
      "wp-b imports src/a/lib.js (from src/b/old.js) and 1 more file of wp-a's, which wp-a may change: give wp-b a dependency on wp-a or a contract both read",
    ]);
    const ordered = await findCoupling(dir, analyzePlan(planOf('src/a/**', 'src/b/**', true)));
    assert.deepEqual([ordered.diagnostics, ordered.parsed], [[], 0]);
  });

  it('is bounded: files beyond the cap and files too large are passed over, and it says so; a file that is not source text is skipped, said once', async () => {
    const dir = repoWith({
      ...TS_FILES,
      'src/b/zz-more.ts': "import '../a/api';\n",
      'src/b/big.ts': `import '../a/api';\n${'// padding\n'.repeat(200)}`,
      'src/b/clip.ts': 'G\0\x11\x10\0',
      'src/b/clip2.ts': 'G\0\x11\x10\0',
    });
    const analysis = analyzePlan(planOf('src/a/**', 'src/b/**'));
    const scan = await findCoupling(dir, analysis, { maxFiles: 5, maxBytes: 1024 });
    assert.deepEqual(scan.notes, [
      "The coupling check read the imports of 5 of 6 files in parallel packages' write scopes (the first in path order); the rest were not read.",
      'The coupling check passed over 1 file(s) over 1 KiB: src/b/big.ts.',
      'The coupling check could not parse 2 file(s), skipped: src/b/clip.ts and 1 more.',
    ]);
    assert.deepEqual(scan.couplings.map((c) => [c.file, c.from]), [['src/a/api.ts', 'src/b/use.ts']]);
  });

  it('checked again, reads the files that changed and keeps the imports of the others', async () => {
    const dir = repoWith({ ...TS_FILES });
    const analysis = analyzePlan(planOf('src/a/**', 'src/b/**'));
    assert.equal((await findCoupling(dir, analysis)).diagnostics.length, 1);
    fs.writeFileSync(path.join(dir, 'src/b/use.ts'), 'export const g = () => 2;\n');
    assert.deepEqual((await findCoupling(dir, analysis)).diagnostics, []);
    fs.writeFileSync(path.join(dir, 'src/b/later.py'), 'x = 1\n');
    fs.writeFileSync(path.join(dir, 'src/b/later.ts'), "import { f } from '../a/api.js';\n");
    assert.deepEqual((await findCoupling(dir, analysis)).couplings.map((c) => c.from), ['src/b/later.ts']);
  });

  it('couplingOfPlan finds the repository from the plan file, and never throws', async () => {
    const dir = repoWith({ ...TS_FILES, 'plans/work-packages.yaml': planOf('src/a/**', 'src/b/**') });
    const file = path.join(dir, 'plans', 'work-packages.yaml');
    const scan = await couplingOfPlan(file, analyzePlan(fs.readFileSync(file, 'utf8')));
    assert.equal(scan.diagnostics.length, 1);
    const nowhere = await couplingOfPlan('/nonexistent/folder/plan.yaml', analyzePlan(planOf('src/a/**', 'src/b/**')));
    assert.deepEqual(nowhere.diagnostics, []);
  });

  it('couplingOfPlan of a plan that no repository holds starts no git: known from the disk (the editor asks for every plan opened)', () => {
    // In a process of its own, whose git queue is fresh: whether it started its git helper says whether git was asked.
    const helperAfter = (file: string) => {
      const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-coupling-git-')), 'check.ts');
      fs.writeFileSync(
        script,
        [
          `import * as fs from 'node:fs';`,
          `import { analyzePlan } from ${JSON.stringify(path.join(ROOT, 'src/core/plan/analyze'))};`,
          `import { couplingOfPlan } from ${JSON.stringify(path.join(ROOT, 'src/engine'))};`,
          `import { gitHelperPid } from ${JSON.stringify(path.join(ROOT, 'src/engine/git/gitProcess'))};`,
          `const file = ${JSON.stringify(file)};`,
          `couplingOfPlan(file, analyzePlan(fs.readFileSync(file, 'utf8'))).then((scan) => {`,
          `  console.log(JSON.stringify({ diagnostics: scan.diagnostics.length, helper: gitHelperPid() !== null }));`,
          `  process.exit(0);`,
          `});`,
        ].join('\n'),
      );
      const { GIT_DIR: _ignored, ...env } = process.env;
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: ROOT, env });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { diagnostics: number; helper: boolean };
    };
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-no-repo-'));
    fs.writeFileSync(path.join(outside, 'work-packages.yaml'), planOf('src/a/**', 'src/b/**'));
    assert.deepEqual(helperAfter(path.join(outside, 'work-packages.yaml')), { diagnostics: 0, helper: false });
    const inside = repoWith({ ...TS_FILES, 'work-packages.yaml': planOf('src/a/**', 'src/b/**') });
    assert.deepEqual(helperAfter(path.join(inside, 'work-packages.yaml')), { diagnostics: 1, helper: true });
  });
});
