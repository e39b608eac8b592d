-- Every audience entry and exit of a profile, with what caused it (event, time, merge, backfill,
-- rebuild, config) and the event's messageId when an event caused it: the profile view's history.
-- Written in the processing transaction; a merged profile's rows move to the profile it merged into.
-- Memberships current when this table was created have no row here (audience_members keeps `since`).
CREATE TABLE membership_history (
  id         INTEGER PRIMARY KEY,
  profile_id TEXT    NOT NULL,
  audience   TEXT    NOT NULL,
  member     INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  cause      TEXT    NOT NULL,
  message_id TEXT
);
CREATE INDEX membership_history_by_profile ON membership_history (profile_id, at);
