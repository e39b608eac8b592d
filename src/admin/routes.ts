import express, { type Router } from 'express';
import type { EventStore } from '../store/port.js';
import { requireAdminToken } from './auth.js';

export interface AdminDeps {
  store: EventStore;
  adminToken: string | undefined;
}

/** `/admin/api`: the operator's questions, answered from the store. */
export function adminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.use(requireAdminToken(deps.adminToken));

  // "Did this event arrive?" One match per source that sent this messageId.
  router.get('/events/:messageId', async (req, res) => {
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    const events = await deps.store.findEventsByMessageId(req.params.messageId, source);
    if (events.length === 0) {
      return res.status(404).json({ error: `messageId: no stored event with this messageId` });
    }
    const [first] = events;
    res.json({
      ...first,
      eventTime: iso(first?.eventTime),
      receivedAt: iso(first?.receivedAt),
      others: events.length - 1,
    });
  });
  return router;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
