-- Events: the append-only log. Every status transition is one row (from_status → to_status);
-- other rows record attempts and received DingTalk events (to_status NULL).
-- dedupe_key and dingtalk_event_id make a repeated DingTalk event a no-op.
CREATE TABLE events (
  id                TEXT PRIMARY KEY,
  application_id    TEXT NOT NULL REFERENCES applications (id),
  type              TEXT NOT NULL,
  from_status       TEXT,
  to_status         TEXT,
  source            TEXT NOT NULL CHECK (source IN ('api', 'dingtalk', 'cron', 'outbox')),
  dedupe_key        TEXT UNIQUE,
  dingtalk_event_id TEXT UNIQUE,
  data              TEXT,
  created_at        INTEGER NOT NULL
);

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
