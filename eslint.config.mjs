// Flat ESLint config. The rule that matters most: the engine (src/core) and the webview
// never import `vscode` — pure logic stays testable in plain Node and in a browser.
// The run engine's front ends (src/cli, src/run) import it only through its front door,
// src/engine/index.ts, and reach no file-writing core store directly (they come through the
// front door): each use case exists once, so the CLI and the editor cannot drift apart.
import tseslint from 'typescript-eslint';

const vscodePath = { name: 'vscode', message: 'src/core, src/engine, src/cli and webview/ must not depend on the VS Code API; put adapters in src/<feature>/.' };

const noVscode = { 'no-restricted-imports': ['error', { paths: [vscodePath] }] };

/** src/cli and src/run: the engine only through its front door; no core store. */
const frontDoorPatterns = [
  {
    group: ['**/engine/*', '!**/engine/index', '!**/engine/index.js'],
    message: 'The CLI and the editor import the run engine only through its front door: `../engine` (src/engine/index.ts).',
  },
  {
    group: ['**/runStore', '**/lockTable', '**/atomicWrite', '**/runStore.js', '**/lockTable.js', '**/atomicWrite.js'],
    message: 'Run states, the lock table and atomic writes are the engine\'s: use the front door (`../engine`: readRun, liveLocks, resetPackages, …).',
  },
];

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
  { files: ['src/core/**/*.ts', 'src/engine/**/*.ts', 'src/protocol.ts', 'webview/**/*.ts', 'webview/**/*.tsx'], rules: noVscode },
  { files: ['src/cli/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [vscodePath], patterns: frontDoorPatterns }] } },
  // runWatch.ts is a read-only follower of `.waves/` (core/dirWatch, the lock table's parser,
  // the run state's validation): allowed what it uses.
  { files: ['src/run/**/*.ts'], ignores: ['src/run/runWatch.ts'], rules: { 'no-restricted-imports': ['error', { patterns: frontDoorPatterns }] } },
);
