-- Egress proxies as they report themselves on POST /internal/proxy-check (their readiness round trip):
-- one row per PROXY_ID, upserted on each heartbeat. `ready` (0/1) is the proxy's own readiness (token,
-- events channel, not draining); `started_at` is the first heartbeat seen, `last_seen_at` the latest (ms).
CREATE TABLE proxies (
  id             TEXT PRIMARY KEY,
  egress_address TEXT,
  events         TEXT NOT NULL CHECK (events IN ('stream', 'http')),
  ready          INTEGER NOT NULL CHECK (ready IN (0, 1)),
  last_seen_at   INTEGER NOT NULL,
  started_at     INTEGER NOT NULL
);

CREATE INDEX proxies_last_seen ON proxies (last_seen_at);
