-- Licenses: at most one per application (UNIQUE application_id), so a retried issue reuses it.
-- nbf/exp are the license claims (seconds); issued_at is milliseconds like every other table.
CREATE TABLE licenses (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
  kid            TEXT NOT NULL,
  text           TEXT NOT NULL,
  nbf            INTEGER NOT NULL,
  exp            INTEGER NOT NULL CHECK (exp > nbf),
  issued_at      INTEGER NOT NULL
);
