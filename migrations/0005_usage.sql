-- Metered services: one row per use, for billing and for the operator's view of load.
CREATE TABLE usage_events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    person_id TEXT REFERENCES people (id),
    service TEXT NOT NULL,
    units BIGINT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX usage_events_org_idx ON usage_events (org_id, service, at);
