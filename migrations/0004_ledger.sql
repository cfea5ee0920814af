-- The transparency log (RFC 9162 Merkle tree). Entries and perfect-subtree nodes are
-- insert-only; the head row serializes appends (PostgreSQL locks it, SQLite's write
-- transaction already excludes other writers).

CREATE TABLE ledger_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO ledger_head (id, size, updated_at) VALUES (1, 0, '1970-01-01T00:00:00.000000Z');

-- Leaf i of the tree: the exact leaf data (canonical JSON text) and what it anchors.
CREATE TABLE ledger_entries (
    idx BIGINT PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    leaf_data TEXT NOT NULL,
    at TEXT NOT NULL,
    CONSTRAINT ledger_entries_record_version_key UNIQUE (record_type, record_id, version)
);

-- Hashes of perfect subtrees, keyed by their in-order position (see ticorr-ledger's NodeId).
CREATE TABLE ledger_nodes (
    node_key BIGINT PRIMARY KEY,
    hash TEXT NOT NULL
);

-- Signed checkpoints (C2SP tlog-checkpoint), the note text as the log signed it.
CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    root TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);

-- Witness cosignatures (C2SP tlog-cosignature) on a checkpoint, one line each.
CREATE TABLE ledger_cosignatures (
    size BIGINT NOT NULL REFERENCES ledger_checkpoints (size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);
