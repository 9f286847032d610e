/**
 * What the two small TOML readers of the walls share (core/agents/agentEndpoints.ts reads an agent
 * CLI's `config.toml`, core/walls/toolchains.ts a cargo `config.toml`): how many more `[` than `]`
 * a line opens, outside its strings and comment — an array value goes on while it is positive.
 */
export function bracketDepth(line: string): number {
  let depth = 0;
  for (const m of line.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|#.*$|[[\]]/g)) {
    if (m[0] === '[') depth++;
    else if (m[0] === ']') depth--;
  }
  return depth;
}
