/**
 * The plan's artifacts for context slicing (src/core/run/contextSlice.ts): the files
 * in the plan file's folder and its design.md, read once per run. A plan at the repository's
 * root has none (its folder is the whole repository). Bounded: at most `MAX_FILES` files, the
 * design read up to `MAX_DESIGN_BYTES`; dot-folders and node_modules are not entered; links are
 * not followed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DESIGN_FILE, type PlanArtifacts } from '../../core/run/contextSlice';
import { toPosix } from '../../util/posixPath';

const MAX_FILES = 500;
const MAX_DESIGN_BYTES = 256 * 1024;

export function readPlanArtifacts(repoRoot: string, planFile: string): PlanArtifacts | null {
  const dir = path.dirname(path.resolve(planFile));
  const rel = path.relative(repoRoot, dir);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const folder = toPosix(rel);
  const files: string[] = [];
  const walk = (abs: string, relDir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      // a folder that cannot be read: its files are not listed
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (files.length >= MAX_FILES) return;
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const r = `${relDir}/${e.name}`;
      if (e.isDirectory()) walk(path.join(abs, e.name), r);
      else if (e.isFile()) files.push(r);
    }
  };
  walk(dir, folder);
  let design: PlanArtifacts['design'] = null;
  const designPath = path.join(dir, DESIGN_FILE);
  try {
    const st = fs.lstatSync(designPath);
    if (st.isFile()) {
      const fd = fs.openSync(designPath, 'r');
      try {
        const buf = Buffer.alloc(Math.min(st.size, MAX_DESIGN_BYTES));
        fs.readSync(fd, buf, 0, buf.length, 0);
        design = { file: `${folder}/${DESIGN_FILE}`, text: buf.toString('utf8') };
      } finally {
        fs.closeSync(fd);
      }
    }
  } catch {
    // no design file, or it cannot be read: none is shown
    design = null;
  }
  return { folder, files: files.sort(), design };
}
