-- The acknowledgement mail (issue 9): a `deliveries` kind `acknowledgement`, queued with the
-- application itself and sent once per application. SQLite cannot alter a CHECK, so the table is
-- rebuilt with its rows, as 0014 did, keeping 0015's license_id and every index.
PRAGMA defer_foreign_keys = true;

CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,
  application_id  TEXT NOT NULL REFERENCES applications (id),
  kind            TEXT NOT NULL CHECK (kind IN ('license', 'rejection', 'license_resend', 'acknowledgement')),
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
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
-- Once per application: the license, the rejection and now the acknowledgement.
CREATE UNIQUE INDEX deliveries_once ON deliveries (application_id, kind) WHERE kind IN ('license', 'rejection', 'acknowledgement');
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_application ON deliveries (application_id, created_at);
