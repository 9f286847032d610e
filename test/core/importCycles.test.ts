/**
 * Architecture: no import cycle among the product's modules (every .ts/.tsx under `src/` and
 * `webview/`). A cycle means two modules cannot be read, tested or moved one without the
 * other; there are none.
 *
 * What counts as an edge: every relative module specifier in a file — `import`, `import type`,
 * `export … from`, side-effect `import '…'` and `import('…')` — as TypeScript's own
 * pre-processor finds them (`ts.preProcessFile`). Type-only imports count on purpose: a
 * type-only cycle (`App.tsx` ⇄ `Details.tsx` was one) still ties two files' designs
 * together, and the fix is the same (move the shared type down). Bare specifiers (packages,
 * `vscode`) and non-code files (JSON, CSS) are not edges.
 *
 * It lives under test/core only because that is where the unit suite looks.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const REPO = path.resolve(__dirname, '../..');
const ROOTS = ['src', 'webview'];
const CODE = /\.tsx?$/;

/** The relative module specifiers of one file, in order. */
function relativeSpecifiers(text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, /* readImportFiles */ true, /* detectJavaScriptImports */ true);
  return importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/**
 * The module a relative specifier names, among `files` (repo-relative, forward slashes), as
 * the bundler resolves it: the file itself, with `.ts`/`.tsx`/`.d.ts`, a `.js` written for
 * a `.ts` file, or the folder's `index`. Undefined for anything else (JSON, CSS, missing).
 */
function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  const stem = base.replace(/\.js$/, '');
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}.d.ts`, `${stem}.ts`, `${stem}.tsx`, `${base}/index.ts`, `${base}/index.tsx`];
  return candidates.find((c) => CODE.test(c) && files.has(c));
}

/** Import graph: file → the files it imports (sorted, so reports are stable). */
type ImportGraph = Map<string, string[]>;

function buildImportGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const files = new Set(sources.keys());
  const graph: ImportGraph = new Map();
  for (const [file, text] of sources) {
    const targets = new Set<string>();
    for (const specifier of relativeSpecifiers(text)) {
      const target = resolveSpecifier(file, specifier, files);
      if (target) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * Every import cycle, one per strongly connected component (Tarjan): the shortest cycle
 * through the component's first file, written `a → b → a`. A file importing itself is a
 * cycle too. Sorted.
 */
function findCycles(graph: ImportGraph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;

  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);

  const cycles: string[] = [];
  for (const component of components) {
    const start = component[0];
    const members = new Set(component);
    if (component.length === 1 && !(graph.get(start) ?? []).includes(start)) continue;
    // Breadth-first from `start` inside the component, back to `start`.
    const parent = new Map<string, string>();
    const queue = [start];
    let last: string | undefined;
    search: for (let i = 0; i < queue.length; i++) {
      for (const w of graph.get(queue[i]) ?? []) {
        if (w === start) {
          last = queue[i];
          break search;
        }
        if (members.has(w) && !parent.has(w)) {
          parent.set(w, queue[i]);
          queue.push(w);
        }
      }
    }
    const chain = [start];
    for (let v = last!; v !== start; v = parent.get(v)!) chain.splice(1, 0, v);
    const others = component.length > chain.length ? ` (with ${component.filter((f) => !chain.includes(f)).join(', ')})` : '';
    cycles.push(`${[...chain, start].join(' → ')}${others}`);
  }
  return cycles.sort();
}

/** Every .ts/.tsx under the roots, repo-relative with forward slashes → its text. */
function readSources(roots: string[]): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (CODE.test(entry.name)) sources.set(rel, fs.readFileSync(path.join(REPO, rel), 'utf8'));
    }
  };
  for (const root of roots) walk(root);
  return sources;
}

describe('import cycles: the checker', () => {
  it('finds every kind of relative import, type-only and dynamic ones included', () => {
    const text = [
      "import a from './a';",
      "import type { B } from '../b';",
      "import { type C } from './c.js';",
      "export { d } from './d';",
      "export * from './e';",
      "import './f.css';",
      "const g = await import('./g');",
      "import vscode from 'vscode';",
      "// import x from './commented';",
    ].join('\n');
    assert.deepEqual(relativeSpecifiers(text), ['./a', '../b', './c.js', './d', './e', './f.css', './g']);
  });

  it('resolves a specifier as the bundler does', () => {
    const files = new Set(['src/a.ts', 'src/b.tsx', 'src/p/index.ts', 'src/g/gen.d.ts']);
    assert.equal(resolveSpecifier('src/x.ts', './a', files), 'src/a.ts');
    assert.equal(resolveSpecifier('src/x.ts', './a.js', files), 'src/a.ts');
    assert.equal(resolveSpecifier('src/x.ts', './b', files), 'src/b.tsx');
    assert.equal(resolveSpecifier('src/q/x.ts', '../p', files), 'src/p/index.ts');
    assert.equal(resolveSpecifier('src/x.ts', './g/gen', files), 'src/g/gen.d.ts');
    assert.equal(resolveSpecifier('src/x.ts', './style.css', files), undefined);
    assert.equal(resolveSpecifier('src/x.ts', './missing', files), undefined);
  });

  it('names each cycle, counts type-only imports, and passes an acyclic graph', () => {
    const sources = new Map([
      ['w/App.tsx', "import { Details } from './Details';\nimport { util } from './util';"],
      ['w/Details.tsx', "import type { Rpc } from './App';"],
      ['s/a.ts', "import { b } from './b';"],
      ['s/b.ts', "import { c } from './c';"],
      ['s/c.ts', "export { a } from './a';\nimport { b } from './b';"],
      ['s/self.ts', "import { self } from './self';"],
      ['w/util.ts', ''],
    ]);
    assert.deepEqual(findCycles(buildImportGraph(sources)), [
      's/a.ts → s/b.ts → s/c.ts → s/a.ts',
      's/self.ts → s/self.ts',
      'w/App.tsx → w/Details.tsx → w/App.tsx',
    ]);
    sources.set('w/Details.tsx', "import type { Rpc } from './util';");
    sources.delete('s/self.ts');
    sources.set('s/c.ts', '');
    assert.deepEqual(findCycles(buildImportGraph(sources)), []);
  });

  it('names the other files of a larger knot', () => {
    const graph: ImportGraph = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['b']],
    ]);
    assert.deepEqual(findCycles(graph), ['a → b → a (with c)']);
  });
});

describe('import cycles: src/ and webview/', () => {
  it('no module imports itself through other modules', () => {
    const sources = readSources(ROOTS);
    assert.ok(sources.size > 50, `read ${sources.size} files under ${ROOTS.join(', ')}`);
    const cycles = findCycles(buildImportGraph(sources));
    assert.deepEqual(cycles, [], `import cycles (type-only imports count):\n  ${cycles.join('\n  ')}`);
  });
});
