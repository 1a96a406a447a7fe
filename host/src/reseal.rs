//! Re-sealing every stored secret under the keyring's sealing key: the second step of a key
//! rotation (`ponte secrets rotate`, or `ponte secrets reseal` after putting a new key first
//! in `PONTE_SECRET_KEY`).
//!
//! It touches the secret settings of every revision of every tenant defined through the admin
//! API and every sealed kv value, each replaced only if it is still what was read (a value
//! written meanwhile is already sealed under the new key). Values that don't open are counted
//! and left as they are: the report says so, and the old keys should not be retired then.

use crate::config::document::{self, TenantDocument};
use crate::secret::keyring::Keyring;
use crate::store::{Store, StoreError};

/// What a re-seal did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResealReport {
    /// Tenant revisions whose secrets were re-sealed.
    pub revisions: u64,
    /// Kv values re-sealed.
    pub kv_values: u64,
    /// Values that did not open (their key is not in the keyring) or changed meanwhile.
    pub skipped: u64,
}

/// Re-seals everything stored under another key than `keyring`'s sealing key.
///
/// # Errors
/// When the store can't be read or written.
pub async fn reseal_all(store: &Store, keyring: &Keyring) -> Result<ResealReport, StoreError> {
    let mut report = ResealReport::default();
    for revision in store.all_tenant_revisions().await? {
        let Some(text) = &revision.document else { continue };
        let Ok(doc) = serde_json::from_str::<TenantDocument>(text) else {
            report.skipped += 1;
            continue;
        };
        match document::reseal(&revision.tenant, &doc, keyring) {
            Ok(None) => {}
            Ok(Some(fresh)) => {
                let fresh = serde_json::to_string(&fresh).unwrap_or_default();
                if store.reseal_tenant_revision(&revision.tenant, revision.revision, text, &fresh).await? {
                    report.revisions += 1;
                } else {
                    report.skipped += 1;
                }
            }
            Err(e) => {
                tracing::warn!(tenant = %revision.tenant, revision = revision.revision, error = %e, "a tenant revision's secret did not open; left as it is");
                report.skipped += 1;
            }
        }
    }
    for (namespace, key, value) in store.kv_sealed_entries().await? {
        if !keyring.is_stale(&value) {
            continue;
        }
        let place = crate::capabilities::kv::sealing_place(&namespace, &key);
        let Ok(plain) = keyring.open(&place, &value) else {
            report.skipped += 1;
            continue;
        };
        if store.kv_replace_value(&namespace, &key, &value, &keyring.seal(&place, &plain)).await? {
            report.kv_values += 1;
        } else {
            report.skipped += 1;
        }
    }
    Ok(report)
}
