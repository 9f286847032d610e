/**
 * Names that become one path segment and one git ref component (run ids, package ids): the
 * one check, for runPaths.ts and for the run state's validation. Pure and free of Node
 * modules, so the webview's bundle may take the run state's code with it.
 */

/**
 * A run id or package id that is safe as one path segment and one git ref component:
 * letters, digits, `_`, `-`, `.`; not starting with `.` or `-`; no `..`; not ending in
 * `.` or `.lock`; at most 128 characters.
 */
export function isSafeName(value: string): boolean {
  return (
    typeof value === 'string' &&
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(value) &&
    !value.includes('..') &&
    !value.endsWith('.') &&
    !value.endsWith('.lock')
  );
}
