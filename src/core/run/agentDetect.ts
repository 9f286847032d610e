/**
 * Finding agents on a PATH: which presets' executables it holds (`detectAgents`); the caller
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
  const win = (options.platform ?? process.platform) === 'win32';
  const p = win ? path.win32 : path.posix;
  const dirs = (pathEnv ?? '').split(win ? ';' : ':').filter((d) => d.trim() !== '');
  const exts = win ? ['', ...(options.pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  const found = new Map<string, string | null>();
  const locate = (exe: string): string | null => {
    if (found.has(exe)) return found.get(exe)!;
    let hit: string | null = null;
    outer: for (const dir of dirs) {
      for (const ext of exts) {
        const file = p.join(dir.replace(/^"(.*)"$/, '$1'), exe + ext);
        let ok = false;
        try {
          ok = exists(file);
        } catch {
          ok = false;
        }
        if (ok) {
          hit = file;
          break outer;
        }
      }
    }
    found.set(exe, hit);
    return hit;
  };
  const out: { id: string; label: string; executable: string; path: string }[] = [];
  for (const preset of PRESETS) {
    const hit = locate(preset.executable);
    if (hit) out.push({ id: preset.id, label: preset.label, executable: preset.executable, path: hit });
  }
  return out;
}
