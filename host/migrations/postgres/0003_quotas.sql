-- Upstream quotas plugins declare (capabilities::quota): units used per tenant connection,
-- quota and period (`2026-11` or `2026-11-29`, Brasília calendar). The same portability rules
-- as 0001.
CREATE TABLE quota_usage (
    tenant_id   TEXT    NOT NULL,
    connection  TEXT    NOT NULL,
    quota       TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    used        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, connection, quota, period)
);
