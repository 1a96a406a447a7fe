//! Configuration files: plugin manifests (`plugins/<name>/plugin.toml`) and automations
//! (`automations/<tenant>.toml`), kept apart from what they configure (STYLE.md §1): these
//! modules parse and validate files into plain types; `crate::registry` turns them into
//! runnable connections.
//!
//! Every error names the file, the line and the field, and a bad file never stops the others
//! from loading.

pub mod automation;
pub mod document;
pub mod manifest;
pub mod privacy;
pub mod vars;

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration error: which file, which line, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field's dotted path (`functions.list_invoices.use`), when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl ConfigError {
    /// An error about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        ConfigError { file: file.to_owned(), line: None, field: None, message: message.into() }
    }

    /// An error at a field of a file, line unknown.
    pub fn at_field(file: &Path, field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { file: file.to_owned(), line: None, field: Some(field.into()), message: message.into() }
    }

    /// An error at a field, with the line its span starts on.
    pub fn at(
        file: &Path,
        source: &str,
        span: Option<std::ops::Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: file.to_owned(),
            line: span.map(|s| line_of(source, s.start)),
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error.
    pub fn toml(file: &Path, source: &str, error: &toml::de::Error) -> Self {
        ConfigError {
            file: file.to_owned(),
            line: error.span().map(|s| line_of(source, s.start)),
            field: None,
            message: error.message().to_owned(),
        }
    }
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(source: &str, offset: usize) -> usize {
    source.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

/// Parses a duration such as `10s`, `1500ms`, `5m`.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}` is not a duration like 10s or 1500ms ({e})"))
}
