// Any text as a plugin manifest and as a tenant's automation file: every problem is a
// configuration error with its place, never a panic.
//
// Shared by the cargo-fuzz target (fuzz/fuzz_targets/) and the replay test every `cargo test`
// runs (host/tests/fuzz_replay.rs): included as source, so it has no inner attributes.

use std::collections::BTreeMap;
use std::path::Path;

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

/// One input through the check: returns normally, or panics on a finding.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = manifest::parse(Path::new("plugins/erp/plugin.toml"), text);
    let known = manifest::parse(Path::new("plugins/erp/plugin.toml"), MANIFEST).expect("the sample manifest");
    let manifests = BTreeMap::from([("erp".to_owned(), known)]);
    let vars = Vars::none().with("TOKEN", "a-token-value");
    let _ = automation::parse(Path::new("automations/acme.toml"), text, &manifests, &vars);
}
