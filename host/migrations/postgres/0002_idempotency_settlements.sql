-- Money-safe writes: idempotency records of the writing functions, and the durable settlement
-- queue. The same portability rules as 0001 (the SQLite twin is column-for-column equal).

-- One row per (tenant, function, Idempotency-Key): the first call's answer, replayed to every
-- later call with the same key and the same input.
CREATE TABLE idempotency (
    tenant_id      TEXT    NOT NULL,
    function       TEXT    NOT NULL,
    key            TEXT    NOT NULL,
    -- Lowercase hex SHA-256 of the function and its canonical validated input.
    request_hash   TEXT    NOT NULL,
    -- `running` while the first call runs, `done` once its answer is stored.
    state          TEXT    NOT NULL,
    -- The invocation that owns a `running` record (and that answered a `done` one).
    invocation_id  TEXT    NOT NULL,
    -- A `running` record whose owner died is taken over after this instant.
    lease_until    BIGINT NOT NULL,
    -- The answer, once `done`: HTTP status and JSON body.
    status         BIGINT,
    body           TEXT,
    created_at     BIGINT NOT NULL,
    -- After this instant the record is gone for every purpose (retention, default 24 h).
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, function, key)
);

CREATE INDEX idempotency_expires ON idempotency (expires_at);

-- One row per payment to post (`settle_invoice`): written before any ERP call, posted by a
-- worker exactly once. A payment is one row whatever the request ids: (tenant, boleto,
-- transaction id) is unique.
CREATE TABLE settlements (
    -- UUID v7 text: the `settlement_id` callers poll.
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL,
    boleto_id        TEXT    NOT NULL,
    transaction_id   TEXT    NOT NULL,
    -- The validated `settle_invoice` input (JSON), and its hash to tell a replay from a conflict.
    input            TEXT    NOT NULL,
    input_hash       TEXT    NOT NULL,
    -- `pending` (waiting for an attempt), `posting` (claimed by a worker under a lease),
    -- `posted` (the ERP has it), `parked` (needs a human), `resolved` (a human closed it).
    state            TEXT    NOT NULL,
    -- Attempts claimed so far (the inline attempt at acceptance counts).
    attempts         BIGINT NOT NULL,
    -- 1 from the moment a posting is sent until its outcome is known: the next attempt first
    -- asks the ERP whether the invoice is already paid.
    in_doubt         BIGINT NOT NULL,
    -- The invoice's amount due (`valor_final`) before Ponte first posted, when known.
    open_before      TEXT,
    next_attempt_at  BIGINT NOT NULL,
    -- The claim of the worker (or request) attempting it; NULL when not `posting`.
    lease_token      TEXT,
    lease_until      BIGINT,
    -- The last failure: problem code and a redacted explanation.
    last_error       TEXT,
    last_detail      TEXT,
    -- How it ended: `posted`, `verified_paid`, `already_paid`, `rejected`, `resolved`...
    outcome          TEXT,
    -- The `settle_invoice` output answered to callers once posted (JSON).
    result           TEXT,
    -- The operator's note when resolved by hand.
    note             TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    finished_at      BIGINT,
    UNIQUE (tenant_id, boleto_id, transaction_id)
);

CREATE INDEX settlements_due ON settlements (state, next_attempt_at);
CREATE INDEX settlements_tenant ON settlements (tenant_id, state, created_at);
