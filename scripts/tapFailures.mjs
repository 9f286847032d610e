// The failed tests of a node:test TAP report, for the summary that ends `npm test`
// (scripts/test.mjs): a CI run shows the end of the output, so each failure's message is
// repeated there — not only its name, hundreds of lines above.

/** A TAP/YAML scalar as written: 'single quoted' ('' for a quote) or plain. */
function unquote(value) {
  if (value === null) return null;
  return value.length >= 2 && value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1).replaceAll("''", "'") : value;
}

/**
 * Each failed test of `text` (node's TAP reporter: subtests indented by four spaces, a YAML block
 * after each result): its suites and name joined by " › ", where it is, and the first
 * `maxErrorLines` lines of its error (`more`: how many were left out). A suite that failed only
 * because a test in it did (`subtestsFailed`) is not listed: its tests are.
 */
export function tapFailures(text, { maxErrorLines = 12 } = {}) {
  const lines = text.split('\n');
  const open = []; // the subtest names open at each depth
  const failures = [];
  for (let i = 0; i < lines.length; i++) {
    const subtest = /^((?: {4})*)# Subtest: (.*)$/.exec(lines[i]);
    if (subtest) {
      const depth = subtest[1].length / 4;
      open.length = depth;
      open[depth] = subtest[2];
      continue;
    }
    const result = /^((?: {4})*)not ok \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$/.exec(lines[i]);
    if (!result) continue;
    const indent = result[1].length;
    const block = [];
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j].trim() !== '...'; j++) block.push(lines[j].slice(indent + 2));
    }
    const field = (key) => unquote(block.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2) ?? null);
    if (field('failureType') === 'subtestsFailed') continue;
    const error = [];
    const at = block.findIndex((l) => l.startsWith('error: '));
    if (at >= 0) {
      const value = block[at].slice('error: '.length);
      if (value === '|-' || value === '|') {
        for (let k = at + 1; k < block.length && (block[k].startsWith('  ') || block[k].trim() === ''); k++) error.push(block[k].slice(2));
      } else {
        error.push(unquote(value));
      }
    }
    while (error.length > 0 && error[error.length - 1].trim() === '') error.pop();
    const depth = indent / 4;
    failures.push({
      name: [...open.slice(0, depth), result[2]].join(' › '),
      location: field('location'),
      error: error.slice(0, maxErrorLines),
      more: Math.max(0, error.length - maxErrorLines),
    });
  }
  return failures;
}
