-- Local supplementary clauses: an enterprise's or a park's own clause against a clause of a
-- released platform standard, with its regional or working-condition justification. A record
-- of its organisation at a data level (`private`, `park`, or `industry` to have it verified
-- by experts and applied by others). `limits` is a JSON list of machine-checkable limits
-- compared, parameter by parameter, with the unified clause's.
--
-- `status`: local (in force for its holder), verification (shared for verification),
-- verified (the expert group found it equivalent or stricter), not_equivalent,
-- promotion_proposed (enough verified applications), promoted (a revision proposal made).
CREATE TABLE supplementary_clauses (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    level TEXT NOT NULL,
    park_id TEXT REFERENCES organizations (id),
    base_clause_id TEXT NOT NULL REFERENCES clauses (id),
    base_standard_id TEXT NOT NULL REFERENCES standards (id),
    number TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    justification TEXT NOT NULL,
    limits TEXT NOT NULL,
    status TEXT NOT NULL,
    draft_id TEXT REFERENCES standard_drafts (id),
    created_by TEXT NOT NULL REFERENCES people (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX supplementary_clauses_org_idx ON supplementary_clauses (org_id, updated_at);
CREATE INDEX supplementary_clauses_level_idx ON supplementary_clauses (level, status, updated_at);
CREATE INDEX supplementary_clauses_base_idx ON supplementary_clauses (base_clause_id);

-- The expert group's verdicts: one per expert (a later one replaces it).
-- `verdict`: equivalent, stricter, not_equivalent.
CREATE TABLE supplementary_verdicts (
    supplement_id TEXT NOT NULL REFERENCES supplementary_clauses (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (supplement_id, person_id)
);

-- Engineering verification: the clause applied on real equipment, with the outcome
-- (`effective`, `ineffective`, `inconclusive`). The organisation that applied it records
-- it; its equipment item, when named, is its own.
CREATE TABLE supplementary_applications (
    id TEXT PRIMARY KEY,
    supplement_id TEXT NOT NULL REFERENCES supplementary_clauses (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    equipment_id TEXT REFERENCES equipment (id),
    applied_from TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES people (id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX supplementary_applications_idx ON supplementary_applications (supplement_id, recorded_at);
