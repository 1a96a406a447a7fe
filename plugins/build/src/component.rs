//! Building one Rust plugin folder into a WebAssembly component: `cargo build --release
//! --target wasm32-wasip2`, then the artifact checked and copied to the manifest's `entry`.
//!
//! One piece, used twice: by this crate's build script (every wasm plugin of the workspace, on
//! every `cargo build`) and by `ponte plugin build` (an author's plugin folder, anywhere). It
//! needs only `std` and `toml`, because the build script compiles it too.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-wasip2";
/// `\0asm` and the component encoding's version and layer (`0x0d 0x00`, `0x01 0x00`).
pub const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
/// Set on the nested cargo: a plugin that (by mistake) depended on this crate must not recurse.
pub const NESTED: &str = "PONTE_PLUGINS_BUILD_NESTED";

/// A plugin folder with `runtime = "wasm"` in its `plugin.toml` and a `Cargo.toml`.
#[derive(Debug, Clone)]
pub struct RustPlugin {
    /// Its name (the manifest's `name`, else the folder's).
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// Where the component goes: the manifest's `entry`, inside `dir`.
    pub wasm: PathBuf,
    /// The cargo artifact's file stem (the lib's name, `-` as `_`).
    pub artifact: String,
}

impl RustPlugin {
    /// Reads the folder: `Ok(None)` when it has no `plugin.toml` or its runtime is not
    /// `"wasm"`.
    ///
    /// # Errors
    /// A manifest or `Cargo.toml` that can't be read or parsed, a wasm plugin without a
    /// `Cargo.toml`, an `entry` outside the folder.
    pub fn read(dir: &Path) -> Result<Option<RustPlugin>, String> {
        let manifest_path = dir.join("plugin.toml");
        let cargo_path = dir.join("Cargo.toml");
        if !manifest_path.is_file() {
            return Ok(None);
        }
        let manifest = read_toml(&manifest_path)?;
        if manifest.get("runtime").and_then(toml::Value::as_str) != Some("wasm") {
            return Ok(None);
        }
        let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let name = manifest.get("name").and_then(toml::Value::as_str).unwrap_or(&folder).to_owned();
        if !cargo_path.is_file() {
            return Err(format!(
                "{} says runtime = \"wasm\" but {} has no Cargo.toml to build it from",
                manifest_path.display(),
                dir.display()
            ));
        }
        let entry = manifest.get("entry").and_then(toml::Value::as_str).unwrap_or("plugin.wasm");
        if entry.contains("..") || Path::new(entry).is_absolute() {
            return Err(format!("{}: `entry` must be a path inside the plugin's folder", manifest_path.display()));
        }
        let cargo = read_toml(&cargo_path)?;
        let lib_name = cargo.get("lib").and_then(|l| l.get("name")).and_then(toml::Value::as_str);
        let package_name = cargo.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str);
        let artifact = lib_name
            .or(package_name)
            .ok_or_else(|| format!("{} has no [package] name", cargo_path.display()))?
            .replace('-', "_");
        Ok(Some(RustPlugin { name, wasm: dir.join(entry), dir: dir.to_path_buf(), artifact }))
    }

    /// Builds the component with `cargo` into `target_dir` and copies it to [`wasm`](Self::wasm)
    /// when it changed (write then rename: a reader never sees half a component). Returns
    /// whether the component changed.
    ///
    /// The nested cargo runs without the caller's `CARGO_*` variables, `RUSTFLAGS` and
    /// wrappers (a build script's or clippy's settings would otherwise leak in), but keeps
    /// `CARGO_HOME`, the registry and network settings, and the jobserver (`CARGO_MAKEFLAGS`).
    ///
    /// # Errors
    /// The end of cargo's output and the command to run by hand, or an artifact that is no
    /// component.
    pub fn build(&self, cargo: &OsStr, target_dir: &Path) -> Result<bool, String> {
        let manifest = self.dir.join("Cargo.toml");
        let mut command = Command::new(cargo);
        command
            .arg("build")
            .arg("--release")
            .args(["--target", TARGET])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target_dir)
            .env(NESTED, "1");
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if leaks_into_nested_cargo(&key) {
                command.env_remove(key.as_ref());
            }
        }
        let by_hand = format!(
            "cargo build --release --target {TARGET} --manifest-path {} --target-dir {}",
            manifest.display(),
            target_dir.display()
        );
        let output =
            command.output().map_err(|e| format!("failed to run cargo for the wasm plugin `{}`: {e}", self.name))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            // From the first error on (the first is the one to fix), else the end.
            let lines: Vec<&str> = stderr.lines().collect();
            let start =
                lines.iter().position(|l| l.starts_with("error")).unwrap_or_else(|| lines.len().saturating_sub(60));
            let tail: Vec<&str> = lines.into_iter().skip(start).take(60).collect();
            return Err(format!(
                "building the wasm plugin `{}` failed ({}):\n{}\n\nTo see it all, run: {by_hand}",
                self.name,
                output.status,
                tail.join("\n")
            ));
        }

        let artifact = target_dir.join(TARGET).join("release").join(format!("{}.wasm", self.artifact));
        let bytes = fs::read(&artifact).map_err(|e| {
            format!(
                "the wasm plugin `{}` built, but {} can't be read ({e}); is its crate-type \"cdylib\"?",
                self.name,
                artifact.display()
            )
        })?;
        if !bytes.starts_with(&COMPONENT_HEADER) {
            return Err(format!(
                "{} is not a WebAssembly component (expected the header {COMPONENT_HEADER:02x?}); build for {TARGET}",
                artifact.display()
            ));
        }
        if fs::read(&self.wasm).ok().as_deref() == Some(bytes.as_slice()) {
            return Ok(false);
        }
        // A name of its own per build: two builds at once (a build script and `ponte plugin
        // build`, or `ponte dev` and `ponte plugin test`) never rename each other's half file.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let partial = self.wasm.with_extension(format!("wasm.{}-{nanos}.partial", std::process::id()));
        let written = fs::write(&partial, &bytes)
            .map_err(|e| format!("failed to write {}: {e}", partial.display()))
            .and_then(|()| {
                fs::rename(&partial, &self.wasm)
                    .map_err(|e| format!("failed to move the component to {}: {e}", self.wasm.display()))
            });
        if written.is_err() {
            let _ = fs::remove_file(&partial);
        }
        written.map(|()| true)
    }
}

/// Installs the wasm target with rustup when `rustc` lacks it; `notify` hears that it is being
/// installed.
///
/// # Errors
/// When `rustc` can't be run, or the target is missing and rustup can't add it.
pub fn ensure_target(rustc: &OsStr, notify: impl Fn(&str)) -> Result<(), String> {
    let output = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .map_err(|e| format!("failed to run {}: {e}", rustc.to_string_lossy()))?;
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() && !libdir.is_empty() && Path::new(&libdir).is_dir() {
        return Ok(());
    }
    notify(&format!("installing the {TARGET} target with rustup (needed to build wasm plugins)"));
    let status = Command::new("rustup").args(["target", "add", TARGET]).status().map_err(|e| {
        format!("the {TARGET} target is missing and rustup could not be run ({e}); install the target with: rustup target add {TARGET}")
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`rustup target add {TARGET}` failed ({status}); wasm plugins can't be built without it"))
    }
}

fn read_toml(path: &Path) -> Result<toml::Table, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("failed to read {}: {e}", path.display()))?;
    text.parse::<toml::Table>().map_err(|e| format!("failed to parse {}: {e}", path.display()))
}

/// Whether an inherited variable would change what the nested cargo does.
fn leaks_into_nested_cargo(key: &str) -> bool {
    const KEEP_PREFIXES: [&str; 5] =
        ["CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTRIES_", "CARGO_REGISTRY_", "CARGO_TERM_"];
    match key {
        "CARGO_HOME" | "CARGO_MAKEFLAGS" => false,
        "RUSTFLAGS" | "RUSTDOCFLAGS" | "RUSTC_WRAPPER" | "RUSTC_WORKSPACE_WRAPPER" => true,
        _ if KEEP_PREFIXES.iter().any(|p| key.starts_with(p)) => false,
        _ => key.starts_with("CARGO_") || key.starts_with("__CARGO"),
    }
}
