-- Renewal (issue 10, docs/renewal.md): reminders before a license expires, applications that renew
-- a license, and a per-product switch for the reminders with a record of who turned it.
-- SQLite cannot alter a CHECK, so `deliveries` is rebuilt with its rows (as 0014 and 0016 did),
-- keeping every column and index; a reminder names its license in license_id.
PRAGMA defer_foreign_keys = true;

CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,
  application_id  TEXT NOT NULL REFERENCES applications (id),
  kind            TEXT NOT NULL CHECK (kind IN ('license', 'rejection', 'license_resend', 'acknowledgement', 'renewal_reminder')),
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
CREATE UNIQUE INDEX deliveries_once ON deliveries (application_id, kind) WHERE kind IN ('license', 'rejection', 'acknowledgement');
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_application ON deliveries (application_id, created_at);

-- One reminder per license and threshold (days before exp), ever: the row is written in the same
-- batch as its delivery, and the delivery only if this row is its own (worker/src/renewal/remind.ts).
CREATE TABLE renewal_reminders (
  license_id     TEXT NOT NULL REFERENCES licenses (id),
  threshold_days INTEGER NOT NULL CHECK (threshold_days > 0),
  delivery_id    TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (license_id, threshold_days)
);

-- The license an application renews (NULL: a new license). Its license starts when that one ends.
ALTER TABLE applications ADD COLUMN renews_license_id TEXT REFERENCES licenses (id);
-- One live renewal per license: a refused or withdrawn one does not count.
CREATE UNIQUE INDEX applications_renews_once ON applications (renews_license_id)
  WHERE renews_license_id IS NOT NULL AND status NOT IN ('rejected', 'withdrawn');

-- Per-product settings an operator changes in the console; no row: the defaults (reminders on).
CREATE TABLE product_settings (
  product           TEXT PRIMARY KEY,
  renewal_reminders INTEGER NOT NULL CHECK (renewal_reminders IN (0, 1)),
  updated_at        INTEGER NOT NULL,
  updated_by        TEXT NOT NULL
);
-- Every change, append-only: who turned what to which value, when.
CREATE TABLE product_setting_changes (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  product    TEXT NOT NULL,
  setting    TEXT NOT NULL,
  value      TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at INTEGER NOT NULL
);
CREATE INDEX product_setting_changes_product ON product_setting_changes (product, changed_at);
CREATE TRIGGER product_setting_changes_no_update BEFORE UPDATE ON product_setting_changes
BEGIN
  SELECT RAISE(ABORT, 'product setting changes are append-only');
END;
CREATE TRIGGER product_setting_changes_no_delete BEFORE DELETE ON product_setting_changes
BEGIN
  SELECT RAISE(ABORT, 'product setting changes are append-only');
END;
