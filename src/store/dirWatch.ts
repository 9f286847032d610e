/**
 * Follows a few local folders that may not exist yet, for a reader of files another process
 * writes: Node `fs.watch` on each folder (non-recursive) — a fast source of "something
 * changed here" beside VS Code's file watcher, which hands changes over in batches a few
 * hundred milliseconds apart and can miss a file written into a folder it has just seen
 * created — and a stat poll as a backstop that bounds the delay whatever the watchers miss.
 *
 * The caller calls `arm()` right BEFORE each read: it watches every folder that exists and
 * is not watched (again, when a folder was deleted or replaced: another inode), and records
 * the stat signature of the paths `probe()` names — what that read is about to see. Every
 * `pollMs` the signature is taken again; when it differs (a folder or file appeared, went,
 * was replaced or written) `onChange(dir, null)` is called until the next `arm()`. So a change
 * made after an `arm()` is reported by fs.watch at once, or by the poll within `pollMs`, and
 * a change made before it is seen by the read that follows it. No `vscode`.
 */
import * as fs from 'node:fs';
import { fileSignature } from './fileSignature';

export interface DirWatchOptions {
  /** Compare stat signatures this often (ms); 0: no poll. */
  readonly pollMs?: number;
  /** The folders and files whose stats make the signature (asked at each `arm()` and poll); the watched folders by default. */
  readonly probe?: () => readonly string[];
  /** Use `fs.watch` (default true; false leaves only the poll, for tests of the poll). */
  readonly watch?: boolean;
}

export class DirWatch {
  private readonly watchers = new Map<string, { watcher: fs.FSWatcher; ino: number }>();
  private readonly poller: ReturnType<typeof setInterval> | undefined;
  private signature = '';
  private disposed = false;

  constructor(
    private readonly dirs: readonly string[],
    private readonly onChange: (dir: string, name: string | null) => void,
    private readonly options: DirWatchOptions = {},
  ) {
    this.arm();
    if (options.pollMs) {
      this.poller = setInterval(() => this.poll(), options.pollMs);
      this.poller.unref?.();
    }
  }

  /** The folders watched now. */
  get watching(): string[] {
    return [...this.watchers.keys()];
  }

  /** Watches what exists now and records the signature the next read will see. Call before each read. */
  arm(): void {
    if (this.disposed) return;
    this.signature = this.currentSignature();
    if (this.options.watch === false) return;
    for (const dir of this.dirs) {
      let ino: number;
      try {
        const stat = fs.statSync(dir);
        if (!stat.isDirectory()) throw new Error('not a folder');
        ino = stat.ino;
      } catch {
        // the folder gone or replaced by a file: it is no longer watched
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
        // gone again, or out of watches: the poll and VS Code's watcher still report, only later
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.poller !== undefined) clearInterval(this.poller);
    for (const dir of [...this.watchers.keys()]) this.drop(dir);
  }

  private poll(): void {
    if (this.disposed || this.currentSignature() === this.signature) return;
    this.onChange(this.dirs[0], null);
  }

  /** Identity, time and size of every folder and file followed ('-' for one that is absent). */
  private currentSignature(): string {
    return (this.options.probe?.() ?? this.dirs).map(fileSignature).join('|');
  }

  private drop(dir: string): void {
    const current = this.watchers.get(dir);
    if (!current) return;
    this.watchers.delete(dir);
    current.watcher.close();
  }
}
