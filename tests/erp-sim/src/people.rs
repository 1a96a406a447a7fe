//! The people every simulator serves, with the same documents, ids and roles in every ERP,
//! so the conformance suite can hold every adapter to the same expectations.
//!
//! Each simulator's `data` module re-exports these next to what is its own (bank, plan names,
//! ERP-specific keys). Roles are described in IXC's terms (status letters, column names) where
//! ERPs differ; each simulator's `data` module says how it shows them.

/// The simulator's "today": overdue means due before this date. ISO.
pub const REFERENCE_DATE: &str = "2026-05-15";

/// The time of day the simulator stamps on what it writes (update stamps, ticket
/// creation), with [`REFERENCE_DATE`].
pub const REFERENCE_TIME: &str = "09:00:00";

/// Main customer's id in the ERP.
pub const CUSTOMER_ID: &str = "101";

/// Main customer's name.
pub const CUSTOMER_NAME: &str = "Maria Aparecida da Silva";

/// Main customer's CPF, masked (how IXC stores it and SGP returns it).
pub const CUSTOMER_CPF: &str = "714.602.380-01";

/// Main customer's CPF, digits only.
pub const CUSTOMER_CPF_DIGITS: &str = "71460238001";

/// Main customer's contract (active, plan 1).
pub const CUSTOMER_CONTRACT: &str = "201";

/// Main customer's e-mail.
pub const CUSTOMER_EMAIL: &str = "maria.silva@example.com";

/// Main customer's mobile phone, as stored.
pub const CUSTOMER_MOBILE: &str = "(11) 98765-4321";

/// Open boleto, overdue (due 2026-04-10), 99.90.
pub const INVOICE_OPEN_OVERDUE: &str = "1001";

/// Open boleto, due 2026-06-10, 99.90.
pub const INVOICE_OPEN: &str = "1002";

/// Paid boleto (status R).
pub const INVOICE_PAID: &str = "1003";

/// Cancelled boleto (status C).
pub const INVOICE_CANCELLED: &str = "1004";

/// Partially paid boleto (status P): 129.90, 30.00 received, 99.90 open, due 2026-05-10.
pub const INVOICE_PARTIAL: &str = "1006";

/// Open invoice paid by PIX (`tipo_recebimento` Pix) whose `linha_digitavel` is garbage;
/// `get_boleto` refuses it, `get_pix` works.
pub const INVOICE_PIX: &str = "1007";

/// Customer with an active contract and no invoice at all.
pub const CUSTOMER_NO_INVOICES_ID: &str = "102";

/// [`CUSTOMER_NO_INVOICES_ID`]'s CPF, masked.
pub const CUSTOMER_NO_INVOICES_CPF: &str = "384.919.530-94";

/// [`CUSTOMER_NO_INVOICES_ID`]'s CPF, digits only.
pub const CUSTOMER_NO_INVOICES_CPF_DIGITS: &str = "38491953094";

/// Company customer (`tipo_pessoa` J) with an alphanumeric CNPJ.
pub const COMPANY_ID: &str = "103";

/// The company's CNPJ as stored: Receita Federal's alphanumeric example, masked.
pub const COMPANY_CNPJ: &str = "12.ABC.345/01DE-35";

/// The company's CNPJ without mask.
pub const COMPANY_CNPJ_DIGITS: &str = "12ABC34501DE35";

/// The company's contract.
pub const COMPANY_CONTRACT: &str = "203";

/// The company's open invoice: `tipo_recebimento` Gateway, a `gateway_link`, no boleto line.
pub const COMPANY_INVOICE_GATEWAY: &str = "1008";

/// The company's paid boleto.
pub const COMPANY_INVOICE_PAID: &str = "1009";

/// Customer whose contracts are blocked; has an `alerta`.
pub const BLOCKED_CUSTOMER_ID: &str = "104";

/// [`BLOCKED_CUSTOMER_ID`]'s CPF, masked.
pub const BLOCKED_CUSTOMER_CPF: &str = "250.917.464-98";

/// [`BLOCKED_CUSTOMER_ID`]'s CPF, digits only.
pub const BLOCKED_CUSTOMER_CPF_DIGITS: &str = "25091746498";

/// Blocked (`status_internet` CA) contract eligible for trust unlock.
pub const CONTRACT_UNLOCK_ELIGIBLE: &str = "204";

/// Blocked contract whose trust unlock was used on 2026-05-01 with the debt still unpaid:
/// `desbloqueio_confianca` answers code 113.
pub const CONTRACT_UNLOCK_USED: &str = "205";

/// Inactive contract (`status` I): `desbloqueio_confianca` answers code 109.
pub const CONTRACT_INACTIVE: &str = "206";

/// A contract id that does not exist: `desbloqueio_confianca` answers code 106.
pub const CONTRACT_MISSING: &str = "999";

/// Oldest overdue invoice of [`CONTRACT_UNLOCK_ELIGIBLE`].
pub const BLOCKED_INVOICE_OLDEST: &str = "1010";

/// Newest overdue invoice of [`CONTRACT_UNLOCK_ELIGIBLE`].
pub const BLOCKED_INVOICE_NEWEST: &str = "1011";

/// The overdue invoice of [`CONTRACT_UNLOCK_USED`].
pub const USED_UNLOCK_INVOICE: &str = "1012";

/// Inactive customer (`ativo` N) with a cancelled contract and no invoices.
pub const INACTIVE_CUSTOMER_ID: &str = "105";

/// [`INACTIVE_CUSTOMER_ID`]'s CPF, masked.
pub const INACTIVE_CUSTOMER_CPF: &str = "463.851.027-26";

/// The "bulk" customer, present only when a simulator is asked for bulk invoices
/// (IXC: [`IxcConfig::bulk_invoices`](crate::ixc::IxcConfig::bulk_invoices)), for load and
/// chaos tests: an active contract and that many open boletos.
pub const BULK_CUSTOMER_ID: &str = "106";

/// [`BULK_CUSTOMER_ID`]'s name.
pub const BULK_CUSTOMER_NAME: &str = "Bruno Carga Volume";

/// [`BULK_CUSTOMER_ID`]'s CPF, masked (valid; no other person uses it).
pub const BULK_CUSTOMER_CPF: &str = "862.417.935-19";

/// [`BULK_CUSTOMER_ID`]'s CPF, digits only.
pub const BULK_CUSTOMER_CPF_DIGITS: &str = "86241793519";

/// [`BULK_CUSTOMER_ID`]'s contract (active, plan 1), which every bulk invoice belongs to.
pub const BULK_CUSTOMER_CONTRACT: &str = "208";

/// A valid CPF that belongs to no customer.
pub const UNKNOWN_CPF: &str = "529.982.247-25";

/// A valid CPF of nobody in any dataset, for the leads and orders tests create (a new
/// prospect, never a customer). Not [`UNKNOWN_CPF`], which tests use as "no such customer".
pub const PROSPECT_CPF: &str = "605.127.439-16";

/// [`PROSPECT_CPF`], digits only.
pub const PROSPECT_CPF_DIGITS: &str = "60512743916";

/// The provider (boleto "cedente", PIX receiver, emitter of every fiscal note).
pub const PROVIDER_NAME: &str = "Ponte Demo Telecom Ltda";

/// The provider's CNPJ, masked (how IXC stores it).
pub const PROVIDER_CNPJ: &str = "45.123.456/0001-87";

/// [`PROVIDER_CNPJ`] without mask (the emitter in every fiscal note's access key).
pub const PROVIDER_CNPJ_DIGITS: &str = "45123456000187";

/// A CPF or CNPJ reduced to what identifies it, for comparing documents however they are
/// written: digits and letters (the alphanumeric CNPJ), upper case (`"714.602.380-01"` →
/// `"71460238001"`).
pub(crate) fn document_key(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ponte_contract::normalize::document::{Document, cpf_check_digits};

    #[test]
    fn documents_are_valid_and_masked_forms_match_digits() {
        for (masked, digits) in [
            (CUSTOMER_CPF, CUSTOMER_CPF_DIGITS),
            (CUSTOMER_NO_INVOICES_CPF, CUSTOMER_NO_INVOICES_CPF_DIGITS),
            (BLOCKED_CUSTOMER_CPF, BLOCKED_CUSTOMER_CPF_DIGITS),
            (INACTIVE_CUSTOMER_CPF, "46385102726"),
            (BULK_CUSTOMER_CPF, BULK_CUSTOMER_CPF_DIGITS),
            (UNKNOWN_CPF, "52998224725"),
            (PROSPECT_CPF, PROSPECT_CPF_DIGITS),
        ] {
            let doc = Document::parse(masked).expect("valid CPF");
            assert_eq!((doc.as_str(), doc.formatted().as_str()), (digits, masked));
            let mut base = [0u8; 9];
            for (slot, b) in base.iter_mut().zip(digits.bytes()) {
                *slot = b - b'0';
            }
            let [d1, d2] = cpf_check_digits(&base);
            assert_eq!(&digits[9..], format!("{d1}{d2}"));
        }
        assert_eq!(Document::parse(COMPANY_CNPJ).map(|d| d.as_str().to_owned()), Ok(COMPANY_CNPJ_DIGITS.to_owned()));
        assert_eq!(Document::parse(PROVIDER_CNPJ).map(|d| d.as_str().to_owned()), Ok(PROVIDER_CNPJ_DIGITS.to_owned()));
    }
}
