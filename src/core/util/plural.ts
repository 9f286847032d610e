/** Words with a count: `1 wave`, `2 waves`. */

/** `1 wave`, `2 waves`, `0 packages`; pass the plural when it is not `word + s`. */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
