/** The DAG panel's webview bundle as the extension ships it (production), for the benches. */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { renderDagHtml } from '../src/dag/html';

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

/**
 * Serves the panel built in `outdir` on 127.0.0.1 as the webview has it (its HTML with the CSP,
 * a VS Code theme's variables from `theme`); `extra` answers other paths first (a page of its own).
 */
export async function servePanel(outdir: string, theme: string, extra?: (pathname: string, send: (type: string, body: string | Buffer) => void) => boolean): Promise<{ origin: string; server: http.Server }> {
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { 'content-type': type }).end(body);
    if (url.pathname === '/') {
      const html = renderDagHtml({ cspSource: origin, scriptUri: `${origin}/main.js`, styleUri: `${origin}/main.css`, codiconUri: `${origin}/codicon.css`, nonce: 'benchnonce0123456789abcdefghijklm' });
      return send('text/html', html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css">\n</head>`));
    }
    if (extra?.(url.pathname, send)) return;
    const file = url.pathname === '/theme.css' ? theme : path.join(outdir, path.basename(url.pathname));
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    send(file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream', fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, server };
}
