/**
 * A worktree's dependencies (ADR 0026): what it costs to give a tree the `node_modules` of the
 * person's checkout — laid as a copy-on-write overlay inside the walls, against a private copy
 * (`cp -a --reflink=auto`, copy-on-write only where the file system has it) — on this repository's
 * own `node_modules` (hundreds of packages). Time: the walls around `/bin/true` with the folder
 * laid against the same walls without it, interleaved, 15 pairs (p50, p95 of the difference);
 * the copy, 3 times. Disk: what each way adds per tree (`du` of the upper folder after an agent
 * read every file and changed one; of the copy).
 *
 * Run: npm run bench dependencies
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgs } from '../src/core/walls/walls';
import { bwrapUserArgs, overlayPrefix } from '../src/core/walls/dependencyFolders';
import { confinementAvailable } from '../src/engine/attempt/confinement';
import { dependencyOverlays, overlayTools } from '../src/engine/attempt/wallsDeps';

const root = path.resolve(__dirname, '..');
const lower = path.join(root, 'node_modules');
const PAIRS = 15;

const here = confinementAvailable();
const tools = overlayTools();
if (!here.ok || !tools || !fs.existsSync(lower)) {
  console.log(`## Dependencies laid over a worktree\n\nnot measured: ${!here.ok ? here.why : !tools ? 'overlays cannot be mounted here' : 'no node_modules (npm install first)'}\n`);
  process.exit(0);
}
const bwrapPath = here.bwrap;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-deps-bench-'));
const tree = path.join(tmp, 'tree');
const target = path.join(tree, 'node_modules');
const upper = path.join(tmp, 'state', 'upper');
const work = path.join(tmp, 'state', 'work');
for (const d of [target, upper, work]) fs.mkdirSync(d, { recursive: true });

const kb = (p: string) => Number(spawnSync('du', ['-sk', p], { encoding: 'utf8' }).stdout.split('\t')[0]);
const files = Number(spawnSync('sh', ['-c', `find "${lower}" -type f | wc -l`], { encoding: 'utf8' }).stdout.trim());
const walls = (laid: boolean) => {
  const args = bwrapArgs({ worktree: tree, write: [], readBack: [tmp], hidden: [], network: null }, (p) => (fs.existsSync(p) ? 'dir' : null));
  const prefix = laid ? overlayPrefix(tools, [{ lower, upper, work, target }]) : [];
  return [...prefix, here.bwrap, ...(laid ? bwrapUserArgs(process.getuid!(), process.getgid!()) : []), ...args];
};
function time(argv: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.slice(-3).join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const check = ['--', '/bin/sh', '-c', `test -f "${target}/yaml/package.json"`];
time([...walls(true), ...check]);
const bare: number[] = [];
const laid: number[] = [];
const diff: number[] = [];
for (let i = 0; i < PAIRS; i++) {
  const a = time([...walls(false), '--', '/bin/true']);
  const b = time([...walls(true), ...check]);
  bare.push(a);
  laid.push(b);
  diff.push(b - a);
}
// An agent that reads every file and changes one: what the tree then holds of its own.
time([...walls(true), '--', '/bin/sh', '-c', `find "${target}" -type f -exec cat {} + > /dev/null && echo "// changed" >> "${target}/yaml/package.json"`]);
const upperKb = kb(upper);

const copies: number[] = [];
let copyKb = 0;
for (let i = 0; i < 3; i++) {
  const dest = path.join(tmp, `copy-${i}`);
  copies.push(time(['cp', '-a', '--reflink=auto', lower, dest]));
  copyKb = kb(dest);
  fs.rmSync(dest, { recursive: true, force: true });
}
const lowerKb = kb(lower);
fs.rmSync(tmp, { recursive: true, force: true });

const f = (n: number) => n.toFixed(0);
const venvReport = benchVenv();
console.log(`## Dependencies laid over a worktree (ADR 0026)

The checkout's \`node_modules\`: ${(lowerKb / 1024).toFixed(0)} MiB in ${files} files.

| way | ready (ms, p50 / p95) | disk per tree |
|---|---|---|
| walls without the folder (\`/bin/true\`) | ${f(pct(bare, 50))} / ${f(pct(bare, 95))} | – |
| walls with the folder laid (overlay) | ${f(pct(laid, 50))} / ${f(pct(laid, 95))} (laying: +${f(pct(diff, 50))} / +${f(pct(diff, 95))}) | ${upperKb} KiB after one file changed (${((100 * upperKb) / lowerKb).toFixed(2)} %) |
| private copy (\`cp -a --reflink=auto\`) | ${f(pct(copies, 50))} (of 3) | ${(copyKb / 1024).toFixed(0)} MiB (${((100 * copyKb) / lowerKb).toFixed(0)} %) |
${venvReport}`);

/**
 * A Python virtual environment laid over a tree (`.venv`, ADR 0026): a checkout's `python3 -m venv`
 * holding real packages (numpy, scipy, sympy, networkx and the base interpreter's top-level modules,
 * copied from its site-packages: no network here to install them) and the project itself
 * installed editable (a setuptools-style finder naming the checkout's `src`), a git worktree of it.
 * Laying: the decision (`dependencyOverlays`: lockfiles, the scan of site-packages, the finder made
 * the tree's) and the walls' start with the overlay and the bind at the checkout's path, against
 * bare walls. Disk: the upper folder after an agent in the walls ran `pip install` of a wheel and
 * rewrote a file; against a private copy (`cp -a`).
 */
function benchVenv(): string {
  const python = spawnSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' });
  if (python.status !== 0) return '\n### A virtual environment (`.venv`)\n\nnot measured: no python3\n';
  const base = python.stdout.trim();
  const vtmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-venv-bench-'));
  const repo = path.join(vtmp, 'repo');
  const sh = (cmd: string, cwd = repo) => {
    const r = spawnSync('sh', ['-c', cmd], { cwd, encoding: 'utf8', env: { ...process.env, PIP_NO_INDEX: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_CACHE_DIR: '1', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  try {
    fs.mkdirSync(path.join(repo, 'src', 'proj'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'src', 'proj', '__init__.py'), 'WHO = "checkout"\n');
    fs.writeFileSync(path.join(repo, 'requirements.txt'), 'numpy\nscipy\nsympy\nnetworkx\n');
    fs.writeFileSync(path.join(repo, '.gitignore'), '.venv/\n');
    sh('git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m init && python3 -m venv .venv');
    const site = sh('.venv/bin/python -c \'import sysconfig; print(sysconfig.get_paths()["purelib"])\'').trim();
    const pkgs = fs.readdirSync(base).filter((n) => /^(numpy|scipy|sympy|networkx|mpmath)([.-]|$)/.test(n) || (n.endsWith('.py') && fs.statSync(path.join(base, n)).isFile()));
    for (const n of pkgs) fs.cpSync(path.join(base, n), path.join(site, n), { recursive: true, verbatimSymlinks: true });
    const finder = '__editable___proj_0_1_finder';
    fs.writeFileSync(path.join(site, `${finder}.py`), `import sys, importlib.util, os\nMAPPING = {'proj': ${JSON.stringify(path.join(repo, 'src', 'proj'))}}\nclass F:\n    @classmethod\n    def find_spec(cls, name, p=None, t=None):\n        if name in MAPPING:\n            return importlib.util.spec_from_file_location(name, os.path.join(MAPPING[name], '__init__.py'), submodule_search_locations=[MAPPING[name]])\ndef install():\n    sys.meta_path.append(F)\n`);
    fs.writeFileSync(path.join(site, '__editable__.proj-0.1.pth'), `import ${finder}; ${finder}.install()\n`);
    const tree = path.join(vtmp, 'tree');
    sh(`git worktree add -q -b feature/a ${tree}`);
    fs.writeFileSync(path.join(tree, 'src', 'proj', '__init__.py'), 'WHO = "tree"\n');
    const venv = path.join(repo, '.venv');
    const dirs = { gitDir: path.join(repo, '.git', 'worktrees', 'tree'), commonDir: path.join(repo, '.git') };
    const decide: number[] = [];
    let deps = dependencyOverlays(tree, dirs);
    for (let i = 0; i < PAIRS; i++) {
      const t0 = process.hrtime.bigint();
      deps = dependencyOverlays(tree, dirs);
      decide.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const laidVenv = deps.laid.find((l) => l.lower === venv);
    if (!laidVenv) return `\n### A virtual environment (\`.venv\`)\n\nnot laid: ${deps.notes.join('; ')}\n`;
    const vwalls = (laid: boolean) => {
      const args = bwrapArgs({ worktree: tree, write: [], readBack: [vtmp], hidden: [], network: null }, (p) => (fs.existsSync(p) ? 'dir' : null));
      if (laid) args.splice(args.indexOf('--unshare-pid'), 0, '--bind', laidVenv.target, venv);
      return [...(laid ? deps.prefix : []), bwrapPath, ...(laid ? bwrapUserArgs(process.getuid!(), process.getgid!()) : []), ...args];
    };
    const vcheck = ['--', '/bin/sh', '-c', `test -f "${venv}/pyvenv.cfg"`];
    time([...vwalls(true), ...vcheck]);
    const vdiff: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const a = time([...vwalls(false), '--', '/bin/true']);
      vdiff.push(time([...vwalls(true), ...vcheck]) - a);
    }
    // The agent: the tree's code through the editable install, a wheel installed, a file rewritten.
    const wheel = path.join(vtmp, 'added-1.0-py3-none-any.whl');
    sh(`python3 -c 'import zipfile; z=zipfile.ZipFile("${wheel}","w"); [z.writestr(k,v) for k,v in {"added/__init__.py":"X=1\\n","added-1.0.dist-info/METADATA":"Metadata-Version: 2.1\\nName: added\\nVersion: 1.0\\n","added-1.0.dist-info/WHEEL":"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n","added-1.0.dist-info/RECORD":""}.items()]; z.close()'`);
    const agentOut = spawnSync(vwalls(true)[0]!, [...vwalls(true).slice(1), '--', '/bin/sh', '-c', `set -e; cd ${tree}; .venv/bin/python -c 'import proj; print(proj.WHO)'; .venv/bin/pip install -q --no-index ${wheel}; echo '# changed' >> "$(.venv/bin/python -c 'import sympy, os; print(os.path.dirname(sympy.__file__))')/__init__.py"`], { encoding: 'utf8', env: { ...process.env, PIP_NO_CACHE_DIR: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    if (agentOut.status !== 0 || agentOut.stdout.trim().split('\n')[0] !== 'tree') throw new Error(`the agent in the tree: ${agentOut.stdout}${agentOut.stderr}`);
    const vUpper = kb(laidVenv.upper);
    const venvKb = kb(venv);
    const vfiles = Number(spawnSync('sh', ['-c', `find "${venv}" -type f | wc -l`], { encoding: 'utf8' }).stdout.trim());
    const vcopies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const dest = path.join(vtmp, `copy-${i}`);
      vcopies.push(time(['cp', '-a', '--reflink=auto', venv, dest]));
      fs.rmSync(dest, { recursive: true, force: true });
    }
    return `
### A virtual environment (\`.venv\`)

The checkout's \`.venv\`: ${(venvKb / 1024).toFixed(0)} MiB in ${vfiles} files (numpy, scipy, sympy, networkx), the project installed editable.

| way | ready (ms, p50 / p95) | disk per tree |
|---|---|---|
| laid: deciding (the scan of site-packages, the finder made the tree's) | ${pct(decide, 50).toFixed(1)} / ${pct(decide, 95).toFixed(1)} | – |
| laid: the walls' start with the overlay and the bind at the checkout's path | +${f(pct(vdiff, 50))} / +${f(pct(vdiff, 95))} | ${vUpper} KiB after \`pip install\` of a wheel and a file rewritten (${((100 * vUpper) / venvKb).toFixed(2)} %) |
| private copy (\`cp -a --reflink=auto\`; its scripts would still name the checkout's) | ${f(pct(vcopies, 50))} (of 3) | ${(venvKb / 1024).toFixed(0)} MiB (100 %) |
`;
  } finally {
    spawnSync('chmod', ['-R', 'u+rwx', vtmp]);
    fs.rmSync(vtmp, { recursive: true, force: true });
  }
}
