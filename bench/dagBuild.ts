/** The DAG panel's webview bundle as the extension ships it (production), for the benches. */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

/** Builds webview/main.tsx into `outdir` (main.js, main.css) with the codicon files beside it. */
export async function buildPanel(outdir: string, { minify = true } = {}): Promise<void> {
  await esbuild.build({
    entryPoints: { main: path.join(root, 'webview', 'main.tsx') },
    bundle: true, minify, outdir, platform: 'browser', format: 'iife', target: 'chrome120', jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' }, define: { 'process.env.NODE_ENV': '"production"' }, logLevel: 'warning',
  });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(root, 'dist', 'webview', f), path.join(outdir, f));
}
