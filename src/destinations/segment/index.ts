import type { DestinationType } from '../../delivery/destination.js';
import { classify } from './classify.js';
import { segmentFake } from './fake-describe.js';
import { segmentLimits } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { SegmentMapping, SegmentSettings } from './settings.js';
import { segmentTransport } from './transport.js';

/**
 * Back to Segment through @segment/analytics-node: audiences as boolean traits of an `identify`,
 * "Audience Entered" / "Audience Exited" tracks, synced traits; every message marked for the loop
 * guard (README.md).
 */
export const segmentDestination: DestinationType<SegmentSettings, SegmentMapping> = {
  type: 'segment',
  title: 'Segment',
  settings: SegmentSettings,
  mapping: SegmentMapping,
  limits: segmentLimits,
  subscriptions: (mapping) => ({ audiences: [...mapping.audiences], traits: [...mapping.traits] }),
  buildBatch: (items, config) => buildBatch(items, config),
  classify: (result, request) => classify(result, request),
  redactBody,
  transport: (config) => segmentTransport(config),
  fake: segmentFake,
};
