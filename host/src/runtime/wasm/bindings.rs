//! Host bindings generated from the WIT world `ponte:plugin@0.1.1`, the latest of the 0.1 track.
//! They also serve plugins built against 0.1.0: wasmtime matches a component's `@0.1.0` imports
//! and export to these `@0.1.1` definitions by semver, and 0.1.1 only added functions.
//!
//! Imports are async (they call the async capabilities) and never trap: every refusal is a
//! WIT error the guest can handle (STYLE.md §4).

wasmtime::component::bindgen!({
    path: "../plugin-api/wit/since_v0.1.1",
    world: "plugin",
    imports: { default: async },
    exports: { default: async },
});
