/**
 * `dist/relay.js`: the walls' relay alone (ADR 0019) — `relay.js --relay …` and `relay.js
 * --relay-ahead …`, as runner.js takes them (wallsNet.ts), without the runner's code to load. A
 * relay starts inside the walls of every agent and every verification step: about 20 ms of CPU less
 * each on 2 cores (ADR 0039). Where it is not beside the runner (an SSH host has the runner alone),
 * the runner relays (wallsRun.ts `relayScriptOf`). Node built-ins and src/core only.
 */
import { relay, relayAhead } from './wallsNet.js';

export function relayMain(args: string[]): Promise<number> {
  if (args[0] === '--relay') return relay(args.slice(1));
  if (args[0] === '--relay-ahead') return relayAhead(args.slice(1));
  process.stderr.write('waves relay: usage: relay.js --relay <socket> <host:port,…> [--quiet] -- <argv…> | --relay-ahead <socket>\n');
  return Promise.resolve(2);
}

declare const WAVES_RUNNER_MAIN: boolean | undefined;
// Set by the bundle (esbuild.mjs: define) so that importing this module never runs it.
if (typeof WAVES_RUNNER_MAIN !== 'undefined' && WAVES_RUNNER_MAIN) {
  void relayMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`waves relay: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
