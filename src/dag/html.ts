/**
 * The DAG panel's HTML: a strict CSP (no inline script or style, scripts by nonce, styles
 * and fonts only from the extension's own webview folder), one stylesheet, one script.
 * No data is spliced in: the plan travels by postMessage only. Pure, so the browser tests
 * load exactly this page.
 */
export interface DagHtmlInput {
  /** `webview.cspSource` (in browser tests: the origin serving the files). */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
  nonce: string;
}

export function dagCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const attr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function renderDagHtml(input: DagHtmlInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(dagCsp(input.cspSource, input.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(input.codiconUri)}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${attr(input.styleUri)}">
<title>Waves DAG</title>
</head>
<body>
<div id="root" role="application" aria-label="Dependency graph of the plan"></div>
<script nonce="${attr(input.nonce)}" src="${attr(input.scriptUri)}"></script>
</body>
</html>`;
}

/** A nonce of 32 URL-safe characters from a CSPRNG. */
export function makeNonce(random: (bytes: Uint8Array) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(new Uint8Array(32)), (b) => alphabet[b % alphabet.length]).join('');
}
