//! The `ponte` binary's operator commands, run as an operator would: keys, and `check`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ponte(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", format!("sqlite://{}", dir.join("ponte.db").display()))
        .env("PONTE_PLUGINS", repo().join("plugins"))
        .env("PONTE_AUTOMATIONS", dir.join("automations"))
        .env_remove("RUST_LOG")
        .output()
        .expect("run ponte")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("automations")).expect("automations");
    std::fs::write(
        dir.path().join("automations/acme.toml"),
        "name = \"ACME\"\n[connections.erp]\nplugin = \"ixc\"\nsettings = { base_url = \"https://ixc.acme.example\", user_id = \"1\", token = \"${env:ACME_TOKEN}\" }\n[functions]\nlist_invoices = \"erp\"\n",
    )
    .expect("automation");
    dir
}

#[test]
fn keys_are_created_listed_and_revoked_without_ever_showing_the_secret_again() {
    let dir = workspace();
    let created =
        ponte(&["keys", "create", "--tenant", "acme", "--scope", "app,totem", "--label", "kiosk 1"], dir.path());
    assert!(created.status.success(), "{}", text(&created.stderr));
    let token = text(&created.stdout).trim().to_owned();
    assert!(token.starts_with("ponte_"), "{token}");
    let id = token.split('_').nth(1).expect("id").to_owned();

    let listed = ponte(&["keys", "list"], dir.path());
    let listing = text(&listed.stdout);
    assert!(
        listing.contains(&id)
            && listing.contains("app,totem")
            && listing.contains("active")
            && listing.contains("kiosk 1"),
        "{listing}"
    );
    assert!(!listing.contains(&token), "the listing never shows the secret");

    let revoked = ponte(&["keys", "revoke", &id], dir.path());
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert!(text(&ponte(&["keys", "list", "--tenant", "acme"], dir.path()).stdout).contains("revoked"));
    let again = ponte(&["keys", "revoke", &id], dir.path());
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("no active key"), "{}", text(&again.stderr));
}

#[test]
fn bad_key_commands_say_what_is_wrong() {
    let dir = workspace();
    let scope = ponte(&["keys", "create", "--tenant", "acme", "--scope", "root"], dir.path());
    assert!(!scope.status.success());
    assert!(text(&scope.stderr).contains("unknown scope `root`"), "{}", text(&scope.stderr));
    let tenant = ponte(&["keys", "create", "--tenant", "nobody", "--scope", "app"], dir.path());
    assert!(!tenant.status.success());
    let said = text(&tenant.stderr);
    assert!(said.contains("nor the admin API defines tenant `nobody`"), "{said}");
}

#[test]
fn check_lists_every_configuration_error_with_file_and_line() {
    let dir = workspace();
    let ok = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["check"])
        .current_dir(dir.path())
        .env("PONTE_PLUGINS", repo().join("plugins"))
        .env("PONTE_AUTOMATIONS", dir.path().join("automations"))
        .env("ACME_TOKEN", "t0k3n-value")
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}{}", text(&ok.stdout), text(&ok.stderr));
    assert!(text(&ok.stdout).contains("tenant acme: 1 functions"));

    std::fs::write(dir.path().join("automations/bad.toml"), "[functions]\nlist_faturas = \"erp\"\n").expect("bad file");
    let bad = ponte(&["check"], dir.path());
    assert!(!bad.status.success());
    let out = text(&bad.stdout);
    assert!(
        out.contains("bad.toml:2: `functions.list_faturas`: `list_faturas` is not a function of the contract"),
        "{out}"
    );
    assert!(out.contains("environment variable `ACME_TOKEN` is not set"), "{out}");
    assert!(!out.contains("t0k3n-value"));
}

#[test]
fn platform_keys_and_secret_keys_say_what_is_wrong_and_rotation_reseals() {
    let dir = workspace();
    let scoped = ponte(&["keys", "create", "--platform", "--scope", "app"], dir.path());
    assert!(!scoped.status.success());
    assert!(text(&scoped.stderr).contains("a platform key has the admin scope only"), "{}", text(&scoped.stderr));
    let made = ponte(&["keys", "create", "--platform", "--label", "ops"], dir.path());
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert!(text(&made.stdout).starts_with("ponte_"));

    // A key file that is not one is refused without echoing it; a PostgreSQL store needs one made.
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "not-a-key-at-all\n").expect("write");
    let refused = ponte(&["secrets", "reseal", "--secret-key-file", bad.to_str().expect("path")], dir.path());
    assert!(!refused.status.success());
    let said = text(&refused.stderr);
    assert!(said.contains("not 32 bytes in base64") && !said.contains("not-a-key-at-all"), "{said}");
    let shared = ponte(
        &[
            "secrets",
            "reseal",
            "--database",
            "postgres://postgres@127.0.0.1:1/none",
            "--secret-key-file",
            "/nonexistent/ponte.key",
        ],
        dir.path(),
    );
    assert!(text(&shared.stderr).contains("ponte secrets new-key"), "{}", text(&shared.stderr));

    // Rotation on the SQLite store: a new key first in the file, the old one kept until --retire.
    let key_file = dir.path().join("ponte.db.key");
    let rotated = ponte(&["secrets", "rotate"], dir.path());
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    assert!(text(&rotated.stdout).contains("0 skipped"), "{}", text(&rotated.stdout));
    let keys =
        |file: &Path| std::fs::read_to_string(file).expect("key file").lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(keys(&key_file), 2);
    assert!(ponte(&["secrets", "rotate", "--retire"], dir.path()).status.success());
    assert_eq!(keys(&key_file), 1);
    let fresh = ponte(&["secrets", "new-key"], dir.path());
    assert_eq!(text(&fresh.stdout).trim().len(), 44, "32 bytes in base64");
}

#[test]
fn erase_takes_the_document_from_standard_input_and_refuses_a_bad_one() {
    use std::io::Write as _;
    let dir = workspace();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["erase", "--tenant", "acme", "--document", "-"])
        .current_dir(dir.path())
        .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("ponte.db").display()))
        .env_remove("PONTE_REDIS_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ponte");
    child.stdin.take().expect("stdin").write_all(b"714.602.380-01\n").expect("write the document");
    let erased = child.wait_with_output().expect("wait");
    assert!(erased.status.success(), "{}", text(&erased.stderr));
    let report: serde_json::Value = serde_json::from_slice(&erased.stdout).expect("a JSON report");
    assert_eq!(report, serde_json::json!({"invocations": 0, "idempotency_records": 0, "settlements_redacted": 0}));

    let bad = ponte(&["erase", "--tenant", "acme", "--document", "123.456"], dir.path());
    assert!(!bad.status.success());
    let said = text(&bad.stderr);
    assert!(said.contains("invalid_document"), "{said}");
    // The audit trail has the erasure, not the document.
    let store = std::fs::read(dir.path().join("ponte.db")).expect("the store");
    assert!(!String::from_utf8_lossy(&store).contains("71460238001"));
}

#[test]
fn serve_settings_come_from_flag_then_env_then_file_then_default_and_unknown_keys_are_refused() {
    let dir = workspace();
    let file = dir.path().join("ponte.toml");
    std::fs::write(
        &file,
        "max_concurrent_calls = 32\nkey_rate = 50\nqueue_wait = \"3s\"\ndatabase = \"postgres://ponte:s3cr3t@db/ponte\"\nredis_url = \"redis://:pw@cache:6379\"\n",
    )
    .expect("config file");
    let config = file.to_string_lossy().into_owned();
    let shown = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["serve", "--config", &config, "--key-rate", "7", "--print-config"])
        .current_dir(dir.path())
        .env("DATABASE_URL", "sqlite://from-env.db")
        .env("PONTE_MAX_CONCURRENT_CALLS", "16")
        .env_remove("PONTE_KEY_RATE")
        .env_remove("PONTE_QUEUE_WAIT")
        .env_remove("PONTE_REDIS_URL")
        .output()
        .expect("run ponte");
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    for line in [
        "key_rate = 7    # flag",
        "max_concurrent_calls = 16    # env",
        "queue_wait = 3s    # file",
        "database = sqlite://from-env.db    # env",
        "redis_url = ***    # file",
        "max_calls_per_connection = 16    # default",
    ] {
        assert!(shown.contains(line), "missing `{line}` in:\n{shown}");
    }
    assert!(!shown.contains("s3cr3t") && !shown.contains(":pw@"), "secrets are masked:\n{shown}");

    std::fs::write(&file, "max_concurent_calls = 3\n").expect("config file");
    let refused = ponte(&["serve", "--config", &config], dir.path());
    assert_eq!(refused.status.code(), Some(2));
    let said = text(&refused.stderr);
    assert!(said.contains("unknown setting `max_concurent_calls`") && said.contains("max_concurrent_calls"), "{said}");
    std::fs::write(&file, "max_concurrent_calls = \"many\"\n").expect("config file");
    let bad_value = ponte(&["serve", "--config", &config], dir.path());
    assert!(!bad_value.status.success());
    assert!(text(&bad_value.stderr).contains("max-concurrent-calls"), "{}", text(&bad_value.stderr));
}

#[test]
fn the_operators_guides_example_config_file_is_accepted_as_written() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operators.md")).expect("guide");
    let example = guide
        .split("```toml\n# /etc/ponte/ponte.toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/operators.md shows an example --config file");
    let dir = workspace();
    let file = dir.path().join("ponte.toml");
    std::fs::write(&file, example).expect("config file");
    let config = file.to_string_lossy().into_owned();
    let shown = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["serve", "--config", &config, "--print-config"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("PONTE_LISTEN")
        .env_remove("PONTE_RECONCILE_INTERVAL")
        .env_remove("PONTE_KIOSK_MAX_CUSTOMERS")
        .env_remove("PONTE_SECRET_KEY_FILE")
        .output()
        .expect("run ponte");
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    for line in
        ["reconcile_interval = 1h    # file", "kiosk_max_customers = 20    # file", "listen = 0.0.0.0:8080    # file"]
    {
        assert!(shown.contains(line), "missing `{line}` in:\n{shown}");
    }
}
