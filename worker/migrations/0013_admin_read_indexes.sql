-- The operator console's read API (docs/api.md, "Admin API"): every filter and sort it offers is
-- served by an index (worker/src/routes/admin/read-plans.test.ts checks the query plans).
-- Newest first, keyset-paginated on (created_at, id); and per status or product in the same order.
CREATE INDEX applications_created ON applications (created_at, id);
CREATE INDEX applications_status_created ON applications (status, created_at, id);
CREATE INDEX applications_product_created ON applications (product, created_at, id);
-- Search by feature code of any product, normalised as docs/license-format.md says (stored codes
-- are compacted; '-' dropped, ASCII upper-cased): the expression of the pending-limits index of
-- 0012 without its leading product.
CREATE INDEX applications_feature_code_norm ON applications (upper(replace(feature_code, '-', '')), created_at);
-- Company and name prefix search, ASCII case-insensitive (a range on lower(...)).
CREATE INDEX applications_company_lower ON applications (lower(company), created_at);
CREATE INDEX applications_name_lower ON applications (lower(name), created_at);
-- Licenses by expiry (the expiring list and its CSV), keyset-paginated on (exp, id).
CREATE INDEX licenses_exp ON licenses (exp, id);
-- The alerts about one application (or its deliveries): by subject, whatever the code.
CREATE INDEX alerts_subject ON alerts (subject);
