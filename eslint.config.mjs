// Flat ESLint config. The rules that matter most: the engine (src/core) and the webview
// never import `vscode` — pure logic stays testable in plain Node and in a browser — and
// src/core does no file or process I/O (that lives in src/store and src/engine).
import tseslint from 'typescript-eslint';

const vscodePath = {
  name: 'vscode',
  message: 'src/core, src/store, src/engine, src/cli and webview/ must not depend on the VS Code API; put adapters in src/<feature>/.',
};
const noVscode = { 'no-restricted-imports': ['error', { paths: [vscodePath] }] };

// src/core is pure: no files, no processes. A rule for a file replaces an earlier one, so
// this one repeats `vscode`.
const ioMessage = 'src/core is pure: no file or process I/O. Put it in src/store (files) or src/engine (processes), or pass a function in.';
const noIo = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        vscodePath,
        ...['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process'].map((name) => ({ name, message: ioMessage })),
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.test-state/**', '.demo/**', 'examples/**', 'test-results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // src/engine and src/cli run headless (the `waves` CLI, CI jobs) as well as in the extension host.
  { files: ['src/store/**/*.ts', 'src/engine/**/*.ts', 'src/cli/**/*.ts', 'src/protocol.ts', 'webview/**/*.ts', 'webview/**/*.tsx'], rules: noVscode },
  { files: ['src/core/**/*.ts'], rules: noIo },
);
