-- An outbox row the relay could not decode (a producer bug): kept for inspection, never
-- sent, never blocking the rows after it.
ALTER TABLE events ADD COLUMN failed_ms BIGINT;
