-- Events as received (normalized), in arrival order: seq is the processing feed's cursor.
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  shard_key    TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  message_id   TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  user_id      TEXT,
  anonymous_id TEXT,
  event_time   INTEGER NOT NULL,
  received_at  INTEGER NOT NULL,
  body         TEXT    NOT NULL
);
CREATE INDEX events_by_message_id ON events (message_id);

-- Dedupe keys, kept for the dedupe window only (events stay for the event retention).
-- Keyed by (source, message_id) alone: a retry must dedupe even if it carries other identifiers.
CREATE TABLE dedupe_keys (
  source      TEXT    NOT NULL,
  message_id  TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (source, message_id)
) WITHOUT ROWID;
CREATE INDEX dedupe_keys_by_received_at ON dedupe_keys (received_at);
