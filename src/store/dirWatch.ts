/**
 * Node `fs.watch` on a few local folders that may not exist yet (each non-recursive): a fast
 * second source of "something changed here" beside VS Code's file watcher, which hands
 * changes over in batches a few hundred milliseconds apart. An event names its folder and,
 * where the platform says, the entry in it (null otherwise): the caller decides whether to
 * read again. `arm()` watches every folder that exists and is not watched — and watches
 * again a folder that was deleted or replaced (another inode) — so call it after each read.
 * No `vscode`.
 */
import * as fs from 'node:fs';

export class DirWatch {
  private readonly watchers = new Map<string, { watcher: fs.FSWatcher; ino: number }>();
  private disposed = false;

  constructor(
    private readonly dirs: readonly string[],
    private readonly onChange: (dir: string, name: string | null) => void,
  ) {
    this.arm();
  }

  /** The folders watched now. */
  get watching(): string[] {
    return [...this.watchers.keys()];
  }

  arm(): void {
    if (this.disposed) return;
    for (const dir of this.dirs) {
      let ino: number;
      try {
        const stat = fs.statSync(dir);
        if (!stat.isDirectory()) throw new Error('not a folder');
        ino = stat.ino;
      } catch {
        this.drop(dir);
        continue;
      }
      const current = this.watchers.get(dir);
      if (current && current.ino === ino) continue;
      this.drop(dir);
      try {
        const watcher = fs.watch(dir, { persistent: false }, (_event, name) => this.onChange(dir, typeof name === 'string' ? name : null));
        watcher.on('error', () => this.drop(dir));
        this.watchers.set(dir, { watcher, ino });
      } catch {
        // gone again, or out of watches: VS Code's watcher still reports, only later
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const dir of [...this.watchers.keys()]) this.drop(dir);
  }

  private drop(dir: string): void {
    const current = this.watchers.get(dir);
    if (!current) return;
    this.watchers.delete(dir);
    current.watcher.close();
  }
}
