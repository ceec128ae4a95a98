-- The audit hash covers every column from now on (the unit path too): each entry says which hash
-- layout it was written with, and entries written before keep layout 1, which they verify with.
ALTER TABLE audit_log ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1;
