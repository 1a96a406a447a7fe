//! Log lines, tagged by the host with the call (tenant, function, plugin version), redacted and
//! bounded. They land in the host's logs and the invocation log; a caller never sees them.

pub use crate::bindings::ponte::plugin::log::Level;

/// Writes a line at `level`.
pub fn write(level: Level, message: impl AsRef<str>) {
    crate::host::log_write(level, message.as_ref());
}

/// Writes a debug line.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message);
}

/// Writes an info line.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message);
}

/// Writes a warning.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warn, message);
}

/// Writes an error line.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message);
}
