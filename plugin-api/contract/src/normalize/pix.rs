//! PIX copia-e-cola. STUB: signatures only.

/// A verified PIX "copia e cola" (EMV BR Code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixCode {
    raw: String,
}

/// Why a text is not a valid PIX code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixError {
    /// Empty.
    #[error("pix code is empty")]
    Empty,
    /// Not well-formed TLV.
    #[error("pix code is not well-formed TLV: {0}")]
    Malformed(String),
    /// CRC mismatch.
    #[error("pix code CRC16 does not match")]
    Crc,
    /// Not a PIX.
    #[error("not a PIX code: {0}")]
    NotPix(String),
}

impl PixCode {
    /// Parses and verifies.
    pub fn parse(_input: &str) -> Result<Self, PixError> { unimplemented!() }
    /// Text.
    pub fn as_str(&self) -> &str { &self.raw }
}
