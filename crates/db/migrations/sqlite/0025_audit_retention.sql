-- The audit log's retention (issue 29, 网络安全法 Art. 21: at least six months kept): entries
-- older than the install keeps are pruned by the jobs loop, and each pruning leaves here the last
-- entry it removed, from which the chain is verified on (the pruning is itself an entry of the
-- chain that names this row, so a forged row is found).
CREATE TABLE audit_pruned (
    through_seq BIGINT PRIMARY KEY,
    through_hash TEXT NOT NULL,
    through_version BIGINT NOT NULL,
    pruned_at TEXT NOT NULL,
    entries BIGINT NOT NULL
);
