-- Reconciliation (`crate::settlement::reconcile`): per tenant, when the comparison of its posted
-- payments with its ERP is next due, the claim of the replica running it now (a lease, so two
-- replicas never run one tenant's at once), and the last run's report (JSON: counts and every
-- mismatch, never a customer's document).
CREATE TABLE reconciliations (
    tenant_id    TEXT PRIMARY KEY,
    next_run_at  BIGINT NOT NULL,
    lease_token  TEXT,
    lease_until  BIGINT,
    started_at   BIGINT,
    finished_at  BIGINT,
    report       TEXT
);
