-- Per (destination, audience, profile): the key sets a set destination (an ad platform) holds the
-- person under, as sent when they were added (hashed), so a remove uses the keys of the add.
CREATE TABLE destination_ledger (
  destination TEXT    NOT NULL,
  audience    TEXT    NOT NULL,
  profile_id  TEXT    NOT NULL,
  key_sets    TEXT    NOT NULL,
  added_at    INTEGER NOT NULL,
  PRIMARY KEY (destination, audience, profile_id)
) WITHOUT ROWID;
CREATE INDEX destination_ledger_by_profile ON destination_ledger (destination, profile_id);

-- Per (destination, profile): what the destination's answers taught (e.g. a HubSpot record id).
CREATE TABLE destination_memory (
  destination TEXT NOT NULL,
  profile_id  TEXT NOT NULL,
  data        TEXT NOT NULL,
  PRIMARY KEY (destination, profile_id)
) WITHOUT ROWID;

-- Per (destination, audience): what was sent and what the platform reported, for the match view.
CREATE TABLE destination_audience_stats (
  destination     TEXT    NOT NULL,
  audience        TEXT    NOT NULL,
  added           INTEGER NOT NULL DEFAULT 0,
  removed         INTEGER NOT NULL DEFAULT 0,
  invalid_entries INTEGER NOT NULL DEFAULT 0,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (destination, audience)
) WITHOUT ROWID;

-- A request's audience, what the platform reported, and its asynchronous result (Google).
ALTER TABLE delivery_log ADD COLUMN audience TEXT;
ALTER TABLE delivery_log ADD COLUMN report TEXT;
ALTER TABLE delivery_log ADD COLUMN async_state TEXT;
ALTER TABLE delivery_log ADD COLUMN async_result TEXT;
ALTER TABLE delivery_log ADD COLUMN next_poll_at INTEGER;
CREATE INDEX delivery_log_async_due ON delivery_log (destination, next_poll_at) WHERE async_state = 'pending';
