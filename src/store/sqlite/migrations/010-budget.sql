-- Running sums per budget audience (docs/budget.md): updated in the processing transaction that
-- changes a member's contribution, so a refresh reads these rows and never scans profiles.
CREATE TABLE budget_sums (
  audience          TEXT    NOT NULL PRIMARY KEY,
  size              INTEGER NOT NULL DEFAULT 0,
  sum_probability   REAL    NOT NULL DEFAULT 0,
  sum_order_value   REAL    NOT NULL DEFAULT 0,
  count_order_value INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Allocation runs: everything a run was computed from and everything it decided, as JSON, so any
-- past run can be shown and replayed. `changed`: its amounts differ from the run before it.
CREATE TABLE budget_runs (
  id          INTEGER PRIMARY KEY,
  at          TEXT    NOT NULL,
  at_ms       INTEGER NOT NULL,
  trigger     TEXT    NOT NULL,
  changed     INTEGER NOT NULL,
  inputs      TEXT    NOT NULL,
  ranking     TEXT    NOT NULL,
  decisions   TEXT    NOT NULL,
  allocated   INTEGER NOT NULL,
  unallocated INTEGER NOT NULL,
  explanation TEXT    NOT NULL
);
CREATE INDEX budget_runs_by_at ON budget_runs (at_ms);
