/** Markdown a person or an agent reads: text shown exactly, whatever backticks it holds. */

/** A fenced block whose fence is longer than any backtick run in `body`. */
export function fenced(body: string, lang = ''): string {
  const longest = Math.max(0, ...Array.from(body.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body}\n${fence}`;
}
