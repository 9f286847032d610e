/**
 * Architecture: src/core's rooms (src/core/<room>/) as eslint.config.mjs holds them —
 * CORE_ROOMS (which room may import which: the rooms' direction), and what every room of
 * src/core keeps (no `vscode`, no file or process I/O, nothing of src/ but src/core), and the
 * folders' direction where the extension's folders meet (LAYERS). Each case lints a small snippet as if it were a file at that path
 * (ESLint's Node API, the project's own config), as test/engine/rooms.test.ts does for the
 * engine's rooms.
 *
 * Run: node --import tsx --test test/core/rooms.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { allowed, importing, lint, refused, REPO } from '../roomsLint';

describe('the core rooms (eslint.config.mjs)', () => {
  it('a room imports no room against the direction', async () => {
    await refused('src/core/run/x.ts', importing('../present/runStatusText'), /direction/);
    await refused('src/core/run/x.ts', importing('../agents/agentLogs'), /direction/);
    await refused('src/core/run/x.ts', importing('../coordinator/sharedCoordinator'), /direction/);
    await refused('src/core/plan/x.ts', importing('../run/runState'), /direction/);
    await refused('src/core/git/x.ts', importing('../run/runState'), /direction/);
    await refused('src/core/walls/x.ts', importing('../agents/agentProfiles'), /direction/);
    await refused('src/core/util/x.ts', importing('../plan/model'), /direction/);
    await refused('src/core/agents/x.ts', importing('../planning/planningSession'), /direction/);
    await refused('src/core/coordinator/x.ts', importing('../present/planStatusText'), /direction/);
    await refused('src/core/coordinator/x.ts', importing('../ownership/ownership'), /direction/);
    await refused('src/core/present/x.ts', importing('../dag/layout'), /direction/);
    await refused('src/core/ownership/x.ts', importing('../dag/panelModel'), /direction/);
    // export … from and type imports are imports too; a file in a room's sub-folder is the room's.
    await refused('src/core/plan/x.ts', "export { x } from '../run/runState';\n", /direction/);
    await refused('src/core/run/x.ts', "import type { x } from '../present/packageFacts';\nexport type Y = x;\n", /direction/);
    await refused('src/core/run/generated/x.ts', importing('../../present/runStatusText'), /direction/);
  });

  it('a room imports the rooms below it, their files directly', async () => {
    await allowed('src/core/run/x.ts', importing('../plan/glob'));
    await allowed('src/core/run/x.ts', importing('../git/gitParse.js'));
    await allowed('src/core/run/x.ts', importing('../walls/walls'));
    await allowed('src/core/agents/x.ts', importing('../run/spend'));
    await allowed('src/core/hosts/x.ts', importing('../walls/walls'));
    await allowed('src/core/planning/x.ts', importing('../agents/agentProfiles'));
    await allowed('src/core/present/x.ts', importing('../run/runState'));
    await allowed('src/core/coordinator/x.ts', importing('../util/plural'));
    await allowed('src/core/ownership/x.ts', importing('../coordinator/sharedCoordinator'));
    await allowed('src/core/dag/x.ts', importing('../ownership/coupling'));
    await allowed('src/core/run/x.ts', importing('./runState'));
    await allowed('src/core/run/generated/x.ts', importing('../runState'));
  });

  it("the plan's reader (plan/reader) imports only the plan's base, and the rest of plan builds on it", async () => {
    await allowed('src/core/plan/reader/x.ts', importing('../model'));
    await allowed('src/core/plan/reader/x.ts', importing('../text'));
    await allowed('src/core/plan/reader/x.ts', importing('./planSites'));
    await allowed('src/core/plan/reader/x.ts', importing('../../util/plural'));
    await refused('src/core/plan/reader/x.ts', importing('../checks'), /plan\/reader imports only model, text/);
    await refused('src/core/plan/reader/x.ts', importing('../graph'), /CORE_SUB_ROOMS/);
    await refused('src/core/plan/reader/x.ts', "export { x } from '../analyze';\n", /CORE_SUB_ROOMS/);
    // Still a file of the plan room: the room's direction holds.
    await refused('src/core/plan/reader/x.ts', importing('../../run/runState'), /direction/);
    await allowed('src/core/plan/x.ts', importing('./reader/reader'));
  });

  it('every folder of src/core is a room of the table, and a folder that is not is no room to import', async () => {
    const folders = fs.readdirSync(path.join(REPO, 'src/core'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    assert.ok(folders.length > 0);
    for (const folder of folders) {
      const { restricted } = await lint(`src/core/${folder}/x.ts`, importing('../no-such-room/x'));
      assert.equal(restricted.length, 1, `src/core/${folder} is a room of CORE_ROOMS in eslint.config.mjs (got: ${JSON.stringify(restricted)})`);
      assert.match(restricted[0]!, /direction/);
    }
  });

  it('every room stays pure: no vscode, no file or process I/O, nothing of src/ outside src/core, not even the protocol’s types', async () => {
    await refused('src/core/git/x.ts', importing('vscode'), /VS Code API/);
    await refused('src/core/walls/x.ts', importing('node:fs'), /no file or process I\/O/);
    await refused('src/core/hosts/x.ts', importing('node:child_process'), /no file or process I\/O/);
    await refused('src/core/coordinator/x.ts', importing('pg'), /no file or process I\/O/);
    await refused('src/core/run/x.ts', importing('../../engine/git'), /pure engine/);
    await refused('src/core/run/generated/x.ts', importing('../../../store/runStore'), /pure engine/);
    await refused('src/core/dag/x.ts', importing('../../protocol'), /pure engine/);
    await refused('src/core/dag/x.ts', "import type { x } from '../../protocol';\nexport type Y = x;\n", /pure engine/);
    await refused('src/core/x.ts', "import type { x } from '../protocol/messages';\nexport type Y = x;\n", /pure engine/);
    await allowed('src/core/run/x.ts', importing('../../../schemas/run-state.schema.json'));
  });
});

describe("the folders' direction where plans, views and ownership meet (eslint.config.mjs, LAYERS)", () => {
  it('src/plan and src/ownership import no view; what they share with the views lives in src/plan', async () => {
    await refused('src/plan/x.ts', importing('../views/wavesTree'), /below the run, the DAG panel, ownership and the views/);
    await refused('src/ownership/x.ts', importing('../views/statusBar'), /imports no view/);
    await refused('src/ownership/x.ts', "import type { x } from '../views/wavesTree';\nexport type Y = x;\n", /imports no view/);
    await allowed('src/ownership/x.ts', importing('../plan/packageShown'));
    await allowed('src/views/x.ts', importing('../plan/packageShown'));
    await allowed('src/plan/x.ts', importing('./packageShown'));
  });

  it('src/protocol takes src/core’s types, and re-exports them', async () => {
    await allowed('src/protocol/x.ts', "export type { PlanNode } from '../core/dag/planView';\n");
    await refused('src/protocol/x.ts', importing('../core/dag/display'), /only types from src\/core/);
  });
});
