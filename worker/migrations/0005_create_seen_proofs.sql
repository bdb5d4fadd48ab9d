-- Proof ids (jti) seen on /internal/events, kept until they expire (exp, seconds); swept by cron.
CREATE TABLE seen_proofs (
  jti TEXT PRIMARY KEY,
  exp INTEGER NOT NULL
);

CREATE INDEX seen_proofs_exp ON seen_proofs (exp);
