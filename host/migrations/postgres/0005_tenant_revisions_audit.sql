-- Tenants as data (the admin API) and the audit trail of operator actions. The same
-- portability rules as 0001.

-- Every version of a tenant defined through the admin API; the newest is the one served. A row
-- is never changed except to re-seal its secrets under a new key (`ponte secrets rotate`).
CREATE TABLE tenant_revisions (
    tenant_id   TEXT    NOT NULL,
    -- 1, 2, 3... per tenant.
    revision    BIGINT  NOT NULL,
    -- The tenant's document (JSON, the shape of an automation file) with every secret setting
    -- sealed (AES-256-GCM); NULL: the tenant was removed at this revision.
    document    TEXT,
    -- Who: the API key id, or `cli`.
    actor       TEXT    NOT NULL,
    -- What changed, in a line (never a secret's value).
    summary     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, revision)
);

CREATE TABLE audit_events (
    -- UUID v7 text (sorts by time).
    id          TEXT    NOT NULL PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    -- The tenant concerned; NULL for platform-wide actions.
    tenant_id   TEXT,
    -- e.g. `tenant.changed`, `api_key.revoked`, `settlement.retried`.
    action      TEXT    NOT NULL,
    -- What was acted on (a tenant id, a key id, a settlement id).
    target      TEXT    NOT NULL,
    -- JSON, secrets left out; NULL when there is nothing before (creation) or after (removal).
    before_json TEXT,
    after_json  TEXT
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_tenant_at ON audit_events (tenant_id, at);

-- Signed-in sessions of the console (/console): the SHA-256 of the session cookie's value, the
-- admin key it was opened with, the form token (CSRF), and when it ends.
CREATE TABLE console_sessions (
    id_sha256   TEXT    NOT NULL PRIMARY KEY,
    key_id      TEXT    NOT NULL,
    csrf        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);

CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- The customer a call named, as SHA-256 of the tenant and the document (never the document): the
-- invocation log searched by customer.
ALTER TABLE invocations ADD COLUMN customer_key TEXT;

CREATE INDEX invocations_tenant_customer ON invocations (tenant_id, customer_key, started_at);

-- What a call was asked and answered (JSON, at most 64 KiB each; NULL when the host keeps no
-- payloads, or for a problem's output): the console's detail view.
ALTER TABLE invocations ADD COLUMN input_json TEXT;
ALTER TABLE invocations ADD COLUMN output_json TEXT;
