-- Small worker-wide facts that outlive a run, as key → value (docs/storage.md), e.g.
-- `push_missed_suspected` and `failed_pushes_checked_at` for the reconciler.
CREATE TABLE worker_state (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
