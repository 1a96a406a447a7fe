-- Ponte's first schema: tenants, API keys, the invocation log, and the key-value store.
--
-- Portability rules (the SQLite twin in migrations/sqlite must stay column-for-column equal):
-- * ids, names and JSON are TEXT; JSON is stored as text, not JSONB, so both engines decode it alike;
-- * every number is a 64-bit integer (BIGINT here, INTEGER in SQLite) and is read back as i64;
-- * every timestamp is an integer count of milliseconds since the Unix epoch, UTC (`*_at` columns);
-- * no engine-specific types, defaults or triggers: the store computes every value it writes.
-- Never edit this file once released: add a new numbered migration instead.

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    -- 12 lowercase hex characters: the public part of the token `ponte_<id>_<secret>`.
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    -- Lowercase hex SHA-256 of the whole token; the token itself is never stored.
    token_sha256  TEXT    NOT NULL,
    -- Comma-separated scope names in a stable order, e.g. `app,admin`.
    scopes        TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    -- NULL while the key is valid.
    revoked_at    BIGINT
);

CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- No foreign key to tenants: the audit log must accept a record whatever else happens.
CREATE TABLE invocations (
    -- UUID text given by the caller (v7, so it sorts by time).
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant_id       TEXT    NOT NULL,
    function        TEXT    NOT NULL,
    plugin          TEXT,
    plugin_version  TEXT,
    started_at      BIGINT  NOT NULL,
    duration_ms     BIGINT  NOT NULL,
    status          BIGINT  NOT NULL,
    -- `ok`, or the problem code returned to the caller.
    outcome         TEXT    NOT NULL,
    detail          TEXT,
    -- JSON arrays.
    warnings        TEXT    NOT NULL,
    upstream_calls  TEXT    NOT NULL
);

CREATE INDEX invocations_tenant_started ON invocations (tenant_id, started_at);

CREATE TABLE kv (
    namespace   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    -- NULL: never expires.
    expires_at  BIGINT,
    PRIMARY KEY (namespace, key)
);

CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
