//! Any text as a plugin manifest and as a tenant's automation file: every problem is a
//! configuration error with its place, never a panic.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use ponte_host::config::{automation, manifest, vars::Vars};

const MANIFEST: &str = r#"
name = "erp"
version = "0.1.0"
runtime = "rhai"
functions = ["list_invoices", "get_invoice", "settle_invoice"]
hosts = ["{base_url}"]
[settings.base_url]
[settings.token]
secret = true
[rate_limit]
requests = 10
per = "1s"
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = manifest::parse(Path::new("plugins/erp/plugin.toml"), text);
    let known = manifest::parse(Path::new("plugins/erp/plugin.toml"), MANIFEST).expect("the sample manifest");
    let manifests = BTreeMap::from([("erp".to_owned(), known)]);
    let vars = Vars::none().with("TOKEN", "a-token-value");
    let _ = automation::parse(Path::new("automations/acme.toml"), text, &manifests, &vars);
});
