/**
 * One source read by many at once (the person's checkout, read as each attempt starts and ends),
 * each read shared by the callers it can serve:
 * - `any()`: the read under way, whenever it began, else a new one — for a caller that needs a
 *   read begun before something it is about to do (an agent's start);
 * - `after()`: a read that begins after the call — the one queued behind the read under way,
 *   shared by every caller meanwhile, else a new one — for a caller that needs what is there
 *   now (an agent's end: nothing it did may be missed). A burst of callers costs at most the
 *   read under way plus one.
 * A read that fails fails every caller sharing it; the next call reads again. No I/O of its own.
 */
export class SharedReads<T> {
  private running: Promise<T> | undefined;
  /** The read queued behind the running one, for `after()`. */
  private queued: Promise<T> | undefined;

  constructor(private readonly read: () => Promise<T>) {}

  /** Whether a read is under way (one queued behind it implies it). */
  get reading(): boolean {
    return this.running !== undefined;
  }

  any(): Promise<T> {
    return this.running ?? this.start();
  }

  after(): Promise<T> {
    if (this.running === undefined) return this.start();
    const settled = () => undefined;
    this.queued ??= this.running.then(settled, settled).then(() => {
      this.queued = undefined;
      // A read begun since the running one ended began after every caller of this one too.
      return this.any();
    });
    return this.queued;
  }

  private start(): Promise<T> {
    // Begun at once (a caller may count on the read having started when it returns); a read
    // that throws before its first await fails its callers like one that rejects.
    let reading: Promise<T>;
    try {
      reading = this.read();
    } catch (err) {
      reading = Promise.reject(err);
    }
    this.running = reading;
    const done = () => {
      if (this.running === reading) this.running = undefined;
    };
    reading.then(done, done);
    return reading;
  }
}
