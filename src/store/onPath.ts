/**
 * A program found on PATH, as the walls need it before they are drawn (bubblewrap, setpriv,
 * unshare, mount). Node built-ins only (bundled into dist/runner.js).
 */
import fs from 'node:fs';
import path from 'node:path';

/** The first executable `name` on PATH (`pathList`, default this process's), or null. */
export function programOnPath(name: string, pathList: string = process.env.PATH ?? ''): string | null {
  for (const dir of pathList.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}
