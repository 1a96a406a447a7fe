//! CPF and CNPJ (numeric and, since July 2026, alphanumeric).
//! STUB: signatures only; the implementation and tests are being written.

/// Which Brazilian taxpayer document a [`Document`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Individual: 11 digits.
    Cpf,
    /// Company: 12 characters `[0-9A-Z]` and 2 check digits.
    Cnpj,
}

/// A verified CPF or CNPJ in canonical form: no punctuation, letters upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Document {
    kind: DocumentKind,
    value: String,
}

/// Why a text is not a valid CPF or CNPJ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Nothing left after stripping punctuation and spaces.
    #[error("document is empty")]
    Empty,
    /// A character that is neither a digit, an ASCII letter nor accepted punctuation.
    #[error("document contains an invalid character {0:?}")]
    InvalidCharacter(char),
    /// Neither 11 (CPF) nor 14 (CNPJ) characters.
    #[error("document has {0} characters; a CPF has 11 and a CNPJ 14")]
    BadLength(usize),
    /// Letters where only digits are allowed (a CPF, or a CNPJ's check digits).
    #[error("letters are only allowed in the first 12 characters of a CNPJ")]
    MisplacedLetter,
    /// All characters the same (`111.111.111-11`): passes the arithmetic, never issued.
    #[error("document is a repeated-digit sequence")]
    RepeatedDigits,
    /// The check digits do not match.
    #[error("document check digits do not match")]
    CheckDigits,
}

impl Document {
    /// Parses and verifies a CPF or CNPJ.
    pub fn parse(_input: &str) -> Result<Self, DocumentError> {
        unimplemented!()
    }
    /// The canonical value.
    pub fn as_str(&self) -> &str {
        &self.value
    }
    /// CPF or CNPJ.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }
}
