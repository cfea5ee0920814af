-- Differential privacy for L4 statistics: each consumer organisation's privacy budget per
-- period, and every release charged against it.

CREATE TABLE privacy_budgets (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    period TEXT NOT NULL,
    epsilon_total DOUBLE PRECISION NOT NULL,
    epsilon_spent DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (org_id, period)
);

CREATE TABLE privacy_releases (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    person_id TEXT REFERENCES people (id),
    period TEXT NOT NULL,
    at TEXT NOT NULL,
    measure TEXT NOT NULL,
    query TEXT NOT NULL,
    epsilon DOUBLE PRECISION NOT NULL,
    cells BIGINT NOT NULL,
    suppressed BIGINT NOT NULL
);
CREATE INDEX privacy_releases_org_idx ON privacy_releases (org_id, period, at);
