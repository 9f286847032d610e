/**
 * The set-up most coordinator test files share: the engine tests' fixed git identity, a throwaway
 * PostgreSQL cluster for the file (removed after it) and the runner bundle.
 */
import { after, before } from 'node:test';
import { isolateGit } from '../engine/engineFixtures';
import { buildRunner, REPO_ROOT } from '../engine/helpers';
import { startCluster, type Cluster } from './postgres';

/** Registers the file's `before`/`after` hooks; the returned object is filled in by `before`. */
export function clusterWithRunner(): { cluster: Cluster; runnerScript: string } {
  const shared = { cluster: undefined as unknown as Cluster, runnerScript: '' };
  before(async () => {
    isolateGit();
    shared.cluster = await startCluster(REPO_ROOT);
    shared.runnerScript = await buildRunner();
  });
  after(() => shared.cluster?.remove());
  return shared;
}
