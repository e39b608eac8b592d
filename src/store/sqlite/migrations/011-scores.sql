-- Score monitoring (docs/scores.md): one histogram per score series (a score or model trait, or a
-- model's shadow) and UTC day, with the PSI against its reference day computed when it was taken.
CREATE TABLE score_snapshots (
  series        TEXT    NOT NULL,
  day           TEXT    NOT NULL,
  taken_at      INTEGER NOT NULL,
  histogram     TEXT    NOT NULL,
  scored        INTEGER NOT NULL,
  missing       INTEGER NOT NULL,
  definition    TEXT    NOT NULL,
  psi           REAL,
  reference_day TEXT,
  note          TEXT,
  PRIMARY KEY (series, day)
) WITHOUT ROWID;
