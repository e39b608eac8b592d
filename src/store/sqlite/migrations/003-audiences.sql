-- Who is in which audience now (an index of what profile state says, for sizes and samples).
CREATE TABLE audience_members (
  audience   TEXT    NOT NULL,
  profile_id TEXT    NOT NULL,
  since      INTEGER NOT NULL,
  PRIMARY KEY (audience, profile_id)
) WITHOUT ROWID;
CREATE INDEX audience_members_by_profile ON audience_members (profile_id);

-- Changes for delivery, written in the same transaction as the state change that caused them.
CREATE TABLE outbox (
  id                INTEGER PRIMARY KEY,
  profile_id        TEXT    NOT NULL,
  kind              TEXT    NOT NULL,
  name              TEXT    NOT NULL,
  value             TEXT    NOT NULL,
  profile_version   INTEGER NOT NULL,
  at                INTEGER NOT NULL,
  event_received_at INTEGER,
  message_id        TEXT
);
CREATE INDEX outbox_by_profile ON outbox (profile_id, id);

-- Audience sizes over time, for trends.
CREATE TABLE audience_sizes (
  audience TEXT    NOT NULL,
  at       INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  PRIMARY KEY (audience, at)
) WITHOUT ROWID;

-- When a profile's audiences or synced traits can next change with time alone.
ALTER TABLE profiles ADD COLUMN next_wake_at INTEGER;
CREATE INDEX profiles_by_next_wake ON profiles (next_wake_at) WHERE next_wake_at IS NOT NULL;
