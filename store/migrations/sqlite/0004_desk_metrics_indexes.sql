-- The metrics sampler reads the clerks' last hour every few seconds (issue #7): decisions,
-- corrections and refused logins by time, each on an index rather than a table scan.
CREATE INDEX documents_decided ON documents (decided_ms);
CREATE INDEX desk_corrections_at ON desk_corrections (at_ms);
CREATE INDEX desk_audit_action_at ON desk_audit (action, at_ms);
