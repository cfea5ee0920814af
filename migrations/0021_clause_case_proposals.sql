-- Revision proposals that failure cases open: published cases kept occurring, within a
-- window, under the conditions of a released clause and of a mechanism the clause exists to
-- prevent (crates/modules/cases/src/feedback.rs). Closed like a periodic review: by
-- reaffirming the standard or by the release of a revision.
CREATE TABLE clause_case_proposals (
    id TEXT PRIMARY KEY,
    standard_id TEXT NOT NULL REFERENCES standards (id),
    version_id TEXT NOT NULL REFERENCES standard_versions (id),
    clause_number TEXT NOT NULL,
    -- JSON lists: the mechanisms the clause prevents, and the cases cited, newest first.
    mechanisms TEXT NOT NULL,
    case_ids TEXT NOT NULL,
    window_days INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    outcome TEXT,
    draft_id TEXT REFERENCES standard_drafts (id)
);

CREATE INDEX clause_case_proposals_clause ON clause_case_proposals (version_id, clause_number);
CREATE INDEX clause_case_proposals_standard ON clause_case_proposals (standard_id, closed_at);
