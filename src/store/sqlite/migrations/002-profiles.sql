-- Person profiles: computed-trait state as JSON, one row per live profile.
-- A merged profile keeps a tombstone row pointing at the profile it was merged into.
CREATE TABLE profiles (
  profile_id  TEXT    PRIMARY KEY,
  state       TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  merged_into TEXT
) WITHOUT ROWID;

-- Who is who: each identifier (userId, anonymousId, email) belongs to one profile.
CREATE TABLE identifiers (
  kind       TEXT NOT NULL,
  value      TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX identifiers_by_profile ON identifiers (profile_id);

-- A profile's timeline: which stored events belong to it, by event time.
CREATE TABLE profile_events (
  profile_id TEXT    NOT NULL,
  event_time INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  PRIMARY KEY (profile_id, event_time, seq)
) WITHOUT ROWID;

-- Every merge, for explanation.
CREATE TABLE merges (
  id                INTEGER PRIMARY KEY,
  profile_id        TEXT    NOT NULL,
  merged_profile_id TEXT    NOT NULL,
  at                INTEGER NOT NULL,
  message_id        TEXT    NOT NULL,
  reason            TEXT    NOT NULL
);
CREATE INDEX merges_by_profile ON merges (profile_id);

-- How far a consumer has processed the event log (seq), committed with the state it produced.
CREATE TABLE cursors (
  name TEXT    PRIMARY KEY,
  seq  INTEGER NOT NULL
) WITHOUT ROWID;

-- Trait definitions in force, and the backfill of new or changed ones.
CREATE TABLE trait_definitions (
  name        TEXT    PRIMARY KEY,
  hash        TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  after_profile TEXT  NOT NULL DEFAULT '',
  done        INTEGER NOT NULL DEFAULT 0,
  total       INTEGER NOT NULL DEFAULT 0,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
