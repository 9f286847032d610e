/**
 * Architecture: the run engine's rooms (src/engine/<room>/) as eslint.config.mjs holds them —
 * ROOMS (which room may import which, only through its index), the rooms that may start
 * processes, the runner bundled alone, and the front door (src/cli and src/run import
 * `../engine` only). Each case lints a small snippet as if it were a file at that path
 * (ESLint's Node API, the project's own config).
 *
 * Run: node --import tsx --test test/engine/rooms.test.ts
 */
import { describe, it } from 'node:test';
import { allowed, importing, refused } from '../roomsLint';

describe('the engine rooms (eslint.config.mjs)', () => {
  it('a front end imports the engine through its front door only', async () => {
    await refused('src/cli/x.ts', importing('../engine/git'), /front door/);
    await refused('src/run/x.ts', importing('../engine/run/engine'), /front door/);
    await allowed('src/cli/x.ts', importing('../engine'));
    await allowed('src/run/x.ts', importing('../engine'));
  });

  it('a room imports no room against the direction', async () => {
    await refused('src/engine/git/x.ts', importing('../run'), /direction/);
    await refused('src/engine/coordinator/x.ts', importing('../run'), /direction/);
    await refused('src/engine/consent/x.ts', importing('../run'), /direction/);
    await refused('src/engine/attempt/x.ts', importing('../hosts'), /direction/);
    await refused('src/engine/run/x.ts', importing('../usecases'), /direction/);
    await refused('src/engine/planning/x.ts', importing('../run'), /direction/);
    // export … from is an import too.
    await refused('src/engine/plan/x.ts', "export { x } from '../consent';\n", /direction/);
  });

  it("a room imports another room only through its index, never that room's files", async () => {
    await refused('src/engine/run/x.ts', importing('../git/worktrees'), /through its index/);
    await refused('src/engine/hosts/x.ts', importing('../attempt/executor'), /through its index/);
    await refused('src/engine/usecases/x.ts', "export type { x } from '../run/engine';\n", /through its index/);
    await allowed('src/engine/run/x.ts', importing('../git'));
    await allowed('src/engine/hosts/x.ts', importing('../attempt'));
    await allowed('src/engine/usecases/x.ts', importing('../run'));
    await allowed('src/engine/coordinator/x.ts', importing('../git'));
    await allowed('src/engine/planning/x.ts', importing('../coordinator'));
  });

  it('within a room, files import each other, not the room; no room imports the front door', async () => {
    await allowed('src/engine/git/x.ts', importing('./worktrees'));
    await refused('src/engine/git/x.ts', importing('./index'), /the file/);
    await refused('src/engine/git/x.ts', importing('../git'), /the file/);
    await refused('src/engine/run/x.ts', importing('..'), /front door/);
    await refused('src/engine/run/x.ts', importing('../index'), /front door/);
    await allowed('src/engine/run/x.ts', importing('../../core/run/runState'));
  });

  it('only git/, attempt/ and hosts/ start processes', async () => {
    const spawning = (spec: string) => `import { spawn } from '${spec}';\nexport const y = spawn;\n`;
    await refused('src/engine/run/x.ts', spawning('node:child_process'), /start processes/);
    await refused('src/engine/run/x.ts', spawning('child_process'), /start processes/);
    await refused('src/engine/coordinator/x.ts', spawning('node:child_process'), /start processes/);
    await refused('src/engine/usecases/x.ts', spawning('node:child_process'), /start processes/);
    await refused('src/engine/index.ts', spawning('node:child_process'), /start processes/);
    for (const room of ['git', 'attempt', 'hosts']) await allowed(`src/engine/${room}/x.ts`, spawning('node:child_process'));
  });

  it("the front door re-exports the rooms' indexes, not their files", async () => {
    await refused('src/engine/index.ts', "export { x } from './git/worktrees';\n", /front door/);
    await allowed('src/engine/index.ts', "export { x } from './git';\n");
    await allowed('src/engine/index.ts', "export { x } from '../core/hosts/hostList';\n");
  });

  it('the runner (bundled alone) imports no other module of the engine', async () => {
    await refused('src/engine/attempt/runner.ts', importing('./executor'), /bundled alone/);
    await refused('src/engine/attempt/runner.ts', importing('../git'), /bundled alone/);
    await allowed('src/engine/attempt/runner.ts', importing('../../core/run/runPaths.js'));
    await allowed('src/engine/attempt/runner.ts', `import { spawn } from 'node:child_process';\nexport const y = spawn;\n`);
  });

  it('no room imports vscode', async () => {
    await refused('src/engine/run/x.ts', importing('vscode'), /VS Code API/);
    await refused('src/engine/git/x.ts', importing('vscode'), /VS Code API/);
  });
});
