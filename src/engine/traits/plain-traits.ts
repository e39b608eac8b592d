import type { EngineEvent, PlainTrait } from './types.js';

/**
 * Plain traits: every key of an identify event's `traits` and `context.traits`, and of any other
 * event's `context.traits`, kept under its own name, latest by event time (an older event arriving
 * later does not overwrite; equal times go to the later arrival). `traits` wins over `context.traits`
 * within one identify. Lateness does not apply.
 */
export function applyPlainTraits(plain: Record<string, PlainTrait>, event: EngineEvent): void {
  const context = event.body.context;
  if (isObject(context) && isObject(context.traits)) setTraits(plain, context.traits, event.eventTime);
  if (event.type === 'identify' && isObject(event.body.traits))
    setTraits(plain, event.body.traits, event.eventTime);
}

/** Per trait, the one set by the later event. */
export function mergePlainTraits(
  into: Record<string, PlainTrait>,
  from: Record<string, PlainTrait>,
): Record<string, PlainTrait> {
  for (const [name, trait] of Object.entries(from)) {
    const existing = into[name];
    if (existing === undefined || trait.at > existing.at) into[name] = trait;
  }
  return into;
}

function setTraits(plain: Record<string, PlainTrait>, traits: Record<string, unknown>, at: number): void {
  for (const name of Object.keys(traits)) {
    const existing = plain[name];
    if (existing === undefined || at >= existing.at) plain[name] = { value: traits[name], at };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
