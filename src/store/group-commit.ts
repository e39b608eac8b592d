/**
 * Group commit: append requests that arrive close together share one transaction, and each
 * caller is answered only after that transaction commits. Durability (one fsync) is paid per
 * group instead of per request.
 */

export interface GroupCommitOptions<T, R> {
  /** Commits every item in one transaction and returns one result per item, in order. */
  commit: (items: T[]) => R[] | Promise<R[]>;
  /** How long the first request of a group waits for others; 0 = until the current I/O turn ends. */
  windowMs: number;
  /** A group is committed at once when it reaches this many items. */
  maxItems: number;
  /**
   * Called after each commit, outside the commit chain: callers are answered once it resolves (for
   * a durability step such as an fsync that need not hold up the next group's transaction).
   */
  afterCommit?: () => Promise<void>;
  onCommit?: (stats: { items: number; requests: number; seconds: number }) => void;
}

interface Pending<T, R> {
  items: T[];
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter<T, R> {
  private pending: Pending<T, R>[] = [];
  private pendingItems = 0;
  private scheduled = false;
  private committing: Promise<void> = Promise.resolve();
  /** Groups committed but waiting for `afterCommit`. */
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly options: GroupCommitOptions<T, R>) {}

  submit(items: T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.pendingItems += items.length;
      if (this.pendingItems >= this.options.maxItems) this.flushNow();
      else this.schedule();
    });
  }

  /** Commits whatever is pending and waits for every commit started so far. */
  async drain(): Promise<void> {
    if (this.pending.length > 0) this.flushNow();
    await this.committing;
    await Promise.all([...this.settling]);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      if (this.pending.length > 0) this.flushNow();
    };
    if (this.options.windowMs > 0) setTimeout(run, this.options.windowMs);
    else setImmediate(run);
  }

  private flushNow(): void {
    const group = this.pending;
    this.pending = [];
    this.pendingItems = 0;
    this.committing = this.committing.then(() => this.commitGroup(group));
  }

  private async commitGroup(group: Pending<T, R>[]): Promise<void> {
    const items = group.flatMap((request) => request.items);
    const started = process.hrtime.bigint();
    let results: R[];
    try {
      results = await this.options.commit(items);
    } catch (error) {
      for (const request of group) request.reject(error);
      return;
    }
    const afterCommit = this.options.afterCommit;
    if (afterCommit === undefined) return this.answer(group, results, started);
    const settled = afterCommit().then(
      () => this.answer(group, results, started),
      (error: unknown) => {
        for (const request of group) request.reject(error);
      },
    );
    this.settling.add(settled);
    void settled.finally(() => this.settling.delete(settled));
  }

  private answer(group: Pending<T, R>[], results: R[], started: bigint): void {
    const items = results.length;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.options.onCommit?.({ items, requests: group.length, seconds });
    let offset = 0;
    for (const request of group) {
      request.resolve(results.slice(offset, offset + request.items.length));
      offset += request.items.length;
    }
  }
}
