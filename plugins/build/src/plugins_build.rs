//! Builds Ponte's WebAssembly plugins as part of the normal `cargo build` / `cargo test` /
//! `cargo run`, so a fresh clone never needs a manual step before the host loads them.
//!
//! The work is in this crate's `build.rs`: for every `plugins/<p>/plugin.toml` with
//! `runtime = "wasm"` and a `Cargo.toml`, it runs `cargo build --release --target
//! wasm32-wasip2` (installing the target with rustup when missing) into
//! `<target>/wasm-plugins`, and copies the component to the manifest's `entry`
//! (`plugins/<p>/plugin.wasm`, git-ignored). Depending on this crate is how another crate says
//! "the plugins must be built before I run":
//!
//! ```toml
//! # host/Cargo.toml and tests/e2e/Cargo.toml
//! [dependencies]
//! ponte-plugins-build.workspace = true
//! ```
//!
//! A plain dependency, not a build-dependency: cargo builds a crate's dependencies (running
//! their build scripts) before compiling it, and a build-dependency is only built for a crate
//! that has a `build.rs`.
//!
//! The library tells where the components are ([`WASM_PLUGINS`], [`PLUGINS_DIR`]), for tests
//! that want to assert they exist, and offers the build of one folder ([`component`]) to
//! `ponte plugin build`, the same code the build script runs.

pub mod component;

/// A WebAssembly plugin this crate's build script built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasmPlugin {
    /// The plugin's name (its manifest's `name`).
    pub name: &'static str,
    /// Its folder, absolute (`.../plugins/sgp`).
    pub dir: &'static str,
    /// Its component, absolute (`.../plugins/sgp/plugin.wasm`).
    pub wasm: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/plugins.rs"));

/// The plugin called `name`, if it was built.
pub fn wasm_plugin(name: &str) -> Option<&'static WasmPlugin> {
    WASM_PLUGINS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_component_exists_and_is_a_component() {
        for plugin in WASM_PLUGINS {
            let bytes = std::fs::read(plugin.wasm).unwrap_or_else(|e| panic!("{}: {e}", plugin.wasm));
            assert!(bytes.starts_with(b"\0asm\x0d\x00\x01\x00"), "{} is not a component", plugin.wasm);
            assert!(plugin.wasm.starts_with(plugin.dir));
            assert!(plugin.dir.starts_with(PLUGINS_DIR) || plugin.dir.contains("tests/plugins"), "{}", plugin.dir);
        }
    }

    #[test]
    fn the_sgp_adapter_is_built() {
        assert!(wasm_plugin("sgp").is_some(), "plugins/sgp should be a wasm plugin: {WASM_PLUGINS:?}");
    }
}
