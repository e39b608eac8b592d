import type { ReloadResult } from '../config/live-config.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { DestinationBlock } from '../mappings/destinations-schema.js';
import type { RelayStore } from '../store/port.js';
import { failingSince, overview, type Overview } from './overview-view.js';

/** How often the monitor samples the event count and re-checks the failing alert. */
const CHECK_INTERVAL_MS = 10_000;
/** Events per second are measured over this window. */
const RATE_WINDOW_MS = 60_000;

export interface HealthMonitorDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  destinations: () => Record<string, DestinationBlock>;
  config: () => { dir: string; lastReload: ReloadResult | undefined };
  /** A destination failing every request for longer than this raises `relay_destination_failing`. */
  alertAfterMs: number;
}

export interface HealthMonitor {
  overview: () => Promise<Overview>;
  /** Samples the event count and sets the alert metric now (the timer does it every 10 s). */
  check: () => Promise<void>;
  stop: () => void;
}

/** Points of (time, last stored seq) over the last minute: the intake rate without a counter per thread. */
export class EventRate {
  private samples: { at: number; seq: number }[] = [];

  record(at: number, seq: number): void {
    this.samples.push({ at, seq });
    while (this.samples.length > 2 && (this.samples[1] as { at: number }).at <= at - RATE_WINDOW_MS) {
      this.samples.shift();
    }
  }

  rate(): { perSecond: number; windowSeconds: number } {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return { perSecond: 0, windowSeconds: 0 };
    const seconds = (last.at - first.at) / 1000;
    return { perSecond: Math.max(0, last.seq - first.seq) / seconds, windowSeconds: seconds };
  }
}

/**
 * Keeps the overview's event rate and the failing alert current even when nobody looks: a
 * destination failing for longer than the threshold sets its gauge to 1 and logs an error once.
 */
export function startHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const rate = new EventRate();
  const alerting = new Set<string>();
  const reported = new Set<string>();

  const sample = async (now: number) => rate.record(now, await deps.store.lastSeq());

  const setAlerts = (health: { destination: string; alerting: boolean; failingSince: string | null }[]) => {
    const seen = new Set<string>();
    for (const { destination, alerting: failing, failingSince } of health) {
      seen.add(destination);
      reported.add(destination);
      deps.metrics.destinationFailing.set({ destination }, failing ? 1 : 0);
      if (failing && !alerting.has(destination)) {
        alerting.add(destination);
        deps.logger.error(
          { destination, failingSince, alertAfterMs: deps.alertAfterMs },
          'destination has failed every request for longer than DESTINATION_FAILING_ALERT_MS',
        );
      } else if (!failing && alerting.delete(destination)) {
        deps.logger.info({ destination }, 'destination recovered');
      }
    }
    // A destination no longer configured loses its gauge.
    for (const destination of [...reported].filter((name) => !seen.has(name))) {
      reported.delete(destination);
      alerting.delete(destination);
      deps.metrics.destinationFailing.remove({ destination });
    }
  };

  const check = async () => {
    const now = deps.clock.now();
    await sample(now);
    const health = [];
    for (const [destination, block] of Object.entries(deps.destinations())) {
      const since = block.enabled ? await failingSince(deps.store, destination) : undefined;
      const failing = since !== undefined && now - since > deps.alertAfterMs;
      health.push({ destination, alerting: failing, failingSince: since === undefined ? null : iso(since) });
    }
    setAlerts(health);
  };

  const timer = setInterval(() => {
    check().catch((error: unknown) => deps.logger.warn({ err: error }, 'health check failed'));
  }, CHECK_INTERVAL_MS);
  timer.unref();
  void check().catch((error: unknown) => deps.logger.warn({ err: error }, 'health check failed'));

  return {
    check,
    overview: async () => {
      const now = deps.clock.now();
      await sample(now);
      const view = await overview({
        store: deps.store,
        destinations: deps.destinations(),
        now,
        alertAfterMs: deps.alertAfterMs,
        eventRate: rate.rate(),
        config: deps.config(),
      });
      setAlerts(view.destinations);
      return view;
    },
    stop: () => clearInterval(timer),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
