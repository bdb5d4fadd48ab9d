-- A delivery may be cancelled: a renewal reminder that is no longer due when its turn comes (its
-- license renewed, revoked, superseded or ended, or the product's reminders turned off while it
-- waited in the outbox) is not sent, and says why in last_error (worker/src/outbox.ts).
-- SQLite cannot alter a CHECK, so `deliveries` is rebuilt with its rows (as 0014, 0016 and 0019
-- did), keeping every column and index.
PRAGMA defer_foreign_keys = true;

CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,
  application_id  TEXT NOT NULL REFERENCES applications (id),
  kind            TEXT NOT NULL CHECK (kind IN ('license', 'rejection', 'license_resend', 'acknowledgement', 'renewal_reminder')),
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error      TEXT,
  resend_email_id TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  to_address      TEXT,
  license_id      TEXT
);
INSERT INTO deliveries_new (id, application_id, kind, status, attempts, next_attempt_at, last_error, resend_email_id, created_at, updated_at, to_address, license_id)
  SELECT id, application_id, kind, status, attempts, next_attempt_at, last_error, resend_email_id, created_at, updated_at, to_address, license_id FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE UNIQUE INDEX deliveries_once ON deliveries (application_id, kind) WHERE kind IN ('license', 'rejection', 'acknowledgement');
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_application ON deliveries (application_id, created_at);
