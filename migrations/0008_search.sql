-- The search change feed: one row per change to a searchable record, written in the same
-- transaction as the change. Every node's index follows it in `seq` order and records in
-- the index the last `seq` it applied, so a change committed before a crash is indexed
-- after the restart.
CREATE TABLE search_outbox (
    seq {auto_id},
    doc_type TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX search_outbox_created_idx ON search_outbox (created_at);
