//! The simulated PlugStorage's documents: the shared fiscal notes ([`crate::fiscal`]) the
//! provider ([`PROVIDER_CNPJ`]) issued to the same people every simulator serves
//! ([`crate::people`]), with PlugStorage's spelling of their model ([`Note::mod_name`]) and its
//! name on their PDFs.
//!
//! | id | key (model) | customer | issued | amount | situation |
//! |---|---|---|---|---|---|
//! | 7001 | [`NOTE_MARIA_MARCH`] (NFCom 62) | [`CUSTOMER_CPF`] | 2026-03-31 | 99.90 | AUTORIZADA |
//! | 7002 | [`NOTE_MARIA_FEBRUARY`] (NFCom 62) | [`CUSTOMER_CPF`] | 2026-02-28 | 99.90 | AUTORIZADA |
//! | 7003 | [`NOTE_COMPANY`] (NF-e 55) | [`COMPANY_CNPJ`] | 2026-04-15 | 199.90 | AUTORIZADA |
//! | 7004 | [`NOTE_MARIA_CANCELLED`] (NFCom 62) | [`CUSTOMER_CPF`] | 2026-01-31 | 99.90 | CANCELADA |
//! | 7005 | [`NOTE_BLOCKED`] (NFCom 62) | [`BLOCKED_CUSTOMER_CPF`] | 2026-03-31 | 129.90 | AUTORIZADA |

pub use crate::fiscal::{
    BLOCKED_CUSTOMER_CPF, BLOCKED_CUSTOMER_CPF_DIGITS, COMPANY_CNPJ, COMPANY_CNPJ_DIGITS, CUSTOMER_CPF,
    CUSTOMER_CPF_DIGITS, CUSTOMER_NAME, NOTE_BLOCKED, NOTE_COMPANY, NOTE_MARIA_CANCELLED, NOTE_MARIA_FEBRUARY,
    NOTE_MARIA_MARCH, Note, PROVIDER_CNPJ, PROVIDER_CNPJ_DIGITS, PROVIDER_NAME, UNKNOWN_CPF, access_key, notes, xml,
};

impl Note {
    /// `NFE`, `NFCOM`: the `mod` filter's spelling of the model.
    pub fn mod_name(&self) -> &'static str {
        match self.model {
            55 => "NFE",
            65 => "NFCE",
            _ => "NFCOM",
        }
    }
}

/// The note's PDF (DANFE for NF-e, DANFE-COM for NFCom), with PlugStorage's name on it.
pub fn pdf(note: &Note) -> Vec<u8> {
    crate::fiscal::pdf(note, "PlugStorage")
}
