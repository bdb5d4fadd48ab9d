-- Alerts a person receives (docs/alerts.md). One row per (code, subject): `subject` is '' for a
-- worker-wide condition, else what it is about (an application id, a delivery id, an instance id).
-- `fires` counts the times it went from resolved (or nothing) to firing; `notified` is the
-- `<fires>:<state>` last turned into notices, so raising an already firing alert notifies nobody.
CREATE TABLE alerts (
  code          TEXT NOT NULL,
  subject       TEXT NOT NULL DEFAULT '',
  state         TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
  fires         INTEGER NOT NULL DEFAULT 1,
  notified      TEXT NOT NULL DEFAULT '',
  details       TEXT NOT NULL DEFAULT '{}',
  occurrences   INTEGER NOT NULL DEFAULT 1,
  first_seen_at INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  resolved_at   INTEGER,
  PRIMARY KEY (code, subject)
);

CREATE INDEX alerts_state ON alerts (state);

-- The alert outbox: one notice per (alert firing or resolution, channel), sent with
-- Idempotency-Key `alert/<id>` through the mail path (or to the DingTalk group robot).
CREATE TABLE alert_notices (
  id              TEXT PRIMARY KEY,
  code            TEXT NOT NULL,
  subject         TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('firing', 'resolved')),
  channel         TEXT NOT NULL CHECK (channel IN ('email', 'dingtalk')),
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  details         TEXT NOT NULL DEFAULT '{}',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error      TEXT,
  sent_at         INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE INDEX alert_notices_due ON alert_notices (status, next_attempt_at);
CREATE INDEX alert_notices_subject ON alert_notices (code, subject);

-- DingTalk pushes (HTTP or Stream) the worker received per UTC month: they count against the
-- push quota (dingtalk.md §8) as API calls count against theirs.
ALTER TABLE api_usage ADD COLUMN pushes INTEGER NOT NULL DEFAULT 0;

-- When each proxy last reported itself ready (ms): a draining or failing proxy's heartbeat keeps
-- it, so "no ready proxy for ALERT_NO_PROXY_AFTER_MS" counts from the last ready moment.
ALTER TABLE proxies ADD COLUMN last_ready_at INTEGER;
