-- Per (destination, profile), the profile version each audience / trait was last delivered at
-- ({"audience:hot": 7, "trait:lead_score": 9}), so replaying an old dead letter never overwrites a
-- value the destination was told later (docs/delivery.md: never deliver an older state after a newer one).
ALTER TABLE delivery_state ADD COLUMN key_versions TEXT NOT NULL DEFAULT '{}';
