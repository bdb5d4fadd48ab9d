-- DingTalk API calls per UTC month ('2026-11'), so polling stays inside the monthly quota.
CREATE TABLE api_usage (
  month TEXT PRIMARY KEY,
  calls INTEGER NOT NULL DEFAULT 0
);
