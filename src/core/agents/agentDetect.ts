/**
 * Finding agents on a PATH: which presets' executables it holds (`detectAgents`), or one program (`findOnPath`); the caller
 * passes the test of a file's existence. Pure: `path` only. No `vscode`, no processes.
 */
import * as path from 'node:path';
import { PRESETS } from './agentProfiles';

export interface DetectOptions {
  platform?: NodeJS.Platform;
  /** Windows: the PATHEXT value (default `.COM;.EXE;.BAT;.CMD`). */
  pathExt?: string;
}

/**
 * Which presets' executables are on `pathEnv`. `exists(file)` says whether a file exists
 * (and is executable); the first PATH entry that has it wins. One row per preset.
 */
export function detectAgents(
  pathEnv: string | undefined,
  exists: (file: string) => boolean,
  options: DetectOptions = {},
): { id: string; label: string; executable: string; path: string }[] {
  const out: { id: string; label: string; executable: string; path: string }[] = [];
  for (const preset of PRESETS) {
    const hit = findOnPath(preset.executable, pathEnv, exists, options);
    if (hit) out.push({ id: preset.id, label: preset.label, executable: preset.executable, path: hit });
  }
  return out;
}

/** The first file named `exe` (Windows: with a PATHEXT extension) on `pathEnv` that `exists`; null when none. */
export function findOnPath(exe: string, pathEnv: string | undefined, exists: (file: string) => boolean, options: DetectOptions = {}): string | null {
  const win = (options.platform ?? process.platform) === 'win32';
  const p = win ? path.win32 : path.posix;
  const dirs = (pathEnv ?? '').split(win ? ';' : ':').filter((d) => d.trim() !== '');
  const exts = win ? ['', ...(options.pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = p.join(dir.replace(/^"(.*)"$/, '$1'), exe + ext);
      let ok = false;
      try {
        ok = exists(file);
      } catch {
        // the probe of this folder failed: look in the next one
        ok = false;
      }
      if (ok) return file;
    }
  }
  return null;
}
