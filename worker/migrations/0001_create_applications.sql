-- Applications: one row per license request, the system of record (docs/storage.md).
-- Times are milliseconds since the epoch. The access token itself is never stored, only its SHA-256.
CREATE TABLE applications (
  id                   TEXT PRIMARY KEY,
  access_token_hash    TEXT NOT NULL,
  product              TEXT NOT NULL,
  feature_code         TEXT NOT NULL,
  quantity             INTEGER NOT NULL CHECK (quantity > 0),
  validity_days        INTEGER NOT NULL CHECK (validity_days > 0),
  name                 TEXT NOT NULL,
  company              TEXT NOT NULL,
  email                TEXT NOT NULL,
  phone                TEXT,
  note                 TEXT,
  locale               TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
  status               TEXT NOT NULL CHECK (status IN ('submitted', 'pending_approval', 'approved',
                         'issued', 'delivered', 'rejected', 'withdrawn', 'failed')),
  dingtalk_instance_id TEXT UNIQUE,
  submit_attempts      INTEGER NOT NULL DEFAULT 0,
  next_submit_at       INTEGER,
  last_error           TEXT,
  poll_attempts        INTEGER NOT NULL DEFAULT 0,
  next_poll_at         INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);

CREATE INDEX applications_submit_due ON applications (status, next_submit_at);
CREATE INDEX applications_poll_due ON applications (status, next_poll_at);

-- The lifecycle, enforced by the database too: a status moves only along these edges.
CREATE TRIGGER applications_status_lifecycle
BEFORE UPDATE OF status ON applications
WHEN NEW.status <> OLD.status AND NOT (
  (OLD.status = 'submitted' AND NEW.status IN ('pending_approval', 'failed')) OR
  (OLD.status = 'pending_approval' AND NEW.status IN ('approved', 'rejected', 'withdrawn')) OR
  (OLD.status = 'approved' AND NEW.status IN ('issued', 'failed')) OR
  (OLD.status = 'issued' AND NEW.status IN ('delivered', 'failed'))
)
BEGIN
  SELECT RAISE(ABORT, 'invalid application status transition');
END;
