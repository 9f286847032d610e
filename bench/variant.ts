/**
 * A second build of this checkout without one start-up mechanism, for `npm run bench activation`
 * and `validate` to run beside this build, in turns: `-- --without=<mechanism>` (the mechanisms:
 * `MECHANISMS` of scripts/on-demand.mjs; ADR 0029). Its folder is what the bench starts: `dist/`
 * built with `WAVES_BUILD_WITHOUT=<mechanism>`, `bin/`, and links to the rest of the checkout (the
 * extension's package.json, media, examples, schemas).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

/** The mechanism `--without=<mechanism>` names, if any. */
export function withoutArg(argv: readonly string[] = process.argv): string | undefined {
  return argv.find((a) => a.startsWith('--without='))?.slice('--without='.length) || undefined;
}

/** Builds the checkout without `mechanism` into a folder of its own; returns the folder. */
export function buildWithout(mechanism: string, { production }: { production: boolean }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `waves-without-${mechanism}-`));
  const build = spawnSync(process.execPath, ['esbuild.mjs', `--dist=${path.join(dir, 'dist')}`, ...(production ? ['--production'] : [])], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WAVES_BUILD_WITHOUT: mechanism },
  });
  if (build.status !== 0) throw new Error(`the build without ${mechanism} failed:\n${build.stderr}`);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(root, 'bin', 'waves.js'), path.join(dir, 'bin', 'waves.js'));
  for (const name of fs.readdirSync(root)) if (!['dist', 'bin', '.git', '.test-state'].includes(name)) fs.symlinkSync(path.join(root, name), path.join(dir, name));
  return dir;
}
