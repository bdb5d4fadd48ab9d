-- The applicant's time zone (IANA name, e.g. Asia/Shanghai), sent by the apply page at submit:
-- mails and the status page print times in it, with the zone named (worker/src/time-zone.ts).
-- NULL for applications from before, or from a client that sent none: Asia/Shanghai for zh-CN,
-- UTC otherwise.
ALTER TABLE applications ADD COLUMN time_zone TEXT;
