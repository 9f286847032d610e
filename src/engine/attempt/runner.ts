/**
 * The runner: the process that hosts ONE attempt of one package's agent (bundled to
 * `dist/runner.js`; docs/run-engine.md, "Runner"). A VS Code terminal hosts it as
 * `process.execPath dist/runner.js <attemptDir> <startToken>` with ELECTRON_RUN_AS_NODE=1,
 * the CLI as a plain `node` child — so Node built-ins only, no `vscode`.
 *
 *   node runner.js <attemptDir> <startToken>          run the attempt described by spec.json
 *   node runner.js --pooled <startToken>…             started ahead (runnerPool.ts): waits on its IPC
 *                                                     channel for `{ attemptDir, token }`, then runs
 *                                                     that attempt (up to one per token, side by
 *                                                     side), or for `{ command }` (a verification
 *                                                     step: `--confine`'s request), then runs that;
 *                                                     ends quietly when the channel closes first
 *   node runner.js --commands <token>                 the command host (commandHost.ts): runs the
 *                                                     run's walled verification steps, each in walls
 *                                                     and a network of its own, sent on its IPC channel
 *   node runner.js --needs-input <attemptDir> <reason> the agent waits for a person (hooks)
 *   node runner.js --input-resumed <attemptDir>        it no longer does
 *
 * Exit codes: the agent's code (1 when it has none: killed, could not start); 2 = bad
 * arguments, spec or token (nothing was touched); 3 = this attempt already ran (meta.json
 * exists: a revived terminal never runs an agent twice).
 *
 * This file is the command line and the runner started ahead (`--pooled`); the attempt it
 * supervises is runnerAttempt.ts, the attempt folder's files (spec.json checked, meta.json,
 * exit.json, needs-input.json) runnerFiles.ts.
 *
 * The agent is spawned from an argv array (never a shell). A headless agent gets its own
 * process group (`detached`), so the watchdog's SIGTERM/SIGKILL reach its children too. An
 * interactive agent stays in the runner's process group: a TUI must be in the terminal's
 * foreground group to read it and set raw mode (a background group gets SIGTTIN/SIGTTOU);
 * the watchdog signals the agent itself.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { WALLS_AHEAD_ENV } from '../../core/walls/walls.js';
import { relay, relayAhead } from './wallsNet.js';
import { confineCommand, confinePooled, endAhead, pooledCommandOf, startNetAhead, warmWalls } from './wallsRun.js';
import { hostCommands } from './commandHost.js';
import { wallsSocketOf } from './wallsDraw.js';
import { adoptServedReading } from './servedPorts.js';
import { clearNeedsInput, EXIT_BAD_ARGS, fail, markNeedsInput } from './runnerFiles.js';
import { runAttempt } from './runnerAttempt.js';
import { RUNNER_TOKENS } from '../../core/run/startAhead.js';

// ---------------------------------------------------------------------------------------
// Hooks: --needs-input / --input-resumed

function hookCommand(args: string[]): number {
  const [flag, dir, ...rest] = args;
  if (!dir || !fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return fail(`${flag}: no attempt folder ${dir ?? ''}`, EXIT_BAD_ARGS);
  if (flag === '--needs-input') markNeedsInput(dir, rest.join(' ').trim() || 'the agent waits for input', 'hook');
  else clearNeedsInput(dir);
  return 0;
}

/**
 * A runner started ahead by the engine's pool (runnerPool.ts): its start tokens are in its
 * command line from the start (adoption's proof, ADR 0004), each for one attempt (ADR 0041: a
 * runner ahead with walls takes up to `RUNNER_TOKENS` attempts, one Node start for several agents).
 * An attempt comes later on the IPC channel as `{ attemptDir, token }` — or a command to run in
 * walls of its own (`{ command }`, a verification step: runnerPool.ts `command`), inside the network
 * it made ahead, only to a runner that has run nothing, which then ends with the step's code. Each
 * token has its network made ahead (its relay serves that token's socket). It says `{ ready: true }`
 * once it can take one. The channel closing (the engine retired it, or ended) ends its networks not
 * yet used, and the runner once the attempts it has end; having used its last token it lets go of
 * the channel, so the engine's end no longer concerns it. Its attempts run side by side, each as
 * one started for it would (runnerAttempt.ts); a signal to the runner stops them all.
 */
function pooled(tokens: string[]): Promise<number> {
  const since = new Date();
  const send = process.send?.bind(process);
  if (!send) return Promise.resolve(fail('--pooled needs the IPC channel of the engine that started it', EXIT_BAD_ARGS));
  const unused = new Map(tokens.map((t) => [t, netAhead(t)] as const));
  // Its walls' code compiled while it waits (its attempt or step comes to a warm runner).
  if ([...unused.values()].some(Boolean)) warmWalls(process.env[WALLS_AHEAD_ENV] ?? '');
  let running = 0;
  let ran = 0;
  let listening = true;
  let code = 0;
  return new Promise((resolve) => {
    const settle = () => {
      if (!listening && running === 0) resolve(code);
    };
    const letGo = () => {
      if (!listening) return;
      listening = false;
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      if (process.connected) process.disconnect();
      for (const ahead of unused.values()) endAhead(ahead);
      unused.clear();
    };
    const onMessage = (message: unknown) => {
      const command = pooledCommandOf(message);
      if (command && ran === 0) {
        // A step, in the first token's network: the runner then ends with its code.
        const token = tokens[0]!;
        const ahead = unused.get(token) ?? null;
        unused.delete(token);
        letGo();
        resolve(confinePooled(token, command, ahead));
        return;
      }
      const m = message as { attemptDir?: unknown; token?: unknown } | null;
      const dir = m?.attemptDir;
      // A runner of one token may be sent the folder alone.
      const token = typeof m?.token === 'string' ? m.token : tokens.length === 1 ? tokens[0]! : undefined;
      if (command || typeof dir !== 'string' || dir === '' || token === undefined || !unused.has(token)) {
        process.stderr.write(`waves runner: ${command ? 'a step for a runner that ran an attempt' : typeof dir !== 'string' || dir === '' ? 'the engine sent no attempt folder' : 'the engine sent a token not left to this runner'}; taking no more\n`);
        code = EXIT_BAD_ARGS;
        letGo();
        settle();
        return;
      }
      const ahead = unused.get(token) ?? null;
      unused.delete(token);
      ran++;
      running++;
      if (unused.size === 0) letGo();
      // The loopback ports served as the engine read them when it took this runner (runnerPool.ts `take`).
      adoptServedReading((message as { served?: unknown }).served);
      void runAttempt(dir, token, since, ahead, tokens.length > 1)
        .catch((err: unknown) => {
          process.stderr.write(`waves runner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
          return 1;
        })
        .then((c) => {
          code = c;
          running--;
          settle();
        });
    };
    const onDisconnect = () => {
      letGo();
      settle();
    };
    process.on('message', onMessage);
    process.once('disconnect', onDisconnect);
    // A failed send (the engine let it go before it was ready) is not taken for the channel's end:
    // an attempt sent before that would be lost. Its 'disconnect' comes after what was sent to it.
    send({ ready: true }, () => undefined);
  });
}

/**
 * The network made ahead for a pooled runner's attempt when the pool asked for one (its agents
 * run in walls) and bubblewrap nests here (`startNetAhead`); null otherwise — the attempt's agent
 * then starts its walls itself.
 */
function netAhead(token: string): ChildProcess | null {
  const bwrap = process.env[WALLS_AHEAD_ENV];
  return bwrap ? startNetAhead(bwrap, wallsSocketOf(token)) : null;
}

/** The command line: `<attemptDir> <startToken>`, `--pooled <startToken>`, `--needs-input <dir> <reason>`, `--input-resumed <dir>`. */
export async function main(args: string[]): Promise<number> {
  process.stdout.on('error', () => {}); // a closed terminal must not crash the runner
  if (args[0] === '--needs-input' || args[0] === '--input-resumed') return hookCommand(args);
  if (args[0] === '--relay') return relay(args.slice(1));
  if (args[0] === '--relay-ahead') return relayAhead(args.slice(1));
  if (args[0] === '--confine') return confineCommand(args.slice(1));
  if (args[0] === '--commands') {
    if (!args[1] || args.length !== 2) return fail('usage: runner.js --commands <token>', EXIT_BAD_ARGS);
    return hostCommands(args[1]);
  }
  if (args[0] === '--pooled') {
    const tokens = args.slice(1);
    if (tokens.length === 0 || tokens.length > RUNNER_TOKENS || tokens.some((t) => t === '') || new Set(tokens).size !== tokens.length)
      return fail(`usage: runner.js --pooled <startToken>… (1 to ${RUNNER_TOKENS}, distinct)`, EXIT_BAD_ARGS);
    return pooled(tokens);
  }
  const [dir, token] = args;
  if (!dir || !token || args.length !== 2) {
    return fail('usage: runner.js <attemptDir> <startToken> | --pooled <startToken> | --needs-input <attemptDir> <reason> | --input-resumed <attemptDir>', EXIT_BAD_ARGS);
  }
  return runAttempt(dir, token);
}

declare const WAVES_RUNNER_MAIN: boolean | undefined;
// Set by the bundle (esbuild.mjs: define) so that importing this module never runs it.
if (typeof WAVES_RUNNER_MAIN !== 'undefined' && WAVES_RUNNER_MAIN) {
  void main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`waves runner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
