-- Compliance self-inspection (L1, the enterprise's own): a checklist generated from the
-- released clauses that apply to one item or to all of an organisation's items, each
-- answered conform / not conform / not applicable with a note. The clause's number, kind
-- and text are copied in, so a checklist keeps reading as it was when later versions
-- replace the clause.
CREATE TABLE self_inspections (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    equipment_id TEXT REFERENCES equipment (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX self_inspections_org_idx ON self_inspections (org_id, created_at);

CREATE TABLE self_inspection_items (
    inspection_id TEXT NOT NULL REFERENCES self_inspections (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    clause_id TEXT NOT NULL,
    standard_id TEXT NOT NULL,
    code TEXT NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL,
    text_en TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    applies_to TEXT NOT NULL,
    verdict TEXT,
    note TEXT,
    answered_at TEXT,
    answered_by TEXT,
    PRIMARY KEY (inspection_id, position)
);
