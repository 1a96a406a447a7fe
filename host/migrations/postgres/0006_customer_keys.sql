-- The customer a payment and a writing call's idempotency record belong to, as the invocation
-- log names one (SHA-256 of the tenant and the document, never the document): what erasure
-- (`ponte erase`, `POST /v1/admin/tenants/{tenant}/erasures`) finds them by. NULL for rows
-- written before this migration (erasure then reads the settlement's input).
ALTER TABLE settlements ADD COLUMN customer_key TEXT;
ALTER TABLE idempotency ADD COLUMN customer_key TEXT;

CREATE INDEX settlements_tenant_customer ON settlements (tenant_id, customer_key);
CREATE INDEX idempotency_tenant_customer ON idempotency (tenant_id, customer_key);

-- Retention: the invocation log is purged by age.
CREATE INDEX invocations_started ON invocations (started_at);
