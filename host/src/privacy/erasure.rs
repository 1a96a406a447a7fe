//! Erasure (LGPD art. 18, VI): everything Ponte keeps of one customer of one tenant, found by
//! their CPF/CNPJ, removed: their invocation-log rows (inputs, outputs, upstream exchanges),
//! their idempotency records (stored answers), the personal part of their finished payments
//! (the financial record stays; see [`crate::store`]'s erasure), and their cached reads.
//! Refused while one of their payments is still being posted or waits for a human.
//!
//! The read cache is cleared where this process reaches it: Redis, shared by every replica, or
//! this process's memory. Another replica's in-memory cache lets the customer's entries expire
//! (within the automation's `cache_ttl`, at most an hour); `ponte erase` from a shell reaches
//! only the store (and Redis, when given).

use ponte_contract::normalize::document::Document;
use serde_json::Value;

use crate::cache::ReadCache;
use crate::digest::{customer_digest, customer_of};
use crate::problem::{Problem, ProblemCode};
use crate::store::{Erased, ErasureRefused, Store};

/// Erases `tenant`'s customer with `document` (punctuation accepted) from `store` and, when
/// given, `cache`.
///
/// # Errors
/// `400 invalid_document`; `409 erasure_blocked` naming the payments still open (nothing was
/// changed); the store unavailable.
pub async fn erase(store: &Store, cache: Option<&ReadCache>, tenant: &str, document: &str) -> Result<Erased, Problem> {
    let document = Document::parse(document).map_err(|e| {
        Problem::new(ProblemCode::InvalidDocument, format!("customer_document_number: {e}"))
            .with_field("customer_document_number")
    })?;
    let digest = customer_digest(tenant, document.as_str());
    let names_customer =
        |input: &Value| customer_of(input).is_some_and(|d| ponte_contract::text::document_key(d) == document.as_str());
    let erased = store
        .erase_customer(tenant, &digest, &names_customer)
        .await
        .map_err(|e| Problem::store_unavailable(&e, "nothing was erased"))?;
    match erased {
        Ok(erased) => {
            if let Some(cache) = cache {
                cache.invalidate(tenant, Some(document.as_str())).await;
            }
            Ok(erased)
        }
        Err(ErasureRefused::OpenSettlements(ids)) => Err(Problem::new(
            ProblemCode::ErasureBlocked,
            format!(
                "nothing was erased: the customer's payments {} are still being posted or wait for an operator; \
                 erase once they are posted or resolved",
                ids.join(", ")
            ),
        )),
    }
}
