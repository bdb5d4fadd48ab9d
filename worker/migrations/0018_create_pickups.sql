-- Pickups (docs/pickup.md): a product that can reach the internet asks for one, shows its apply
-- link as the QR code and polls until the license of the application bound to it is issued.
-- The device code itself is never stored, only its SHA-256 (hex). The user code is stored
-- normalised: 8 of BCDFGHJKLMNPQRSTVWXZ, upper-case, no dash. Times are milliseconds.
CREATE TABLE pickups (
  device_code_hash TEXT PRIMARY KEY,
  user_code        TEXT NOT NULL UNIQUE,
  product          TEXT NOT NULL,
  -- Normalised as docs/license-format.md says (compacted, '-' dropped, ASCII upper-cased).
  feature_code     TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  -- Unbound: the time left to apply. Bound: extended so the product may poll until the decision.
  expires_at       INTEGER NOT NULL,
  interval_ms      INTEGER NOT NULL CHECK (interval_ms > 0),
  last_poll_at     INTEGER,
  -- Set once, in the batch that stores the application (one pickup, one application).
  application_id   TEXT UNIQUE REFERENCES applications (id),
  bound_at         INTEGER,
  -- Set once, when the product received the license: a pickup is single-use.
  consumed_at      INTEGER
);

CREATE INDEX pickups_expires ON pickups (expires_at);
