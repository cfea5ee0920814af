-- Files attached to records of any module (test reports, micrographs, inspection reports,
-- course material). The bytes live in the object store under `object_key`; a row is only
-- written after its object, so no row points to a missing object. Who may read a file is
-- decided by its owner record's level, organisation and parks, resolved through the owner's
-- module at every access, so nothing about access is copied here.
--
-- A file whose entry is in the ledger is never removed from this table: deleting it removes
-- its bytes and marks the row deleted (a tombstone that `ledger verify` can still
-- recompute).

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    file_name TEXT NOT NULL,
    -- The type detected from the content: pdf, png, jpeg, webp, gif, tiff, docx, xlsx, pptx,
    -- csv, text.
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    -- Lower-case hex SHA-256 of the stored bytes.
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL,
    thumbnail_key TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT,
    deleted_at TEXT,
    deleted_by TEXT
);
CREATE INDEX attachments_owner_idx ON attachments (owner_kind, owner_id, created_at, id);
