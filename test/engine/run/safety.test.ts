/**
 * The engine against agents that do not follow their prompt (docs/security.md):
 * real git repositories, the real runner, the scripted test agent as a real process taught
 * each trick — leaving its branch (another branch, a detached HEAD, a stash), committing the
 * engine's `.waves/`, planting a hook or a filter, committing a symbolic link out of the
 * repository or a force-added ignored file, writing into the person's checkout or moving the
 * person's branch — and shared mode. Each ends with nothing unaudited merged, nothing planted
 * run by the engine, and the person's branch and files untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { integrationBranch, sharedTreePath } from '../../../src/core/run/runPaths';
import type { RunOutcome } from '../../../src/engine/run/engine';
import { engineFor as sharedEngineFor, isolateGit, personsGitRuns, PLANTED_SETUP, planYaml, treeFiles, type TestPackage } from '../engineFixtures';
import { buildRunner, git, makeRepo, SCRIPTED_AGENT, tempDir } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

/**
 * A repository on `main` holding the plan; `@REPO@` and `@OUT@` in the agents' instructions
 * become the repository's path and a folder outside it (for markers).
 */
function repoFor(featureId: string, packages: TestPackage[], files: Record<string, string> = {}): { repo: string; planFile: string; out: string } {
  const out = tempDir('waves-outside-');
  const repo = makeRepo({ 'README.md': '# test\n', ...files });
  const text = planYaml(featureId, packages).replaceAll('@REPO@', repo).replaceAll('@OUT@', out);
  fs.writeFileSync(path.join(repo, 'work-packages.yaml'), text);
  git(repo, 'add', 'work-packages.yaml');
  git(repo, 'commit', '-q', '-m', 'the plan');
  return { repo, planFile: path.join(repo, 'work-packages.yaml'), out };
}

/** The person's side: branch, HEAD, the status and the content of every file of the checkout. */
function personSide(repo: string): { branch: string; head: string; status: string; files: Record<string, string> } {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === '.waves') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files[path.relative(repo, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(repo);
  return {
    branch: git(repo, 'symbolic-ref', '--short', 'HEAD').trim(),
    head: git(repo, 'rev-parse', 'HEAD').trim(),
    status: git(repo, 'status', '--porcelain', '--untracked-files=all'),
    files,
  };
}

/**
 * The engine's own safety, whatever the agent does: these agents run WITHOUT walls (the
 * person's explicit choice, `unconfined`), so that what they do reaches the engine's audit and
 * guards; with walls the operating system refuses it first (test/engine/attempt/walls.test.ts).
 */
const UNCONFINED = { confinement: { unconfined: true } } as const;

async function run(planFile: string): Promise<RunOutcome> {
  const { engine } = await sharedEngineFor(planFile, runnerScript, UNCONFINED);
  try {
    return await engine.run();
  } finally {
    engine.dispose();
  }
}

const record = (outcome: RunOutcome, id: string) => outcome.state.packages[id]!;

describe('an agent that leaves its branch', () => {
  for (const [name, trick] of [
    ['checks out another branch', 'git checkout -q -b elsewhere'],
    ['detaches HEAD', 'git checkout -q --detach'],
    ['is in the middle of a rebase', 'git-try rebase -q --exec false HEAD~1'],
  ] as const) {
    test(`${name} after committing a denied file: nothing of it merges`, async () => {
      const { repo, planFile } = repoFor('left-branch', [
        { id: 'a', deny: ['a/secret.txt'], agent: ['write a/ok.txt', 'write a/secret.txt denied', 'commit', trick] },
      ]);
      const person = personSide(repo);
      const outcome = await run(planFile);
      const a = record(outcome, 'a');
      assert.equal(a.status, 'scope-violation', a.lastError ?? '');
      assert.match(a.lastError ?? '', /left its branch waves\/left-branch\/a: its tree is (on elsewhere|detached at [0-9a-f]{12}|in the middle of a rebase)/);
      assert.deepEqual(treeFiles(repo, integrationBranch('left-branch')), ['README.md', 'work-packages.yaml'], 'nothing merged');
      assert.deepEqual(personSide(repo), person, "the person's branch and files are untouched");
    });
  }

  test('a stash takes its uncommitted out-of-scope file away: only the committed in-scope work merges', async () => {
    const { repo, planFile } = repoFor('stash', [{ id: 'a', agent: ['write a/ok.txt', 'commit', 'write README.md changed', 'git stash -q'] }]);
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'succeeded', record(outcome, 'a').lastError ?? '');
    assert.deepEqual(treeFiles(repo, integrationBranch('stash')), ['README.md', 'a/ok.txt', 'work-packages.yaml']);
    assert.equal(git(repo, 'show', `${integrationBranch('stash')}:README.md`), '# test\n');
  });

  test('a branch ref moved after the audit is not what merges: the audited commit is (merged by its id)', async () => {
    // The agent leaves a detached process that moves its branch to a commit with a denied file after it exited.
    const { repo, planFile } = repoFor('moved-ref', [
      {
        id: 'a',
        deny: ['a/secret.txt'],
        agent: ['write a/ok.txt', 'commit', 'git checkout -q -b trap', 'write a/secret.txt denied', 'commit', 'git checkout -q waves/moved-ref/a'],
      },
    ]);
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'succeeded', record(outcome, 'a').lastError ?? '');
    // The trap branch exists with the denied file, but only the package's own commit was merged.
    assert.ok(treeFiles(repo, 'trap').includes('a/secret.txt'));
    assert.deepEqual(treeFiles(repo, integrationBranch('moved-ref')), ['README.md', 'a/ok.txt', 'work-packages.yaml']);
    assert.equal(record(outcome, 'a').headSha, git(repo, 'rev-parse', 'waves/moved-ref/a').trim(), 'the audited commit is recorded');
  });

  test('a rebase that rewrites the package branch: what merges is the rewritten tip, audited as it is', async () => {
    // The agent commits a denied file, then an in-scope one, then rebases the denied commit away.
    const { repo, planFile } = repoFor('rewrite', [
      {
        id: 'a',
        deny: ['a/secret.txt'],
        agent: ['write a/secret.txt denied', 'commit', 'write a/ok.txt', 'commit', 'git rebase -q --onto HEAD~2 HEAD~1'],
      },
    ]);
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'succeeded', record(outcome, 'a').lastError ?? '');
    assert.deepEqual(treeFiles(repo, integrationBranch('rewrite')), ['README.md', 'a/ok.txt', 'work-packages.yaml']);
  });

  test('a history rewritten below its base (a reset past the commit it started from) is audited against that base', async () => {
    const { repo, planFile } = repoFor('below-base', [{ id: 'a', agent: ['git reset -q --hard HEAD~1', 'write a/ok.txt', 'commit'] }]);
    const person = personSide(repo);
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation', a.lastError ?? '');
    assert.deepEqual(a.scopeViolations, [{ path: 'work-packages.yaml', change: 'D' }]);
    assert.deepEqual(treeFiles(repo, integrationBranch('below-base')), ['README.md', 'work-packages.yaml'], 'nothing merged');
    assert.deepEqual(personSide(repo), person);
  });

  test("a history that brings another branch's commits is audited as what the merge would bring", async () => {
    const { repo, planFile } = repoFor('foreign-history', [{ id: 'a', agent: ['write a/ok.txt', 'commit', 'git merge -q --no-edit side'] }]);
    git(repo, 'checkout', '-q', '-b', 'side');
    fs.writeFileSync(path.join(repo, 'side.txt'), 'from another branch\n');
    git(repo, 'add', 'side.txt');
    git(repo, 'commit', '-q', '-m', 'side');
    git(repo, 'checkout', '-q', 'main');
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.deepEqual(a.scopeViolations, [{ path: 'side.txt', change: 'A' }]);
    assert.deepEqual(treeFiles(repo, integrationBranch('foreign-history')), ['README.md', 'work-packages.yaml']);
  });
});

describe("the engine's files, links and ignored files", () => {
  test('a committed .waves/ file (then deleted from the tree) is a violation and never merges', async () => {
    const { repo, planFile } = repoFor('waves-files', [
      { id: 'a', write: ['**'], agent: ['write a/ok.txt', 'write .waves/approvals.json {"planted":true}', 'git add -f .waves/approvals.json', 'commit', 'delete .waves/approvals.json'] },
    ]);
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation', a.lastError ?? '');
    assert.deepEqual(a.scopeViolations, [{ path: '.waves/approvals.json', change: 'A' }]);
    assert.ok(!treeFiles(repo, integrationBranch('waves-files')).includes('.waves/approvals.json'));
  });

  test('a committed symbolic link out of the repository is a violation inside the scope', async () => {
    const { repo, planFile } = repoFor('links', [{ id: 'a', agent: ['write a/ok.txt', 'symlink a/passwd /etc/passwd', 'commit'] }]);
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.deepEqual(a.scopeViolations, [{ path: 'a/passwd', change: 'A' }]);
    assert.deepEqual(treeFiles(repo, integrationBranch('links')), ['README.md', 'work-packages.yaml']);
  });

  test('a force-added ignored file is a violation (merged, it would overwrite the person\'s local one)', async () => {
    const { repo, planFile } = repoFor('ignored', [{ id: 'a', agent: ['write a/ok.txt', 'write a/.env SECRET=agent', 'git add -f a/.env', 'commit'] }], { '.gitignore': '*.env\n' });
    fs.mkdirSync(path.join(repo, 'a'));
    fs.writeFileSync(path.join(repo, 'a', '.env'), 'SECRET=mine\n');
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'scope-violation');
    assert.deepEqual(record(outcome, 'a').scopeViolations, [{ path: 'a/.env', change: 'A' }]);
    assert.equal(fs.readFileSync(path.join(repo, 'a', '.env'), 'utf8'), 'SECRET=mine\n');
  });
});

describe('hooks and git configuration', () => {
  test("the engine's own git runs no hook, not even one that was there before the run", async () => {
    const { repo, planFile, out } = repoFor('hooks-before', [{ id: 'a', agent: ['write a/ok.txt'] }, { id: 'b', deps: ['a'], agent: ['write b/ok.txt'] }]);
    const hooks = path.join(repo, '.git', 'hooks');
    for (const name of ['post-merge', 'post-checkout', 'pre-commit', 'post-commit', 'reference-transaction']) {
      fs.writeFileSync(path.join(hooks, name), `#!/bin/sh\necho ${name} >> ${path.join(out, 'ran.txt')}\n`, { mode: 0o755 });
    }
    const outcome = await run(planFile);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(treeFiles(repo, integrationBranch('hooks-before')), ['README.md', 'a/ok.txt', 'b/ok.txt', 'work-packages.yaml']);
    assert.equal(fs.existsSync(path.join(out, 'ran.txt')), false, fs.existsSync(path.join(out, 'ran.txt')) ? fs.readFileSync(path.join(out, 'ran.txt'), 'utf8') : '');
  });

  test('a hook planted by an agent is a breach: nothing more merges and the hook never runs', async () => {
    const { repo, planFile, out } = repoFor('hook-planted', [
      { id: 'a', agent: ['write a/ok.txt', 'hook post-merge #!/bin/sh\\necho planted >> @OUT@/ran.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/ok.txt'] },
    ]);
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.match(a.lastError ?? '', /git set-up changed while it ran \(\.git\/hooks\/post-merge added\)/);
    assert.equal(record(outcome, 'b').status, 'blocked');
    assert.deepEqual(treeFiles(repo, integrationBranch('hook-planted')), ['README.md', 'work-packages.yaml']);
    assert.equal(fs.existsSync(path.join(out, 'ran.txt')), false);
  });

  test('a filter planted by an agent (config + attributes) is a breach and never runs in the engine\'s git', async () => {
    const { repo, planFile, out } = repoFor('filter-planted', [
      {
        id: 'a',
        agent: ['write a/ok.txt', 'git-file info/attributes * filter=evil', 'git config filter.evil.smudge touch\\t@OUT@/smudged', 'git config filter.evil.clean touch\\t@OUT@/cleaned'],
      },
      // b runs beside a and exits after it: the engine's git works in b's tree with the filter configured.
      { id: 'b', agent: ['sleep 1500', 'write b/ok.txt'] },
    ]);
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'scope-violation');
    assert.match(record(outcome, 'a').lastError ?? '', /\.git\/config (added|changed).*\.git\/info\/attributes added/);
    assert.equal(record(outcome, 'b').status, 'scope-violation', 'every exit after the change is held');
    assert.equal(fs.existsSync(path.join(out, 'smudged')), false);
    assert.equal(fs.existsSync(path.join(out, 'cleaned')), false);
    assert.deepEqual(treeFiles(repo, integrationBranch('filter-planted')), ['README.md', 'work-packages.yaml']);
  });
});

describe('a planted git set-up is put back and quarantined (#32)', () => {
  test('control: planted as the agent plants them, the hooks, the hooks path and the fsmonitor do run on the person\'s commit and status', () => {
    const repo = makeRepo();
    const out = tempDir('waves-outside-');
    const steps = PLANTED_SETUP.map((p) => p.replaceAll('@OUT@', out)).join(';');
    execFileSync(process.execPath, [SCRIPTED_AGENT], { cwd: repo, env: { ...process.env, WAVES_TEST_AGENT: steps }, stdio: 'ignore' });
    const ran = personsGitRuns(repo, out);
    for (const marker of ['hooks-path-pre-commit', 'fsmonitor']) assert.ok(ran.includes(marker), `${marker} ran: ${ran.join(', ')}`);
    git(repo, 'config', '--unset', 'core.hooksPath');
    fs.rmSync(path.join(out, 'ran.txt'));
    const again = personsGitRuns(repo, out);
    for (const marker of ['pre-commit', 'post-commit', 'post-checkout']) assert.ok(again.includes(marker), `${marker} ran: ${again.join(', ')}`);
  });

  test("an agent's hooks, hooks path and fsmonitor are put back at its exit and moved to .waves/quarantine: the person's next commit, status and checkout run none of them", async () => {
    const { repo, planFile, out } = repoFor('planted-setup', [
      { id: 'a', agent: ['write a/ok.txt', ...PLANTED_SETUP], mode: 'shared' },
      // b runs while a plants and ends after a: the engine cannot tell which of them did it.
      { id: 'b', agent: ['sleep 1500', 'write b/ok.txt'] },
      // c shares a's tree (one at a time), so it starts after the set-up was put back: it merges.
      { id: 'c', agent: ['write c/ok.txt'], mode: 'shared' },
    ]);
    const configBefore = fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8');
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.match(
      a.lastError ?? '',
      /git set-up changed while it ran \(\.git\/config changed, \.git\/hooks\/post-checkout added, \.git\/hooks\/post-commit added, \.git\/hooks\/pre-commit added\): hooks and git configuration are not a package's to change; the engine ran none of it, put the run's start set-up back and moved what it found to \.waves\/quarantine\/[^/]+\/[^/]+-a\/ \(README\.txt/,
    );
    assert.equal(record(outcome, 'b').status, 'scope-violation');
    assert.match(record(outcome, 'b').lastError ?? '', /found when a's attempt ended; .*nothing of this package merges either/);
    assert.equal(record(outcome, 'c').status, 'succeeded', record(outcome, 'c').lastError ?? '');
    assert.deepEqual(treeFiles(repo, integrationBranch('planted-setup')), ['README.md', 'c/ok.txt', 'work-packages.yaml']);

    // The repository's set-up is the run's start one again.
    assert.equal(fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8'), configBefore);
    for (const hook of ['pre-commit', 'post-commit', 'post-checkout']) assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', hook)), false, hook);
    // The person's own git runs nothing planted (markers, not messages).
    assert.deepEqual(personsGitRuns(repo, out), []);

    // What was planted is in the quarantine folder, moved, not executable, with a README naming each thing and where it was.
    const runs = fs.readdirSync(path.join(repo, '.waves', 'quarantine'));
    assert.deepEqual(runs, [outcome.runId]);
    const [found] = fs.readdirSync(path.join(repo, '.waves', 'quarantine', outcome.runId));
    assert.match(found!, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-a$/);
    const q = path.join(repo, '.waves', 'quarantine', outcome.runId, found!);
    for (const hook of ['pre-commit', 'post-commit', 'post-checkout']) {
      const file = path.join(q, 'hooks', hook);
      assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`echo ${hook} >> `));
      assert.equal(fs.statSync(file).mode & 0o111, 0, `${hook} is not executable there`);
    }
    const config = fs.readFileSync(path.join(q, 'config'), 'utf8');
    assert.match(config, /hooksPath = .*planted-hooks/);
    assert.match(config, /fsmonitor = .*fsmonitor/);
    const readme = fs.readFileSync(path.join(q, 'README.txt'), 'utf8');
    assert.match(readme, /^Found after: package a's attempt 1 \(run /m);
    assert.ok(readme.includes(`- .git/hooks/pre-commit — added — at ${path.join(repo, '.git', 'hooks', 'pre-commit')} (an executable file): moved here as hooks/pre-commit; nothing is left there.`), readme);
    assert.ok(readme.includes(`- .git/config — changed — at ${path.join(repo, '.git', 'config')} (a file): the run's start version put back; the version found is here as config.`), readme);
    // Nothing of the quarantine is the person's checkout's change, nor git's.
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all', '--', '.waves'), '');
  });

  test('an agent that plants a hook and then fails: it is put back all the same, and said', async () => {
    const { repo, planFile, out } = repoFor('planted-then-failed', [{ id: 'a', agent: ['hook pre-commit #!/bin/sh\\necho pre-commit >> @OUT@/ran.txt', 'exit 3'] }]);
    const { engine, events } = await sharedEngineFor(planFile, runnerScript, UNCONFINED);
    let outcome: RunOutcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(record(outcome, 'a').status, 'failed');
    const said = events.filter((e) => e.type === 'problem' && e.packageId === 'a').map((e) => (e as { message: string }).message);
    assert.ok(said.some((m) => /^a: the repository's git set-up changed while it ran \(\.git\/hooks\/pre-commit added\): .*put the run's start set-up back and moved what it found to \.waves\/quarantine\//.test(m)), said.join('\n'));
    assert.deepEqual(personsGitRuns(repo, out), []);
  });

  test('an agent that plants a hook and leaves its branch: both said, the hook put back', async () => {
    const { repo, planFile, out } = repoFor('planted-then-left', [{ id: 'a', agent: ['write a/ok.txt', 'hook post-commit #!/bin/sh\\necho post-commit >> @OUT@/ran.txt', 'git checkout -q -b elsewhere'] }]);
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'scope-violation');
    assert.match(record(outcome, 'a').lastError ?? '', /^the agent left its branch .*; and the repository's git set-up changed while it ran \(\.git\/hooks\/post-commit added\)/);
    assert.deepEqual(personsGitRuns(repo, out), []);
  });
});

describe("the person's checkout and branch", () => {
  test('an agent that writes into the person\'s checkout is a breach, and it is named', async () => {
    const { repo, planFile } = repoFor('outside-write', [{ id: 'a', agent: ['write a/ok.txt', 'write @REPO@/notes.txt written by the agent'] }]);
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.match(a.lastError ?? '', /your checkout .* changed while it ran \(notes\.txt\)/);
    assert.deepEqual(treeFiles(repo, integrationBranch('outside-write')), ['README.md', 'work-packages.yaml']);
  });

  test("an agent that moves the person's branch through the shared refs is a breach, and the branch is put back where it was (#32)", async () => {
    const { repo, planFile } = repoFor('moves-main', [
      { id: 'a', agent: ['write a/ok.txt', 'commit', 'git update-ref refs/heads/main HEAD'] },
      { id: 'b', deps: ['a'], agent: ['write b/ok.txt'] },
      { id: 'c', agent: ['sleep 1500', 'write c/ok.txt'] },
    ]);
    const person = personSide(repo);
    const outcome = await run(planFile);
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.match(
      a.lastError ?? '',
      /your checkout .* changed while it ran \(HEAD: refs\/heads\/main [0-9a-f]{40} → refs\/heads\/main [0-9a-f]{40}[,)].*: your branch main had been moved to [0-9a-f]{12}, a commit of this run's branches, and nothing else of your checkout had changed — the engine put it back at [0-9a-f]{12}, where it was/,
    );
    assert.deepEqual(personSide(repo), person, "the person's branch, HEAD, status and files as before the run");
    assert.equal(record(outcome, 'c').status, 'succeeded', 'put back: the run goes on');
  });

  test("a moved branch the engine cannot put back safely (the checkout's files changed too) stays where it was moved, named, and no more packages start", async () => {
    const { repo, planFile } = repoFor('moves-main-and-files', [
      { id: 'a', agent: ['write a/ok.txt', 'commit', 'git update-ref refs/heads/main HEAD', 'write @REPO@/notes.txt written by the agent'] },
      { id: 'b', agent: ['write b/ok.txt'] },
    ]);
    const { engine, events } = await sharedEngineFor(planFile, runnerScript, { ...UNCONFINED, maxParallel: 1 });
    let outcome: RunOutcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const a = record(outcome, 'a');
    assert.equal(a.status, 'scope-violation');
    assert.match(a.lastError ?? '', /main was moved to [0-9a-f]{12} and files of your checkout changed as well: it is left there; .* No more packages start in this run/);
    assert.equal(git(repo, 'rev-parse', 'main').trim(), git(repo, 'rev-parse', 'waves/moves-main-and-files/a').trim(), "left where the agent moved it: nothing of the person's is overwritten");
    assert.equal(record(outcome, 'b').attempts, 0, 'b never started');
    assert.equal(outcome.outcome, 'failed');
    assert.ok(events.some((e) => e.type === 'problem' && /^No more packages start in this run: a moved your checkout's HEAD/.test(e.message)));
  });

  test("an agent that switches the person's checkout to another branch: never switched back, named, and no more packages start", async () => {
    const { repo, planFile } = repoFor('switches-head', [
      { id: 'a', agent: ['write a/ok.txt', 'git -C @REPO@ checkout -q -b elsewhere'] },
      { id: 'b', agent: ['write b/ok.txt'] },
    ]);
    const { engine } = await sharedEngineFor(planFile, runnerScript, { ...UNCONFINED, maxParallel: 1 });
    let outcome: RunOutcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.match(record(outcome, 'a').lastError ?? '', /HEAD names elsewhere now: a switched checkout is not switched back/);
    assert.equal(git(repo, 'symbolic-ref', '--short', 'HEAD').trim(), 'elsewhere');
    assert.equal(record(outcome, 'b').attempts, 0, 'b never started');
  });
});

describe('shared mode', () => {
  test("shared packages work in one shared worktree from the integration tip, one at a time, audited and merged like isolated ones; the person's branch and dirty files stay untouched", async () => {
    const { repo, planFile } = repoFor('shared', [
      { id: 'a', mode: 'shared', agent: ['write a/one.txt', 'commit'] },
      // b builds on a: its tree must hold a's merged work.
      { id: 'b', mode: 'shared', deps: ['a'], agent: ['write b/saw-a.txt', 'append b/saw-a.txt \\n', 'print checking', 'write b/two.txt'] },
      { id: 'c', mode: 'shared', agent: ['write c/three.txt', 'write README.md not mine', 'commit'] },
      { id: 'd', mode: 'shared', agent: ['write d/four.txt'] },
    ]);
    // The person's own uncommitted edit: never blamed on an agent, never swept into its commit.
    fs.writeFileSync(path.join(repo, 'README.md'), '# test\nmy own edit\n');
    const person = personSide(repo);
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'succeeded', record(outcome, 'a').lastError ?? '');
    assert.equal(record(outcome, 'b').status, 'succeeded', record(outcome, 'b').lastError ?? '');
    assert.equal(record(outcome, 'd').status, 'succeeded', record(outcome, 'd').lastError ?? '');
    const c = record(outcome, 'c');
    assert.equal(c.status, 'scope-violation', 'a shared package is audited by its commits');
    assert.deepEqual(c.scopeViolations, [{ path: 'README.md', change: 'M' }]);
    const shared = sharedTreePath(repo, 'shared');
    for (const id of ['a', 'b', 'c', 'd']) assert.equal(record(outcome, id).worktree, shared);
    assert.deepEqual(treeFiles(repo, integrationBranch('shared')), ['README.md', 'a/one.txt', 'b/saw-a.txt', 'b/two.txt', 'd/four.txt', 'work-packages.yaml']);
    assert.equal(git(repo, 'show', `${integrationBranch('shared')}:README.md`), '# test\n');
    // b's tree started from the integration tip that held a's merge.
    assert.ok(git(repo, 'ls-tree', '-r', '--name-only', record(outcome, 'b').baseSha!).includes('a/one.txt'));
    // One at a time: no two shared attempts overlap.
    const spans = ['a', 'b', 'c', 'd']
      .map((id) => record(outcome, id))
      .map((r) => [Date.parse(r.startedAt!), Date.parse(r.endedAt!)] as const)
      .sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `shared attempts overlap: ${JSON.stringify(spans)}`);
    assert.deepEqual(personSide(repo), person, "the person's branch, HEAD and files (their own edit included) are untouched");
  });
});

describe("the engine's folder", () => {
  test('a tracked .waves/ does not break a run, and its files are never committed by the engine', async () => {
    const { repo, planFile } = repoFor('tracked-waves', [{ id: 'a', agent: ['write a/ok.txt'] }], { '.waves/keep.txt': 'tracked\n' });
    const outcome = await run(planFile);
    assert.equal(record(outcome, 'a').status, 'succeeded', record(outcome, 'a').lastError ?? '');
    assert.deepEqual(treeFiles(repo, integrationBranch('tracked-waves')), ['.waves/keep.txt', 'README.md', 'a/ok.txt', 'work-packages.yaml']);
    assert.equal(git(repo, 'show', `${integrationBranch('tracked-waves')}:.waves/keep.txt`), 'tracked\n');
  });

  test('a committed .waves symbolic link to a folder outside: the run is refused and nothing is written there', async () => {
    const { repo, planFile, out } = repoFor('linked-waves', [{ id: 'a', agent: ['write a/ok.txt'] }]);
    fs.symlinkSync(out, path.join(repo, '.waves'));
    git(repo, 'add', '.waves');
    git(repo, 'commit', '-q', '-m', 'a link');
    await assert.rejects(run(planFile), /\.waves is a symbolic link .*remove the link/);
    assert.deepEqual(fs.readdirSync(out), []);
  });
});

describe('verification commands nobody approved', () => {
  test("an agent that rewrites the person's plan during the run gets no command of its own run: only the list approved at the start", async () => {
    const { planFile, out } = repoFor('plan-swap', [
      { id: 'a', agent: ['write a/ok.txt', 'copy @OUT@/next.yaml @REPO@/work-packages.yaml'] },
      { id: 'b', deps: ['a'], agent: ['sleep 1500', 'write b/ok.txt'] },
    ]);
    const marker = path.join(out, 'pwned');
    // The plan the agent copies over the person's: b now has a verification command.
    fs.writeFileSync(
      path.join(out, 'next.yaml'),
      planYaml('plan-swap', [
        { id: 'a', agent: ['write a/ok.txt'] },
        { id: 'b', deps: ['a'], agent: ['write b/ok.txt'], commands: [`touch ${marker}`] },
      ]),
    );
    const { engine, events } = await sharedEngineFor(planFile, runnerScript, { ...UNCONFINED, verification: 'refuse-unapproved' });
    let outcome: RunOutcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(record(outcome, 'b').status, 'succeeded', record(outcome, 'b').lastError ?? '');
    assert.equal(fs.existsSync(marker), false, 'the command nobody approved never ran');
    const problems = events.filter((e) => e.type === 'problem').map((e) => (e as { message: string }).message);
    assert.ok(
      problems.some((m) => m.startsWith('b: 1 verification command(s) were not run: the plan changed during the run and they are not in the list you approved')),
      problems.join('\n'),
    );
  });
});
