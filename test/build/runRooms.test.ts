/**
 * Architecture: src/run's rooms (src/run/<room>/, the editor's part of each capability) as
 * eslint.config.mjs holds them — FRONT_ROOMS (which room may import which), every folder a room,
 * activation's src/run/index.ts imported by none, and the run engine through its front door only
 * (but the read-only follower of `.waves/`). Each case lints a snippet as if it were a file at that
 * path (ESLint's Node API, the project's own config).
 *
 * Run: node --import tsx --test test/build/runRooms.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPO, allowed, importing, lint, refused } from '../roomsLint';

describe('the rooms of src/run (eslint.config.mjs)', () => {
  it('a room imports the rooms below it, their files directly', async () => {
    await allowed('src/run/run/x.ts', importing('../coordinator/sharedRuns'));
    await allowed('src/run/run/x.ts', importing('../hosts/hostsCommands'));
    await allowed('src/run/review/x.ts', importing('../run/runController'));
    await allowed('src/run/planning/x.ts', importing('../run/settings'));
    await allowed('src/run/planning/x.ts', importing('../coordinator/coordinatorSetting'));
    await allowed('src/run/walkthrough/x.ts', importing('../run/runCommands'));
    await allowed('src/run/run/x.ts', importing('./runWatch'));
    await allowed('src/run/run/x.ts', importing('../../engine'));
  });

  it('a room imports no room against the direction', async () => {
    await refused('src/run/run/x.ts', importing('../review/reviewComments'), /direction/);
    await refused('src/run/run/x.ts', importing('../planning/planningController'), /direction/);
    await refused('src/run/run/x.ts', importing('../walkthrough/demoCommand'), /direction/);
    await refused('src/run/coordinator/x.ts', importing('../run/runWatch'), /direction/);
    await refused('src/run/hosts/x.ts', importing('../run/settings'), /direction/);
    await refused('src/run/coupling/x.ts', importing('../run/runFacts'), /direction/);
    await refused('src/run/review/x.ts', importing('../planning/planningController'), /direction/);
    await refused('src/run/walkthrough/x.ts', importing('../review/candidatePick'), /direction/);
    // export … from is an import too.
    await refused('src/run/hosts/x.ts', "export { x } from '../coordinator/sharedRuns';\n", /direction/);
  });

  it("no room imports activation's part (src/run/index.ts)", async () => {
    await refused('src/run/run/x.ts', importing('..'), /activation/);
    await refused('src/run/review/x.ts', importing('../index'), /activation/);
  });

  it('every room takes the run engine through its front door and no file store; the follower of .waves/ reads the store', async () => {
    for (const room of ['run', 'review', 'planning', 'walkthrough', 'hosts', 'coordinator', 'coupling']) {
      await refused(`src/run/${room}/x.ts`, importing('../../engine/run/engine'), /front door/);
      await refused(`src/run/${room}/x.ts`, importing('../../store/dirWatch'), /front door/);
    }
    await refused('src/run/x.ts', importing('../engine/git'), /front door/);
    await allowed('src/run/run/runWatch.ts', importing('../../store/dirWatch'));
    await refused('src/run/run/runWatch.ts', importing('../review/reviewComments'), /direction/);
  });

  it('every folder of src/run is a room of the table, and a folder that is not imports no room', async () => {
    const folders = fs.readdirSync(path.join(REPO, 'src/run'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    assert.ok(folders.length >= 7, `src/run has its rooms (got ${folders.join(', ')})`);
    for (const folder of folders) {
      const { restricted } = await lint(`src/run/${folder}/x.ts`, importing('../no-such-room/x'));
      assert.equal(restricted.length, 1, `src/run/${folder} is a room of FRONT_ROOMS in eslint.config.mjs (got: ${JSON.stringify(restricted)})`);
      assert.match(restricted[0]!, /direction/);
    }
    await refused('src/run/elsewhere/x.ts', importing('../run/runWatch'), /not a room/);
    const loose = fs.readdirSync(path.join(REPO, 'src/run')).filter((f) => f.endsWith('.ts'));
    assert.deepEqual(loose, ['index.ts'], "src/run holds its rooms and activation's part, no loose file");
  });
});
