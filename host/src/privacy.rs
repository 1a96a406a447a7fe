//! Customers' privacy (LGPD): what the host does about personal data, whatever plugins do.
//!
//! - [`kiosk`]: a kiosk key (scope `totem` only) may look up so many distinct customers per
//!   window; past that it is locked out, counted and alerted.
//! - [`minimize`]: the tenant's `[privacy.totem]` policy cuts names, documents, contacts and the
//!   ERP's raw answers out of what a kiosk key is answered.
//! - [`retention`]: the invocation log (inputs, outputs, upstream exchanges) is purged by age.
//! - [`erasure`]: a customer's data removed, by document, from everything the store and the
//!   read cache keep (`ponte erase`, `POST /v1/admin/tenants/{tenant}/erasures`).
//!
//! Metrics and logs never carry a document or a name: customers are named by a digest
//! ([`crate::digest::customer_digest`]) where they must be named at all.

pub mod erasure;
pub mod kiosk;
pub mod minimize;
pub mod retention;
