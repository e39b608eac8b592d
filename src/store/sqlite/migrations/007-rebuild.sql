-- Per (destination, profile): a profile folded into another by a merge, remembered for a while so a
-- request for it that was in flight during the merge settles into the survivor's delivered state.
CREATE TABLE delivery_folds (
  destination     TEXT    NOT NULL,
  profile_id      TEXT    NOT NULL,
  into_profile_id TEXT    NOT NULL,
  at              INTEGER NOT NULL,
  PRIMARY KEY (destination, profile_id)
) WITHOUT ROWID;
CREATE INDEX delivery_folds_by_at ON delivery_folds (at);

-- Rebuilds of every profile from the event log, as a state machine the processing loop drives:
-- requested -> replaying -> finishing -> done (or failed). While one is running, fan-out holds the
-- outbox rows from `hold_from` on; the replay's own rows are discarded when it finishes.
CREATE TABLE rebuilds (
  id             INTEGER PRIMARY KEY,
  status         TEXT    NOT NULL,
  requested_at   INTEGER NOT NULL,
  started_at     INTEGER,
  target_seq     INTEGER,
  hold_from      INTEGER,
  history_from   INTEGER,
  phase_after    TEXT    NOT NULL DEFAULT '',
  profiles_done  INTEGER NOT NULL DEFAULT 0,
  profiles_total INTEGER NOT NULL DEFAULT 0,
  finished_at    INTEGER,
  error          TEXT
);

-- Who owned which identifier, and who was in which audience, when the running rebuild started.
CREATE TABLE rebuild_old_identifiers (
  kind       TEXT NOT NULL,
  value      TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX rebuild_old_identifiers_by_profile ON rebuild_old_identifiers (profile_id);

CREATE TABLE rebuild_old_members (
  profile_id TEXT NOT NULL,
  audience   TEXT NOT NULL,
  PRIMARY KEY (profile_id, audience)
) WITHOUT ROWID;
