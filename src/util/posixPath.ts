/**
 * Paths as the person and git name them: `/` between parts on every platform (Windows' `\`
 * turned), for messages, records and git pathspecs. Node built-ins only.
 */
import path from 'node:path';

/** `p` with `/` between its parts. */
export const toPosix = (p: string): string => p.split(path.sep).join('/');

/** `to` relative to `from`, with `/` between its parts (empty when they are the same folder). */
export const relativePosix = (from: string, to: string): string => toPosix(path.relative(from, to));
