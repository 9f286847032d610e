// Flat ESLint config. The rule that matters most: the engine (src/core) and the webview
// never import `vscode` — pure logic stays testable in plain Node and in a browser.
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': [
    'error',
    { paths: [{ name: 'vscode', message: 'src/core, src/engine, src/cli and webview/ must not depend on the VS Code API; put adapters in src/<feature>/.' }] },
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
  { files: ['src/core/**/*.ts', 'src/engine/**/*.ts', 'src/cli/**/*.ts', 'src/protocol/**/*.ts', 'webview/**/*.ts', 'webview/**/*.tsx'], rules: noVscode },
);
