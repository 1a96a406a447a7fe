//! The `api_keys` table: callers' credentials, each bound to one tenant and a set of scopes.
//!
//! A token reads `ponte_<id>_<secret>`: `id` is 12 random lowercase hex characters, public (it
//! names the key in lists and logs), `secret` is 32 random base62 characters (about 190 bits).
//! Only the SHA-256 of the whole token is stored. A fast hash is right here because the token is
//! high-entropy random: nobody can brute-force 190 bits however cheap each guess is. Slow,
//! salted hashes (argon2, bcrypt) exist for low-entropy human passwords and would only add
//! latency to every request.

use std::fmt;

use chrono::{DateTime, Utc};
use ponte_contract::Scope;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Result, Store, StoreError, corrupt, from_millis, now_millis};
use crate::digest::hex;

/// Every token starts with this.
const TOKEN_PREFIX: &str = "ponte_";
/// Lowercase hex characters in a key id.
const KEY_ID_LEN: usize = 12;
/// Base62 characters in a key's secret.
const SECRET_LEN: usize = 32;
/// The one length every well-formed token has.
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + KEY_ID_LEN + 1 + SECRET_LEN;
/// The longest label the store accepts, in bytes.
const MAX_LABEL_LEN: usize = 200;
/// How many fresh ids [`Store::create_api_key`] tries when one is taken (48 random bits make a
/// second collision in a row practically impossible).
const ID_ATTEMPTS: usize = 3;

/// A key just created. The only value that ever holds its token: show it once, then drop it.
///
/// `Debug` prints the token as `<redacted>`; `Serialize` includes it, for the one response or CLI
/// output that hands it to the operator.
#[derive(Clone, Serialize)]
pub struct NewApiKey {
    /// The key's public id (12 lowercase hex characters), for listing and revoking.
    pub id: String,
    /// The full token, `ponte_<id>_<secret>`, that callers send. Not stored anywhere.
    pub token: String,
    /// The tenant the key is bound to.
    pub tenant: String,
    /// What the key may do, deduplicated, in [`Scope::ALL`] order.
    pub scopes: Vec<Scope>,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("tenant", &self.tenant)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A stored key as operators see it: never its token, secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    /// The key's public id.
    pub id: String,
    /// The tenant the key is bound to.
    pub tenant: String,
    /// What the key may do, in [`Scope::ALL`] order.
    pub scopes: Vec<Scope>,
    /// The operator's note on what the key is for (may be empty).
    pub label: String,
    /// When the key was created (millisecond precision).
    #[serde(with = "super::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When the key was revoked; `None` while it still authenticates.
    #[serde(with = "super::rfc3339::option")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The tenant id of the platform's operators' keys: an `admin` key bound to it manages every
/// tenant (creates them, reads their logs and audit trail). No automation can use it (a
/// tenant id has no `*`).
pub const PLATFORM_TENANT: &str = "*";

/// Who is calling: what [`Store::authenticate`] answers for a valid, unrevoked token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The id of the key the caller presented (safe to log).
    pub key_id: String,
    /// The only tenant the caller may act for.
    pub tenant: String,
    /// What the caller may do, in [`Scope::ALL`] order.
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// Whether this is a platform operator's key ([`PLATFORM_TENANT`]).
    pub fn is_platform(&self) -> bool {
        self.tenant == PLATFORM_TENANT
    }

    /// Whether this is a kiosk's key: `totem` is its only scope. Kiosks are public screens: the
    /// host limits how many customers one looks up and cuts personal data from its answers
    /// ([`crate::privacy`]).
    pub fn is_kiosk(&self) -> bool {
        self.scopes == [Scope::Totem]
    }

    /// Whether the caller's key carries `scope` itself. No scope implies another: an `admin` key
    /// without `app` doesn't have `app`; which functions a scope reaches is the contract's
    /// `FunctionSpec::allows`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// `scopes` deduplicated in [`Scope::ALL`] order, so equal sets are stored alike.
fn normalize_scopes(scopes: &[Scope]) -> Vec<Scope> {
    Scope::ALL.into_iter().filter(|scope| scopes.contains(scope)).collect()
}

/// Scopes as stored: their names joined by commas (`app,admin`).
fn encode_scopes(scopes: &[Scope]) -> String {
    scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(",")
}

/// Scopes back from the stored text. A name this build doesn't know is an error, never dropped
/// silently: a key must not quietly gain or lose powers across versions.
fn decode_scopes(text: &str) -> Result<Vec<Scope>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let scopes: Vec<Scope> =
        text.split(',').map(str::parse).collect::<Result<_, _>>().map_err(|_| corrupt("unknown scope in api_keys"))?;
    Ok(normalize_scopes(&scopes))
}

/// A fresh key id: 48 bits from the thread's CSPRNG (`rand::rng()` is ChaCha-based and reseeded
/// from the OS), as 12 lowercase hex characters.
fn generate_key_id() -> String {
    let bytes: [u8; KEY_ID_LEN / 2] = rand::rng().random();
    hex(&bytes)
}

/// A fresh secret: 32 base62 characters from the same CSPRNG.
fn generate_secret() -> String {
    rand::rng().sample_iter(Alphanumeric).take(SECRET_LEN).map(char::from).collect()
}

/// The stored form of a token: lowercase hex SHA-256 of all of it.
fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The key id inside a well-formed token, or `None` if it doesn't have the exact shape
/// `ponte_<12 lowercase hex>_<32 base62>`. Ids are not secret.
pub fn key_id_of(token: &str) -> Option<&str> {
    if token.len() != TOKEN_LEN {
        return None;
    }
    let (id, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    let id_ok = id.len() == KEY_ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let secret_ok = secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    (id_ok && secret_ok).then_some(id)
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: String,
    tenant_id: String,
    scopes: String,
    label: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKeyInfo {
    type Error = StoreError;
    fn try_from(row: ApiKeyRow) -> Result<ApiKeyInfo> {
        Ok(ApiKeyInfo {
            id: row.id,
            tenant: row.tenant_id,
            scopes: decode_scopes(&row.scopes)?,
            label: row.label,
            created_at: from_millis(row.created_at)?,
            revoked_at: row.revoked_at.map(from_millis).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialRow {
    tenant_id: String,
    token_sha256: String,
    scopes: String,
    revoked_at: Option<i64>,
}

impl Store {
    /// Creates a key for `tenant` with `scopes` and returns it with its token, which is not
    /// stored and can't be recovered: only its hash is.
    ///
    /// `scopes` is deduplicated; `label` is the operator's free-text note (may be empty).
    ///
    /// # Errors
    /// - [`StoreError::Invalid`]: `scopes` when empty, `label` when over 200 bytes or holding
    ///   control characters;
    /// - [`StoreError::NotFound`] when the tenant doesn't exist (a malformed id never does);
    /// - database errors otherwise.
    pub async fn create_api_key(&self, tenant: &str, scopes: &[Scope], label: &str) -> Result<NewApiKey> {
        let scopes = normalize_scopes(scopes);
        if scopes.is_empty() {
            return Err(StoreError::Invalid("scopes"));
        }
        if label.chars().count() > MAX_LABEL_LEN || label.chars().any(char::is_control) {
            return Err(StoreError::Invalid("label"));
        }
        let scope_text = encode_scopes(&scopes);
        let now = now_millis();
        let mut attempt = 1;
        loop {
            let id = generate_key_id();
            let token = format!("{TOKEN_PREFIX}{id}_{}", generate_secret());
            let hash = token_hash(&token);
            let inserted = with_pool!(self, |pool| {
                sqlx::query(
                    "INSERT INTO api_keys (id, tenant_id, token_sha256, scopes, label, created_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                )
                .bind(&id)
                .bind(tenant)
                .bind(&hash)
                .bind(&scope_text)
                .bind(label)
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            });
            match inserted {
                Ok(_) => return Ok(NewApiKey { id, token, tenant: tenant.to_owned(), scopes }),
                // The foreign key is the existence check: one statement, no race with a delete.
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => return Err(StoreError::NotFound),
                // The only unique column is the id: draw another.
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() && attempt < ID_ATTEMPTS => attempt += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// The keys of `tenant`, or of every tenant when `None`, oldest first, revoked ones included.
    /// Never includes a token, secret or hash.
    ///
    /// # Errors
    /// Database errors, including a stored scope this build doesn't know.
    pub async fn list_api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKeyInfo>> {
        const COLUMNS: &str = "SELECT id, tenant_id, scopes, label, created_at, revoked_at FROM api_keys";
        let rows = with_pool!(self, |pool| match tenant {
            Some(tenant) => {
                sqlx::query_as::<_, ApiKeyRow>(&format!("{COLUMNS} WHERE tenant_id = $1 ORDER BY created_at, id"))
                    .bind(tenant)
                    .fetch_all(pool)
                    .await
            }
            None => {
                sqlx::query_as::<_, ApiKeyRow>(&format!("{COLUMNS} ORDER BY tenant_id, created_at, id"))
                    .fetch_all(pool)
                    .await
            }
        })?;
        rows.into_iter().map(ApiKeyInfo::try_from).collect()
    }

    /// One key as operators see it, by id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn api_key(&self, key_id: &str) -> Result<Option<ApiKeyInfo>> {
        let row = with_pool!(self, |pool| {
            sqlx::query_as::<_, ApiKeyRow>(
                "SELECT id, tenant_id, scopes, label, created_at, revoked_at FROM api_keys WHERE id = $1",
            )
            .bind(key_id)
            .fetch_optional(pool)
            .await
        })?;
        row.map(ApiKeyInfo::try_from).transpose()
    }

    /// Revokes every active key of `tenant` (a removed tenant's); how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn revoke_tenant_api_keys(&self, tenant: &str) -> Result<u64> {
        let now = now_millis();
        Ok(with_pool!(self, |pool| {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(tenant)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?)
    }

    /// Revokes the key `key_id`: from now on its token doesn't authenticate.
    ///
    /// Returns `false` when no such key exists or it was already revoked (its first revocation
    /// time is kept).
    ///
    /// # Errors
    /// Database errors.
    pub async fn revoke_api_key(&self, key_id: &str) -> Result<bool> {
        let now = now_millis();
        let revoked = with_pool!(self, |pool| {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(key_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(revoked > 0)
    }

    /// Who presents `token`: its key's tenant and scopes, or `None` when the token is malformed,
    /// names no key, carries the wrong secret, or its key is revoked. The reasons aren't told
    /// apart, so callers can't probe which keys exist.
    ///
    /// # Errors
    /// Database errors only; a bad token is `Ok(None)`.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Caller>> {
        let Some(key_id) = key_id_of(token) else {
            return Ok(None);
        };
        Ok(self.credential(key_id).await?.and_then(|credential| credential.verify(token)))
    }

    /// What the store holds to check tokens of the key `key_id` (its token's hash, tenant,
    /// scopes, whether it is revoked), or `None` when there is no such key. The host keeps these
    /// in memory and checks tokens with [`Credential::verify`].
    ///
    /// # Errors
    /// Database errors, or stored scopes this build doesn't know.
    pub async fn credential(&self, key_id: &str) -> Result<Option<Credential>> {
        let row = with_pool!(self, |pool| {
            sqlx::query_as::<_, CredentialRow>(
                "SELECT tenant_id, token_sha256, scopes, revoked_at FROM api_keys WHERE id = $1",
            )
            .bind(key_id)
            .fetch_optional(pool)
            .await
        })?;
        row.map(|row| {
            Ok(Credential {
                key_id: key_id.to_owned(),
                tenant: row.tenant_id,
                token_sha256: row.token_sha256,
                scopes: decode_scopes(&row.scopes)?,
                revoked: row.revoked_at.is_some(),
            })
        })
        .transpose()
    }

    /// A fingerprint of the `api_keys` table that changes whenever a key is created or revoked:
    /// replicas poll it to drop the keys they hold in memory. Cheap: one aggregate over a small
    /// table, no clock involved.
    ///
    /// # Errors
    /// Database errors.
    pub async fn api_keys_version(&self) -> Result<KeysVersion> {
        let (keys, revoked, newest, last_revoked) = with_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, i64, Option<i64>, Option<i64>)>(
                "SELECT COUNT(*), COUNT(revoked_at), MAX(created_at), MAX(revoked_at) FROM api_keys",
            )
            .fetch_one(pool)
            .await
        })?;
        Ok(KeysVersion([keys, revoked, newest.unwrap_or(0), last_revoked.unwrap_or(0)]))
    }
}

/// See [`Store::api_keys_version`]: equal versions mean no key was created or revoked between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysVersion([i64; 4]);

/// What the store keeps to check one key's tokens (never the token itself: its SHA-256).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    key_id: String,
    tenant: String,
    token_sha256: String,
    scopes: Vec<Scope>,
    revoked: bool,
}

impl Credential {
    /// The caller this key stands for, unless it is revoked (the console's sessions hold a key
    /// id, not its token).
    pub fn caller(&self) -> Option<Caller> {
        (!self.revoked).then(|| Caller {
            key_id: self.key_id.clone(),
            tenant: self.tenant.clone(),
            scopes: self.scopes.clone(),
        })
    }

    /// The caller `token` authenticates as, or `None` when it isn't this key's token or the key
    /// is revoked. The hash is compared in constant time, so response timing says nothing about
    /// how much of it matched.
    pub fn verify(&self, token: &str) -> Option<Caller> {
        if key_id_of(token) != Some(self.key_id.as_str()) {
            return None;
        }
        let matches: bool = token_hash(token).as_bytes().ct_eq(self.token_sha256.as_bytes()).into();
        (matches && !self.revoked).then(|| Caller {
            key_id: self.key_id.clone(),
            tenant: self.tenant.clone(),
            scopes: self.scopes.clone(),
        })
    }
}

impl fmt::Debug for Credential {
    /// Leaves the hash out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("key_id", &self.key_id)
            .field("tenant", &self.tenant)
            .field("scopes", &self.scopes)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        created_key_authenticates_as_its_tenant_and_scopes(sqlite_file),
        token_has_the_documented_shape_and_names_its_key,
        scopes_are_deduplicated_in_a_stable_order,
        revoked_key_no_longer_authenticates_and_revokes_once,
        revoking_one_key_leaves_the_others_valid,
        wrong_secret_for_a_real_key_is_rejected,
        well_formed_token_for_an_unknown_key_is_rejected,
        malformed_tokens_are_rejected_without_error,
        key_for_an_unknown_tenant_is_not_found,
        key_without_scopes_or_with_a_bad_label_is_invalid,
        listing_never_exposes_the_token_secret_or_hash,
        listing_filters_by_tenant,
        new_key_debug_redacts_the_token,
    );

    /// Adds the tenant `acme`, which most keys here belong to.
    async fn with_acme(store: &Store) -> anyhow::Result<()> {
        store.ensure_tenant("acme", "Acme").await?;
        Ok(())
    }

    async fn created_key_authenticates_as_its_tenant_and_scopes(store: Store) -> anyhow::Result<()> {
        store.ensure_tenant("acme", "Acme").await?;
        let key = store.create_api_key("acme", &[Scope::Totem], "lobby kiosk").await?;
        let caller = store.authenticate(&key.token).await?.expect("a fresh key authenticates");
        assert_eq!(caller, Caller { key_id: key.id.clone(), tenant: "acme".into(), scopes: vec![Scope::Totem] });
        assert!(caller.has_scope(Scope::Totem));
        assert!(!caller.has_scope(Scope::App));
        assert!(!caller.has_scope(Scope::Admin));
        Ok(())
    }

    async fn token_has_the_documented_shape_and_names_its_key(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::App], "").await?;
        assert_eq!(key_id_of(&key.token), Some(key.id.as_str()));
        assert!(key.token.starts_with(&format!("ponte_{}_", key.id)));
        assert_eq!(key.token.len(), TOKEN_LEN);
        let other = store.create_api_key("acme", &[Scope::App], "").await?;
        assert_ne!(other.id, key.id);
        assert_ne!(other.token, key.token);
        Ok(())
    }

    async fn scopes_are_deduplicated_in_a_stable_order(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::Admin, Scope::App, Scope::Admin], "ops").await?;
        assert_eq!(key.scopes, [Scope::App, Scope::Admin]);
        let caller = store.authenticate(&key.token).await?.expect("valid key");
        assert_eq!(caller.scopes, [Scope::App, Scope::Admin]);
        Ok(())
    }

    async fn revoked_key_no_longer_authenticates_and_revokes_once(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::App], "app").await?;
        assert!(store.revoke_api_key(&key.id).await?);
        assert_eq!(store.authenticate(&key.token).await?, None);
        assert!(!store.revoke_api_key(&key.id).await?, "already revoked");
        assert!(!store.revoke_api_key("000000000000").await?, "unknown key");
        let [info] = <[ApiKeyInfo; 1]>::try_from(store.list_api_keys(Some("acme")).await?).expect("one key");
        assert!(info.revoked_at.is_some());
        Ok(())
    }

    async fn revoking_one_key_leaves_the_others_valid(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let revoked = store.create_api_key("acme", &[Scope::App], "old").await?;
        let kept = store.create_api_key("acme", &[Scope::App], "new").await?;
        store.revoke_api_key(&revoked.id).await?;
        assert!(store.authenticate(&kept.token).await?.is_some());
        Ok(())
    }

    async fn wrong_secret_for_a_real_key_is_rejected(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::App], "app").await?;
        let forged = format!("{TOKEN_PREFIX}{}_{}", key.id, generate_secret());
        assert!(key_id_of(&forged).is_some(), "well-formed, so the hash comparison is what rejects it");
        assert_eq!(store.authenticate(&forged).await?, None);
        Ok(())
    }

    async fn well_formed_token_for_an_unknown_key_is_rejected(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let token = format!("{TOKEN_PREFIX}{}_{}", generate_key_id(), generate_secret());
        assert_eq!(store.authenticate(&token).await?, None);
        Ok(())
    }

    async fn malformed_tokens_are_rejected_without_error(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::App], "app").await?;
        let secret = &key.token[TOKEN_PREFIX.len() + KEY_ID_LEN + 1..];
        let cases = [
            String::new(),
            "ponte_".into(),
            format!("Bearer {}", key.token),
            format!("{} ", key.token),
            format!("{}x", key.token),
            key.token[..key.token.len() - 1].to_owned(),
            key.token.to_uppercase(),
            key.token.replacen("ponte_", "ponta_", 1),
            format!("ponte_{}-{secret}", key.id),
            format!("ponte_{}_{}!", key.id, &secret[1..]),
            // An upper-case letter in the id (upper-casing a random id that happens to be all
            // digits would leave it valid).
            format!("ponte_{}A_{secret}", &key.id[1..]),
            format!("ponte_{}g_{}", &key.id[1..], secret),
            format!("ponte_{}__{}", &key.id[1..], secret),
            "ponte_💥💥💥_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
        ];
        for token in &cases {
            assert_eq!(key_id_of(token), None, "{token:?}");
            assert_eq!(store.authenticate(token).await?, None, "{token:?}");
        }
        Ok(())
    }

    async fn key_for_an_unknown_tenant_is_not_found(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        for tenant in ["nobody", ""] {
            let err = store.create_api_key(tenant, &[Scope::App], "").await.expect_err("no such tenant");
            assert!(matches!(err, StoreError::NotFound), "{tenant:?}: {err:?}");
        }
        assert!(store.list_api_keys(None).await?.is_empty());
        Ok(())
    }

    async fn key_without_scopes_or_with_a_bad_label_is_invalid(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let err = store.create_api_key("acme", &[], "none").await.expect_err("empty scopes");
        assert!(matches!(err, StoreError::Invalid("scopes")), "{err:?}");
        assert_eq!(err.to_string(), "invalid scopes");
        for label in ["x".repeat(MAX_LABEL_LEN + 1), "line\nbreak".into()] {
            let err = store.create_api_key("acme", &[Scope::App], &label).await.expect_err("bad label");
            assert!(matches!(err, StoreError::Invalid("label")), "{err:?}");
        }
        assert!(store.list_api_keys(None).await?.is_empty());
        Ok(())
    }

    async fn listing_never_exposes_the_token_secret_or_hash(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::App, Scope::Totem], "front desk").await?;
        let listed = store.list_api_keys(None).await?;
        let [info] = <[ApiKeyInfo; 1]>::try_from(listed.clone()).expect("one key");
        assert_eq!(info.id, key.id);
        assert_eq!(info.tenant, "acme");
        assert_eq!(info.scopes, [Scope::App, Scope::Totem]);
        assert_eq!(info.label, "front desk");
        assert_eq!(info.revoked_at, None);

        let secret = &key.token[TOKEN_PREFIX.len() + KEY_ID_LEN + 1..];
        let shown = format!("{listed:?} {}", serde_json::to_string(&listed)?);
        for leak in [key.token.as_str(), secret, token_hash(&key.token).as_str()] {
            assert!(!shown.contains(leak), "listing leaks {leak}");
        }
        Ok(())
    }

    async fn listing_filters_by_tenant(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        store.ensure_tenant("beta", "Beta").await?;
        let acme = store.create_api_key("acme", &[Scope::App], "").await?;
        let beta = store.create_api_key("beta", &[Scope::Admin], "").await?;
        let ids = |keys: Vec<ApiKeyInfo>| keys.into_iter().map(|key| key.id).collect::<Vec<_>>();
        assert_eq!(ids(store.list_api_keys(Some("acme")).await?), [acme.id.as_str()]);
        assert_eq!(ids(store.list_api_keys(Some("beta")).await?), [beta.id.as_str()]);
        assert_eq!(ids(store.list_api_keys(None).await?), [acme.id, beta.id]);
        assert!(store.list_api_keys(Some("nobody")).await?.is_empty());
        Ok(())
    }

    async fn new_key_debug_redacts_the_token(store: Store) -> anyhow::Result<()> {
        with_acme(&store).await?;
        let key = store.create_api_key("acme", &[Scope::App], "").await?;
        let debug = format!("{key:?}");
        assert!(!debug.contains(&key.token[TOKEN_PREFIX.len() + KEY_ID_LEN + 1..]));
        assert!(debug.contains("<redacted>") && debug.contains(&key.id));
        Ok(())
    }

    #[test]
    fn stored_scopes_round_trip_and_unknown_names_are_errors() {
        let all = Scope::ALL.to_vec();
        assert_eq!(encode_scopes(&all), "app,totem,admin");
        assert_eq!(decode_scopes("admin,app").ok(), Some(vec![Scope::App, Scope::Admin]));
        assert!(matches!(decode_scopes("app,root"), Err(StoreError::Database(_))));
    }

    #[test]
    fn token_hash_is_lowercase_hex_sha256() {
        // SHA-256("abc"), from FIPS 180-2.
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
