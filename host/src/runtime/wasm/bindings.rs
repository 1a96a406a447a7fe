//! Host bindings generated from the WIT world `ponte:plugin@0.1.0`.
//!
//! Imports are async (they call the async capabilities) and never trap: every refusal is a
//! WIT error the guest can handle (STYLE.md §4).

wasmtime::component::bindgen!({
    path: "../plugin-api/wit/since_v0.1.0",
    world: "plugin",
    imports: { default: async },
    exports: { default: async },
});
