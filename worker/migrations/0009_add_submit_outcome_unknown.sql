-- A create whose answer was lost (timeout, reset): when it first happened. While set, the
-- application is not created again before SUBMIT_ADOPT_AFTER_MS has passed and DingTalk's
-- instance list was searched for it (docs/architecture.md, "Adopting an instance").
ALTER TABLE applications ADD COLUMN submit_outcome_unknown_at INTEGER;
