-- The job runtime: who started a job and how far it got, what it produced, the input it
-- carries (an uploaded file, stored with the job in the same transaction), and recurring
-- jobs.
ALTER TABLE jobs ADD COLUMN started_by_person TEXT;
ALTER TABLE jobs ADD COLUMN started_by_org TEXT;
ALTER TABLE jobs ADD COLUMN progress_done BIGINT;
ALTER TABLE jobs ADD COLUMN progress_total BIGINT;
ALTER TABLE jobs ADD COLUMN progress_note TEXT;
ALTER TABLE jobs ADD COLUMN result TEXT;
ALTER TABLE jobs ADD COLUMN started_at TEXT;
CREATE INDEX jobs_finished_idx ON jobs (status, finished_at);

-- An input file a job needs, as base64 text (portable across both engines); deleted with
-- the job's successful completion.
CREATE TABLE job_inputs (
    job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    name TEXT,
    content TEXT NOT NULL
);

-- Recurring jobs: each due occurrence is enqueued once, by whichever node first advances
-- `next_run_at` past it.
CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    cron TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    next_run_at TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    last_run_at TEXT,
    last_job_id TEXT,
    updated_at TEXT NOT NULL
);
