-- The highest change-feed number ever pruned. Old rows of `search_outbox` are deleted by a
-- daily job; a node whose index is behind this mark missed changes and rebuilds its index
-- from the database instead of applying the feed.
CREATE TABLE search_outbox_pruned (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    upto BIGINT NOT NULL
);
INSERT INTO search_outbox_pruned (id, upto) VALUES (1, 0);
