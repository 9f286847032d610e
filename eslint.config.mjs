// Flat ESLint config. The rules that matter most: the engine (src/core) and the webview
// never import `vscode` — pure logic stays testable in plain Node and in a browser — and
// src/core does no file or process I/O (that lives in src/store and src/engine).
// Then the folders' direction (LAYERS below): which folder may import which; inside src/core, its
// rooms (CORE_ROOMS below): which room may import which. The run
// engine's front ends (src/cli, src/run) import it only through its front door,
// src/engine/index.ts, and reach no file store (src/store) directly: each use case exists
// once, so the CLI and the editor cannot drift apart. Inside src/engine, its rooms (ROOMS below):
// which room may import which, only through its index, and which rooms may start processes.
import tseslint from 'typescript-eslint';

const VSCODE = { name: 'vscode', message: 'src/core, src/store, src/engine, src/cli, src/protocol and webview/ must not depend on the VS Code API; put adapters in src/<feature>/.' };
const IO_MESSAGE = 'src/core is pure: no file or process I/O. Put it in src/store (files) or src/engine (processes), or pass a function in.';
const NO_IO = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process', 'pg'].map((name) => ({ name, message: IO_MESSAGE }));

const noVscode = {
  'no-restricted-imports': ['error', { paths: [VSCODE] }],
};

/**
 * One `no-restricted-imports` block per folder: its import direction, and `vscode` where
 * that is banned too. ESLint replaces a rule's options with the last block's that matches a
 * file, so a folder's restrictions must all be in its one block here.
 * Patterns are regular expressions over the import specifier as written (relative paths).
 */
const layer = (files, patterns, { vscode = false, paths = [] } = {}) => {
  const banned = [...(vscode ? [VSCODE] : []), ...paths];
  return { files, rules: { 'no-restricted-imports': ['error', { ...(banned.length ? { paths: banned } : {}), patterns }] } };
};

/** `../` written `depth` times, as a regular expression. */
const up = (depth) => '\\.\\./'.repeat(depth);

/** src/cli and src/run: the run engine only through its front door; no file store. */
const FRONT_DOOR = [
  {
    group: ['**/engine/*', '!**/engine/index', '!**/engine/index.js'],
    message: 'The CLI and the editor import the run engine only through its front door: `../engine` (src/engine/index.ts).',
  },
  {
    group: ['**/store/*'],
    message: "Run states, the lock table and atomic writes are the engine's: use the front door (`../engine`: readRun, liveLocks, resetPackages, …).",
  },
];

/**
 * The run engine's rooms (src/engine/<room>/), each behind its index.ts. A room imports only the
 * rooms listed for it (below it: the table has no cycle), and only through their index (`../git`,
 * never `../git/worktrees`); within a room, files import each other (`./worktrees`). Written from
 * the imports after the engine was put in rooms; docs/run-engine.md draws it.
 */
const ROOMS = {
  git: [],
  plan: ['git'],
  consent: ['plan', 'git'],
  talk: [],
  attempt: ['talk', 'consent', 'plan', 'git'],
  hosts: ['attempt', 'talk', 'consent', 'plan', 'git'],
  coordinator: ['git'],
  run: ['planning', 'hosts', 'attempt', 'talk', 'coordinator', 'consent', 'plan', 'git'],
  planning: ['attempt', 'coordinator', 'consent', 'plan', 'git'],
  usecases: ['run', 'planning', 'hosts', 'attempt', 'coordinator', 'consent', 'plan', 'git'],
  workers: ['attempt', 'talk', 'coordinator', 'plan', 'git'],
};

/** The rooms that start processes: git (its one queue, ADR 0014), the attempts' runners, hooks and verification, SSH. */
const PROCESS_ROOMS = ['git', 'attempt', 'hosts'];

const NO_PROCESSES = ['child_process', 'node:child_process'].map((name) => ({
  name,
  message: `Only the rooms ${PROCESS_ROOMS.join(', ')} of src/engine start processes: git goes through git/ (its queue and safe settings, ADR 0014), a runner or the person's command through attempt/, SSH through hosts/.`,
}));

/** One `no-restricted-imports` block per room (see `layer`): its direction, its neighbours' doors, and processes. */
const roomBlock = (room, allowed) => {
  const others = Object.keys(ROOMS).filter((r) => r !== room && !allowed.includes(r));
  const patterns = [
    { regex: `^\\.\\./${room}(/|$)|^\\./index(\\.js)?$`, message: "Within a room, import the file (./x), not the room's own index." },
    { regex: '^\\.\\.(/index(\\.js)?)?$', message: "A room never imports the engine's front door (src/engine/index.ts): the front door imports the rooms." },
  ];
  if (others.length) {
    patterns.push({
      regex: `^\\.\\./(${others.join('|')})(/|$)`,
      message: `src/engine/${room} imports ${allowed.length ? `only the rooms ${allowed.join(', ')}` : 'no other room'}: ROOMS in eslint.config.mjs, the rooms' direction (an import against it would make a cycle).`,
    });
  }
  if (allowed.length) {
    patterns.push({
      regex: `^\\.\\./(${allowed.join('|')})/`,
      message: 'Another room is imported through its index only: `../git`, not `../git/worktrees` (add what is missing to that room\'s index.ts).',
    });
  }
  return layer([`src/engine/${room}/**/*.ts`], patterns, { vscode: true, paths: PROCESS_ROOMS.includes(room) ? [] : NO_PROCESSES });
};

const ENGINE_ROOMS = [
  ...Object.entries(ROOMS).map(([room, allowed]) => roomBlock(room, allowed)),
  // The front door: the rooms' indexes (and pure src/core), nothing inside a room.
  layer(
    ['src/engine/*.ts'],
    [{ regex: '^\\./[^/]+/', message: "The front door re-exports what the rooms' indexes export: `./git`, never `./git/worktrees`." }],
    { vscode: true, paths: NO_PROCESSES },
  ),
  // The runner is bundled alone (esbuild.mjs: dist/runner.js, run by a bare `node`): Node's
  // built-ins, src/core and src/store only — no other module of the engine rides into it — with
  // the attempt it supervises (runnerAttempt.ts) and its files (runnerFiles.ts), the command host (commandHost.ts), the relay alone (relayMain.ts), and
  // its walls (wallsDraw.ts, wallsNet.ts, wallsRun.ts, wallsDeps.ts, wallsVenv.ts, wallsNpmCi.ts, wallsToolchains.ts,
  // wallsDisk.ts, wallsSeatbelt.ts, servedPorts.ts, programs.ts, processTree.ts, which hold themselves to the same).
  layer(
    ['src/engine/attempt/runner.ts', 'src/engine/attempt/runnerAttempt.ts', 'src/engine/attempt/runnerFiles.ts', 'src/engine/attempt/commandHost.ts', 'src/engine/attempt/relayMain.ts', 'src/engine/attempt/wallsNet.ts', 'src/engine/attempt/wallsDraw.ts', 'src/engine/attempt/wallsRun.ts', 'src/engine/attempt/wallsDeps.ts', 'src/engine/attempt/wallsVenv.ts', 'src/engine/attempt/wallsNpmCi.ts', 'src/engine/attempt/wallsToolchains.ts', 'src/engine/attempt/wallsDisk.ts', 'src/engine/attempt/wallsSeatbelt.ts', 'src/engine/attempt/servedPorts.ts', 'src/engine/attempt/programs.ts', 'src/engine/attempt/processTree.ts'],
    [{ regex: '^\\.\\.?/(?!\\.\\./(core|store)/|(runner(Attempt|Files)|commandHost|walls(Net|Draw|Run|Deps|Venv|NpmCi|Toolchains|Disk|Seatbelt)|servedPorts|programs|processTree)(\\.js)?$)', message: 'runner.ts (with runnerAttempt.ts, runnerFiles.ts and commandHost.ts) and the walls it draws (wallsDraw.ts, wallsNet.ts, wallsRun.ts, wallsDeps.ts, wallsVenv.ts, wallsNpmCi.ts, wallsToolchains.ts, wallsDisk.ts, wallsSeatbelt.ts, servedPorts.ts, programs.ts, processTree.ts) are bundled alone as dist/runner.js: they import Node built-ins, src/core and src/store only (and each other), no other module of the engine.' }],
    { vscode: true },
  ),
];

/**
 * src/core's rooms (src/core/<room>/): each concept in one room, named as the engine's room that
 * does its I/O where it has one (core/git ↔ engine/git, core/hosts ↔ engine/hosts, core/run ↔
 * engine/run, …). A room imports only the rooms listed for it (below it: the table has no cycle);
 * within src/core a room's files are imported directly (`../run/runState`: core has no indexes).
 * A folder of src/core that is not in the table is no room another may import. Written from the
 * imports when src/core was put in rooms; docs/architecture.md draws it.
 */
const CORE_ROOMS = {
  util: [],
  plan: ['util'],
  formats: ['plan', 'util'],
  git: ['util'],
  walls: ['util'],
  run: ['git', 'walls', 'plan', 'util'],
  agents: ['run', 'git', 'walls', 'plan', 'util'],
  hosts: ['run', 'git', 'walls', 'plan', 'util'],
  review: ['run', 'git', 'walls', 'plan', 'util'],
  coordinator: ['run', 'git', 'walls', 'plan', 'util'],
  planning: ['agents', 'run', 'git', 'walls', 'plan', 'util'],
  present: ['run', 'git', 'walls', 'plan', 'util'],
  ownership: ['coordinator', 'run', 'git', 'walls', 'plan', 'util'],
  talk: ['run', 'plan', 'util'],
  dag: ['ownership', 'coordinator', 'run', 'git', 'walls', 'plan', 'util'],
};

/** src/core's own patterns for a file `depth` folders below src/: only src/core and the JSON schemas. */
const corePatterns = (depth) => [
  {
    regex: `^${up(depth)}(?!\\.\\./schemas/)`,
    message:
      'src/core is the pure engine: it imports only src/core and the JSON schemas. The extension, the protocol, the run engine and the CLI build on it, never the other way round.',
  },
];

/**
 * Sub-rooms of a core room (src/core/<room>/<sub>/): the files of their room they may import, the
 * room's base. `plan/reader`, the YAML front ends and the walk (YAML → `Plan` with its source
 * ranges), imports the plan's model and its text helpers only: the checks, the graph and the
 * analysis build on it, never the other way round.
 */
const CORE_SUB_ROOMS = {
  'plan/reader': ['model', 'text'],
};

/** A core room's direction for a file `depth` folders below src/. */
const coreRoomPattern = (room, allowed, depth) => ({
  // `depth - 1` times `../` leaves the room; a name then is another room of src/core.
  regex: `^${up(depth - 1)}(?!(${[room, ...allowed].join('|')})(/|$))[^./]`,
  message: `src/core/${room} imports ${allowed.length ? `only the rooms ${allowed.join(', ')} of src/core` : 'no other room of src/core'}: CORE_ROOMS in eslint.config.mjs, the rooms' direction (an import against it would make a cycle).`,
});

/** One `no-restricted-imports` block per core room and depth (see `layer`): src/core's patterns and the room's direction. */
const coreRoomBlocks = (room, allowed) =>
  [2, 3, 4].map((depth) =>
    layer([`src/core/${room}/${'*/'.repeat(depth - 2)}*.ts`], [...corePatterns(depth), coreRoomPattern(room, allowed, depth)], { vscode: true, paths: NO_IO }),
  );

/** A sub-room's block (after its room's, which it replaces for its files): the room's patterns and the files of the room it may import. */
const coreSubRoomBlock = (sub, base) => {
  const [room] = sub.split('/');
  return layer(
    [`src/core/${sub}/*.ts`],
    [
      ...corePatterns(3),
      coreRoomPattern(room, CORE_ROOMS[room], 3),
      {
        regex: `^\\.\\./(?!(${base.join('|')})(\\.js)?$|\\.\\./)[^./]`,
        message: `src/core/${sub} imports only ${base.join(', ')} of src/core/${room} (its base): CORE_SUB_ROOMS in eslint.config.mjs. The rest of ${room} builds on ${sub}, never the other way round.`,
      },
    ],
    { vscode: true, paths: NO_IO },
  );
};

/**
 * src/run's rooms (src/run/<room>/): the editor's part of each capability. A room imports only the
 * rooms listed for it (below it: the table has no cycle), their files directly (`../run/runWatch`);
 * `src/run/index.ts`, activation's part, is no room. Every room takes the run engine through its
 * front door and reaches no file store, but run/runWatch.ts, a read-only follower of `.waves/`
 * (store/dirWatch, the lock table's parser, the run state's validation). docs/architecture.md draws it.
 */
const FRONT_ROOMS = {
  coordinator: [],
  hosts: [],
  coupling: [],
  run: ['coordinator', 'hosts'],
  review: ['run', 'coordinator'],
  planning: ['run', 'coordinator', 'hosts'],
  walkthrough: ['run'],
};

const frontRoomPatterns = (room, allowed) => {
  return [
    {
      // `../` then a name that is neither this room nor one it may import (`../../` leaves src/run; `../index` is below).
      regex: `^\\.\\./(?!(${[room, ...allowed].join('|')})(/|$)|\\.\\./|index(\\.js)?$)[^./]`,
      message: `src/run/${room} imports ${allowed.length ? `only the rooms ${allowed.join(', ')} of src/run` : 'no other room of src/run'}: FRONT_ROOMS in eslint.config.mjs, the rooms' direction (an import against it would make a cycle).`,
    },
    { regex: '^\\.\\.(/index(\\.js)?)?$', message: "A room of src/run never imports src/run/index.ts (activation's part): it imports the rooms." },
  ];
};

const FRONT_ROOM_BLOCKS = [
  // A folder of src/run that is not in the table: no room, so it imports none (the rooms' blocks after replace this).
  {
    files: ['src/run/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...FRONT_DOOR, { regex: '^\\.\\./(?!\\.\\.)', message: 'A folder of src/run that is not a room of FRONT_ROOMS (eslint.config.mjs) imports no room: add it to the table.' }] }] },
  },
  ...Object.entries(FRONT_ROOMS).map(([room, allowed]) => ({
    files: [`src/run/${room}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...FRONT_DOOR, ...frontRoomPatterns(room, allowed)] }] },
  })),
  // Comes after the run room's block, so it replaces it for this file.
  { files: ['src/run/run/runWatch.ts'], rules: { 'no-restricted-imports': ['error', { patterns: frontRoomPatterns('run', FRONT_ROOMS.run) }] } },
  { files: ['src/run/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: FRONT_DOOR }] } },
];

const LAYERS = [
  // src/core, at every depth of its sub-folders: `depth` times `../` leaves src/core. Its rooms'
  // blocks (CORE_ROOMS) come after and replace these for the files of a room.
  ...[1, 2, 3, 4].map((depth) => layer([`src/core/${'*/'.repeat(depth - 1)}*.ts`], corePatterns(depth), { vscode: true, paths: NO_IO })),
  ...Object.entries(CORE_ROOMS).flatMap(([room, allowed]) => coreRoomBlocks(room, allowed)),
  ...Object.entries(CORE_SUB_ROOMS).map(([sub, base]) => coreSubRoomBlock(sub, base)),
  layer(
    ['src/protocol/**/*.ts'],
    [
      {
        regex: '^\\.\\./(?!core/)',
        message: 'src/protocol is shared by the extension host and the webview bundle: it imports nothing but types from src/core.',
      },
      {
        regex: '^\\.\\./core/',
        allowTypeImports: true,
        message: 'src/protocol takes only types from src/core, so no host code rides into the webview bundle.',
      },
      {
        regex: '^\\./validate$',
        message: "The webview bundles the messages and the requester: importing the host's validation from them would put it in the bundle.",
      },
    ],
    { vscode: true },
  ),
  layer(
    ['webview/**/*.ts', 'webview/**/*.tsx'],
    [
      {
        regex: '^(\\.\\./)+src/(?!core/|protocol$|protocol/requester$)',
        message:
          "The webview (a browser bundle) imports only the protocol's messages (src/protocol), its requester (src/protocol/requester) and pure src/core modules; the host's validation, the file stores (src/store) and the extension's code stay out of the bundle.",
      },
    ],
    { vscode: true },
  ),
  layer(
    ['src/util/**/*.ts'],
    [{ regex: '^\\.\\./', message: 'src/util holds generic helpers (Disposable, debouncers) that every folder uses: it imports no other folder of src/.' }],
  ),
  layer(
    ['src/plan/**/*.ts'],
    [
      {
        regex: '^\\.\\./(run|dag|ownership|views|engine|cli|extension)(/|$)',
        message:
          'src/plan (plans, diagnostics, navigation, plan commands, how a package is shown) sits below the run, the DAG panel, ownership and the views: they import plan/planRegistry, so importing them from here would make a cycle. Have them pass what plan needs.',
      },
    ],
  ),
  layer(
    ['src/ownership/**/*.ts'],
    [
      {
        regex: '^\\.\\./(views|dag|engine|cli|extension)(/|$)',
        message:
          'src/ownership (decorations, gutter marks, the Ownership view, Who Owns This File) imports no view, no DAG panel, no run engine and no CLI: what it shares with them lives below it (src/plan, src/core).',
      },
    ],
  ),
  layer(
    ['src/views/**/*.ts'],
    [
      {
        regex: '^\\.\\./(run|dag|engine|cli|extension)(/|$)',
        message:
          'Views draw what they are given (PlanRegistry, OwnershipModel, the TreeRuns interface that src/run implements); the run, the DAG panel, the run engine and the CLI are not theirs to import. Take an interface instead.',
      },
      {
        regex: '^\\.\\./plan/planCommands$',
        message: 'A view reads plans through plan/planRegistry (and shows a package with plan/packageShown), never through the plan commands.',
      },
    ],
  ),
  layer(
    ['src/dag/**/*.ts'],
    [
      {
        regex: '^\\.\\./(run|views|ownership|engine|cli|extension)(/|$)',
        message:
          'The DAG panel acts on runs through DagActions (dag/actions.ts), which src/run implements and hands in; importing src/run or another feature from here would tie the panel to it and make a cycle.',
      },
    ],
  ),
  layer(['src/cli/**/*.ts'], FRONT_DOOR, { vscode: true }),
  ...FRONT_ROOM_BLOCKS,
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
  // src/store, src/engine and src/cli run headless (the `waves` CLI, CI jobs) as well as in the extension host.
  // src/core, src/protocol and webview/ are kept from `vscode` by their LAYERS blocks.
  { files: ['src/store/**/*.ts', 'src/engine/**/*.ts'], rules: noVscode },
  ...LAYERS,
  ...ENGINE_ROOMS,
);
