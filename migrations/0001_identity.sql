-- Identity: organisations, parks, people, capacities, sessions, API tokens, audit.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids (UUIDv7), TEXT timestamps in fixed-width
-- RFC 3339 UTC, BIGINT counters, flags as BIGINT 0/1 (sqlx's Any driver cannot read
-- SQLite BOOLEAN columns).

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT,
    uscc TEXT,
    region_code TEXT NOT NULL,
    industry_code TEXT,
    address TEXT,
    status TEXT NOT NULL,
    status_reason TEXT,
    created_at TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by TEXT,
    CONSTRAINT organizations_uscc_key UNIQUE (uscc)
);
CREATE INDEX organizations_status_idx ON organizations (status, created_at, id);
CREATE INDEX organizations_kind_idx ON organizations (kind, region_code);
CREATE INDEX organizations_name_idx ON organizations (name, id);

-- Enterprises settled in parks; a park is an organisation of kind `park`.
CREATE TABLE park_memberships (
    park_id TEXT NOT NULL REFERENCES organizations (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    since TEXT NOT NULL,
    PRIMARY KEY (park_id, enterprise_id)
);
CREATE INDEX park_memberships_enterprise_idx ON park_memberships (enterprise_id);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- NULL: the account cannot sign in with a password (e.g. an invited person who has
    -- not set one yet).
    password_hash TEXT,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    locale TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT people_email_key UNIQUE (email)
);
CREATE INDEX people_org_idx ON people (org_id, display_name, id);

CREATE TABLE person_capacities (
    person_id TEXT NOT NULL REFERENCES people (id),
    capacity TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT,
    PRIMARY KEY (person_id, capacity)
);

-- Sessions: the cookie carries a random secret; only its SHA-256 is stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT,
    user_agent TEXT,
    ip TEXT,
    CONSTRAINT sessions_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX sessions_person_idx ON sessions (person_id, created_at);

-- API tokens for machine clients; the token is shown once, only its SHA-256 is stored.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    CONSTRAINT api_tokens_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX api_tokens_org_idx ON api_tokens (org_id, created_at);

-- Failed sign-ins, per account (keyed by a hash of the e-mail, whether or not an account
-- exists, so throttling reveals nothing) and per client address.
CREATE TABLE login_throttle (
    subject TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at TEXT NOT NULL,
    blocked_until TEXT
);

-- Every decision on L1, L2 and L4 data and every login, logout, failed login and token use.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_person_id TEXT,
    actor_org_id TEXT,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    resource_org_id TEXT,
    level TEXT,
    decision TEXT NOT NULL,
    ip TEXT,
    detail TEXT
);
CREATE INDEX audit_events_at_idx ON audit_events (at, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_org_id, at);
CREATE INDEX audit_events_resource_org_idx ON audit_events (resource_org_id, at);
