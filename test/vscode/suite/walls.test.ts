// The editor's Run Plan confines its agents as `waves run` does (the same start use
// case, the same runner): an agent in its terminal tries the repository's hooks and the person's
// checkout; the walls refuse both, the package merges, and the person's own next `git commit`
// runs nothing planted (a marker file). The plan is a git repository of its own in the workspace.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { planRepo } from '../../fixtures/startRefusals';
import { Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi } from '../helpers';

describe('Run Plan confines its agents', function () {
  this.timeout(120_000);
  let api: WavesApi;
  let scratch: Scratch;

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('walls');
  });
  after(async () => {
    await useScriptedAgent(null);
    await scratch.dispose();
  });

  it('an agent that tries the hooks and the person\'s checkout is refused; the package merges; the person\'s next commit runs nothing planted', async () => {
    const folder = scratch.root.fsPath;
    const markers = path.join(folder, 'markers');
    fs.mkdirSync(markers, { recursive: true });
    const repoDir = path.join(folder, 'repo');
    const { plan, repo } = planRepo(repoDir, 'walled-editor');
    const hook = `#!/bin/sh\\ntouch ${markers}/hook-ran\\n`;
    // The package's agent: its own file, then the two ways out, then its commit.
    const text = fs.readFileSync(plan, 'utf8').replace(
      '    title: One\n',
      ['    title: One', '    description: |', '      test-agent: write one/mine.txt mine', `      test-agent: try-write ${repo}/.git/hooks/post-commit ${hook}`, `      test-agent: try-write ${repo}/person.txt planted`, '      test-agent: try-proxy example.com:443', '      test-agent: commit', ''].join('\n'),
    );
    fs.writeFileSync(plan, text);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
    git('commit', '-q', '-am', 'the agent');
    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry', (e) => e.analysis.plan.packages[0]?.description?.includes('try-write') === true);
    // The package's tooltips in the Waves view, each time the view changes during the run.
    const tree = api.views.tree;
    const shown: string[] = [];
    const tooltips = () => {
      const planNode = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
      const rows = planNode ? tree.getChildren(planNode).flatMap((w) => [w, ...tree.getChildren(w)]) : [];
      return rows.map((n) => tree.getTreeItem(n).tooltip).map((t) => (typeof t === 'string' ? t : (t?.value ?? '')));
    };
    const watching = tree.onDidChangeTreeData(() => shown.push(...tooltips()));
    const session = await api.run.controller.start(entry, { what: 'the plan' });
    assert.ok(session, 'the run started');
    const outcome = await session.outcome;
    watching.dispose();
    assert.ok(outcome);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const log = fs.readFileSync(path.join(repo, '.waves', 'runs', 'walled-editor', outcome.runId, 'wp-one', '1', 'agent.log'), 'utf8');
    assert.match(log, /^tried write .*\/\.git\/hooks\/post-commit: refused \(EROFS\)$/m);
    assert.match(log, /^tried write .*\/person\.txt: refused \(EROFS\)$/m);
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'post-commit')), false);
    assert.equal(fs.existsSync(path.join(repo, 'person.txt')), false);
    fs.writeFileSync(path.join(repo, 'mine.txt'), "the person's\n");
    git('add', 'mine.txt');
    git('commit', '-q', '-m', 'the person commits');
    assert.deepEqual(fs.readdirSync(markers), [], 'no planted hook ran');
    // What the walls refused it is in the package's tooltip in the Waves view: while the run
    // was shown, or once the view shows how it ended (the refusal is on the package's record; a
    // quick run can end before the view's next refresh).
    const refusal = (t: string) => t.includes('Its walls refused a connection to `example.com:443`');
    await waitFor(() => shown.some(refusal) || tooltips().some(refusal), 'the refusal in the package\'s tooltip', { timeoutMs: 10_000 }).catch(() => undefined);
    assert.ok(
      shown.some(refusal) || tooltips().some(refusal),
      `the refusal in the package's tooltip (seen: ${[...new Set([...shown, ...tooltips()])].join('\n----\n')})`,
    );
  });
});
