import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the relay exports, on one registry created by the composition root. */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'relay_process_' });
  return {
    registry,
    eventsTotal: new Counter({
      name: 'relay_events_total',
      help: 'Events received, by source, type and outcome (stored, duplicate)',
      labelNames: ['source', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    intakeRequestsTotal: new Counter({
      name: 'relay_intake_requests_total',
      help: 'Intake requests by route and HTTP status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    intakeRejectionsTotal: new Counter({
      name: 'relay_intake_rejections_total',
      help: 'Intake requests refused with a 4xx, by route and reason (invalid_event, limit_depth, unauthorized, ...)',
      labelNames: ['route', 'reason'] as const,
      registers: [registry],
    }),
    eventsClampedTotal: new Counter({
      name: 'relay_events_clamped_total',
      help: 'Stored events whose event time was over 24h ahead of the receive time: counted at the receive time',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'relay_store_commit_seconds',
      help: 'Time to commit one group of appended events (including fsync)',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    commitGroupEvents: new Histogram({
      name: 'relay_store_commit_group_events',
      help: 'Events per group commit',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    commitGroupRequests: new Histogram({
      name: 'relay_store_commit_group_requests',
      help: 'Intake requests answered by one group commit',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    eventsProcessedTotal: new Counter({
      name: 'relay_events_processed_total',
      help: 'Stored events applied to profiles (identity and traits)',
      registers: [registry],
    }),
    lateEventsTotal: new Counter({
      name: 'relay_late_events_total',
      help: 'Events older than identity.allowed_lateness: stored, but skipped by windowed traits',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    eventsUnattributedTotal: new Counter({
      name: 'relay_events_unattributed_total',
      help: 'Stored events with none of the configured identifiers: attached to no profile',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    relayEchoEventsTotal: new Counter({
      name: 'relay_echo_events_total',
      help: 'Stored events the relay itself sent (context.audience_relay), come back through intake: applied to no profile',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    mergesTotal: new Counter({
      name: 'relay_profile_merges_total',
      help: 'Profiles merged into another, by rule (identifiers met in one event, alias)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    processingBatchSeconds: new Histogram({
      name: 'relay_processing_batch_seconds',
      help: 'Time to process and commit one batch of events',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    processingLagSeconds: new Gauge({
      name: 'relay_processing_lag_seconds',
      help: 'Receive time to processing of the newest processed event',
      registers: [registry],
    }),
    outboxRowsTotal: new Counter({
      name: 'relay_outbox_rows_total',
      help: 'Changes written to the outbox, by cause (event, time, backfill)',
      labelNames: ['cause'] as const,
      registers: [registry],
    }),
    schedulerLatenessSeconds: new Histogram({
      name: 'relay_scheduler_lateness_seconds',
      help: 'How late a time-driven re-evaluation ran after the instant it was due',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    audienceSize: new Gauge({
      name: 'relay_audience_size',
      help: 'Members per audience',
      labelNames: ['audience'] as const,
      registers: [registry],
    }),
    deliveryRequestsTotal: new Counter({
      name: 'relay_delivery_requests_total',
      help: 'Requests sent to destinations, by destination and HTTP status (or timeout, network)',
      labelNames: ['destination', 'status'] as const,
      registers: [registry],
    }),
    deliveryItemsTotal: new Counter({
      name: 'relay_delivery_items_total',
      help: 'Profile changes handled by destination and outcome (delivered, retry, dead, skipped)',
      labelNames: ['destination', 'outcome'] as const,
      registers: [registry],
    }),
    deliveryQueueDepth: new Gauge({
      name: 'relay_delivery_queue_depth',
      help: 'Profiles with a change waiting for a destination',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    deadLettersTotal: new Counter({
      name: 'relay_dead_letters_total',
      help: 'Changes given up on (permanent error or max retry age), by destination',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    deliveryBugsTotal: new Counter({
      name: 'relay_delivery_bugs_total',
      help: 'Exceptions thrown by a destination while building a batch or classifying an answer (its items are retried)',
      labelNames: ['destination', 'stage'] as const,
      registers: [registry],
    }),
    destinationPaused: new Gauge({
      name: 'relay_destination_paused',
      help: '1 while a destination is paused because it throttled us or refused the credentials',
      labelNames: ['destination', 'reason'] as const,
      registers: [registry],
    }),
    destinationFailing: new Gauge({
      name: 'relay_destination_failing',
      help: '1 while every request to a destination has failed for longer than DESTINATION_FAILING_ALERT_MS',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    asyncResultsTotal: new Counter({
      name: 'relay_delivery_async_results_total',
      help: 'Final results of asynchronously applied requests (Google Customer Match), by status',
      labelNames: ['destination', 'status'] as const,
      registers: [registry],
    }),
    eventToDeliverySeconds: new Histogram({
      name: 'relay_event_to_delivery_seconds',
      help: 'From the receive time of the event behind a change to the 2xx of the request that carried it',
      labelNames: ['destination'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600],
      registers: [registry],
    }),
    scorePsi: new Gauge({
      name: 'relay_score_psi',
      help: "Population stability index of a score series' latest daily histogram against its reference day",
      labelNames: ['trait'] as const,
      registers: [registry],
    }),
    backfillProfiles: new Gauge({
      name: 'relay_backfill_profiles',
      help: 'Backfill progress of new or changed traits and audiences: profiles done and total',
      labelNames: ['definition', 'state'] as const,
      registers: [registry],
    }),
    rebuildEvents: new Gauge({
      name: 'relay_rebuild_events',
      help: 'Rebuild from the event log: events replayed (done) of the events stored at its start (total)',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    rebuildProfiles: new Gauge({
      name: 'relay_rebuild_profiles',
      help: 'Rebuild from the event log, after the replay: profiles folded or emitted (done) and total',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The metrics processing and delivery produce (in the background thread when it runs in one). */
export const BACKGROUND_METRICS: ReadonlySet<string> = new Set([
  'relay_events_processed_total',
  'relay_late_events_total',
  'relay_events_unattributed_total',
  'relay_echo_events_total',
  'relay_profile_merges_total',
  'relay_processing_batch_seconds',
  'relay_processing_lag_seconds',
  'relay_outbox_rows_total',
  'relay_scheduler_lateness_seconds',
  'relay_backfill_profiles',
  'relay_rebuild_events',
  'relay_rebuild_profiles',
  'relay_delivery_requests_total',
  'relay_delivery_items_total',
  'relay_delivery_queue_depth',
  'relay_dead_letters_total',
  'relay_event_to_delivery_seconds',
  'relay_delivery_bugs_total',
  'relay_destination_paused',
  'relay_delivery_async_results_total',
]);

/** The Prometheus text of the metrics `include` picks (so two threads' registries never repeat a family). */
export async function metricsText(registry: Registry, include: (name: string) => boolean): Promise<string> {
  const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name).filter(include);
  const parts = await Promise.all(names.map((name) => registry.getSingleMetricAsString(name)));
  return parts.map((part) => `${part}\n`).join('');
}
