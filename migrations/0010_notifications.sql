-- Notifications: each person's inbox, their delivery preferences, and organisations'
-- webhook endpoints with the log of every delivery attempt. E-mails and webhook
-- deliveries themselves are durable jobs (`notify.email`, `notify.webhook`).

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    kind TEXT NOT NULL,
    -- Written in both languages by the sender; the reader sees their own.
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    body_zh TEXT NOT NULL,
    body_en TEXT NOT NULL,
    -- A path on this platform (e.g. /equipment/…), never an outside address.
    link TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT,
    archived_at TEXT
);
CREATE INDEX notifications_person_idx ON notifications (person_id, id);
CREATE INDEX notifications_unread_idx ON notifications (person_id, read_at, archived_at);

-- Only the choices a person changed; the defaults of each kind apply otherwise.
CREATE TABLE notification_preferences (
    person_id TEXT NOT NULL REFERENCES people (id),
    kind TEXT NOT NULL,
    inbox BIGINT NOT NULL CHECK (inbox IN (0, 1)),
    email BIGINT NOT NULL CHECK (email IN (0, 1)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (person_id, kind)
);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    -- The subscribed event types, space separated.
    events TEXT NOT NULL,
    description TEXT,
    -- The signing secret, sealed with the organisation's data key (it must be usable to
    -- sign, so it cannot be hashed; it is shown once, when the endpoint is registered).
    secret_sealed TEXT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by TEXT,
    deleted_at TEXT
);
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (org_id, id);

-- One message per endpoint and event; its id is the `webhook-id` header, the same on
-- every retry, so receivers can drop duplicates.
CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webhook_messages_endpoint_idx ON webhook_messages (endpoint_id, id);

-- Every delivery attempt, for the organisation's admins.
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES webhook_messages (id),
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    attempt BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    attempted_at TEXT NOT NULL
);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id);
