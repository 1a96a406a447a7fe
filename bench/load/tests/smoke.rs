//! The load driver still runs end to end (a short run, debug build): every path answers, the
//! table is printed, the storm makes exactly one upstream request, and the start-up probe loads
//! its tenants. Its figures are not checked: they are the README's, from a release run.

use std::process::Command;

#[test]
fn a_short_run_prints_every_path_and_the_storm_reaches_the_upstream_once() {
    let output = Command::new(env!("CARGO_BIN_EXE_ponte-load"))
        .args(["--duration", "300ms", "--warmup", "100ms", "--concurrency", "1,4", "--storm", "50", "--tenants", "5"])
        .output()
        .expect("the load driver runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for path in [
        "direct (the ERP stand-in)",
        "hand-written proxy, Rust mapping",
        "hand-written proxy, Rhai mapping",
        "Ponte, Rhai plugin",
        "Ponte, wasm plugin",
    ] {
        for connections in ["| 1 |", "| 4 |"] {
            assert!(
                stdout.lines().any(|line| line.starts_with(connections) && line.contains(path)),
                "no row for {path} at {connections}:\n{stdout}"
            );
        }
    }
    assert!(stdout.contains("| calls / answered 200 | 50 / 50 |"), "{stdout}");
    assert!(stdout.contains("| upstream requests (counted at the stand-in) | 1 |"), "{stdout}");
    assert!(stdout.contains("| tenants / automations loaded | 5 / "), "{stdout}");
    assert!(stderr.lines().filter(|l| l.contains("errors")).all(|l| l.trim_end().ends_with("errors 0")), "{stderr}");
}
