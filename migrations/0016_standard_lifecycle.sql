-- The lifecycle of the platform's unified standards. A proposal (a new standard, a
-- revision of one, or an erratum) carries its draft clauses as a document until it is
-- released; release writes the version into `standard_versions` and `clauses`.
--
-- `stage`: draft, formal_check, expert_review, consultation, approved, released,
-- rejected, withdrawn. `round` counts submissions: votes belong to the round they were
-- cast in, so a proposal sent back and resubmitted is reviewed afresh and the earlier
-- votes stay on record.
CREATE TABLE standard_drafts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    standard_id TEXT REFERENCES standards (id),
    base_version_id TEXT REFERENCES standard_versions (id),
    applicant_org_id TEXT NOT NULL REFERENCES organizations (id),
    applicant_person_id TEXT NOT NULL REFERENCES people (id),
    stage TEXT NOT NULL,
    round BIGINT NOT NULL,
    proposal TEXT NOT NULL,
    justification TEXT NOT NULL,
    consultation_ends_on TEXT,
    released_version_id TEXT REFERENCES standard_versions (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX standard_drafts_stage_idx ON standard_drafts (stage, updated_at);
CREATE INDEX standard_drafts_applicant_idx ON standard_drafts (applicant_org_id, updated_at);
CREATE INDEX standard_drafts_standard_idx ON standard_drafts (standard_id);

CREATE TABLE standard_reviewers (
    draft_id TEXT NOT NULL REFERENCES standard_drafts (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL REFERENCES people (id),
    PRIMARY KEY (draft_id, person_id)
);

-- `vote`: approve, approve_with_changes, reject.
CREATE TABLE standard_votes (
    draft_id TEXT NOT NULL REFERENCES standard_drafts (id),
    round BIGINT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    clause_number TEXT NOT NULL,
    vote TEXT NOT NULL,
    comment TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (draft_id, round, person_id, clause_number)
);

-- Public consultation. `clause_number` is null for a comment on the whole proposal.
-- `disposition`: accepted, partly_accepted, not_accepted.
CREATE TABLE standard_comments (
    id TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL REFERENCES standard_drafts (id),
    clause_number TEXT,
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disposition TEXT,
    reason TEXT,
    disposed_by TEXT REFERENCES people (id),
    disposed_at TEXT
);
CREATE INDEX standard_comments_draft_idx ON standard_comments (draft_id, created_at);

-- Who did what, when, to a proposal or a standard.
CREATE TABLE standard_events (
    id TEXT PRIMARY KEY,
    draft_id TEXT REFERENCES standard_drafts (id),
    standard_id TEXT REFERENCES standards (id),
    at TEXT NOT NULL,
    person_id TEXT REFERENCES people (id),
    org_id TEXT REFERENCES organizations (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX standard_events_draft_idx ON standard_events (draft_id, at);
CREATE INDEX standard_events_standard_idx ON standard_events (standard_id, at);

-- Periodic review: opened by a daily job when a released version's review is due; closed
-- by reaffirming the standard or by the release of a revision.
CREATE TABLE standard_review_tasks (
    id TEXT PRIMARY KEY,
    standard_id TEXT NOT NULL REFERENCES standards (id),
    version_id TEXT NOT NULL REFERENCES standard_versions (id),
    due_on TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    outcome TEXT,
    draft_id TEXT REFERENCES standard_drafts (id),
    CONSTRAINT standard_review_tasks_key UNIQUE (version_id, due_on)
);

-- What an expert's work covers, by standards topic (`design_material`, `fabrication`,
-- `installation`, `operation`, `cleaning`, `inspection`, `hydrogen`, `heaters`): the
-- reviewers of a proposal are drawn from people whose specialties fit its topic.
CREATE TABLE person_specialties (
    person_id TEXT NOT NULL REFERENCES people (id),
    topic TEXT NOT NULL,
    PRIMARY KEY (person_id, topic)
);
CREATE INDEX person_specialties_topic_idx ON person_specialties (topic, person_id);
