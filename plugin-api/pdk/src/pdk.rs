//! Ponte's plugin development kit: write an ERP adapter in Rust, ship it as a WebAssembly
//! component that the Ponte host runs sandboxed.
//!
//! An adapter implements [`Adapter`] (one method per contract function, typed with the
//! `ponte-contract` crate's inputs and outputs) and exports it with [`export!`]. The host
//! validates every input before the plugin sees it and normalizes every result after: a
//! plugin passes the ERP's values through (`"1.234,50"`, `10/04/2026`, a masked CPF) and only
//! maps shapes and meanings. Everything outside the component goes through the host's
//! capabilities: [`http`], [`config`], [`kv`], [`log`], [`clock`].
//!
//! # A complete plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "ponte-plugin-acme"
//! version = "0.1.0"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! ponte-pdk = { path = "../../plugin-api/pdk" }
//! ```
//!
//! `src/lib.rs`:
//!
//! ```
//! use ponte_pdk::prelude::*;
//! use ponte_pdk::{config, http::Request, serde_json::Value};
//!
//! struct Acme {
//!     base: String,
//!     token: String,
//! }
//!
//! #[adapter] // FUNCTIONS from the methods: list_invoices
//! impl Adapter for Acme {
//!     fn new() -> Result<Self, Error> {
//!         Ok(Acme { base: config::require("base_url")?, token: config::require("token")? })
//!     }
//!
//!     fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
//!         let reply = Request::get(format!("{}/api/invoices", self.base))
//!             .query("document", &input.customer_document_number)
//!             .bearer_auth(&self.token)
//!             .send()? // no answer: timeout → upstream_timeout, unreachable → upstream_unavailable
//!             .error_for_status()?; // 5xx → upstream_unavailable, 4xx → upstream_error
//!         let rows: Vec<Value> = reply.json()?; // not JSON → upstream_error
//!         let text = |row: &Value, key: &str| match &row[key] {
//!             Value::String(s) => s.clone(),
//!             Value::Null => String::new(),
//!             other => other.to_string(), // numbers keep their exact text
//!         };
//!         Ok(rows
//!             .iter()
//!             .map(|row| Fatura {
//!                 document_number: text(row, "cpf"), // masked is fine: the host normalizes
//!                 fatura: text(row, "id"),
//!                 nome_cliente: text(row, "name"),
//!                 valor_inicial: text(row, "amount"), // "1.234,50" is fine too
//!                 valor_final: text(row, "amount_due"),
//!                 juros: String::new(), // "" → "0.00"
//!                 multa: String::new(),
//!                 emissao: text(row, "issued"), // dd/mm/yyyy is fine
//!                 vencimento: text(row, "due"),
//!                 historico: text(row, "plan"),
//!                 link_boleto: String::new(),
//!                 linha_digitavel: text(row, "digitable_line"),
//!                 code_fatura: text(row, "number"),
//!                 identifier: String::new(),
//!                 remote_id: text(row, "id"),
//!                 pix_code: text(row, "pix"),
//!                 codigo_barras: String::new(), // the host derives it from the line
//!             })
//!             .collect())
//!     }
//! }
//!
//! ponte_pdk::export!(Acme);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` and put the `.wasm` next to
//! the plugin's `plugin.toml` as `plugin.wasm` (in this repository, `plugins/build` does that
//! for every plugin on every `cargo build`). Test it natively with [`testing::FakeHost`].
//!
//! # Errors
//!
//! A method returns [`Error`]: the WIT `adapter.error` cases. Capability errors convert with
//! `?` (see [`Error`] for the table). A panic traps the instance: the caller gets
//! `plugin_failed` and the next call a fresh instance.
//!
//! # Versions
//!
//! This PDK (0.1.1) targets the WIT package `ponte:plugin@0.1.1` (`plugin-api/wit/since_v0.1.1`);
//! components built with PDK 0.1.0 (`ponte:plugin@0.1.0`) keep loading on hosts that serve 0.1.1.
//! What a component sees (the WIT) only grows: a new contract function is a new [`Adapter`]
//! method whose default answers [`Error::NotImplemented`]. The Rust API may still change while
//! the PDK is unreleased: methods took no `self` and `FUNCTIONS` was written by hand until
//! [`Adapter::new`] and [`#[adapter]`](adapter) (a recompile with small edits; components built
//! before keep loading, since the WIT did not change). Breaking changes wait in `plugin-api/pdk/PENDING_CHANGES.md`; the
//! compatibility table is in `README.md`. [`export!`] also records [`PDK_VERSION`] in the
//! component (custom section `ponte:pdk-version`).
//!
//! # Layout
//!
//! - [`Adapter`], [`adapter`], [`dispatch`], [`Input`], [`Output`]: the trait, the attribute that
//!   writes its `FUNCTIONS` from its methods, and the name → method dispatch.
//! - [`export!`]: the component export.
//! - [`Error`]: why a call failed.
//! - [`http`], [`config`], [`kv`], [`log`], [`clock`]: the host's capabilities.
//! - [`helpers`], [`normalize`]: conversions for building ERP requests.
//! - [`testing`] (native targets): a fake host for unit tests.
//! - [`contract`]: the `ponte-contract` crate (every function's types).

mod adapter;
#[doc(hidden)]
pub mod bindings;
mod error;
mod export;
mod host;

pub mod clock;
pub mod config;
pub mod helpers;
pub mod http;
pub mod kv;
pub mod log;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

// `#[adapter]` names `::ponte_pdk::...`, which must resolve inside this crate too.
extern crate self as ponte_pdk;

pub use adapter::{Adapter, Input, Output, dispatch};
pub use error::{Error, Result};
pub use export::PDK_VERSION;
#[doc(hidden)]
pub use export::{Export, PDK_VERSION_BYTES};
pub use ponte_contract::Function;
pub use ponte_pdk_macros::adapter;

/// The contract crate: every function's input and output types, the function table.
pub use ponte_contract as contract;
/// The contract's normalizers (documents, money, dates, boleto lines, PIX, contacts).
pub use ponte_contract::normalize;
/// `serde_json`, as the PDK uses it (with `arbitrary_precision`: numbers keep their text).
pub use serde_json;

/// What most plugins need: `use ponte_pdk::prelude::*;`.
pub mod prelude {
    pub use crate::{Adapter, Error, Input, Output, adapter};
    pub use ponte_contract::function::catalog::*;
    pub use ponte_contract::function::customer::*;
    pub use ponte_contract::function::fiscal::*;
    pub use ponte_contract::function::invoices::*;
    pub use ponte_contract::function::orders::*;
    pub use ponte_contract::function::plans::*;
    pub use ponte_contract::{Function, NoInput, RemoteId};
}
