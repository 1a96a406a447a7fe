-- Named locks plugins take through the kv capability (capabilities::kv::KvCapability::lock), so
-- that one call at a time refreshes a session or token of a tenant connection, across every host
-- sharing the store. A row is a held lock; `expires_at` bounds it if its holder's host dies
-- (the holder's call deadline plus a grace). The same portability rules as 0001.
CREATE TABLE kv_locks (
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    -- The invocation holding it.
    owner       TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL,
    PRIMARY KEY (namespace, name)
);
