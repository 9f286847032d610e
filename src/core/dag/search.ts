/**
 * The DAG panel's search: a query of words, each of which must match. `status:failed`
 * (or `is:failed`) matches a status, `wave:3` (or `w3`) a wave, anything else a part of the
 * id, title or status (case-insensitive). Pure.
 */
import type { PackageStatus } from '../run/runState';

export interface Searchable {
  id: string;
  title: string;
  wave: number | null;
}

type Term = (n: Searchable, status: PackageStatus) => boolean;

export function parseQuery(query: string): Term[] {
  return query
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((word): Term => {
      const status = /^(?:status|is):(.+)$/.exec(word);
      if (status) return (_n, s) => s.startsWith(status[1]);
      const wave = /^(?:wave:|w)(\d+|none)$/.exec(word);
      if (wave) return (n) => (wave[1] === 'none' ? n.wave === null : n.wave === Number(wave[1]));
      return (n, s) => n.id.toLowerCase().includes(word) || n.title.toLowerCase().includes(word) || s === word;
    });
}

/** Ids of the packages matching `query`, in the order given; none for an empty query. */
export function search(nodes: readonly Searchable[], query: string, statusOf: (id: string) => PackageStatus): string[] {
  const terms = parseQuery(query);
  if (!terms.length) return [];
  return nodes.filter((n) => {
    const s = statusOf(n.id);
    return terms.every((t) => t(n, s));
  }).map((n) => n.id);
}
