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
use std::process::ExitCode;

// The same file is the library's `component` module (`ponte plugin build` uses it).
#[path = "src/component.rs"]
#[allow(dead_code)]
mod component;

use component::{NESTED, RustPlugin as Plugin};

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
    // Hidden folders (a scaffold in the making, a tool's copies) are no plugins.
    let hidden = |p: &Path| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let mut dirs: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir() && !hidden(p)).collect();
    dirs.sort();
    let mut plugins = Vec::new();
    for dir in dirs {
        plugins.extend(Plugin::read(&dir)?);
    }
    Ok(plugins)
}

/// Installs the wasm target with rustup when the toolchain lacks it.
fn ensure_target() -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    component::ensure_target(&rustc, |message| println!("cargo:warning={message}"))
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
    plugin.build(&cargo, target_dir).map(drop)
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
