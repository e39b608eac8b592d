-- Per (destination, profile): the change still to deliver, coalesced so the latest state wins.
CREATE TABLE delivery_pending (
  destination       TEXT    NOT NULL,
  profile_id        TEXT    NOT NULL,
  version           INTEGER NOT NULL,
  audiences         TEXT    NOT NULL,
  traits            TEXT    NOT NULL,
  caused_by         TEXT    NOT NULL,
  first_received_at INTEGER,
  enqueued_at       INTEGER NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL,
  first_attempt_at  INTEGER,
  last_error        TEXT,
  PRIMARY KEY (destination, profile_id)
) WITHOUT ROWID;
CREATE INDEX delivery_pending_due ON delivery_pending (destination, next_attempt_at, enqueued_at);

-- Per (destination, profile): what the destination was last told (net changes are diffed against it).
CREATE TABLE delivery_state (
  destination TEXT    NOT NULL,
  profile_id  TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  audiences   TEXT    NOT NULL,
  traits      TEXT    NOT NULL,
  PRIMARY KEY (destination, profile_id)
) WITHOUT ROWID;

-- Changes given up on, with why; an operator can replay them.
CREATE TABLE dead_letters (
  id               INTEGER PRIMARY KEY,
  destination      TEXT    NOT NULL,
  profile_id       TEXT    NOT NULL,
  change           TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  attempts         INTEGER NOT NULL,
  first_attempt_at INTEGER,
  dead_at          INTEGER NOT NULL,
  replayed_at      INTEGER
);
CREATE INDEX dead_letters_by_destination ON dead_letters (destination, dead_at);

-- Every request sent (bodies with identifiers hashed), for search.
CREATE TABLE delivery_log (
  id               INTEGER PRIMARY KEY,
  destination      TEXT    NOT NULL,
  at               INTEGER NOT NULL,
  status           TEXT    NOT NULL,
  attempt          INTEGER NOT NULL,
  latency_ms       INTEGER NOT NULL,
  items            INTEGER NOT NULL,
  profile_ids      TEXT    NOT NULL,
  message_ids      TEXT    NOT NULL,
  request_body     TEXT    NOT NULL,
  response_excerpt TEXT    NOT NULL,
  outcome          TEXT    NOT NULL
);
CREATE INDEX delivery_log_by_destination ON delivery_log (destination, at);
CREATE INDEX delivery_log_by_at ON delivery_log (at);
