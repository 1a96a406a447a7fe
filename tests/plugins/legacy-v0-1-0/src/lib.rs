//! A plugin built against `ponte:plugin@0.1.0` (`plugin-api/wit/since_v0.1.0`) with bare
//! wit-bindgen: what a plugin compiled before 0.1.1 looks like to the host. It serves
//! `list_due_dates`, counting its calls in the kv so a test sees the 0.1.0 imports work.
//!
//! It exists only as a component: built for the host (`cargo build --workspace`) the crate is
//! empty, since a host linker can't take the component's export names.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    path: "../../../plugin-api/wit/since_v0.1.0",
    world: "plugin",
});

use exports::ponte::plugin::adapter::{Error, Guest};
use ponte::plugin::kv;

struct Legacy;

impl Guest for Legacy {
    fn call(function: String, _input: String) -> Result<String, Error> {
        if function != "list_due_dates" {
            return Err(Error::NotImplemented);
        }
        let calls = kv::get("calls").map_err(|_| Error::Failed("kv get".into()))?;
        let calls = calls.and_then(|c| c.parse::<u32>().ok()).unwrap_or(0) + 1;
        kv::set("calls", &calls.to_string(), None).map_err(|_| Error::Failed("kv set".into()))?;
        Ok(format!(r#"[{{"code": "10", "name": "Dia 10 (call {calls})"}}]"#))
    }

    fn functions() -> Vec<String> {
        vec!["list_due_dates".to_owned()]
    }
}

export!(Legacy);
