/**
 * Runs one RunEngine in its own process, for the engine tests that kill it mid-run:
 *   node --import tsx engine-driver.ts '<json: {planFile, runnerScript, env, resume}>'
 * Prints each engine event as one JSON line on stdout, then `{"type":"outcome",…}`.
 */
import type { Confinement } from '../../src/engine';
import { RunEngine } from '../../src/engine/run/engine';
import { scriptedAgent } from './engineFixtures';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as {
    planFile: string;
    runnerScript: string;
    env?: Record<string, string>;
    resume?: boolean;
    coordinator?: { url: string; driver?: string };
    maxParallel?: number;
    confinement?: Confinement;
  };
  const engine = await RunEngine.prepare({
    planFile: config.planFile,
    agent: scriptedAgent(),
    runnerScript: config.runnerScript,
    graceMs: 500,
    pollMs: 200,
    ...(config.env ? { env: config.env } : {}),
    ...(config.coordinator ? { coordinator: config.coordinator } : {}),
    ...(config.maxParallel ? { maxParallel: config.maxParallel } : {}),
    ...(config.confinement ? { confinement: config.confinement } : {}),
  });
  engine.events((e) => process.stdout.write(JSON.stringify(e) + '\n'));
  const outcome = await engine.run({ resume: config.resume === true });
  process.stdout.write(JSON.stringify({ type: 'outcome', outcome: outcome.outcome }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
