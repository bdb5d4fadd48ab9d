-- Revoke and Reissue (docs/console.md, "Actions"): an application may now have several licenses,
-- a reissued one superseding the one before; a license may be revoked, and the revoked ones are
-- published as a signed list (docs/license-format.md, "Revocation list").
-- SQLite cannot drop the UNIQUE of 0002, so `licenses` is rebuilt with its rows; the terms that a
-- reissue may correct (feature code, quantity) move onto the license, copied from the application.
PRAGMA defer_foreign_keys = true;

CREATE TABLE licenses_new (
  id                TEXT PRIMARY KEY,
  application_id    TEXT NOT NULL REFERENCES applications (id),
  kid               TEXT NOT NULL,
  text              TEXT NOT NULL,
  nbf               INTEGER NOT NULL,
  exp               INTEGER NOT NULL CHECK (exp > nbf),
  issued_at         INTEGER NOT NULL,
  -- The license's own terms (its `fc` and `qty` claims): the application's, unless reissued corrected.
  feature_code      TEXT NOT NULL,
  quantity          INTEGER NOT NULL CHECK (quantity >= 1),
  -- The license this one replaces (a reissue); NULL for the license issued on approval.
  supersedes        TEXT,
  -- Revocation: when (ms), by whom (an operator's email) and why; all NULL or none.
  revoked_at        INTEGER,
  revoked_by        TEXT,
  revocation_reason TEXT,
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL) AND (revoked_at IS NULL) = (revocation_reason IS NULL))
);
INSERT INTO licenses_new (id, application_id, kid, text, nbf, exp, issued_at, feature_code, quantity)
  SELECT l.id, l.application_id, l.kid, l.text, l.nbf, l.exp, l.issued_at, a.feature_code, a.quantity
  FROM licenses l JOIN applications a ON a.id = l.application_id;
DROP TABLE licenses;
ALTER TABLE licenses_new RENAME TO licenses;

-- The approval's license, once per application (a retried issue reuses it, as before).
CREATE UNIQUE INDEX licenses_first ON licenses (application_id) WHERE supersedes IS NULL;
-- One successor per license: two reissues of the same license cannot both land.
CREATE UNIQUE INDEX licenses_successor ON licenses (supersedes) WHERE supersedes IS NOT NULL;
-- The application's licenses in order, the newest being its current one.
CREATE INDEX licenses_application ON licenses (application_id, issued_at, id);
-- 0013's index, recreated on the new table.
CREATE INDEX licenses_exp ON licenses (exp, id);
-- The revocation list: every revoked license, by id.
CREATE INDEX licenses_revoked ON licenses (id) WHERE revoked_at IS NOT NULL;

-- A mail of one named license (a reissue's); NULL: the application's current license.
ALTER TABLE deliveries ADD COLUMN license_id TEXT;
