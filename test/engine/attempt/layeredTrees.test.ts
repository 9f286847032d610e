/**
 * Layered package worktrees through a whole run (`layered: true`, ADR 0032), with the real
 * bubblewrap, util-linux's unshare and mount, the real runner and the scripted agent: the agents,
 * their verification and the engine's git see each tree whole while its folder on the disk holds
 * only what changed there; a change in one tree (in place, a rename, a delete) reaches neither the
 * base, the person's checkout nor a sibling, and no agent writes the shared checkout's folder or
 * the trees' records; a package of a later wave starts from the merged
 * result; the dependencies laid from the checkout are laid over the layer; the merged trees removed
 * at the run's end take their shared checkout with them.
 *
 * Run: node --import tsx --test test/engine/attempt/layeredTrees.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { attemptDir } from '../../../src/core/run/runPaths';
import { overlayTools } from '../../../src/engine/attempt/wallsDeps';
import { layersDir, layerOf } from '../../../src/store/treeLayers';
import { engineFor, isolateGit, planYaml, readAt } from '../engineFixtures';
import { buildRunner, git, makeRepo, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const FOLDERS = 20;
const PER_FOLDER = 50;

/** Every file under `dir` (relative; `.git`, `.waves` and folders aside), a whiteout named as such. */
function onDisk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    if (rel === '.git' || rel.startsWith('.waves') || rel.startsWith('node_modules') || e.isDirectory()) continue;
    out.push(e.isCharacterDevice() ? `${rel} (deleted)` : rel);
  }
  return out.sort();
}

describe('layered package worktrees (bubblewrap, overlays)', { skip: overlayTools() ? false : 'overlays cannot be mounted here' }, () => {
  test('agents, verification and the engine see each tree whole; its folder holds only its changes; nothing reaches a sibling, the base or the checkout', async () => {
    const root = tempDir('waves-layered-run-');
    const files: Record<string, string> = {
      'README.md': '# x\n',
      '.gitignore': 'node_modules/\n',
      'package.json': '{ "name": "p" }\n',
      'package-lock.json': '{ "lockfileVersion": 3 }\n',
    };
    for (let d = 0; d < FOLDERS; d++)
      for (let f = 0; f < PER_FOLDER; f++) files[`src/m${d}/f${f}.ts`] = `export const v${d}_${f} = ${d * PER_FOLDER + f};\n`;
    const repo = makeRepo(files);
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    // The person's installed dependencies (not in git): laid over the layered tree as over any.
    fs.mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    const gate = path.join(root, 'gate');
    const layers = path.join(fs.realpathSync(path.join(repo, '.git')), 'waves-layers');
    const gateA = path.join(root, 'gate-a');
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(
      planFile,
      planYaml('layers', [
        {
          id: 'a',
          write: ['a/**', 'src/**'],
          agent: [
            'append src/m1/f1.ts // changed by a\\n',
            'rename src/m2/f2.ts src/m2/g2.ts',
            'delete src/m3/f3.ts',
            'copy node_modules/dep/index.js a/seen-dep.js',
            'copy src/m4/f4.ts a/seen-f4.ts',
            `wait-for ${gateA}`,
            'commit',
          ],
          // Its verification, in walls of its own, sees the whole tree with a's changes.
          commands: ['test -e src/m0/f0.ts && grep -q "changed by a" src/m1/f1.ts && test -e src/m2/g2.ts && test ! -e src/m3/f3.ts'],
        },
        // A sibling in the same wave: the originals, read once a has changed its own.
        // …and one that tries the shared checkout's folder and the trees' records: no agent writes there.
        { id: 'b', agent: [`wait-for ${gate}`, 'copy src/m1/f1.ts b/seen-f1.ts', 'copy src/m3/f3.ts b/seen-f3.ts', `try-write ${layers}/trees/planted.json {}`, `try-write ${layers}/bases/planted.txt`, 'commit'] },
        // A later wave: from the integration tip, a's changes in it (a tree near the base).
        { id: 'c', deps: ['a'], agent: ['copy src/m1/f1.ts c/seen-f1.ts', 'commit'] },
      ]),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const checkoutF1 = fs.readFileSync(path.join(repo, 'src/m1/f1.ts'), 'utf8');
    const { engine } = await engineFor(planFile, runnerScript, { verification: 'approved', layered: true });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    let aTree = '';
    let lower = '';
    let base = '';
    try {
      const running = engine.run();
      // a has made its changes (its folder on the disk shows them) and waits: its tree as it stands.
      await waitFor(
        () => {
          const t = engine.store?.state?.packages.a?.worktree;
          return t && fs.existsSync(path.join(t, 'a', 'seen-f4.ts')) ? t : null;
        },
        "a's changes",
        90_000,
      );
      aTree = engine.store!.state!.packages.a!.worktree!;
      const layer = layerOf(aTree);
      assert.ok(layer, 'a tree of a layered run is layered');
      ({ lower, base } = layer);
      assert.deepEqual(
        onDisk(aTree),
        ['a/seen-dep.js', 'a/seen-f4.ts', 'src/m1/f1.ts', 'src/m2/f2.ts (deleted)', 'src/m2/g2.ts', 'src/m3/f3.ts (deleted)'],
        "its folder: only a's changes",
      );
      assert.equal(fs.readFileSync(path.join(lower, 'src/m1/f1.ts'), 'utf8'), checkoutF1, 'the base is never written');
      const bTree = engine.store!.state!.packages.b!.worktree!;
      assert.equal(layerOf(bTree)?.base, base, 'b is laid over the same base');
      assert.deepEqual(onDisk(bTree), [], "b's folder: nothing of the commit's files");
      fs.writeFileSync(gateA, 'go');
      await waitFor(() => engine.store?.state?.packages.a?.status === 'succeeded', 'a merged', 90_000);
      fs.writeFileSync(gate, 'go');
      // c, of the next wave, from the integration tip: laid over the same base, its folder holding the difference.
      await waitFor(
        () => {
          const t = engine.store?.state?.packages.c?.worktree;
          return t && layerOf(t) ? t : null;
        },
        "c's tree",
        90_000,
      ).then((cTree) => {
        assert.equal(layerOf(cTree)?.base, base, 'c is laid over the same base');
      });
      outcome = await running;
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const tip = outcome.integrationBranch!;
    // a's changes merged; b saw the originals; c started from a's merged result.
    assert.match(readAt(repo, tip, 'src/m1/f1.ts'), /changed by a/);
    assert.deepEqual(
      git(repo, 'ls-tree', '--name-only', `${tip}:src/m2`)
        .split('\n')
        .filter((n) => /^[fg]2\.ts$/.test(n)),
      ['g2.ts'],
    );
    assert.equal(readAt(repo, tip, 'a/seen-dep.js'), 'module.exports = 1;\n');
    assert.equal(readAt(repo, tip, 'a/seen-f4.ts'), `export const v4_4 = ${4 * PER_FOLDER + 4};\n`);
    assert.equal(readAt(repo, tip, 'b/seen-f1.ts'), checkoutF1);
    assert.equal(readAt(repo, tip, 'b/seen-f3.ts'), `export const v3_3 = ${3 * PER_FOLDER + 3};\n`);
    assert.match(readAt(repo, tip, 'c/seen-f1.ts'), /changed by a/);
    // The person's checkout: as it was.
    assert.equal(fs.readFileSync(path.join(repo, 'src/m1/f1.ts'), 'utf8'), checkoutF1);
    assert.ok(fs.existsSync(path.join(repo, 'src/m3/f3.ts')));
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
    // b could not write the shared checkout's folder or the records.
    const bLog = fs.readFileSync(path.join(attemptDir(repo, 'layers', outcome.runId, 'b', 1), 'agent.log'), 'utf8');
    assert.match(bLog, new RegExp(`^tried write ${layers}/trees/planted\\.json: refused \\(EROFS\\)$`, 'm'));
    assert.match(bLog, new RegExp(`^tried write ${layers}/bases/planted\\.txt: refused \\(EROFS\\)$`, 'm'));
    assert.equal(fs.existsSync(path.join(layers, 'trees', 'planted.json')), false);
    // The agent's log said how its tree was laid out: its dependencies laid as before.
    const log = fs.readFileSync(path.join(attemptDir(repo, 'layers', outcome.runId, 'a', 1), 'agent.log'), 'utf8');
    assert.match(log, /^waves: node_modules: laid from /m);
    // The merged trees removed at the run's end, their records and their shared checkout with them.
    assert.equal(fs.existsSync(aTree), false);
    assert.equal(fs.existsSync(lower), false, 'the shared checkout goes with the last tree over it');
    const common = fs.realpathSync(path.join(repo, '.git'));
    assert.deepEqual(fs.readdirSync(path.join(layersDir(common), 'trees')), []);
  });
});
