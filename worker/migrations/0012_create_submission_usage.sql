-- Budgets that protect DingTalk's quota and the approvers' queue (docs/architecture.md, "Budgets").
-- New DingTalk submissions (creates) per UTC day ('2026-11-17') and per UTC month ('2026-11'):
-- a create reserves one slot in both rows with one conditional UPDATE, so concurrent requests
-- never pass SUBMIT_DAILY_CAP / SUBMIT_MONTHLY_CAP; a create that surely made no approval gives its
-- slot back.
CREATE TABLE submission_usage (
  period  TEXT PRIMARY KEY,
  creates INTEGER NOT NULL DEFAULT 0 CHECK (creates >= 0)
);

-- Until when a budget last held this application back (its next_submit_at then). Its one-day
-- give-up clock for an unreachable DingTalk starts there, not at created_at: an application kept
-- for a month is not given up on its first failure.
ALTER TABLE applications ADD COLUMN submit_deferred_until INTEGER;

-- The pending limits of POST /api/applications: pending applications per normalised feature code
-- (docs/license-format.md: '-' dropped, ASCII upper-cased; stored codes are already compacted) and
-- per email (ASCII case-insensitive). The queries use these very expressions.
CREATE INDEX applications_pending_feature_code ON applications (product, upper(replace(feature_code, '-', '')), status);
CREATE INDEX applications_pending_email ON applications (lower(email), status);
