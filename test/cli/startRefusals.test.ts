/**
 * `waves run` refuses what the editor refuses, with the same reasons: every case of
 * test/fixtures/startRefusals.ts (but the coordinator's, in test/coordinator/) through the
 * built bin as a real process on a real repository. The editor's side is
 * test/vscode/suite/startRefusals.test.ts. Nothing is started in any case: no run state.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { leaseFile } from '../../src/core/run/runPaths';
import { Lease } from '../../src/engine/run/lease';
import { REFUSALS, type RefusalSetup } from '../fixtures/startRefusals';
import { gitEnv } from '../engine/helpers';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-refusals-cli-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
const env = gitEnv(home);

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `waves run` of the case's plan (its hosts written to a file), as a person types it. */
function run(s: RefusalSetup): { code: number | null; err: string; hostsFile?: string } {
  const args = ['run', '--agent-argv', AGENT];
  let hostsFile: string | undefined;
  if (s.hosts) {
    hostsFile = path.join(path.dirname(s.repo), `${path.basename(s.repo)}-hosts.yaml`);
    fs.writeFileSync(hostsFile, JSON.stringify({ hosts: s.hosts }));
    args.push('--hosts', hostsFile);
  }
  const r = spawnSync(process.execPath, [bin, ...args, s.plan], { encoding: 'utf8', cwd: tmp, env, timeout: 60_000 });
  return { code: r.status, err: r.stderr, ...(hostsFile ? { hostsFile } : {}) };
}

describe('waves run refuses as the start use case says', () => {
  let n = 0;
  for (const c of REFUSALS.filter((c) => !c.coordinator)) {
    it(`${c.name}: refused (${c.kind}), nothing started`, () => {
      const s = c.setup(path.join(tmp, `case${++n}`));
      // Another driver: a live lease of this test process, as a running `waves run` holds it.
      const lease = c.kind === 'driven-elsewhere' ? Lease.claim(leaseFile(s.repo, 'refused-driver')) : undefined;
      try {
        const r = run(s);
        // Every refusal before anything starts exits 2, whatever its reason; 1 is a run whose packages did not all succeed.
        assert.equal(r.code, 2, `refused with exit 2, not ${r.code}\n${r.err}`);
        const first = r.err.split('\n')[0] ?? '';
        const reason = first.replace(/^waves: /, '').replace(/:$/, '');
        assert.match(reason, c.reason(s), r.err);
        if (c.detail) assert.match(r.err, c.detail);
        assert.ok(!fs.existsSync(path.join(s.repo, '.waves', 'runs')) || fs.readdirSync(path.join(s.repo, '.waves', 'runs')).every((f) => f.endsWith('.lease')), 'no run state written');
      } finally {
        lease?.release();
      }
    });
  }
});

describe('waves run --help', () => {
  it('says that every refusal before the run starts exits 2 (#36 item 5)', () => {
    const r = spawnSync(process.execPath, [bin, 'run', '--help'], { encoding: 'utf8', cwd: tmp, env });
    assert.equal(r.status, 0);
    assert.match(r.stdout.replace(/\s+/g, ' '), /Exit 0 when every package succeeded, 1 when one did not, 2 when nothing was started: usage or plan errors and every refusal before the run starts \(a proposed plan not approved,/);
  });
});
