-- The clause library: standards of several origins, their versions, and the numbered
-- clauses of each version. A standard is a record of the organisation that holds it
-- (the association for the platform's unified standards), at a data level: `public` once
-- released (standard retrieval is a free public service), `private` or `park` for an
-- enterprise's or a park's own documents.
CREATE TABLE standards (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    origin TEXT NOT NULL,
    owner_org_id TEXT NOT NULL REFERENCES organizations (id),
    level TEXT NOT NULL,
    park_id TEXT REFERENCES organizations (id),
    title_en TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    scope_en TEXT NOT NULL,
    scope_zh TEXT NOT NULL,
    topic TEXT NOT NULL,
    refs TEXT NOT NULL,
    review_interval_months BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT standards_code_key UNIQUE (code)
);
CREATE INDEX standards_level_idx ON standards (level, code, id);
CREATE INDEX standards_owner_idx ON standards (owner_org_id, code, id);

-- `stage`: draft, formal_check, expert_review, consultation, approved, released,
-- superseded. A released version's clauses are sealed by `content_sha256`.
CREATE TABLE standard_versions (
    id TEXT PRIMARY KEY,
    standard_id TEXT NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    stage TEXT NOT NULL,
    released_at TEXT,
    effective_on TEXT,
    review_due_on TEXT,
    content_sha256 TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT standard_versions_key UNIQUE (standard_id, version)
);
CREATE INDEX standard_versions_stage_idx ON standard_versions (stage, standard_id);

CREATE TABLE clauses (
    id TEXT PRIMARY KEY,
    version_id TEXT NOT NULL REFERENCES standard_versions (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    text_en TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    rationale_en TEXT NOT NULL,
    rationale_zh TEXT NOT NULL,
    risk_grades TEXT NOT NULL,
    applies TEXT NOT NULL,
    refs TEXT NOT NULL,
    sources TEXT NOT NULL,
    convention BIGINT NOT NULL CHECK (convention IN (0, 1)),
    unverified BIGINT NOT NULL CHECK (unverified IN (0, 1)),
    limit_check TEXT,
    CONSTRAINT clauses_number_key UNIQUE (version_id, number)
);
CREATE INDEX clauses_version_idx ON clauses (version_id, position);
