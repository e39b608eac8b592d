import type { StoredEvent } from '../../store/port.js';
import type { EngineEvent } from './types.js';

/** The engine's view of a stored event: `event` (track name) and `name` (page/screen) lifted from the body. */
export function engineEventFromStored(
  stored: Pick<StoredEvent, 'messageId' | 'type' | 'eventTime' | 'body'>,
): EngineEvent {
  const event: EngineEvent = {
    messageId: stored.messageId,
    type: stored.type,
    eventTime: stored.eventTime,
    body: stored.body,
  };
  if (typeof stored.body.event === 'string') event.event = stored.body.event;
  if (typeof stored.body.name === 'string') event.name = stored.body.name;
  return event;
}
