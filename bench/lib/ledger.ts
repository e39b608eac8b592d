/**
 * Which request numbers were sent and how each was answered, so the store can be checked request
 * by request afterwards: every acknowledged event stored, nothing rejected stored, nothing partial.
 */
export class RequestLedger {
  private statuses = new Uint16Array(1 << 16);
  private issued = 0;

  /** The number of the next request (its events' messageIds are derived from it). */
  issue(): number {
    if (this.issued === this.statuses.length) this.grow();
    return this.issued++;
  }

  answer(request: number, status: number): void {
    this.statuses[request] = status;
  }

  get sent(): number {
    return this.issued;
  }

  /** HTTP status of a request, or 0 when no answer arrived (in flight when the load stopped, or timed out). */
  statusOf(request: number): number {
    return this.statuses[request] ?? 0;
  }

  counts(): { acknowledged: number; rejected: number; unanswered: number } {
    let acknowledged = 0;
    let rejected = 0;
    for (let i = 0; i < this.issued; i++) {
      const status = this.statuses[i] ?? 0;
      if (status >= 200 && status < 300) acknowledged++;
      else if (status !== 0) rejected++;
    }
    return { acknowledged, rejected, unanswered: this.issued - acknowledged - rejected };
  }

  private grow(): void {
    const bigger = new Uint16Array(this.statuses.length * 2);
    bigger.set(this.statuses);
    this.statuses = bigger;
  }
}
