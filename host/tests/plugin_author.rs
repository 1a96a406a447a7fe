//! Plugin authors' commands, run as an author would: `ponte plugin new`, `ponte plugin test`
//! (live and `--replay`), `ponte plugin record` and `ponte invoke`, against a stand-in ERP on
//! loopback.

use std::path::Path;
use std::process::{Command, Output};

use axum::extract::Request;
use axum::response::IntoResponse;

/// Runs `ponte` to its end, bounded: a command that hangs (a build waiting on a lock, say) is
/// killed after five minutes and fails the test.
async fn ponte(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ponte"));
    command.args(args).current_dir(dir).env_remove("RUST_LOG").kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    match tokio::time::timeout(std::time::Duration::from_secs(300), command.output()).await {
        Ok(output) => output.expect("run ponte"),
        Err(_) => panic!("ponte {args:?} ran for more than five minutes"),
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The scaffold's example ERP on loopback, as a live ERP; stopped when the handle drops.
async fn live_erp() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(|request: Request| async move {
        let authorized = request.headers().get("authorization").is_some_and(|v| v == "Bearer live-token-7f3a9c");
        let url = url::Url::parse(&format!("http://erp{}", request.uri())).expect("url");
        let answer = ponte_host::author::scaffold::example_erp(request.method().as_str(), &url, b"");
        let status = if authorized { answer.status } else { 401 };
        let body = if authorized { answer.body } else { b"{\"erro\":\"token invalido\"}".to_vec() };
        (axum::http::StatusCode::from_u16(status).unwrap_or_default(), body).into_response()
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

fn new_plugin(dir: &Path) -> impl std::future::Future<Output = Output> + '_ {
    ponte(
        &[
            "plugin",
            "new",
            "acme-erp",
            "--functions",
            "get_customer,list_invoices,list_totem_invoices,get_invoice,get_boleto_pdf,get_customer_contacts,list_products",
        ],
        dir,
        &[],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_plugin_passes_its_scenarios_and_a_broken_one_is_told_exactly_what_is_wrong() {
    let dir = tempfile::tempdir().expect("temp dir");
    let created = new_plugin(dir.path()).await;
    assert!(created.status.success(), "{}", text(&created));
    let plugin = dir.path().join("acme-erp");
    for file in ["plugin.toml", "main.rhai", "test.toml", "README.md", "fixtures/recorded.json"] {
        assert!(plugin.join(file).is_file(), "{file}");
    }
    let tested = ponte(&["plugin", "test", "acme-erp", "--replay"], dir.path(), &[]).await;
    let out = text(&tested);
    assert!(tested.status.success(), "{out}");
    assert!(out.contains("0 failed") && out.contains("ok   normal_customer        list_invoices"), "{out}");

    // Made beside it under a hidden name, then renamed: nothing else is left in the folder, and a
    // hidden copy of a plugin (a scaffold in the making) is never loaded as a second one.
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(entries, ["acme-erp"]);
    let copy = dir.path().join(".acme-erp.new-1");
    std::fs::create_dir(&copy).expect("hidden copy");
    for file in ["plugin.toml", "main.rhai"] {
        std::fs::copy(plugin.join(file), copy.join(file)).expect("copy");
    }
    let automations = tempfile::tempdir().expect("automations");
    let registry = ponte_host::registry::Registry::load(&ponte_host::registry::Sources {
        plugins: vec![dir.path().to_owned()],
        automations: automations.path().to_owned(),
        vars: ponte_host::config::vars::Vars::none(),
        http_limits: Default::default(),
    })
    .await;
    assert!(registry.errors.is_empty(), "{:?}", registry.errors);
    assert_eq!(registry.plugins.keys().collect::<Vec<_>>(), ["acme-erp"]);
    std::fs::remove_dir_all(&copy).expect("remove the copy");

    // The same name again is refused, and nothing is overwritten.
    let again = new_plugin(dir.path()).await;
    assert!(!again.status.success() && text(&again).contains("already exists"), "{}", text(&again));

    // Break the contract: every invoice claims to be someone else's.
    let script = std::fs::read_to_string(plugin.join("main.rhai")).expect("script");
    let broken =
        script.replace("document_number: document_key(customer.cpf_cnpj),", "document_number: \"52998224725\",");
    assert_ne!(broken, script);
    std::fs::write(plugin.join("main.rhai"), broken).expect("write");
    let tested = ponte(&["plugin", "test", "acme-erp", "--replay"], dir.path(), &[]).await;
    let out = text(&tested);
    assert!(!tested.status.success(), "{out}");
    assert!(out.contains("FAIL normal_customer        list_invoices"), "{out}");
    assert!(
        out.contains("expected") && out.contains("GET https://erp.example.com/api/v1/faturas?cliente_id=101"),
        "{out}"
    );
    assert!(out.contains("the plugin returned"), "{out}");
}

/// The workspace's target folder for nested wasm builds (`plugins/build` builds the bundled
/// plugins there, release profile, same lock file), so a generated Rust plugin reuses the PDK's
/// compiled dependencies instead of building them again. Tests sharing it give their plugins
/// different names: cargo puts a crate's component at a path named after the crate.
fn wasm_target_dir() -> std::path::PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_ponte"));
    binary.parent().and_then(Path::parent).map_or_else(|| binary.to_path_buf(), |t| t.join("wasm-plugins"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_rust_plugin_builds_passes_its_scenarios_and_is_rebuilt_before_every_test() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = wasm_target_dir();
    let env = [("CARGO_TARGET_DIR", target.to_str().expect("a UTF-8 path"))];
    let functions =
        "get_customer,list_invoices,list_totem_invoices,get_invoice,get_boleto_pdf,get_customer_contacts,list_products";
    let created =
        ponte(&["plugin", "new", "acme-rs", "--runtime", "rust", "--functions", functions], dir.path(), &env).await;
    assert!(created.status.success(), "{}", text(&created));
    let plugin = dir.path().join("acme-rs");
    for file in [
        "plugin.toml",
        "Cargo.toml",
        "Cargo.lock",
        "src/lib.rs",
        "plugin.wasm",
        "test.toml",
        "README.md",
        ".gitignore",
        "rustfmt.toml",
        "fixtures/recorded.json",
    ] {
        assert!(plugin.join(file).is_file(), "{file}");
    }
    let manifest = std::fs::read_to_string(plugin.join("plugin.toml")).expect("manifest");
    assert!(manifest.contains("runtime = \"wasm\"") && manifest.contains("\"get_boleto_pdf\""), "{manifest}");
    let tested = ponte(&["plugin", "test", "acme-rs", "--replay"], dir.path(), &env).await;
    let out = text(&tested);
    assert!(tested.status.success(), "{out}");
    assert!(out.contains(" 0 failed") && out.contains("ok   one_invoice            get_boleto_pdf"), "{out}");

    // The generated code is in the project's style as generated (rustfmt ships with rustup's
    // default profile; .ci/run installs it).
    let formatted = Command::new("rustfmt")
        .args(["--check", "--edition", "2024", "--config-path"])
        .arg(plugin.join("rustfmt.toml"))
        .arg(plugin.join("src/lib.rs"))
        .output()
        .expect("run rustfmt");
    assert!(formatted.status.success(), "{}", text(&formatted));

    // `plugin test` builds first: an edit that breaks the contract fails the very next run.
    let source = std::fs::read_to_string(plugin.join("src/lib.rs")).expect("source");
    // Every invoice claims to be someone else's.
    let broken = source.replace(
        "document_number: document_key(&text(&customer[\"cpf_cnpj\"])),\n        fatura:",
        "document_number: \"52998224725\".to_owned(),\n        fatura:",
    );
    assert_ne!(broken, source);
    std::fs::write(plugin.join("src/lib.rs"), &broken).expect("write");
    let tested = ponte(&["plugin", "test", "acme-rs", "--replay"], dir.path(), &env).await;
    let out = text(&tested);
    assert!(!tested.status.success(), "{out}");
    assert!(out.contains("built ") && out.contains("FAIL normal_customer        list_invoices"), "{out}");
    assert!(out.contains("expected") && out.contains("the plugin returned"), "{out}");

    // Code that does not compile: cargo's own error, and nothing is run.
    std::fs::write(plugin.join("src/lib.rs"), broken.replace("fn open_invoices(", "fn open_invoices(,"))
        .expect("write");
    let tested = ponte(&["plugin", "test", "acme-rs", "--replay"], dir.path(), &env).await;
    let out = text(&tested);
    assert!(!tested.status.success(), "{out}");
    assert!(out.contains("building the wasm plugin `acme-rs` failed") && out.contains("src/lib.rs"), "{out}");
    assert!(!out.contains("passed"), "{out}");

    // Fixed again, `ponte plugin build` says so; a Rhai plugin has nothing to build.
    std::fs::write(plugin.join("src/lib.rs"), &source).expect("write");
    let built = ponte(&["plugin", "build", "acme-rs"], dir.path(), &env).await;
    assert!(built.status.success() && text(&built).contains("built "), "{}", text(&built));
    let again = ponte(&["plugin", "build", "acme-rs"], dir.path(), &env).await;
    assert!(again.status.success() && text(&again).contains("up to date"), "{}", text(&again));
    assert!(new_plugin(dir.path()).await.status.success());
    let rhai = ponte(&["plugin", "build", "acme-erp"], dir.path(), &env).await;
    assert!(rhai.status.success() && text(&rhai).contains("no Rust plugin"), "{}", text(&rhai));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_against_a_live_erp_then_replay_offline_without_the_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(new_plugin(dir.path()).await.status.success());
    let plugin = dir.path().join("acme-erp");
    let (url, server) = live_erp().await;
    let scaffold_plan = std::fs::read_to_string(plugin.join("test.toml")).expect("plan");
    let plan_for = |url: &str| {
        scaffold_plan
            .replace("https://erp.example.com", url)
            .replace("# allow_private = [\"127.0.0.1\"]", "allow_private = [\"127.0.0.1\"]")
    };
    std::fs::write(plugin.join("test.toml"), plan_for(&url)).expect("write plan");
    std::fs::remove_file(plugin.join("fixtures/recorded.json")).expect("drop the scaffold's fixtures");

    let env = [("ACME_ERP_TOKEN", "live-token-7f3a9c")];
    let live = ponte(&["plugin", "test", "acme-erp"], dir.path(), &env).await;
    assert!(live.status.success(), "{}", text(&live));
    let recorded = ponte(&["plugin", "record", "acme-erp"], dir.path(), &env).await;
    assert!(recorded.status.success(), "{}", text(&recorded));
    assert!(text(&recorded).contains("recorded"), "{}", text(&recorded));
    let fixtures = std::fs::read_to_string(plugin.join("fixtures/recorded.json")).expect("fixtures");
    assert!(!fixtures.contains("live-token-7f3a9c") && fixtures.contains(&url), "the token never reaches a fixture");
    for personal in ["Maria Aparecida", "maria.silva@example.com", "98765-4321", "Rua das Flores"] {
        assert!(!fixtures.contains(personal), "{personal} reached the fixtures");
    }

    // The ERP goes away: replay needs neither it nor the token.
    server.abort();
    let _ = server.await;
    let replayed = ponte(&["plugin", "test", "acme-erp", "--replay"], dir.path(), &[]).await;
    assert!(replayed.status.success(), "{}", text(&replayed));
    let offline = ponte(&["plugin", "test", "acme-erp"], dir.path(), &env).await;
    assert!(!offline.status.success(), "live with the ERP down fails: {}", text(&offline));

    // A wrong token, live, is an upstream error, said so.
    let (url, _server) = live_erp().await;
    std::fs::write(plugin.join("test.toml"), plan_for(&url)).expect("write plan");
    let refused = ponte(&["plugin", "test", "acme-erp"], dir.path(), &[("ACME_ERP_TOKEN", "wrong")]).await;
    let out = text(&refused);
    assert!(
        !refused.status.success() && out.contains("502 upstream_error") && out.contains("refused the token"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_prints_the_exchanges_and_the_normalized_result_and_refuses_bad_input_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(new_plugin(dir.path()).await.status.success());
    let input = r#"{"customer_document_number": "714.602.380-01"}"#;
    let invoked = ponte(&["invoke", "acme-erp", "list_invoices", "--replay", "--input", input], dir.path(), &[]).await;
    let out = text(&invoked);
    assert!(invoked.status.success(), "{out}");
    for expected in [
        "acme-erp@0.1.0 list_invoices",
        "upstream exchanges: 2",
        "GET https://erp.example.com/api/v1/clientes?cpf_cnpj=71460238001 -> 200",
        "> Authorization: ***",
        "raw result (the plugin's)",
        "\"valor_final\": \"101,89\"",
        "normalized result (the caller's)",
        "\"valor_final\": \"101.89\"",
        "\"codigo_barras\": \"00191141200000099900000003128557000000100117\"",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    let json =
        ponte(&["invoke", "acme-erp", "list_invoices", "--replay", "--json", "--input", input], dir.path(), &[]).await;
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    assert_eq!(report["normalized"][1]["linha_digitavel"], "00190000090312855700000001001171114120000009990");
    assert_eq!(report["exchanges"].as_array().map(Vec::len), Some(2));

    for (args, words) in [
        (
            vec![
                "invoke",
                "acme-erp",
                "list_invoices",
                "--replay",
                "--input",
                r#"{"customer_document_number": "714.602.380-02"}"#,
            ],
            "invalid_document",
        ),
        (vec!["invoke", "acme-erp", "list_invoices", "--replay", "--input", "{not json"], "--input is not JSON"),
        (vec!["invoke", "acme-erp", "list_invoicez", "--replay"], "unknown function `list_invoicez`"),
        (vec!["invoke", "acme-erp", "list_plans", "--replay", "--input", input], "does not list `list_plans`"),
        (vec!["invoke", "acme-erp", "list_invoices", "--replay", "--set", "colour=blue"], "no setting `colour`"),
        (
            vec!["invoke", "acme-erp", "list_invoices", "--set", "base_url=https://erp.example.com"],
            "setting `token` (test.toml's [live] settings or --set): environment variable `ACME_ERP_TOKEN` is not set",
        ),
        (vec!["invoke", "nowhere", "list_invoices"], "plugin.toml"),
        (vec!["plugin", "new", "Bad Name"], "not a plugin name"),
        (vec!["plugin", "new", "x", "--functions", "settle_invoice"], "no code for `settle_invoice`"),
        (vec!["plugin", "new", "x", "--pdk", "."], "--pdk is for --runtime rust"),
        (vec!["plugin", "new", "x", "--runtime", "rust", "--pdk", "."], "no Cargo.toml there"),
        (vec!["plugin", "new", "x", "--runtime", "go"], "invalid value 'go'"),
        (vec!["plugin", "build", "nowhere"], "has no plugin.toml"),
        (vec!["plugin", "test", "nowhere", "--replay"], "test.toml"),
    ] {
        let output = ponte(&args, dir.path(), &[]).await;
        let out = text(&output);
        assert!(!output.status.success() && out.contains(words), "{args:?}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_trial_adapter_passes_its_recorded_scenarios() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tested = ponte(&["plugin", "test", "tests/plugins/netsul", "--replay"], &repo, &[]).await;
    let out = text(&tested);
    assert!(tested.status.success() && out.contains(" 0 failed"), "{out}");
    assert!(out.contains("ok   one_invoice            get_boleto_pdf"), "{out}");
}

/// A child process killed when dropped, whatever the test's outcome.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ponte_dev_serves_the_plugin_and_picks_up_every_save() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(new_plugin(dir.path()).await.status.success());
    let edit = Edit {
        file: "main.rhai",
        from: "historico: text(row.descricao),",
        to: "historico: \"edited\",",
        broken: "fn list_invoices(input) {",
        refused: "keeps serving the previous one",
    };
    dev_picks_up_every_save(dir.path(), "acme-erp", &[], &edit, std::time::Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ponte_dev_builds_a_rust_plugin_on_every_save_and_keeps_the_last_good_build() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = wasm_target_dir();
    let env = [("CARGO_TARGET_DIR", target.to_str().expect("a UTF-8 path"))];
    let created = ponte(&["plugin", "new", "acme-dev", "--runtime", "rust"], dir.path(), &env).await;
    assert!(created.status.success(), "{}", text(&created));
    let edit = Edit {
        file: "src/lib.rs",
        from: "historico: text(&row[\"descricao\"]),",
        to: "historico: \"edited\".to_owned(),",
        broken: "fn open_invoices(&self",
        refused: "the last good build keeps serving",
    };
    // Bounded: a release build of the plugin crate alone takes seconds; 3 minutes covers a slow CI.
    dev_picks_up_every_save(dir.path(), "acme-dev", &env, &edit, std::time::Duration::from_secs(180)).await;
}

/// A change to a plugin's code: `from` replaced with `to`; `broken` replaced with itself plus
/// a stray `(` makes the code not load (or not compile), which `ponte dev` says with `refused`.
struct Edit {
    file: &'static str,
    from: &'static str,
    to: &'static str,
    broken: &'static str,
    refused: &'static str,
}

/// Serves `name` (in `dir`) with `ponte dev`, calls `list_invoices`, saves a broken version
/// (the old keeps answering), then the edit, and waits up to `within` for the edit to answer.
async fn dev_picks_up_every_save(
    dir: &Path,
    name: &str,
    env: &[(&str, &str)],
    edit: &Edit,
    within: std::time::Duration,
) {
    use std::io::BufRead as _;
    let (url, _server) = live_erp().await;
    let data = dir.join(".dev");
    let token_variable = format!("{}_TOKEN", name.to_ascii_uppercase().replace('-', "_"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["dev", name, "--listen", "127.0.0.1:0", "--reload-interval", "100ms", "--allow-private", "127.0.0.1"])
        .arg("--set")
        .arg(format!("base_url={url}"))
        .arg("--data-dir")
        .arg(&data)
        .current_dir(dir)
        .env(&token_variable, "live-token-7f3a9c")
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start ponte dev");
    let stdout = child.stdout.take().expect("stdout");
    // What it says on standard error, as it says it.
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn({
        let said = std::sync::Arc::clone(&said);
        move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut said) = said.lock() {
                    said.push_str(&line);
                    said.push('\n');
                }
            }
        }
    });
    let _child = Killed(child);
    // The address and the key, from the first lines it prints.
    let (address, key) = tokio::task::spawn_blocking(move || {
        let mut address = None;
        let mut key = None;
        for line in std::io::BufReader::new(stdout).lines().take(10) {
            let line = line.expect("a line");
            if let Some(at) = line.split(" at http://").nth(1) {
                address = at.split_whitespace().next().map(str::to_owned);
            }
            if let Some(k) = line.trim().strip_prefix("key ") {
                key = Some(k.trim().to_owned());
            }
            if address.is_some() && key.is_some() {
                break;
            }
        }
        (address.expect("the address"), key.expect("the key"))
    })
    .await
    .expect("read");
    let client = reqwest::Client::new();
    let call = || async {
        let reply = client
            .post(format!("http://{address}/v1/functions/list_invoices"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(r#"{"customer_document_number": "714.602.380-01"}"#)
            .send()
            .await
            .expect("send");
        let status = reply.status().as_u16();
        let bytes = reply.bytes().await.unwrap_or_default();
        (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default())
    };
    let (status, body) = call().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["historico"], "Fibra 300 Mega");

    let file = dir.join(name).join(edit.file);
    let code = std::fs::read_to_string(&file).expect("code");
    assert!(code.contains(edit.from) && code.contains(edit.broken), "{code}");

    // A save that doesn't load (or build): refused, and the last good version keeps answering.
    std::fs::write(&file, code.replacen(edit.broken, &format!("{}(", edit.broken), 1)).expect("save");
    let started = std::time::Instant::now();
    while !said.lock().is_ok_and(|said| said.contains(edit.refused)) {
        assert!(
            started.elapsed() < within,
            "the broken save was never refused: {}",
            said.lock().map(|s| s.clone()).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, body) = call().await;
    assert_eq!((status, &body[0]["historico"]), (200, &serde_json::json!("Fibra 300 Mega")), "{body}");

    std::fs::write(&file, code.replace(edit.from, edit.to)).expect("save");
    let started = std::time::Instant::now();
    loop {
        let (status, body) = call().await;
        assert_eq!(status, 200, "{body}");
        if body[0]["historico"] == "edited" {
            break;
        }
        assert!(started.elapsed() < within, "the save was never picked up: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
