/**
 * `runner.js --commands <token>`: the command host (ADR 0039). One runner, started by the engine's
 * pool when its agents run in walls and bubblewrap nests here, runs the run's walled verification
 * steps, each inside walls of its own and a network of its own made ahead — as a pooled runner runs
 * the one step it is handed (wallsRun.ts `confinePooled`), without a runner's Node start for each.
 *
 * On its IPC channel with the engine:
 * - in: `{ expect: n }` — about n steps may come soon: it keeps that many networks made ahead (at
 *   most `HOST_AHEAD_MAX`, `HOST_STARTING_MAX` starting at a time); `{ run: { id, command } }` — a
 *   step (`PooledCommand`);
 * - out: `{ ready: true }` once; `{ started: { id, pid } }` — the step runs, `pid` leads the process
 *   group of its network (the engine stops a step past its time by signalling that group, as it
 *   signals a pooled runner's); `{ ended: { id, code } }` — its exit code.
 *
 * Every network's start token is `<token>-<n>`, so the engine can find a network whose bubblewrap a
 * killed host left setting up (runnerPool.ts). The channel closing (the engine let it go, or ended)
 * ends every network and step it holds, and then the host. Node built-ins, src/core and src/store
 * only (bundled into dist/runner.js).
 */
import type { ChildProcess } from 'node:child_process';
import { WALLS_AHEAD_ENV } from '../../core/walls/walls.js';
import { poolStep } from '../../core/run/startAhead.js';
import { wallsSocketOf } from './wallsDraw.js';
import { readServedPorts } from './servedPorts.js';
import { confinePooled, endAhead, pooledCommandOf, startNetAhead, warmWalls } from './wallsRun.js';
import { EXIT_BAD_ARGS, fail } from './runnerFiles.js';

/** How long a network made ahead counts as starting (its relay's Node loading), ms: no more than `POOL_STARTING_MAX` start at once. */
const STARTING_MS = 300;
/**
 * How long networks beyond those wanted stay before they go, ms. The engine counts the steps to
 * come from its attempts at work; one whose agent just ended is no longer counted, but its step
 * has not come yet: retired at once, its network was missing a moment later, and made on the
 * step's path.
 */
const SURPLUS_KEPT_MS = 1000;

interface Network {
  n: number;
  token: string;
  ahead: ChildProcess;
  since: number;
}

/** A host network's start token: the host's, then its number. */
export function hostNetworkToken(hostToken: string, n: number): string {
  return `${hostToken}-${n}`;
}

export function hostCommands(token: string): Promise<number> {
  const send = process.send?.bind(process);
  const bwrap = process.env[WALLS_AHEAD_ENV];
  if (!send || !bwrap) return Promise.resolve(fail('--commands needs the IPC channel of an engine that started it, and bubblewrap (its walls nest here)', EXIT_BAD_ARGS));
  // Each step passes the host's signals on to its network: many steps at once are not a leak.
  process.setMaxListeners(0);
  warmWalls(bwrap);
  const idle: Network[] = [];
  const running = new Set<ChildProcess>();
  let wanted = 0;
  let made = 0;
  let refill: NodeJS.Timeout | null = null;
  /** Since when more networks are idle than wanted (null: not so), and the look again at them. */
  let surplusSince: number | null = null;
  let surplusCheck: NodeJS.Timeout | null = null;
  let closed = false;

  const reply = (message: object) => {
    if (!process.connected) return;
    try {
      send(message);
    } catch {
      // the channel closed meanwhile: the host ends with it
    }
  };
  const startNetwork = (): Network | null => {
    const n = ++made;
    // Said before it starts: should the host die, the engine ends every network up to this one.
    reply({ made: n });
    const t = hostNetworkToken(token, n);
    const ahead = startNetAhead(bwrap, wallsSocketOf(t));
    return ahead ? { n, token: t, ahead, since: Date.now() } : null;
  };
  const fill = () => {
    if (closed) return;
    for (let i = idle.length - 1; i >= 0; i--) {
      const n = idle[i]!;
      if (n.ahead.exitCode !== null || n.ahead.signalCode !== null) idle.splice(i, 1);
    }
    const starting = idle.filter((n) => Date.now() - n.since < STARTING_MS).length;
    const step = poolStep(wanted, { idle: idle.length, starting });
    if (step.retire === 0) surplusSince = null;
    else if (surplusSince === null) surplusSince = Date.now();
    if (surplusCheck) clearTimeout(surplusCheck);
    surplusCheck = null;
    const kept = surplusSince === null ? 0 : SURPLUS_KEPT_MS - (Date.now() - surplusSince);
    if (kept > 0) surplusCheck = setTimeout(fill, kept);
    else for (const n of idle.splice(idle.length - step.retire, step.retire)) endAhead(n.ahead);
    for (let i = 0; i < step.start; i++) {
      const n = startNetwork();
      if (n) idle.push(n);
    }
    if (refill) clearTimeout(refill);
    refill = step.start > 0 ? setTimeout(fill, STARTING_MS) : null;
  };
  const run = async (id: number, message: unknown) => {
    const command = pooledCommandOf({ command: message });
    if (!command) return reply({ ended: { id, code: EXIT_BAD_ARGS } });
    // The readiest network made ahead (the oldest), else one made now: either way the step's own.
    const i = idle.findIndex((n) => n.ahead.exitCode === null && n.ahead.signalCode === null);
    const network = i >= 0 ? idle.splice(i, 1)[0]! : startNetwork();
    if (!network) return reply({ ended: { id, code: 1 } });
    running.add(network.ahead);
    reply({ started: { id, pid: network.ahead.pid } });
    const code = await confinePooled(network.token, command, network.ahead);
    // The next step's walls find the loopback ports served read behind this one.
    void readServedPorts();
    running.delete(network.ahead);
    reply({ ended: { id, code } });
    // The network taken is not replaced here, neither as the step starts nor as it ends: a relay's
    // Node start beside the step, its audit and the next agent's start slowed them on two cores
    // (docs/performance.md, "A step's network replaced after it"). The engine's next `expect`, sent
    // once its launches are done, makes the networks its attempts at work still want.
  };

  return new Promise((resolve) => {
    process.on('message', (message: unknown) => {
      const m = message as { expect?: unknown; run?: { id?: unknown; command?: unknown } } | null;
      if (typeof m?.expect === 'number') {
        wanted = m.expect;
        fill();
        // Steps are on their way: their walls find the loopback ports served read already.
        void readServedPorts();
      } else if (m?.run && typeof m.run.id === 'number') void run(m.run.id, m.run.command);
    });
    process.once('disconnect', () => {
      closed = true;
      if (refill) clearTimeout(refill);
      if (surplusCheck) clearTimeout(surplusCheck);
      for (const n of idle) endAhead(n.ahead);
      for (const ahead of running) endAhead(ahead);
      resolve(0);
    });
    reply({ ready: true });
  });
}
