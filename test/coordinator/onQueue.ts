/** The executor of a test run whose agents work on pull workers (ADR 0037). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { wallsOption } from '../../src/engine/attempt';
import { QueueExecutor, type QueueExecutorOptions } from '../../src/engine/workers';
import type { EngineOptions, ExecutorRun } from '../../src/engine/run/types';
import type { PgWorkQueue } from '../../src/engine/coordinator';

/** The executor of a run whose agents work on `queue`'s workers: the walls here, the plan's hash as the workers check it; `more`: what a test adds. */
export function onQueue(runnerScript: string, queue: PgWorkQueue, remote: string, plan: string, more?: (run: ExecutorRun) => Partial<QueueExecutorOptions>): EngineOptions['executor'] {
  const walls = wallsOption(undefined);
  assert.ok('walls' in walls, 'bubblewrap here');
  const hash = createHash('sha256').update(plan, 'utf8').digest('hex');
  return (where, run) => new QueueExecutor({ ...where, walls: walls.walls, runnerScript, queue, remote, plan: () => ({ file: 'work-packages.yaml', hash }), pollMs: 100, ...more?.(run) });
}
