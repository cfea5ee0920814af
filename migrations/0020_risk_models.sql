-- Versions of the learned risk model (crates/modules/cases/src/learned.rs): the fitted
-- coefficients and their measurements, each anchored in the ledger; the newest is in use.
CREATE TABLE risk_models (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL UNIQUE,
    trained_at TEXT NOT NULL,
    -- The job that trained it: a job run twice finds its model instead of making another.
    job_id TEXT UNIQUE,
    -- The operator's person who asked for it; NULL for the recurring retraining.
    requested_by TEXT REFERENCES people (id),
    -- The registry and the publications as they were: unchanged data is not retrained.
    data_fingerprint TEXT NOT NULL,
    body TEXT NOT NULL
);
