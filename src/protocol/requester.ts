/**
 * The webview's request/reply helper: `createRequester` numbers each request, and settles
 * its promise with the host's `reply` (or rejects on timeout, an error reply or dispose).
 * Transport-agnostic, so it is tested in plain Node with a fake clock.
 *
 * No `vscode`, no Node imports (ESLint): it is bundled into the webview.
 */
import type { ReplyMessage, WebviewRequest, WebviewRequestResults } from './messages';

export type RequestFailureCode =
  /** The other side answered with an error reply; see `remoteCode`. */
  | 'remote'
  /** No reply within `timeoutMs`. */
  | 'timeout'
  /** The requester was disposed (panel closed) before the reply came. */
  | 'disposed'
  /** `post` threw. */
  | 'post-failed';

/** How a request promise rejects. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    message: string,
    readonly code: RequestFailureCode,
    /** The error reply's `code`, for `remote` failures. */
    readonly remoteCode?: string,
  ) {
    super(message);
  }
}

export interface TimerFunctions {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RequesterOptions {
  /** Reject a request with no reply after this many milliseconds. */
  timeoutMs: number;
  /** Timer functions; the global ones by default (tests inject a fake clock). */
  timers?: TimerFunctions;
}

/** A request as the caller writes it: the requester adds `requestId`. */
export type RequestWithoutId<R> = R extends unknown ? Omit<R, 'requestId'> : never;

export interface Requester<Req extends { type: string; requestId: number }, Results extends object> {
  /** Posts `message` with a new `requestId`; resolves with the reply's `result`. */
  request<M extends RequestWithoutId<Req>>(message: M): Promise<Results[M['type'] & keyof Results]>;
  /**
   * Feed every `reply` received here. Returns false when no pending request matches
   * (late, duplicate or unknown `inReplyTo`), which is not an error.
   */
  handleReply(reply: ReplyMessage): boolean;
  /** Requests still waiting for a reply. */
  readonly pending: number;
  /** Rejects every pending request with code `disposed`; later requests reject at once. */
  dispose(): void;
}

/**
 * A transport-agnostic requester: `post` sends a message (in the webview,
 * `vscodeApi.postMessage`), and the caller routes incoming replies to `handleReply`.
 * Request ids count up from 1. Replies may arrive in any order.
 *
 * `Req` is the union of requests this side sends and `Results` maps each request `type`
 * to its result; both default to the webview's (`WebviewRequest`, `WebviewRequestResults`),
 * so the webview writes `createRequester((m) => vscodeApi.postMessage(m), { timeoutMs })`.
 */
export function createRequester<
  Req extends { type: string; requestId: number } = WebviewRequest,
  Results extends object = WebviewRequestResults,
>(post: (message: Req) => void, options: RequesterOptions): Requester<Req, Results> {
  const timers: TimerFunctions = options.timers ?? {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const waiting = new Map<
    number,
    { resolve(result: unknown): void; reject(error: RequestError): void; timer: unknown }
  >();
  let nextId = 1;
  let disposed = false;

  /** Removes a pending request and settles it. */
  const settle = (id: number, outcome: { result: unknown } | { error: RequestError }): boolean => {
    const entry = waiting.get(id);
    if (!entry) return false;
    waiting.delete(id);
    timers.clearTimeout(entry.timer);
    if ('error' in outcome) entry.reject(outcome.error);
    else entry.resolve(outcome.result);
    return true;
  };

  return {
    request(message) {
      if (disposed)
        return Promise.reject(new RequestError(`"${message.type}" was not sent: the connection is closed`, 'disposed'));
      const requestId = nextId++;
      return new Promise((resolve, reject) => {
        const timer = timers.setTimeout(
          () =>
            settle(requestId, {
              error: new RequestError(`"${message.type}" got no reply within ${options.timeoutMs} ms`, 'timeout'),
            }),
          options.timeoutMs,
        );
        waiting.set(requestId, { resolve: resolve as (result: unknown) => void, reject, timer });
        try {
          post({ ...message, requestId } as unknown as Req);
        } catch (error) {
          settle(requestId, {
            error: new RequestError(
              `"${message.type}" could not be sent: ${(error as Error)?.message ?? String(error)}`,
              'post-failed',
            ),
          });
        }
      });
    },
    handleReply(reply) {
      return settle(
        reply.inReplyTo,
        reply.ok
          ? { result: reply.result }
          : { error: new RequestError(reply.error.message, 'remote', reply.error.code) },
      );
    },
    get pending() {
      return waiting.size;
    },
    dispose() {
      disposed = true;
      for (const id of [...waiting.keys()])
        settle(id, { error: new RequestError('The connection closed before a reply came', 'disposed') });
    },
  };
}
