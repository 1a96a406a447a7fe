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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::config::manifest::{self, Manifest};
    use crate::store::NewAuditEvent;

    fn manifests() -> BTreeMap<String, Manifest> {
        let m = manifest::parse(
            Path::new("plugins/erp/plugin.toml"),
            "name = \"erp\"\nversion = \"0.1.0\"\nruntime = \"rhai\"\nfunctions = [\"list_invoices\"]\n[settings.token]\nsecret = true\n",
        )
        .expect("manifest");
        BTreeMap::from([("erp".to_owned(), m)])
    }

    #[tokio::test]
    async fn every_stored_secret_moves_to_the_new_key_and_still_opens() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let keyring = Keyring::open_or_create(&dir.path().join("ponte.key"))?;
        let store = Store::open("sqlite::memory:").await?;
        let input: TenantDocument = serde_json::from_value(serde_json::json!({
            "name": "Acme", "connections": {"erp": {"plugin": "erp", "secrets": {"token": "s3cr3t-token"}}},
            "functions": {"list_invoices": "erp"}
        }))?;
        let (doc, _) = document::prepare("acme", input, None, &manifests(), &keyring).expect("valid");
        let event = NewAuditEvent {
            actor: "cli".into(),
            tenant: Some("acme".into()),
            action: "tenant.created",
            target: "acme".into(),
            before: None,
            after: None,
        };
        store.put_tenant_revision("acme", 1, Some(&serde_json::to_string(&doc)?), "created", &event).await?;
        let place = crate::capabilities::kv::sealing_place("acme/erp", "session");
        store.kv_set("acme/erp", "session", &keyring.seal(&place, "cookie-value"), None).await?;
        store.kv_set("acme/erp", "plain", "not sealed", None).await?;
        assert_eq!(reseal_all(&store, &keyring).await?, ResealReport::default(), "nothing stale yet");

        keyring.add_sealing_key()?;
        let report = reseal_all(&store, &keyring).await?;
        assert_eq!(report, ResealReport { revisions: 1, kv_values: 1, skipped: 0 });
        keyring.retire_old_keys()?;
        let stored: TenantDocument = serde_json::from_str(
            &store.tenant_revision("acme", Some(1)).await?.and_then(|r| r.document).unwrap_or_default(),
        )?;
        let automation = document::load("acme", &stored, &manifests(), &keyring).expect("opens under the new key");
        assert_eq!(automation.connections["erp"].settings["token"].expose(), "s3cr3t-token");
        let session = store.kv_get("acme/erp", "session").await?.unwrap_or_default();
        assert_eq!(keyring.open(&place, &session)?, "cookie-value");
        assert_eq!(store.kv_get("acme/erp", "plain").await?.as_deref(), Some("not sealed"));
        Ok(())
    }
}
