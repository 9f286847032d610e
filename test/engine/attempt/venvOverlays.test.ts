/**
 * A Python virtual environment laid over worktrees from the person's checkout (ADR 0026), with
 * the real `python3 -m venv`, pip, bubblewrap, util-linux's unshare and mount, and git worktrees:
 * the checkout's `.venv` holds a wheel's package and the project itself installed editable
 * (`pip install -e .`). Inside a tree's walls its `.venv` is the tree's (its `sys.prefix`), the
 * editable project imports the tree's code, not the checkout's, and `pip install` of a wheel
 * file, a file of site-packages rewritten in place and by rename — through the tree's path and
 * through the checkout's own, which the scripts' shebangs name — stay the tree's: the person's
 * `.venv` and a sibling tree's stay byte for byte the same. A `.pth` that leads into the
 * checkout by another path, or a lockfile changed on the branch, lays nothing, and says so.
 *
 * Run: node --import tsx --test test/engine/attempt/venvOverlays.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { wallsFor } from '../../../src/engine/attempt/wallsDraw';
import { dependencyOverlays } from '../../../src/engine/attempt/wallsDeps';
import { gitDirsOf } from '../../../src/store/gitDirs';
import { attemptDir } from '../../../src/core/run/runPaths';
import { engineFor, isolateGit, planYaml } from '../engineFixtures';
import { buildRunner, git, makeRepo } from '../helpers';

const BWRAP = process.env.WAVES_BWRAP ?? '/usr/bin/bwrap';
const PYTHON = process.env.WAVES_TEST_PYTHON ?? 'python3';
const made: string[] = [];
after(() => {
  for (const d of made) {
    spawnSync('chmod', ['-R', 'u+rwx', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

const write = (p: string, text: string) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
};

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8', env });
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A wheel of one pure module package (`name/__init__.py` holding `text`), made by Python's zipfile: what pip installs without an index. */
function wheel(dir: string, name: string, version: string, text: string): string {
  const file = path.join(dir, `${name}-${version}-py3-none-any.whl`);
  const script = `import sys,zipfile
f,n,v,t=sys.argv[1:5]
di=f"{n}-{v}.dist-info"
z=zipfile.ZipFile(f,"w")
z.writestr(f"{n}/__init__.py",t)
z.writestr(f"{di}/METADATA",f"Metadata-Version: 2.1\\nName: {n}\\nVersion: {v}\\n")
z.writestr(f"{di}/WHEEL","Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
z.writestr(f"{di}/RECORD",f"{n}/__init__.py,,\\n{di}/METADATA,,\\n{di}/WHEEL,,\\n{di}/RECORD,,\\n")
z.close()`;
  run([PYTHON, '-c', script, file, name, version, text], dir);
  return file;
}

/** Every entry under `root` — path, kind, mode, size, time, a link's target — and every file's sha256, as find(1) and sha256sum(1) print them. */
function snapshot(root: string): string {
  return run(['sh', '-c', 'find . -printf "%p %y %m %s %T@ %l\\n" | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort'], root);
}

/**
 * A PEP 517 build backend in the project (no network here to fetch setuptools' `wheel`) whose
 * editable wheel is what setuptools' is: `__editable__.proj-0.1.pth` importing a finder module
 * that maps the package to the project's `src/proj` by its absolute path.
 */
const BACKEND = `import os, zipfile
NAME, VERSION = "proj", "0.1"
DI = f"{NAME}-{VERSION}.dist-info"
def _wheel(directory, files):
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as z:
        files[f"{DI}/METADATA"] = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
        files[f"{DI}/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        files[f"{DI}/RECORD"] = "".join(f"{k},,\\n" for k in [*files, f"{DI}/RECORD"])
        for k, v in files.items():
            z.writestr(k, v)
    return name
def build_editable(directory, config_settings=None, metadata_directory=None):
    src = os.path.abspath("src/proj")
    finder = "__editable___proj_0_1_finder"
    code = (
        "import sys, os, importlib.util\\n"
        f"MAPPING = {{'proj': {src!r}}}\\n"
        "class _Finder:\\n"
        "    @classmethod\\n"
        "    def find_spec(cls, fullname, path=None, target=None):\\n"
        "        if fullname in MAPPING:\\n"
        "            return importlib.util.spec_from_file_location(fullname, os.path.join(MAPPING[fullname], '__init__.py'), submodule_search_locations=[MAPPING[fullname]])\\n"
        "def install():\\n"
        "    if _Finder not in sys.meta_path:\\n"
        "        sys.meta_path.append(_Finder)\\n"
    )
    return _wheel(directory, {f"{finder}.py": code, "__editable__.proj-0.1.pth": f"import {finder}; {finder}.install()\\n"})
def build_wheel(directory, config_settings=None, metadata_directory=None):
    return _wheel(directory, {"proj/__init__.py": open("src/proj/__init__.py").read()})
`;

interface Fixture {
  root: string;
  repo: string;
  venv: string;
  wheels: string;
  home: string;
}
let fx: Fixture;
let runnerScript = '';

/** A repository whose checkout has its `.venv`: a dependency from a wheel, the project itself editable (PEP 660: a finder naming its `src/proj`). */
function pythonRepo(): Fixture {
  const repo = makeRepo({
    'README.md': '# proj\n',
    '.gitignore': '.venv/\nvenv/\n*.egg-info/\nbuild/\n',
    'pyproject.toml': '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["_backend"]\n\n[project]\nname = "proj"\nversion = "0.1"\n',
    '_backend/backend.py': BACKEND,
    'requirements.txt': 'dep==1.0\n',
    'src/proj/__init__.py': 'WHO = "checkout"\n',
  });
  const root = path.dirname(repo);
  made.push(root);
  const wheels = path.join(root, 'wheels');
  const home = path.join(root, 'home');
  fs.mkdirSync(wheels);
  fs.mkdirSync(home);
  const env = { ...process.env, HOME: home, PIP_NO_CACHE_DIR: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INDEX: '1' };
  // The person's environment: a dependency from a wheel, the project itself editable (PEP 660, setuptools' own finder or .pth).
  run([PYTHON, '-m', 'venv', '.venv'], repo, env);
  run(['.venv/bin/pip', 'install', '-q', wheel(wheels, 'dep', '1.0', 'WHO = "dep 1.0"\n')], repo, env);
  run(['.venv/bin/pip', 'install', '-q', '--no-build-isolation', '-e', '.'], repo, env);
  return { root, repo, venv: path.join(repo, '.venv'), wheels, home };
}

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  fx = pythonRepo();
  // Two trees of the repository, each with its own edit of the project's code.
  for (const t of ['a', 'b']) {
    git(fx.repo, 'worktree', 'add', '-q', '-b', `feature/${t}`, path.join(fx.root, 'trees', t));
    write(path.join(fx.root, 'trees', t, 'src', 'proj', '__init__.py'), `WHO = "tree ${t}"\n`);
  }
});

/** The walls of tree `t` as the runner draws them for an agent, then `script` run in them (the walls' own variables, no network). */
function inTree(t: string, script: string) {
  const tree = path.join(fx.root, 'trees', t);
  const attempt = path.join(fx.root, 'attempts', t);
  fs.mkdirSync(attempt, { recursive: true });
  const drawn = wallsFor({
    bwrap: BWRAP,
    worktree: tree,
    attemptDir: attempt,
    profileId: 'custom',
    env: { HOME: fx.home, WAVES_SANDBOX_READ: fx.root },
    interactive: false,
    argv: ['/bin/sh'],
    runnerScript: path.join(fx.root, 'runner.js'),
    startToken: `t-${t}`,
    options: { cacheDir: path.join(fx.root, 'cache') },
    home: fx.home,
    accountHome: fx.home,
  });
  const argv = [...drawn.walls.prefix, BWRAP, ...drawn.walls.args, '--', '/bin/sh', '-c', script];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: fx.home, ...drawn.walls.env, PIP_NO_INDEX: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
  return { laid: drawn.walls.laid, status: r.status, out: `${r.stdout}${r.stderr}`, tree };
}

const SITE = (venv: string) => `$(${venv}/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')`;

describe('a virtual environment laid over worktrees (python3 -m venv, pip, bubblewrap, overlays)', () => {
  test("the tree's .venv is its own inside its walls: its prefix, the tree's code through the editable install, pip and rewrites stay in the tree", () => {
    const before = snapshot(fx.venv);
    const readme = fs.readFileSync(path.join(fx.repo, 'README.md'), 'utf8');
    const newWheel = wheel(fx.wheels, 'added', '2.0', 'WHO = "added 2.0"\n');
    const a = inTree(
      'a',
      [
        'set -e',
        `.venv/bin/python -c 'import sys; print("prefix=" + sys.prefix)'`,
        `.venv/bin/python -c 'import proj, dep; print("who=" + proj.WHO + " from " + proj.__file__); print("dep=" + dep.WHO)'`,
        // pip by its script: its shebang names the checkout's .venv, which inside the walls is the tree's.
        `.venv/bin/pip install -q ${newWheel}`,
        `SP=${SITE('.venv')}`,
        'echo \'WHO = "dep changed in place"\' >> "$SP/dep/__init__.py"',
        'printf \'X = 1\\n\' > "$SP/dep/next.py" && mv "$SP/dep/next.py" "$SP/dep/other.py"',
        // Through the checkout's own path, as a script that names it would write.
        `echo 'Y = 2' >> "${fx.venv}/lib/$(ls ${fx.venv}/lib)/site-packages/dep/other.py"`,
        `.venv/bin/python -c 'import added, dep, dep.other as o; print("added=" + added.WHO); print("dep now=" + dep.WHO, o.X, o.Y)'`,
        `${fx.venv}/bin/python -c 'import sys, proj; print("via checkout path=" + proj.WHO)'`,
        `if echo planted >> "${fx.repo}/README.md" 2>/dev/null; then echo "checkout written"; else echo "checkout refused"; fi`,
      ].join('\n'),
    );
    assert.equal(a.status, 0, a.out);
    assert.match(a.laid.join('\n'), new RegExp(`^\\.venv: laid from ${fx.venv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(copy-on-write; inside the walls .* is the tree's too; \\d+ of its files made to name the tree's code \\(an editable install\\)\\)$`, 'm'));
    assert.match(a.out, new RegExp(`^prefix=${path.join(a.tree, '.venv').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(a.out, new RegExp(`^who=tree a from ${path.join(a.tree, 'src', 'proj').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/__init__\\.py$`, 'm'), 'the editable install imports the tree\'s code');
    assert.match(a.out, /^dep=dep 1\.0$/m, "the checkout's installed dependency is there");
    assert.match(a.out, /^added=added 2\.0$/m);
    assert.match(a.out, /^dep now=dep changed in place 1 2$/m);
    assert.match(a.out, /^via checkout path=tree a$/m);
    assert.match(a.out, /^checkout refused$/m, "the checkout's other files stay read-only");
    // The person's environment and checkout: byte for byte as they were.
    assert.deepEqual(snapshot(fx.venv), before);
    assert.equal(fs.readFileSync(path.join(fx.repo, 'README.md'), 'utf8'), readme);
    const person = spawnSync(path.join(fx.venv, 'bin', 'python'), ['-c', 'import proj, dep\ntry:\n import added\n print("added there")\nexcept ImportError:\n print("no added")\nprint(proj.WHO, dep.WHO)'], { cwd: fx.repo, encoding: 'utf8' });
    assert.equal(person.stdout, 'no added\ncheckout dep 1.0\n', person.stderr);

    // A sibling laid from the same folder after a changed its own: the originals, and its own code.
    const b = inTree(
      'b',
      [
        'set -e',
        `SP=${SITE('.venv')}`,
        `.venv/bin/python -c 'import proj, dep; print("who=" + proj.WHO); print("dep=" + dep.WHO)'`,
        'if [ -e "$SP/added" ] || [ -e "$SP/dep/other.py" ]; then echo "a\'s files seen"; else echo "a\'s files not seen"; fi',
        'sha256sum "$SP/dep/__init__.py"',
      ].join('\n'),
    );
    assert.equal(b.status, 0, b.out);
    assert.match(b.out, /^who=tree b$/m);
    assert.match(b.out, /^dep=dep 1\.0$/m);
    assert.match(b.out, /^a's files not seen$/m);
    const site = fs.readdirSync(path.join(fx.venv, 'lib'))[0]!;
    const original = crypto.createHash('sha256').update(fs.readFileSync(path.join(fx.venv, 'lib', site, 'site-packages', 'dep', '__init__.py'))).digest('hex');
    assert.match(b.out, new RegExp(`^${original} `, 'm'));
    assert.deepEqual(snapshot(fx.venv), before);
    // Outside the walls each tree's .venv is the empty folder it was made as.
    assert.deepEqual(fs.readdirSync(path.join(fx.root, 'trees', 'a', '.venv')), []);
  });

  test('a .pth leading into the checkout by another path, or a changed lockfile, lays nothing, and says so', () => {
    // A checkout whose environment names its source through a link to it (as a venv made from a linked path would).
    const repo = makeRepo({ 'README.md': '# x\n', '.gitignore': '.venv/\n', 'requirements.txt': 'dep==1.0\n' });
    made.push(path.dirname(repo));
    const alias = path.join(path.dirname(repo), 'alias');
    fs.symlinkSync(repo, alias);
    write(path.join(repo, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    const site = path.join(repo, '.venv', 'lib', 'python3.11', 'site-packages');
    write(path.join(site, '_proj.pth'), `${alias}/src\n`);
    // A `venv` folder that is no virtual environment: not a dependency folder, nothing said.
    write(path.join(repo, 'venv', 'notes.txt'), 'mine\n');
    const tree = path.join(path.dirname(repo), 'trees', 'a');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature/a', tree);
    const dirs = gitDirsOf(tree)!;
    const laid = dependencyOverlays(tree, dirs);
    assert.deepEqual(laid.laid, []);
    assert.deepEqual(laid.notes, [`.venv: lib/python3.11/site-packages/_proj.pth names ${alias}/src, in the checkout, in a way that cannot be made the tree's (not laid: the tree could import the checkout's code, not its own; make the environment in the tree)`]);
    // Relative to site-packages, climbing out of the environment into the checkout (through the checkout's path inside the walls).
    write(path.join(site, '_proj.pth'), '../../../../src\n');
    assert.deepEqual(dependencyOverlays(tree, dirs).notes, [".venv: lib/python3.11/site-packages/_proj.pth names ../../../../src, relative to site-packages, which leads into the checkout (not laid: the tree could import the checkout's code, not its own; make the environment in the tree)"]);
    // Written the checkout's own way, it is made the tree's.
    write(path.join(site, '_proj.pth'), `${repo}/src\n`);
    const ok = dependencyOverlays(tree, dirs);
    assert.equal(ok.laid.length, 1);
    assert.deepEqual(ok.binds, [{ from: path.join(tree, '.venv'), to: path.join(repo, '.venv') }]);
    assert.equal(fs.readFileSync(path.join(ok.laid[0]!.upper, 'lib', 'python3.11', 'site-packages', '_proj.pth'), 'utf8'), `${tree}/src\n`);
    assert.equal(fs.readFileSync(path.join(site, '_proj.pth'), 'utf8'), `${repo}/src\n`, "the checkout's file untouched");
    // The branch pinned other requirements: not laid.
    write(path.join(tree, 'requirements.txt'), 'dep==2.0\n');
    assert.deepEqual(dependencyOverlays(tree, dirs).notes, [".venv: the tree's lockfile (or pyproject.toml) is not the checkout's (not laid: install them)"]);
  });

  test("a run: the agent's tree gets the checkout's .venv laid; its verification imports the tree's code and pip installs into the tree; the person's .venv is unchanged", async () => {
    const own = pythonRepo();
    made.push(own.root);
    process.env.WAVES_SANDBOX_READ = own.root;
    const before = snapshot(own.venv);
    const added = wheel(own.wheels, 'added', '2.0', 'WHO = "added 2.0"\n');
    const planFile = path.join(own.repo, 'work-packages.yaml');
    fs.writeFileSync(
      planFile,
      planYaml('venv', [
        {
          id: 'a',
          write: ['src/proj/**'],
          agent: ['write src/proj/__init__.py WHO = "tree a"\\n', 'commit'],
          commands: [
            `.venv/bin/python -c "import sys, proj; assert proj.WHO == 'tree a', proj.__file__; assert sys.prefix == '$PWD/.venv', sys.prefix"`,
            `.venv/bin/pip install -q --no-index --disable-pip-version-check ${added}`,
            `.venv/bin/python -c "import added; assert added.WHO == 'added 2.0'"`,
          ],
        },
      ]),
    );
    git(own.repo, 'add', '-A');
    git(own.repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript, { verification: 'approved' });
    const outcome = await engine.run().finally(() => engine.dispose());
    const log = fs.readFileSync(path.join(attemptDir(own.repo, 'venv', outcome.runId, 'a', 1), 'agent.log'), 'utf8');
    assert.equal(outcome.outcome, 'succeeded', `${JSON.stringify(outcome.counts)}\n${log}`);
    assert.match(log, new RegExp(`^waves: \\.venv: laid from ${own.venv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(copy-on-write; inside the walls`, 'm'));
    assert.deepEqual(snapshot(own.venv), before);
  });
});

