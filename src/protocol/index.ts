/**
 * `from '…/protocol'` means the messages: their types and the tiny pure helpers both sides
 * need (`./messages.ts`). The host's validation (`./validate.ts`) and the webview's
 * requester (`./requester.ts`) are imported from their own files, so a bundle that needs
 * neither holds neither.
 */
export * from './messages';
