-- The national typical-accident warning bulletins (crates/modules/cases/src/bulletins.rs):
-- drafted monthly from the cases published in the month before, edited and published by
-- staff, anchored in the ledger at publication. One per month.
CREATE TABLE warning_bulletins (
    id TEXT PRIMARY KEY,
    -- The month of the cases, `YYYY-MM`.
    period TEXT NOT NULL UNIQUE,
    stage TEXT NOT NULL CHECK (stage IN ('draft', 'published')),
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    intro_zh TEXT NOT NULL,
    intro_en TEXT NOT NULL,
    -- JSON: the groups of cases, their lessons and clauses, the figures and the evidence.
    body TEXT NOT NULL,
    drafted_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES people (id),
    published_at TEXT,
    published_by TEXT REFERENCES people (id)
);

CREATE INDEX warning_bulletins_stage ON warning_bulletins (stage, period);
