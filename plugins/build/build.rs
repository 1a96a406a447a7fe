//! Builds every WebAssembly plugin of `plugins/` (and the test-only ones of `tests/plugins/`)
//! into its folder, as part of the normal build.
//!
//! For each `plugins/<p>/plugin.toml` whose `runtime` is `"wasm"` and that has a `Cargo.toml`:
//!
//! 1. `rustup target add wasm32-wasip2` when the toolchain lacks the target;
//! 2. `cargo build --release --target wasm32-wasip2 --manifest-path plugins/<p>/Cargo.toml
//!    --target-dir <target>/wasm-plugins`: a target folder of its own, so the nested cargo never
//!    waits on the lock the outer build holds, shared by `build`, `test` and `clippy` so the
//!    second of them finds it up to date;
//! 3. checks that the artifact is a component and copies it to the manifest's `entry`
//!    (`plugins/<p>/plugin.wasm` by default), only when it changed.
//!
//! The nested cargo runs without the outer build's `CARGO_*` variables, `RUSTFLAGS` and
//! wrappers (clippy's driver, a `--target` or profile setting would otherwise leak in), but
//! keeps `CARGO_HOME`, the registry and network settings, and the jobserver (`CARGO_MAKEFLAGS`),
//! so it shares the outer build's job slots instead of doubling them.
//!
//! Anything that goes wrong fails the build with what to run by hand to see more.

use std::collections::BTreeMap;
use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const TARGET: &str = "wasm32-wasip2";
/// `\0asm` and the component encoding's version and layer (`0x0d 0x00`, `0x01 0x00`).
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
/// Set on the nested cargo: a plugin that (by mistake) depended on this crate must not recurse.
const NESTED: &str = "PONTE_PLUGINS_BUILD_NESTED";

/// A plugin to build.
struct Plugin {
    /// Its name (the manifest's `name`, else the folder's).
    name: String,
    /// `plugins/<p>`.
    dir: PathBuf,
    /// Where the component goes: the manifest's `entry`, inside `dir`.
    wasm: PathBuf,
    /// The cargo artifact's file stem (the lib's name, `-` as `_`).
    artifact: String,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: ponte-plugins-build: {message}\n");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    println!("cargo:rerun-if-env-changed={NESTED}");
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?);
    let root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("this crate must sit at <workspace>/plugins/build")?
        .to_path_buf();
    let plugins_dir = root.join("plugins");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);

    for input in ["Cargo.toml", "Cargo.lock", "plugin-api/wit", "plugin-api/pdk/src", "plugin-api/pdk/Cargo.toml"] {
        rerun_if_changed(&root.join(input));
    }
    for input in ["plugin-api/contract/src", "plugin-api/contract/Cargo.toml"] {
        rerun_if_changed(&root.join(input));
    }

    // Test-only plugins (probes for the runtimes' isolation tests and benchmarks) live in
    // tests/plugins/ so the product never loads them; they are built the same way.
    let mut plugins = find_plugins(&plugins_dir)?;
    let test_plugins_dir = root.join("tests").join("plugins");
    if test_plugins_dir.is_dir() {
        plugins.extend(find_plugins(&test_plugins_dir)?);
    }
    for plugin in &plugins {
        for input in ["plugin.toml", "Cargo.toml", "src", "build.rs", "wit"] {
            let path = plugin.dir.join(input);
            if path.exists() {
                rerun_if_changed(&path);
            }
        }
        // A deleted component is rebuilt (a missing path always reruns the script).
        rerun_if_changed(&plugin.wasm);
    }

    if env::var_os(NESTED).is_none() && !plugins.is_empty() {
        ensure_target()?;
        let target_dir = wasm_target_dir(&root, &out_dir);
        for plugin in &plugins {
            build(plugin, &target_dir)?;
        }
    }

    write_index(&out_dir, &plugins_dir, &plugins)
}

/// The wasm plugins under `plugins_dir`, sorted by folder name.
fn find_plugins(plugins_dir: &Path) -> Result<Vec<Plugin>, String> {
    let entries = fs::read_dir(plugins_dir).map_err(|e| format!("failed to read {}: {e}", plugins_dir.display()))?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let mut plugins = Vec::new();
    for dir in dirs {
        let manifest_path = dir.join("plugin.toml");
        let cargo_path = dir.join("Cargo.toml");
        if !manifest_path.is_file() {
            continue;
        }
        let manifest = read_toml(&manifest_path)?;
        if manifest.get("runtime").and_then(toml::Value::as_str) != Some("wasm") {
            continue;
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
        plugins.push(Plugin { name, wasm: dir.join(entry), dir, artifact });
    }
    Ok(plugins)
}

fn read_toml(path: &Path) -> Result<toml::Table, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("failed to read {}: {e}", path.display()))?;
    text.parse::<toml::Table>().map_err(|e| format!("failed to parse {}: {e}", path.display()))
}

/// Installs the wasm target with rustup when the toolchain lacks it.
fn ensure_target() -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .map_err(|e| format!("failed to run {}: {e}", rustc.to_string_lossy()))?;
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() && !libdir.is_empty() && Path::new(&libdir).is_dir() {
        return Ok(());
    }
    println!("cargo:warning=installing the {TARGET} target with rustup (needed to build the wasm plugins)");
    let status = Command::new("rustup").args(["target", "add", TARGET]).status().map_err(|e| {
        format!("the {TARGET} target is missing and rustup could not be run ({e}); install the target with: rustup target add {TARGET}")
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`rustup target add {TARGET}` failed ({status}); the wasm plugins can't be built without it"))
    }
}

/// `<target>/wasm-plugins`, where `<target>` is `CARGO_TARGET_DIR` (relative to the workspace
/// root when relative), else the target folder `OUT_DIR` sits in, else `<root>/target`.
fn wasm_target_dir(root: &Path, out_dir: &Path) -> PathBuf {
    let target = match env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => root.join(dir),
        // Cargo marks its target (and build) folder with CACHEDIR.TAG.
        None => out_dir
            .ancestors()
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
            .map_or_else(|| root.join("target"), Path::to_path_buf),
    };
    target.join("wasm-plugins")
}

fn build(plugin: &Plugin, target_dir: &Path) -> Result<(), String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let manifest = plugin.dir.join("Cargo.toml");
    let mut command = Command::new(&cargo);
    command
        .arg("build")
        .arg("--release")
        .args(["--target", TARGET])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .env(NESTED, "1");
    for (key, _) in env::vars_os() {
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
        command.output().map_err(|e| format!("failed to run cargo for the wasm plugin `{}`: {e}", plugin.name))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(format!(
            "building the wasm plugin `{}` failed ({}):\n{}\n\nTo see it all, run: {by_hand}",
            plugin.name,
            output.status,
            tail.join("\n")
        ));
    }

    let artifact = target_dir.join(TARGET).join("release").join(format!("{}.wasm", plugin.artifact));
    let bytes = fs::read(&artifact).map_err(|e| {
        format!(
            "the wasm plugin `{}` built, but {} can't be read ({e}); is its crate-type \"cdylib\"?",
            plugin.name,
            artifact.display()
        )
    })?;
    if !bytes.starts_with(&COMPONENT_HEADER) {
        return Err(format!(
            "{} is not a WebAssembly component (expected the header {COMPONENT_HEADER:02x?}); build for {TARGET}",
            artifact.display()
        ));
    }
    if fs::read(&plugin.wasm).ok().as_deref() == Some(bytes.as_slice()) {
        return Ok(());
    }
    // Write then rename: a reader (the host, another build) never sees half a component.
    let partial = plugin.wasm.with_extension("wasm.partial");
    fs::write(&partial, &bytes).map_err(|e| format!("failed to write {}: {e}", partial.display()))?;
    fs::rename(&partial, &plugin.wasm)
        .map_err(|e| format!("failed to move the component to {}: {e}", plugin.wasm.display()))
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

/// `OUT_DIR/plugins.rs`: the index the library exposes.
fn write_index(out_dir: &Path, plugins_dir: &Path, plugins: &[Plugin]) -> Result<(), String> {
    let mut entries = BTreeMap::new();
    for plugin in plugins {
        entries.insert(
            plugin.name.clone(),
            format!(
                "    WasmPlugin {{ name: {:?}, dir: {:?}, wasm: {:?} }},\n",
                plugin.name,
                plugin.dir.to_string_lossy(),
                plugin.wasm.to_string_lossy()
            ),
        );
    }
    let text = format!(
        "/// The `plugins/` folder of the workspace.\npub const PLUGINS_DIR: &str = {:?};\n\n\
         /// Every wasm plugin built, by name.\npub const WASM_PLUGINS: &[WasmPlugin] = &[\n{}];\n",
        plugins_dir.to_string_lossy(),
        entries.into_values().collect::<String>()
    );
    let path = out_dir.join("plugins.rs");
    fs::write(&path, text).map_err(|e| format!("failed to write {}: {e}", path.display()))
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}
