//! Boleto lines. STUB: signatures only.

/// Bank boleto (47-digit line) or collection / "arrecadação" (48-digit line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Bank boleto ("boleto bancário"): 47-digit line.
    Bank,
    /// Collection ("arrecadação": utilities, taxes, agreements): 48-digit line.
    Collection,
}

/// A verified "linha digitável": digits only, every check digit verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoletoLine {
    kind: LineKind,
    digits: String,
}

/// A verified 44-digit barcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    kind: LineKind,
    digits: String,
}

/// Why a text is not a valid line or barcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoletoError {
    /// Empty.
    #[error("boleto line is empty")]
    Empty,
    /// A character other than digits and the usual separators.
    #[error("boleto line contains a non-digit character")]
    NonDigit,
    /// Wrong number of digits.
    #[error("boleto line has {0} digits")]
    BadLength(usize),
    /// A field's check digit does not match.
    #[error("check digit of field {0} does not match")]
    FieldCheckDigit(u8),
    /// The general check digit does not match.
    #[error("general check digit does not match")]
    GeneralCheckDigit,
}

impl BoletoLine {
    /// Parses and verifies a line.
    pub fn parse(_input: &str) -> Result<Self, BoletoError> { unimplemented!() }
    /// The line from a barcode.
    pub fn from_barcode(_barcode: &Barcode) -> Self { unimplemented!() }
    /// The barcode.
    pub fn to_barcode(&self) -> Barcode { unimplemented!() }
    /// Digits.
    pub fn as_str(&self) -> &str { &self.digits }
    /// Kind.
    pub fn kind(&self) -> LineKind { self.kind }
}

impl Barcode {
    /// Parses and verifies a barcode.
    pub fn parse(_input: &str) -> Result<Self, BoletoError> { unimplemented!() }
    /// Digits.
    pub fn as_str(&self) -> &str { &self.digits }
    /// Kind.
    pub fn kind(&self) -> LineKind { self.kind }
}
