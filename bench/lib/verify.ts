import Database from 'better-sqlite3';
import type { RequestLedger } from './ledger.js';
import type { MessageIds } from './payloads.js';

/** What the store holds after a run, compared with what the load generator was told. */
export interface StoreCheck {
  storedEvents: number;
  /** 2xx requests times events per request: what the relay promised to have stored. */
  expectedFromAcknowledged: number;
  acknowledgedRequests: number;
  rejectedRequests: number;
  /** Requests without an answer: in flight when the load stopped (or timed out). */
  unansweredRequests: number;
  /** Events of acknowledged requests that are not in the store (must be 0). */
  lostEvents: number;
  /** Events of requests answered with an error that are in the store anyway (must be 0). */
  rejectedButStored: number;
  /** Requests with some but not all of their events stored (must be 0: a request is atomic). */
  partialRequests: number;
  /** Stored rows sharing a messageId (must be 0: every event was sent once). */
  duplicates: number;
  /** Stored rows whose messageId the benchmark never sent (must be 0). */
  unknownEvents: number;
  /** Events of unanswered requests that were stored: legitimate, the answer was cut off. */
  storedFromUnanswered: number;
  /** Every rule above holds. */
  ok: boolean;
}

/** Reads the relay's SQLite file (after the relay has stopped) and checks it request by request. */
export function checkStore(dbPath: string, ids: MessageIds, ledger: RequestLedger, eventsPerRequest: number) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const perRequest = new Uint32Array(ledger.sent);
    const tally = tallyEvents(db, ids, perRequest);
    const duplicates =
      (db.prepare('SELECT count(*) - count(DISTINCT message_id) FROM events').pluck().get() as number) ?? 0;
    return judge(tally, perRequest, ledger, eventsPerRequest, duplicates);
  } finally {
    db.close();
  }
}

interface Tally {
  stored: number;
  unknown: number;
}

function tallyEvents(db: Database.Database, ids: MessageIds, perRequest: Uint32Array): Tally {
  const tally: Tally = { stored: 0, unknown: 0 };
  const stored = db.prepare('SELECT message_id FROM events').pluck().iterate() as IterableIterator<string>;
  for (const messageId of stored) {
    tally.stored++;
    const request = ids.requestOf(messageId);
    if (request === undefined || request >= perRequest.length) tally.unknown++;
    else perRequest[request] = (perRequest[request] ?? 0) + 1;
  }
  return tally;
}

function judge(
  tally: Tally,
  perRequest: Uint32Array,
  ledger: RequestLedger,
  eventsPerRequest: number,
  duplicates: number,
): StoreCheck {
  let lostEvents = 0;
  let rejectedButStored = 0;
  let partialRequests = 0;
  let storedFromUnanswered = 0;
  perRequest.forEach((stored, request) => {
    const status = ledger.statusOf(request);
    if (stored !== 0 && stored !== eventsPerRequest) partialRequests++;
    if (status >= 200 && status < 300) lostEvents += eventsPerRequest - Math.min(stored, eventsPerRequest);
    else if (status !== 0) rejectedButStored += stored;
    else storedFromUnanswered += stored;
  });
  const counts = ledger.counts();
  return {
    storedEvents: tally.stored,
    expectedFromAcknowledged: counts.acknowledged * eventsPerRequest,
    acknowledgedRequests: counts.acknowledged,
    rejectedRequests: counts.rejected,
    unansweredRequests: counts.unanswered,
    lostEvents,
    rejectedButStored,
    partialRequests,
    duplicates,
    unknownEvents: tally.unknown,
    storedFromUnanswered,
    ok: lostEvents + rejectedButStored + partialRequests + duplicates + tally.unknown === 0,
  };
}
