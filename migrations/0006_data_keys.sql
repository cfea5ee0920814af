-- Envelope encryption for L1 fields: each organisation's data key, wrapped by a master key
-- kept outside the database. Destroying a key (crypto-shredding) clears `wrapped` and keeps
-- the row, so nothing is ever sealed for that organisation again by mistake.
CREATE TABLE org_data_keys (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id),
    master_key_id TEXT,
    wrapped TEXT,
    created_at TEXT NOT NULL,
    rewrapped_at TEXT,
    destroyed_at TEXT
);

-- Private maintenance notes on an equipment item (costs, incidents, contacts), sealed with
-- the owner's data key; readable by the owner organisation only, whatever the item's level.
CREATE TABLE equipment_notes (
    equipment_id TEXT PRIMARY KEY REFERENCES equipment (id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    sealed TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES people (id)
);
