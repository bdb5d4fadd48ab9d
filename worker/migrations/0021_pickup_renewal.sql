-- A pickup may be for a renewal (docs/pickup.md, "Renewing from the product"): the product showed
-- its current license when it asked, and the pickup's link is that license's renewal link. NULL:
-- a new license. Since 2026-12-02 feature_code holds the code as the product reported it
-- (compacted); rows written before hold it normalised, and binding compares both normalised.
ALTER TABLE pickups ADD COLUMN renews_license_id TEXT REFERENCES licenses (id);
