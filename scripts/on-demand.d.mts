// Types of scripts/on-demand.mjs, for the test that holds the extension host's bundles to their contents.
import type { Plugin } from 'esbuild';

export interface HostBundle {
  /** dist/<bundle>.js */
  bundle: string;
  /** Its entry point: an import of it from another bundle becomes `require("./<bundle>.js")`. */
  entry: string;
}
export const HOST_BUNDLES: readonly HostBundle[];
/** The build options of every extension host bundle. */
export const HOST_OPTIONS: { platform: 'node'; format: 'cjs'; target: string; external: string[]; supported: Record<string, boolean> };
/** The start-up mechanisms a build can go without (`WAVES_BUILD_WITHOUT`), each with what it is. */
export const MECHANISMS: Readonly<Record<string, string>>;
/** The mechanisms a build goes without (`WAVES_BUILD_WITHOUT`, comma-separated); throws on an unknown one. */
export function buildWithout(env?: Record<string, string | undefined>): Set<string>;
/** The plugin that makes each of `HOST_BUNDLES` but `own` a bundle of its own. */
export function bundleBoundaries(own: string): Plugin;
/** Every `vscode` import of a bundle reads one module that re-exports it (one copy of the API's properties per bundle). */
export const vscodeOnce: Plugin;
/** The plugins of an extension host bundle's build (`own`: `extension`, or one of `HOST_BUNDLES`). */
export function hostPlugins(own: string, without?: Set<string>): Plugin[];
