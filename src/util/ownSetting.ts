import * as vscode from 'vscode';

/**
 * A `waves.*` setting as the person set it: their user (or remote machine) value only, never a
 * workspace's or a folder's — for what a repository must not choose for them (where code runs,
 * the agents' walls). Undefined when they set none.
 */
export function ownSetting<T>(key: string): T | undefined {
  return vscode.workspace.getConfiguration('waves').inspect<T>(key)?.globalValue;
}
