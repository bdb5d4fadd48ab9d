-- Idempotency-Key of POST /api/applications: one row per key (PRIMARY KEY), naming the application
-- the first request created and the SHA-256 of its validated body. A retry with the same key and
-- body gets that application back; a key older than 24 h may be used again. Swept by cron.
CREATE TABLE submit_idempotency (
  idempotency_key TEXT PRIMARY KEY,
  request_hash    TEXT NOT NULL,
  application_id  TEXT NOT NULL REFERENCES applications (id),
  created_at      INTEGER NOT NULL
);

CREATE INDEX submit_idempotency_created ON submit_idempotency (created_at);
