/**
 * A file's imports read by a real parser (ADR 0023): tree-sitter's grammars for
 * TypeScript, TSX, JavaScript and Python, compiled to WebAssembly (`@vscode/tree-sitter-wasm`,
 * the VS Code team's build), loaded on the first file asked about and kept for the process.
 * The parser's files are looked for beside the bundle (`dist/treeSitter/`, copied there by
 * esbuild.mjs) and else in node_modules (tests run the sources).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Language, Parser as TsParser, Query } from '@vscode/tree-sitter-wasm';
import type { ImportRef } from '../../core/ownership/importResolve';

type TreeSitter = typeof import('@vscode/tree-sitter-wasm');
type Grammar = 'typescript' | 'tsx' | 'javascript' | 'python';

const GRAMMAR_OF: Record<string, Grammar> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
  '.js': 'javascript',
  '.jsx': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.py': 'python',
  '.pyi': 'python',
};

/** Whether a file is one whose imports are read (by its extension; `.d.ts` included). */
export function parsedLanguage(file: string): boolean {
  return GRAMMAR_OF[path.extname(file)] !== undefined;
}

const SCRIPT_QUERY = `
(import_statement source: (string (string_fragment) @spec))
(export_statement source: (string (string_fragment) @spec))
(call_expression function: (import) arguments: (arguments . (string (string_fragment) @spec)))
(call_expression function: (identifier) @fn arguments: (arguments . (string (string_fragment) @spec) .) (#eq? @fn "require"))
`;

// `import a.b` and `import a.b as c`; `from m import x, y as z` (m dotted or relative).
const PYTHON_QUERY = `
(import_statement name: [(dotted_name) @module (aliased_import name: (dotted_name) @module)])
(import_from_statement module_name: [(dotted_name) (relative_import)] @from)
`;

interface Loaded {
  parser: TsParser;
  languages: Map<Grammar, Promise<{ language: Language; query: Query }>>;
  ts: TreeSitter;
  folder: string;
}

let loading: Promise<Loaded> | undefined;

/** Where the parser's files are: beside the bundle (dist/), else the package in node_modules (the sources, run by tsx). */
function treeSitterFolder(): string {
  const beside = path.join(__dirname, 'treeSitter');
  if (fs.existsSync(path.join(beside, 'tree-sitter.js'))) return beside;
  return path.resolve(__dirname, '..', '..', '..', 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm');
}

function load(): Promise<Loaded> {
  loading ??= (async () => {
    const folder = treeSitterFolder();
    // A path known only now: the bundle keeps tree-sitter.js out, and loads it on first use.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require(path.join(folder, 'tree-sitter.js')) as TreeSitter;
    await ts.Parser.init({ locateFile: (file: string) => path.join(folder, file) });
    return { parser: new ts.Parser(), languages: new Map(), ts, folder };
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}

/** A grammar and its query, loaded once (two files asked about at once share the load). */
function grammar(loaded: Loaded, name: Grammar): Promise<{ language: Language; query: Query }> {
  let g = loaded.languages.get(name);
  if (!g) {
    g = loaded.ts.Language.load(path.join(loaded.folder, `tree-sitter-${name}.wasm`)).then((language) => ({
      language,
      query: new loaded.ts.Query(language, name === 'python' ? PYTHON_QUERY : SCRIPT_QUERY),
    }));
    g.catch(() => loaded.languages.delete(name));
    loaded.languages.set(name, g);
  }
  return g;
}

/**
 * The imports a file's text makes, as written; undefined when it is not source text or the
 * parser gives no tree. A text with syntax errors still gives the imports tree-sitter recovers
 * around them.
 */
export async function importsOf(file: string, text: string): Promise<ImportRef[] | undefined> {
  const name = GRAMMAR_OF[path.extname(file)];
  if (!name) return [];
  // A NUL byte: not source text (an MPEG transport stream named `.ts`, say).
  if (text.includes('\0')) return undefined;
  const loaded = await load();
  const { language, query } = await grammar(loaded, name);
  // From here on nothing awaits: the one parser is never shared between two files.
  loaded.parser.setLanguage(language);
  const tree = loaded.parser.parse(text);
  if (!tree) return undefined;
  try {
    const out: ImportRef[] = [];
    for (const match of query.matches(tree.rootNode)) {
      for (const c of match.captures) {
        if (c.name === 'spec') out.push({ language: 'script', specifier: c.node.text });
        else if (c.name === 'module') out.push({ language: 'python', specifier: c.node.text });
        else if (c.name === 'from') {
          const statement = c.node.parent!;
          const names = statement
            .childrenForFieldName('name')
            .map((n) => (n?.type === 'aliased_import' ? n.childForFieldName('name') : n)?.text ?? '')
            .filter((n) => n !== '' && !n.includes('.'));
          out.push({ language: 'python', specifier: c.node.text, names });
        }
      }
    }
    return out;
  } finally {
    tree.delete();
  }
}
