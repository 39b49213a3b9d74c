-- The system of record (PostgreSQL). Times are Unix milliseconds (UTC); JSON is TEXT.
-- Keep in step with ../sqlite/0001_store.sql: the queries are shared.

CREATE TABLE envelopes (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    source          TEXT NOT NULL,
    content_hash    TEXT NOT NULL UNIQUE,
    received_at     TEXT NOT NULL,
    stored_ms       BIGINT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    pages           BIGINT NOT NULL DEFAULT 0,
    blank_pages     TEXT NOT NULL DEFAULT '[]',
    published_ms    BIGINT,
    lease_worker    TEXT,
    lease_until_ms  BIGINT,
    updated_ms      BIGINT NOT NULL
);
CREATE INDEX envelopes_queue ON envelopes (status, stored_ms, id);
CREATE INDEX envelopes_outbox ON envelopes (published_ms, stored_ms);

CREATE TABLE envelope_files (
    envelope_id TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    PRIMARY KEY (envelope_id, position)
);

CREATE TABLE pages (
    envelope_id TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    page        BIGINT NOT NULL,
    source      TEXT NOT NULL,
    text        TEXT NOT NULL,
    words       TEXT NOT NULL,
    confidence  DOUBLE PRECISION NOT NULL,
    rotation    BIGINT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    dpi         BIGINT NOT NULL,
    PRIMARY KEY (envelope_id, page)
);

CREATE TABLE documents (
    envelope_id TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    class       TEXT NOT NULL,
    confidence  DOUBLE PRECISION NOT NULL,
    pages       TEXT NOT NULL,
    queue       TEXT NOT NULL,
    ack_due     TEXT,
    answer_due  TEXT,
    status      TEXT NOT NULL,
    PRIMARY KEY (envelope_id, position)
);
CREATE INDEX documents_queue ON documents (queue, status);

CREATE TABLE fields (
    envelope_id TEXT NOT NULL,
    document    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    confidence  DOUBLE PRECISION NOT NULL,
    valid       BIGINT NOT NULL,
    page        BIGINT NOT NULL,
    x0          BIGINT NOT NULL,
    y0          BIGINT NOT NULL,
    x1          BIGINT NOT NULL,
    y1          BIGINT NOT NULL,
    message     TEXT,
    PRIMARY KEY (envelope_id, document, name),
    FOREIGN KEY (envelope_id, document) REFERENCES documents (envelope_id, position) ON DELETE CASCADE
);

CREATE TABLE status_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    envelope_id TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    at_ms       BIGINT NOT NULL
);
CREATE INDEX status_history_envelope ON status_history (envelope_id, id);

CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    routing_key TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    sent_ms     BIGINT
);
CREATE INDEX events_pending ON events (sent_ms, id);

CREATE TABLE scanners (
    name        TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    created_ms  BIGINT NOT NULL
);
