-- The gestionnaire's desk (issue #6): users, sessions, claims on documents, corrections,
-- and the append-only audit trail. Keep in step with ../sqlite/0003_desk.sql.

CREATE TABLE desk_users (
    login         TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    service       TEXT,
    created_ms    BIGINT NOT NULL
);

-- Only the SHA-256 of a session token is kept: a copy of the database opens no session.
CREATE TABLE desk_sessions (
    token_hash   TEXT PRIMARY KEY,
    login        TEXT NOT NULL REFERENCES desk_users (login),
    csrf         TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);

-- A document is held by one clerk at a time: set by a conditional UPDATE, it runs out.
ALTER TABLE documents ADD COLUMN claimed_by TEXT;
ALTER TABLE documents ADD COLUMN claim_until_ms BIGINT;
ALTER TABLE documents ADD COLUMN decided_by TEXT;
ALTER TABLE documents ADD COLUMN decided_ms BIGINT;
ALTER TABLE documents ADD COLUMN reject_reason TEXT;
CREATE INDEX documents_claims ON documents (status, queue, claimed_by);

CREATE TABLE desk_corrections (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    login       TEXT NOT NULL,
    envelope_id TEXT NOT NULL,
    document    BIGINT NOT NULL,
    class       TEXT NOT NULL,
    field       TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT
);
CREATE INDEX desk_corrections_envelope ON desk_corrections (envelope_id, id);

-- Append-only: the code has no UPDATE or DELETE on it, and these triggers refuse them.
CREATE TABLE desk_audit (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    login       TEXT NOT NULL,
    action      TEXT NOT NULL,
    envelope_id TEXT,
    document    BIGINT,
    detail      TEXT NOT NULL
);
CREATE INDEX desk_audit_envelope ON desk_audit (envelope_id, id);
CREATE INDEX desk_audit_login ON desk_audit (login, id);

CREATE FUNCTION desk_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'desk_audit is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER desk_audit_no_update BEFORE UPDATE OR DELETE ON desk_audit
    FOR EACH ROW EXECUTE FUNCTION desk_audit_append_only();
CREATE TRIGGER desk_audit_no_truncate BEFORE TRUNCATE ON desk_audit
    FOR EACH STATEMENT EXECUTE FUNCTION desk_audit_append_only();
