-- The operator console's actions (docs/console.md, "Actions"): events may come from an operator,
-- and an application may have several license mails (a resend, to the same or a corrected address).
-- SQLite cannot alter a CHECK or drop a UNIQUE, so both tables are rebuilt with their rows.
PRAGMA defer_foreign_keys = true;

-- The lifecycle trigger of 0001 with the operator's edges (worker/src/lifecycle.ts, TRANSITIONS):
-- Withdraw of a submitted or failed application, Resubmit of a failed one, and a Resend that
-- delivers the license of one whose first mail failed.
DROP TRIGGER applications_status_lifecycle;
CREATE TRIGGER applications_status_lifecycle
BEFORE UPDATE OF status ON applications
WHEN NEW.status <> OLD.status AND NOT (
  (OLD.status = 'submitted' AND NEW.status IN ('pending_approval', 'failed', 'withdrawn')) OR
  (OLD.status = 'pending_approval' AND NEW.status IN ('approved', 'rejected', 'withdrawn')) OR
  (OLD.status = 'approved' AND NEW.status IN ('issued', 'failed')) OR
  (OLD.status = 'issued' AND NEW.status IN ('delivered', 'failed')) OR
  (OLD.status = 'failed' AND NEW.status IN ('submitted', 'delivered', 'withdrawn'))
)
BEGIN
  SELECT RAISE(ABORT, 'invalid application status transition');
END;

-- events: source 'operator' added. DROP TABLE's implicit delete fires no trigger; the append-only
-- triggers are recreated on the new table.
CREATE TABLE events_new (
  id                TEXT PRIMARY KEY,
  application_id    TEXT NOT NULL REFERENCES applications (id),
  type              TEXT NOT NULL,
  from_status       TEXT,
  to_status         TEXT,
  source            TEXT NOT NULL CHECK (source IN ('api', 'dingtalk', 'cron', 'outbox', 'operator')),
  dedupe_key        TEXT UNIQUE,
  dingtalk_event_id TEXT UNIQUE,
  data              TEXT,
  created_at        INTEGER NOT NULL
);
INSERT INTO events_new (rowid, id, application_id, type, from_status, to_status, source, dedupe_key, dingtalk_event_id, data, created_at)
  SELECT rowid, id, application_id, type, from_status, to_status, source, dedupe_key, dingtalk_event_id, data, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_application ON events (application_id, created_at);
CREATE TRIGGER events_no_update
BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete
BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;

-- deliveries: kind 'license_resend' (any number per application, each with its own id and so its
-- own Idempotency-Key) and to_address (NULL: the application's email). 'license' and 'rejection'
-- stay once per application, now through a partial unique index.
CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,
  application_id  TEXT NOT NULL REFERENCES applications (id),
  kind            TEXT NOT NULL CHECK (kind IN ('license', 'rejection', 'license_resend')),
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error      TEXT,
  resend_email_id TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  to_address      TEXT
);
INSERT INTO deliveries_new (id, application_id, kind, status, attempts, next_attempt_at, last_error, resend_email_id, created_at, updated_at)
  SELECT id, application_id, kind, status, attempts, next_attempt_at, last_error, resend_email_id, created_at, updated_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE UNIQUE INDEX deliveries_once ON deliveries (application_id, kind) WHERE kind IN ('license', 'rejection');
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_application ON deliveries (application_id, created_at);
