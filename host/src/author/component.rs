//! `ponte plugin build`: a Rust plugin's folder built into the component its manifest names,
//! the same build `cargo build` runs for the repository's own plugins
//! ([`ponte_plugins_build::component`]), for a folder anywhere.
//!
//! `ponte plugin test`, `ponte plugin record`, `ponte invoke` and `ponte dev` build first, so
//! an author never tests a stale `plugin.wasm`; a Rhai plugin (or a wasm plugin shipped without
//! its sources) is left as it is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use ponte_plugins_build::component::{self, RustPlugin};

/// What a build did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Built {
    /// The folder is no Rust plugin (a Rhai script, or a component without its sources).
    NotRust,
    /// The component at this path was already the one the sources build.
    UpToDate(PathBuf),
    /// The component at this path was (re)written.
    Changed(PathBuf),
}

/// Why a build failed; the text is cargo's own, with the command to run by hand.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(String);

/// Builds `plugin` (a folder) when it is a Rust plugin: `cargo build --release --target
/// wasm32-wasip2` into the crate's own target folder (`CARGO_TARGET_DIR` when set, else what
/// `cargo metadata` says: a workspace member shares its workspace's), the component copied to
/// the manifest's `entry` when it changed. Blocking: cargo runs in this thread.
///
/// # Errors
/// A folder without `plugin.toml`, a manifest or `Cargo.toml` that can't be read, the target missing and not installable, a
/// failed compilation (cargo's errors in the text).
pub fn build(plugin: &Path) -> Result<Built, BuildError> {
    if !plugin.join("plugin.toml").is_file() {
        return Err(BuildError(format!("{} has no plugin.toml: is it a plugin's folder?", plugin.display())));
    }
    // A component shipped without its sources is run as it is.
    if !plugin.join("Cargo.toml").is_file() {
        return Ok(Built::NotRust);
    }
    let Some(rust) = RustPlugin::read(plugin).map_err(BuildError)? else {
        return Ok(Built::NotRust);
    };
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    component::ensure_target(&rustc, |message| eprintln!("{message}")).map_err(BuildError)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let target_dir = target_dir(&rust, &cargo)?;
    if rust.build(&cargo, &target_dir).map_err(BuildError)? {
        Ok(Built::Changed(rust.wasm))
    } else {
        Ok(Built::UpToDate(rust.wasm))
    }
}

/// `CARGO_TARGET_DIR` (relative to the working folder), else the crate's target folder as
/// `cargo metadata` reports it.
fn target_dir(plugin: &RustPlugin, cargo: &OsString) -> Result<PathBuf, BuildError> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let manifest = plugin.dir.join("Cargo.toml");
    let output = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(&manifest)
        .output()
        .map_err(|e| BuildError(format!("failed to run cargo (is Rust installed? https://rustup.rs): {e}")))?;
    if !output.status.success() {
        return Err(BuildError(format!(
            "cargo metadata failed for {}:\n{}",
            manifest.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| BuildError(format!("cargo metadata answered something that is not JSON: {e}")))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| BuildError("cargo metadata did not name a target directory".to_owned()))
}
