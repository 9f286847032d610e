// Types of scripts/on-demand.mjs, for the test that holds the activation bundle to what showing plans needs.
import type { Plugin } from 'esbuild';

export interface OnDemandBundle {
  /** dist/<bundle>.js */
  bundle: string;
  /** Its entry point. */
  entry: string;
  /** The modules whose imports in the activation bundle become its stand-in. */
  modules: string[];
}
export const ON_DEMAND: readonly OnDemandBundle[];
/** A bundle's export names (what its stand-in offers). */
export function exportsOf(entry: string): Promise<string[]>;
/** The bundles the `waves` CLI loads on first use (the run engine). */
export const CLI_ON_DEMAND: readonly string[];
/** The stand-ins of the other bundles (or of `only`'s), for a build of `own` (`extension`: the activation bundle; `cli`). */
export function onDemandPlugin(own: string, only?: readonly string[] | null): Promise<Plugin>;
/** Every `vscode` import of a bundle reads one module that re-exports it (one copy of the API's properties per bundle). */
export const vscodeOnce: Plugin;
/** The plugins of an extension host bundle's build: `vscodeOnce` and the stand-ins. */
export function hostPlugins(own: string): Promise<Plugin[]>;
