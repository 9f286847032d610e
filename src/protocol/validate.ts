/**
 * The host's validation of everything the DAG panel's webview sends: `validateWebviewMessage`
 * accepts only a known message type with exactly its fields, each well-formed. Host side
 * only — the webview bundle never imports this file (it holds the messages' types and its
 * requester only).
 *
 * No `vscode`, no Node imports (ESLint), so it is tested in plain Node.
 */
import { CANDIDATE_ACTIONS, EXPORT_FORMATS, LOG_LEVELS, PACKAGE_ACTIONS, PROPOSAL_ACTIONS, PROTOCOL_VERSION, type LogLevel, type WebviewMessage } from './messages';

export const MAX_PACKAGE_ID_LENGTH = 128;
export const MAX_PATH_LENGTH = 1024;
export const MAX_LOG_MESSAGE_LENGTH = 8192;
export const MAX_WAVE = 10_000;
/** The most parents a panel opens down through (deeper than any plan of plans may nest). */
export const MAX_GROUP_PATH = 8;
/** The most candidates a package may have (best of n; `MAX_CANDIDATES` of the run model, restated: the protocol takes only types from src/core). */
export const MAX_CANDIDATE = 8;

/**
 * Control, format (bidi overrides, zero-width), surrogate and line/paragraph separator
 * characters: never part of a package id or path we accept.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

const isBoundedText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

/**
 * Package ids as the webview may name them: 1–128 printable characters. Looser than the
 * plan format's `^[a-z][a-z0-9_-]{0,63}$` on purpose: plans that drift from it still
 * load and draw, and their packages must stay clickable. The host looks the id up.
 */
export function isPackageIdLike(value: unknown): value is string {
  return isBoundedText(value, MAX_PACKAGE_ID_LENGTH) && !UNPRINTABLE.test(value);
}

/**
 * A path relative to the workspace folder: 1–1024 printable characters, forward slashes
 * only, not absolute, no drive letter or scheme (no `:` at all), no `\`, and no empty,
 * `.` or `..` segment — so joining it to the workspace root cannot leave the root.
 */
export function isRepoRelativePath(value: unknown): value is string {
  if (!isBoundedText(value, MAX_PATH_LENGTH) || UNPRINTABLE.test(value) || /[\\:]/.test(value)) return false;
  return value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Checks one field; returns what is wrong with it, or undefined. */
type FieldCheck = (value: unknown) => string | undefined;

const check =
  (test: (value: unknown) => boolean, expected: string): FieldCheck =>
  (value) =>
    test(value) ? undefined : `expected ${expected}`;

const isRequestId = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const requestId = check(isRequestId, 'a positive integer');
const packageId = check(isPackageIdLike, `1–${MAX_PACKAGE_ID_LENGTH} printable characters`);

/**
 * The exact fields of every message the webview may send, besides `type`. The mapped
 * type makes the compiler hold this table to the interfaces in `./messages.ts`: a field added to an
 * interface must be added here.
 */
const MESSAGE_FIELDS: { [M in WebviewMessage as M['type']]: { [K in Exclude<keyof M, 'type'>]-?: FieldCheck } } = {
  ready: { protocolVersion: check((v) => v === PROTOCOL_VERSION, `protocol version ${PROTOCOL_VERSION}`) },
  log: {
    level: check((v) => LOG_LEVELS.includes(v as LogLevel), LOG_LEVELS.join(' | ')),
    message: check(
      (v) => typeof v === 'string' && v.length <= MAX_LOG_MESSAGE_LENGTH,
      `a string of at most ${MAX_LOG_MESSAGE_LENGTH} characters`,
    ),
  },
  openPackage: { requestId, packageId },
  packageDetails: { requestId, packageId },
  packageAction: {
    requestId,
    packageId,
    action: check((v) => (PACKAGE_ACTIONS as readonly unknown[]).includes(v), PACKAGE_ACTIONS.join(' | ')),
  },
  candidateAction: {
    requestId,
    packageId,
    candidate: check((v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_CANDIDATE, `an integer 1–${MAX_CANDIDATE}`),
    action: check((v) => (CANDIDATE_ACTIONS as readonly unknown[]).includes(v), CANDIDATE_ACTIONS.join(' | ')),
  },
  exportDag: { requestId, format: check((v) => (EXPORT_FORMATS as readonly unknown[]).includes(v), EXPORT_FORMATS.join(' | ')) },
  runWave: {
    requestId,
    wave: check(
      (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WAVE,
      `an integer 1–${MAX_WAVE}`,
    ),
  },
  proposalAction: { requestId, action: check((v) => (PROPOSAL_ACTIONS as readonly unknown[]).includes(v), PROPOSAL_ACTIONS.join(' | ')) },
  revealInWaves: { requestId, packageId },
  exportTimeline: { requestId },
  openGroup: {
    requestId,
    path: check((v) => Array.isArray(v) && v.length <= MAX_GROUP_PATH && v.every(isPackageIdLike), `an array of at most ${MAX_GROUP_PATH} package ids`),
  },
  revealFile: {
    requestId,
    path: check(isRepoRelativePath, 'a repo-relative path (forward slashes, no "..", ".", "//", "\\" or ":")'),
  },
};

export type WebviewMessageValidation =
  | { ok: true; message: WebviewMessage }
  /** `requestId` is set when the message had a well-formed one: reply to it with the error. */
  | { ok: false; error: string; requestId?: number };

/** Shortens a key or type name the webview sent before it goes into an error text. */
const quote = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * Validates anything received from the webview. Accepts only a plain object whose `type`
 * is known and whose own keys are exactly that message's fields, each well-formed.
 * Never throws; never invokes getters; returns a fresh object on success. On failure,
 * `requestId` lets the host answer a malformed request at once instead of letting it
 * time out.
 */
export function validateWebviewMessage(raw: unknown): WebviewMessageValidation {
  let requestId: number | undefined;
  const fail = (error: string): WebviewMessageValidation => ({ ok: false, error, ...(requestId ? { requestId } : {}) });
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('message: expected an object');
    const proto = Object.getPrototypeOf(raw);
    if (proto !== Object.prototype && proto !== null) return fail('message: expected a plain object');

    // Read own data properties only, so a getter or a prototype cannot supply values.
    const fields = new Map<PropertyKey, unknown>();
    for (const key of Reflect.ownKeys(raw)) {
      const descriptor = Object.getOwnPropertyDescriptor(raw, key);
      if (!descriptor || !('value' in descriptor)) return fail(`message: ${quote(String(key))} is not a data property`);
      fields.set(key, descriptor.value);
    }

    if (isRequestId(fields.get('requestId'))) requestId = fields.get('requestId') as number;
    const type = fields.get('type');
    if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_FIELDS, type)) {
      return fail(`message: unknown type ${typeof type === 'string' ? quote(type) : `(${typeof type})`}`);
    }
    const shape: Record<string, FieldCheck> = MESSAGE_FIELDS[type as WebviewMessage['type']];
    const message: Record<string, unknown> = { type };
    for (const key of fields.keys()) {
      if (key !== 'type' && (typeof key !== 'string' || !Object.hasOwn(shape, key))) {
        return fail(`${type}: unexpected key ${quote(String(key))}`);
      }
    }
    for (const [key, checkField] of Object.entries(shape)) {
      if (!fields.has(key)) return fail(`${type}.${key}: missing`);
      const problem = checkField(fields.get(key));
      if (problem) return fail(`${type}.${key}: ${problem}`);
      const value = fields.get(key);
      message[key] = Array.isArray(value) ? [...value] : value;
    }
    return { ok: true, message: message as unknown as WebviewMessage };
  } catch {
    return fail('message: could not be read');
  }
}
