//! The custom string formats of the contract's schemas: rules a JSON Schema keyword can't state
//! (check digits, the many ways ERPs and apps write money and dates) named by a `format`, each
//! described where it is defined. A field takes one with `#[schemars(with = "...")]`; the
//! generated schema is a reference to one definition per format, so the OpenAPI document
//! explains each rule once. Schema-driven testers (schemathesis in CI) are taught to generate
//! valid values of each format (`.ci/schemathesis_hooks.py`).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

macro_rules! text_format {
    ($(#[$doc:meta])* $name:ident, $format:literal, $description:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "format": $format, "description": $description})
            }
        }
    };
}

text_format!(
    /// A CPF or CNPJ as callers send it.
    DocumentText,
    "cpf-cnpj",
    "A CPF (11 digits) or CNPJ (14 characters: 12 letters or digits, the alphanumeric CNPJ included, then 2 digits), with `.`, `-`, `/` and spaces anywhere; never all one digit; check digits verified. Refused with `400 invalid_document`."
);

text_format!(
    /// A calendar date as callers send it.
    DateText,
    "calendar-date",
    "A date, year 1900 to 2199: `YYYY-MM-DD` or `dd/mm/yyyy` (a time after it is ignored). Refused with `400 invalid_input`."
);

text_format!(
    /// An instant with its offset.
    DateTimeText,
    "date-time-offset",
    "An RFC 3339 date-time with seconds and its offset (`2026-05-15T12:00:00-03:00`, `...Z`), year 1900 to 2199. Refused with `400 invalid_input`."
);

text_format!(
    /// An amount of money as callers send it.
    MoneyText,
    "money",
    "An amount in reais, as text: `1234.50`, `1234,50`, `1.234,50`, `R$ 1.234,50` (at most two decimals). Refused with `400 invalid_input`."
);

text_format!(
    /// A Brazilian state.
    StateText,
    "br-state",
    "A Brazilian state's two letters (`SP`, `rj`), spaces around allowed."
);

text_format!(
    /// A Brazilian postal code.
    CepText,
    "cep",
    "A CEP: eight digits, `.`, `-` and spaces allowed between them (`01310-100`)."
);

text_format!(
    /// A phone number.
    PhoneText,
    "br-phone",
    "A Brazilian phone number with its area code, punctuation and `+55` accepted (`(11) 98765-4321`); normalized to E.164."
);

text_format!(
    /// An e-mail address.
    EmailText,
    "email-address",
    "An e-mail address (`maria@example.com`), lower-cased by the host."
);
