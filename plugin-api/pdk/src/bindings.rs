//! Raw guest bindings of the WIT world `ponte:plugin@0.1.1` (`plugin-api/wit/since_v0.1.1`).
//!
//! Hidden from the docs: plugin authors use the typed wrappers of the crate root. The
//! `__export_raw!` macro generated here is what [`export!`](crate::export) expands to on wasm.

wit_bindgen::generate!({
    path: "../wit/since_v0.1.1",
    world: "plugin",
    pub_export_macro: true,
    export_macro_name: "__export_raw",
    default_bindings_module: "ponte_pdk::bindings",
});
