/**
 * A driver's repository with `plan` committed, a shared bare remote it pushed `main` to, and a
 * worker's own clone of that remote: the machines of a run on pull workers (ADR 0037).
 */
import path from 'node:path';
import { git, makeRepo, tempDir } from '../engine/helpers';

export function sharedRemote(plan: string): { driver: string; remote: string; clone: string } {
  const driver = makeRepo({ 'README.md': '# r\n', 'work-packages.yaml': plan });
  const remote = path.join(tempDir('waves-remote-'), 'shared.git');
  git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
  git(driver, 'push', '-q', remote, 'main');
  const clone = path.join(tempDir('waves-worker-'), 'clone');
  git(path.dirname(clone), 'clone', '-q', remote, clone);
  return { driver, remote, clone };
}
