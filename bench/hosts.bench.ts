/**
 * Runs over SSH hosts: three real sshd "hosts" on 127.0.0.1 (test/hosts/sshd.ts;
 * scripts/ssh-tools.sh installs OpenSSH when missing), N parallel attempts each, the scripted
 * agent working a fixed time — beside the same plans run on this machine alone:
 * - per-package overhead: the agent's exit (exit.json `endedAt`, written where it ran) → the
 *   package succeeded here (commit there, fetch, audit, merge);
 * - handoff: a dependency's exit → its dependent's runner started (meta.json `startedAt`), for
 *   a chain whose links land on different hosts;
 * - the run's wall time.
 * The hosts are on this machine, so the figures are the engine's and OpenSSH's own cost, not a
 * network's. Run by `npm run bench hosts` (prints markdown).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '../src/core/hosts/hostList';
import { RunEngine, type RunOutcome } from '../src/engine/run/engine';
import { isolateGit, repoWithPlan, scriptedAgent, type TestPackage } from '../test/engine/engineFixtures';
import { buildRunner } from '../test/engine/helpers';
import { SshClient, startHost, type TestHost } from '../test/hosts/sshd';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const ms = (x: number) => `${Math.round(x)} ms`;
const loadavg = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

interface Timed {
  wall: number;
  outcome: RunOutcome;
  /** exit.json endedAt and meta.json startedAt of a package's attempt 1, wherever it ran. */
  at(id: string): { start: number; exit: number; done: number };
}

async function runPlan(feature: string, packages: TestPackage[], runnerScript: string, hosts: Host[] | undefined, maxParallel: number): Promise<Timed> {
  const { planFile } = repoWithPlan(feature, packages);
  const engine = await RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript, maxParallel, pollMs: 200, ...(hosts ? { hosts } : {}) });
  const t0 = Date.now();
  const outcome = await engine.run();
  const wall = Date.now() - t0;
  engine.dispose();
  if (outcome.outcome !== 'succeeded') throw new Error(`${feature}: ${JSON.stringify(outcome.counts)}`);
  const at = (id: string) => {
    const rec = outcome.state.packages[id]!;
    const dir = path.dirname(rec.logFile!); // on this machine's disk: the test hosts are local folders
    const exit = JSON.parse(fs.readFileSync(path.join(dir, 'exit.json'), 'utf8')) as { endedAt: string };
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { startedAt: string };
    return { start: Date.parse(meta.startedAt), exit: Date.parse(exit.endedAt), done: Date.parse(rec.endedAt!) };
  };
  return { wall, outcome, at };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  isolateGit();
  const runnerScript = await buildRunner();
  const client = new SshClient();
  const perHost = Number(process.env.WAVES_BENCH_HOST_SLOTS ?? 3);
  const hosts: TestHost[] = [];
  try {
    for (const name of ['bh1', 'bh2', 'bh3']) hosts.push(await startHost(client, name, perHost));
    const list = hosts.map((h) => h.host);
    const n = 3 * perHost * 2;
    const work = (id: string) => ['sleep 500', `write ${id}/x.txt ${id}`, 'commit'];
    const flat: TestPackage[] = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, agent: work(`p${i}`) }));
    const chain: TestPackage[] = Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, ...(i ? { deps: [`c${i - 1}`] } : {}), agent: work(`c${i}`) }));

    const rows: string[] = [];
    const measure = async (label: string, key: string, where: Host[] | undefined) => {
      const f = await runPlan(`flat-${key}`, flat, runnerScript, where, 3 * perHost);
      const overhead = flat.map((p) => f.at(p.id).done - f.at(p.id).exit);
      const c = await runPlan(`chain-${key}`, chain, runnerScript, where, 3 * perHost);
      const handoff = chain.slice(1).map((p, i) => c.at(p.id).start - c.at(chain[i]!.id).exit);
      const hostsUsed = new Set(Object.values(f.outcome.state.packages).map((r) => r.host ?? 'here')).size;
      rows.push(`| ${label} | ${n} × 500 ms, cap ${3 * perHost} (${hostsUsed} host${hostsUsed === 1 ? '' : 's'}) | ${ms(pct(overhead, 50))} / ${ms(pct(overhead, 95))} | ${ms(pct(handoff, 50))} / ${ms(pct(handoff, 95))} | ${(f.wall / 1000).toFixed(1)} s | ${(c.wall / 1000).toFixed(1)} s |`);
    };
    await measure('this machine', 'local', undefined);
    await measure(`3 SSH hosts × ${perHost}`, 'ssh', list);
    console.log(`## Runs over SSH hosts\n`);
    console.log(`Three sshd hosts on 127.0.0.1 (real OpenSSH, one shared connection each), the scripted agent working 500 ms per package; load before: ${loadBefore}, after: ${loadavg()}.\n`);
    console.log('| where | plan | exit → merged p50 / p95 | handoff (chain of 6) p50 / p95 | flat plan wall | chain wall |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    for (const h of hosts) h.remove();
    client.remove();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
