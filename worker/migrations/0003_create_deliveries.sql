-- Deliveries: the mail outbox. One row per (application, kind); sent with Idempotency-Key
-- `delivery/<id>`, retried with back-off until sent or failed.
CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,
  application_id  TEXT NOT NULL REFERENCES applications (id),
  kind            TEXT NOT NULL CHECK (kind IN ('license', 'rejection')),
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error      TEXT,
  resend_email_id TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (application_id, kind)
);

CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
