/**
 * Native Windows has no walls for the agents; in WSL the Linux walls apply. A refused start on
 * Windows offers to reopen the folder there: the WSL extension's own command when it is
 * installed, else the page that says how to get it.
 */
import * as vscode from 'vscode';
import { WSL_DOCS_URL, WSL_EXTENSION_ID, WSL_REOPEN_COMMAND } from '../../core/walls/containerCheck';

export const REOPEN_IN_WSL = 'Reopen Folder in WSL';

/** Reopens the folder in WSL (the extension ms-vscode-remote.remote-wsl), or opens the docs when it is not installed. */
export async function reopenInWsl(): Promise<void> {
  if (vscode.extensions.getExtension(WSL_EXTENSION_ID)) await vscode.commands.executeCommand(WSL_REOPEN_COMMAND);
  else await vscode.env.openExternal(vscode.Uri.parse(WSL_DOCS_URL));
}
