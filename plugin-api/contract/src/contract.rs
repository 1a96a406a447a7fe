//! Ponte's function contract, written once.
//!
//! Everything a caller of Ponte may rely on, whatever ERP a provider runs, is in this crate:
//!
//! - [`Function`] and its [`FunctionSpec`] table: the 22 functions, their seed names, the scopes
//!   that may call them, whether they write, whether their result may be cached.
//! - `io`: the serde types of every function's input and output, field names exactly as
//!   the apps already speak them (the seed's Portuguese names on the wire), each with a JSON Schema.
//! - [`normalize`]: the domain library (CPF/CNPJ, money, dates, boleto lines, PIX, fiscal access
//!   keys, contacts).
//! - [`enforce()`]: turns a plugin's raw result into the contract's shape, or a
//!   [`ContractViolation`] with a stable code.
//! - [`validate_input()`]: rejects bad caller input before any plugin runs, with the exact
//!   `invalid_input` / `invalid_document` errors the HTTP API answers.
//!
//! Both plugin runtimes, the HTTP API, the OpenAPI document and the plugin SDK are built on it.

pub mod normalize;
