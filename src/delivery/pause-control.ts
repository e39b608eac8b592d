import type { Metrics } from '../lib/metrics.js';
import type { DestinationSignal, ItemOutcome } from './destination.js';

const CREDENTIALS_FIRST_PAUSE_MS = 30_000;
const CREDENTIALS_MAX_PAUSE_MS = 10 * 60_000;
const PREPARE_MAX_PAUSE_MS = 5 * 60_000;

/**
 * When a destination may be sent to again. Throttling pauses for what the platform said; refused
 * credentials pause for 30 s, doubling up to 10 minutes while they stay refused (items wait rather
 * than being dead-lettered: someone will fix the token). Shown in `relay_destination_paused`.
 */
export class PauseControl {
  private until = 0;
  private reason: 'throttled' | 'credentials' | 'setup' | undefined;
  private credentialFailures = 0;
  private prepareFailures = 0;

  constructor(
    private readonly destination: string,
    private readonly metrics: Metrics,
  ) {}

  remainingMs(now: number): number {
    if (now < this.until) return this.until - now;
    if (this.reason !== undefined) {
      this.metrics.destinationPaused.set({ destination: this.destination, reason: this.reason }, 0);
      this.reason = undefined;
    }
    return 0;
  }

  signal(signal: DestinationSignal, now: number): void {
    if (signal.kind === 'throttled') {
      this.pauseUntil(now + Math.max(0, signal.forMs), 'throttled');
      return;
    }
    const pauseMs = Math.min(
      CREDENTIALS_MAX_PAUSE_MS,
      CREDENTIALS_FIRST_PAUSE_MS * 2 ** this.credentialFailures,
    );
    this.credentialFailures++;
    this.pauseUntil(now + pauseMs, 'credentials');
  }

  succeeded(): void {
    this.credentialFailures = 0;
  }

  /** A failed set-up (`prepare`): wait 1 s, doubling up to 5 minutes. */
  failedPreparation(now: number): number {
    const waitMs = Math.min(PREPARE_MAX_PAUSE_MS, 1000 * 2 ** this.prepareFailures);
    this.prepareFailures++;
    this.pauseUntil(now + waitMs, 'setup');
    return waitMs;
  }

  /** The outcome of an item whose request was not sent because of the pause. */
  asRetry(): ItemOutcome {
    return { kind: 'retry', reason: `not sent: destination paused (${this.reason ?? 'throttled'})` };
  }

  private pauseUntil(until: number, reason: 'throttled' | 'credentials' | 'setup'): void {
    if (until <= this.until) return;
    if (this.reason !== undefined && this.reason !== reason)
      this.metrics.destinationPaused.set({ destination: this.destination, reason: this.reason }, 0);
    this.until = until;
    this.reason = reason;
    this.metrics.destinationPaused.set({ destination: this.destination, reason }, 1);
  }
}
