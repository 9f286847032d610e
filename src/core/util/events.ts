/**
 * A tiny typed event emitter with the same shape as `vscode.Event` / `vscode.EventEmitter`,
 * so `src/core` can publish events without importing `vscode`, and host code can pass
 * `emitter.event` wherever a `vscode.Event<T>` is expected.
 *
 * Pure TypeScript, no I/O.
 */

/** Anything that holds a resource until `dispose()` is called (same as `vscode.Disposable`). */
export interface Disposable {
  dispose(): void;
}

/**
 * Subscribe to an event: returns a `Disposable` that unsubscribes. Structurally identical
 * to `vscode.Event<T>`: `thisArgs` is bound as `this` for the listener, and the returned
 * subscription is pushed to `disposables` when given.
 */
export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

export interface EmitterOptions {
  /**
   * Called when a listener throws. The error never reaches `fire()`'s caller and never
   * stops the other listeners. Default: `console.error`.
   */
  onListenerError?: (error: unknown) => void;
}

const NOOP_DISPOSABLE: Disposable = Object.freeze({ dispose() {} });

export class Emitter<T> implements Disposable {
  private listeners: Set<{ fn: (e: T) => unknown; thisArgs: unknown }> | undefined = new Set();
  private readonly onListenerError: (error: unknown) => void;

  constructor(options: EmitterOptions = {}) {
    this.onListenerError = options.onListenerError ?? ((error) => console.error(error));
  }

  /** The subscribe function to hand out; see `Event<T>`. */
  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    if (!this.listeners) return NOOP_DISPOSABLE;
    const entry = { fn: listener, thisArgs };
    this.listeners.add(entry);
    const subscription: Disposable = { dispose: () => void this.listeners?.delete(entry) };
    disposables?.push(subscription);
    return subscription;
  };

  /**
   * Calls every current listener with `e`, in subscription order. Listeners added or
   * removed during the call take effect from the next `fire()`.
   */
  fire(e: T): void {
    if (!this.listeners || this.listeners.size === 0) return;
    for (const { fn, thisArgs } of [...this.listeners]) {
      try {
        fn.call(thisArgs, e);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  get hasListeners(): boolean {
    return (this.listeners?.size ?? 0) > 0;
  }

  /** Removes every listener; later `fire()` calls do nothing and `event()` subscribes nothing. */
  dispose(): void {
    this.listeners?.clear();
    this.listeners = undefined;
  }
}
