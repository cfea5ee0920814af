-- Failure cases. `cases` holds each case of its contributor at L1: the original as written,
-- sealed with the organisation's data key (`original`, vault context `cases/original/<id>`),
-- and, once the contributor confirmed it, the desensitized version to publish
-- (`confirmed`: the texts the contributor rewrote, JSON). `stage`: draft, submitted, returned, held,
-- published, withdrawn. `mechanism` and `root_causes` are the classification (suggested at
-- upload, confirmed by the curator).
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL REFERENCES people (id),
    stage TEXT NOT NULL,
    original TEXT NOT NULL,
    confirmed TEXT,
    mechanism TEXT NOT NULL,
    root_causes TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    curator_note TEXT,
    curated_by TEXT REFERENCES people (id),
    revision BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX cases_org_idx ON cases (org_id, updated_at);
CREATE INDEX cases_stage_idx ON cases (stage, updated_at);

-- The published, desensitized version (L3, its summary public). The quasi-identifiers are
-- stored as published (possibly generalized by the k-anonymity check) so that later checks
-- count them. `body` is the canonical JSON of the publication, anchored in the ledger.
CREATE TABLE case_publications (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    province TEXT NOT NULL,
    industry TEXT NOT NULL,
    equipment_type TEXT NOT NULL,
    grade TEXT NOT NULL,
    year TEXT NOT NULL,
    mechanism TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX case_publications_list_idx ON case_publications (published_at, case_id);
CREATE INDEX case_publications_class_idx ON case_publications (province, industry, equipment_type, grade, year);

-- Applications for a published case's full record. `status`: pending, granted, refused.
-- A grant ends at `expires_at`.
CREATE TABLE case_access_requests (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT REFERENCES people (id),
    decided_at TEXT,
    decision_note TEXT,
    expires_at TEXT
);
CREATE INDEX case_access_requests_case_idx ON case_access_requests (case_id, requested_at);
CREATE INDEX case_access_requests_person_idx ON case_access_requests (person_id, requested_at);

-- Every read of a full record, for the contributor to see who read what and why; each row
-- is anchored in the ledger.
CREATE TABLE case_accesses (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    request_id TEXT REFERENCES case_access_requests (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    purpose TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX case_accesses_case_idx ON case_accesses (case_id, at);

-- What happened to a case, in order: uploaded, confirmed, returned, held, published …
CREATE TABLE case_events (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    at TEXT NOT NULL,
    person_id TEXT REFERENCES people (id),
    kind TEXT NOT NULL,
    note TEXT
);
CREATE INDEX case_events_case_idx ON case_events (case_id, at);
