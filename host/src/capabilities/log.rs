//! Plugin log lines: redacted, truncated, bounded per invocation, and tagged with the call.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::capabilities::InvocationInfo;
use crate::secret::Redactor;

/// Longest line kept (longer ones are truncated).
pub const MAX_LINE: usize = 2048;
/// Lines per invocation; later ones are counted, not written.
pub const MAX_LINES: usize = 200;

/// Severity of a plugin's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Debug detail.
    Debug,
    /// Normal information.
    Info,
    /// Something odd.
    Warn,
    /// Something failed.
    Error,
}

/// The log capability of one invocation.
#[derive(Clone)]
pub struct LogCapability {
    info: Arc<InvocationInfo>,
    redactor: Arc<Redactor>,
    written: Arc<AtomicUsize>,
}

impl LogCapability {
    /// A logger for one invocation.
    pub fn new(info: Arc<InvocationInfo>, redactor: Arc<Redactor>) -> Self {
        LogCapability { info, redactor, written: Arc::new(AtomicUsize::new(0)) }
    }

    /// Writes a line (redacted, truncated) unless the invocation's budget is spent.
    pub fn write(&self, level: Level, message: &str) {
        let n = self.written.fetch_add(1, Ordering::Relaxed);
        if n >= MAX_LINES {
            if n == MAX_LINES {
                tracing::warn!(target: "ponte::plugin", invocation_id = %self.info.id, "plugin log budget spent; further lines dropped");
            }
            return;
        }
        let mut line = self.redactor.redact(message);
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        let i = &self.info;
        match level {
            Level::Debug => {
                tracing::debug!(target: "ponte::plugin", invocation_id = %i.id, tenant = %i.tenant, function = %i.function, plugin = %i.plugin, "{line}")
            }
            Level::Info => {
                tracing::info!(target: "ponte::plugin", invocation_id = %i.id, tenant = %i.tenant, function = %i.function, plugin = %i.plugin, "{line}")
            }
            Level::Warn => {
                tracing::warn!(target: "ponte::plugin", invocation_id = %i.id, tenant = %i.tenant, function = %i.function, plugin = %i.plugin, "{line}")
            }
            Level::Error => {
                tracing::error!(target: "ponte::plugin", invocation_id = %i.id, tenant = %i.tenant, function = %i.function, plugin = %i.plugin, "{line}")
            }
        }
    }
}
