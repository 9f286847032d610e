/**
 * The hand-offs between the run's parts, as interfaces given to each part's constructor: what
 * the parts ask of the run loop (`LoopHandoffs`, implemented by `RunLoop`, which builds its
 * parts with itself: engine.ts), and what merge.ts tells of the merges that landed
 * (`LandedMerges`, implemented by the integration guard). No part assigns another's callback.
 */

/** What the parts ask of the run loop (loop.ts implements it). */
export interface LoopHandoffs {
  /** Asks for a pass (one at a time: a wake during a pass runs another after it). */
  wake(): void;
  /** Wakes the loop; resolves when a pass begun after the call ended and its launches are over (at once when the engine stopped driving). */
  wakeAndLaunch(): Promise<void>;
  /**
   * Work off every path, for one package (its tree removed once it landed): done once the agents
   * launched last have had their start (`AHEAD_AFTER_LAUNCH_MS` after the pass that launched
   * them), at once when none are starting or the engine stops driving; the run's end waits for it.
   */
  afterAgentsStart(packageId: string, task: () => Promise<void>): void;
  /** The package's `afterAgentsStart` work done — begun now if it still waits: a new attempt of it (sent back by the integration guard) starts only then. */
  afterStartDone(packageId: string): Promise<void>;
}

/** Merges that landed and moved the integration tip (merge.ts tells; the integration guard checks it). */
export interface LandedMerges {
  landed(ids: readonly string[]): void;
}
