//! The deployment files (`Dockerfile`, `deploy/compose/`, `deploy/kubernetes/`) can't run here
//! (no container runtime or cluster in CI), so this reads them and checks what they promise
//! against the binary they deploy: the port it listens on, the probes' paths, the variables it
//! reads, a non-root user, two replicas sharing PostgreSQL, Redis and a collector.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

/// The environment variables `ponte serve` reads, from its own `--help`.
fn variables_the_binary_reads() -> BTreeSet<String> {
    let help =
        Command::new(env!("CARGO_BIN_EXE_ponte")).args(["serve", "--help"]).output().expect("ponte serve --help");
    let text = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut names: BTreeSet<String> =
        text.split("[env: ").skip(1).filter_map(|rest| rest.split(['=', ']']).next()).map(str::to_owned).collect();
    // The log format is a global flag of every command.
    let global = Command::new(env!("CARGO_BIN_EXE_ponte")).arg("--help").output().expect("ponte --help");
    let text = String::from_utf8_lossy(&global.stdout).into_owned();
    names.extend(text.split("[env: ").skip(1).filter_map(|rest| rest.split(['=', ']']).next()).map(str::to_owned));
    assert!(names.contains("PONTE_LISTEN") && names.contains("DATABASE_URL"), "{names:?}");
    // Read by the keyring itself, not a flag (a key never shows in `--help`).
    names.insert(ponte_host::secret::keyring::KEY_ENV.to_owned());
    names
}

/// A compose service with its `<<: *anchor` merged in (the YAML reader resolves the alias, not
/// the merge key).
fn merged(service: &Yaml) -> Yaml {
    let Some(own) = service.as_hash() else { return service.clone() };
    let mut out = match own.get(&Yaml::String("<<".into())) {
        Some(Yaml::Hash(base)) => base.clone(),
        _ => Default::default(),
    };
    for (key, value) in own {
        if key.as_str() != Some("<<") {
            out.insert(key.clone(), value.clone());
        }
    }
    Yaml::Hash(out)
}

fn str_of(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

#[test]
fn the_image_is_multi_stage_non_root_with_the_plugins_and_the_served_port() {
    let dockerfile = read("Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let stages = lines.iter().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "a build stage and a runtime stage");
    let user = lines.iter().rev().find(|l| l.starts_with("USER ")).expect("a USER");
    let uid = user.trim_start_matches("USER ").split(':').next().unwrap_or_default();
    assert!(uid.parse::<u32>().is_ok_and(|uid| uid > 0), "a numeric non-root user: {user}");
    assert!(lines.contains(&"EXPOSE 8080"));
    assert!(dockerfile.contains("PONTE_LISTEN=0.0.0.0:8080"), "listens on every interface at the exposed port");
    assert!(dockerfile.contains("cargo build --release --locked --bin ponte"), "built as CI builds it");
    assert!(
        dockerfile.contains("PONTE_PLUGINS=/opt/ponte/plugins")
            && dockerfile.contains("COPY --from=build /out/plugins /opt/ponte/plugins")
    );
    assert!(
        dockerfile.contains("'*.wasm'") && dockerfile.contains("'*.rhai'"),
        "both runtimes' plugins are in the image"
    );
    let known = variables_the_binary_reads();
    for env in dockerfile.split_whitespace().filter_map(|w| w.split_once('=')).map(|(k, _)| k) {
        if env.starts_with("PONTE_") || env == "DATABASE_URL" {
            assert!(known.contains(env), "the image sets {env}, which ponte does not read");
        }
    }
}

#[test]
fn compose_runs_two_stateless_replicas_on_postgres_redis_and_a_collector() {
    let docs = yaml("deploy/compose/compose.yaml");
    let services = &docs[0]["services"];
    let known = variables_the_binary_reads();
    let mut ports = BTreeSet::new();
    for name in ["ponte-a", "ponte-b"] {
        assert!(!services[name].is_badvalue(), "service {name}");
        let service = &merged(&services[name]);
        let env = &service["environment"];
        assert_eq!(str_of(&env["PONTE_LISTEN"]), "0.0.0.0:8080");
        assert!(str_of(&env["DATABASE_URL"]).starts_with("postgres://"), "{name} shares PostgreSQL");
        assert!(str_of(&env["PONTE_REDIS_URL"]).starts_with("redis://redis:"), "{name} shares Redis");
        assert!(str_of(&env["PONTE_OTLP_ENDPOINT"]).contains("otel-collector:4318"));
        assert!(str_of(&env["PONTE_SECRET_KEY"]).contains("PONTE_SECRET_KEY"), "one sealing key from the operator");
        for (key, _) in env.as_hash().expect("environment map") {
            let key = str_of(key);
            assert!(known.contains(&key), "{name} sets {key}, which ponte does not read");
        }
        for dependency in ["postgres", "redis", "otel-collector"] {
            assert!(!service["depends_on"][dependency].is_badvalue(), "{name} waits for {dependency}");
            assert!(!services[dependency].is_badvalue(), "{dependency} runs");
        }
        let volumes: Vec<String> = service["volumes"].as_vec().expect("volumes").iter().map(str_of).collect();
        assert!(volumes.iter().all(|v| v.ends_with(":ro")), "replicas keep no state: {volumes:?}");
        let published = str_of(&service["ports"][0]);
        assert!(published.ends_with(":8080"), "{published}");
        ports.insert(published);
    }
    assert_eq!(ports.len(), 2, "each replica on its own host port");
    let collector = read("deploy/compose/otel-collector.yaml");
    let collector = &YamlLoader::load_from_str(&collector).expect("collector config")[0];
    assert_eq!(str_of(&collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]), "0.0.0.0:4318");
}

#[test]
fn kubernetes_probes_ports_and_objects_agree_with_the_binary_and_each_other() {
    let docs = yaml("deploy/kubernetes/ponte.yaml");
    let kind = |k: &str| docs.iter().find(|d| str_of(&d["kind"]) == k).unwrap_or_else(|| panic!("a {k}"));
    let deployment = kind("Deployment");
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], Yaml::Boolean(true));
    let container = &pod["containers"][0];
    let port = &container["ports"][0];
    assert_eq!(str_of(&port["containerPort"]), "8080");
    let port_name = str_of(&port["name"]);
    let env: Vec<(String, &Yaml)> =
        container["env"].as_vec().expect("env").iter().map(|e| (str_of(&e["name"]), e)).collect();
    let known = variables_the_binary_reads();
    for (name, _) in &env {
        assert!(known.contains(name), "the Deployment sets {name}, which ponte does not read");
    }
    let value = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, e)| e["value"].clone());
    assert_eq!(value("PONTE_LISTEN").map(|v| str_of(&v)), Some("0.0.0.0:8080".into()));
    for secret in ["DATABASE_URL", "PONTE_SECRET_KEY", "PONTE_REDIS_URL"] {
        let entry = env.iter().find(|(n, _)| n == secret).unwrap_or_else(|| panic!("{secret}")).1;
        assert!(!entry["valueFrom"]["secretKeyRef"].is_badvalue(), "{secret} comes from a Secret, never inline");
    }
    // The probes' paths are endpoints the server documents.
    let openapi = ponte_host::api::openapi::document();
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(str_of(&get["path"]), path, "{probe}");
        assert_eq!(str_of(&get["port"]), port_name, "{probe}");
        assert!(openapi["paths"][path]["get"].is_object(), "{path} is served");
    }
    // Calls in flight finish before the pod is killed: the grace period outlasts the longest deadline.
    let grace: u64 = str_of(&pod["terminationGracePeriodSeconds"]).parse().expect("seconds");
    assert!(grace > ponte_host::config::automation::MAX_TIMEOUT.as_secs(), "{grace}");

    let service = kind("Service");
    assert_eq!(&service["spec"]["selector"], &deployment["spec"]["selector"]["matchLabels"]);
    assert_eq!(str_of(&service["spec"]["ports"][0]["targetPort"]), port_name);
    let budget = kind("PodDisruptionBudget");
    assert_eq!(&budget["spec"]["selector"]["matchLabels"], labels);
    assert_eq!(str_of(&budget["spec"]["minAvailable"]), "1");
    let autoscaler = kind("HorizontalPodAutoscaler");
    assert_eq!(str_of(&autoscaler["spec"]["scaleTargetRef"]["name"]), str_of(&deployment["metadata"]["name"]));
    assert_eq!(str_of(&autoscaler["spec"]["scaleTargetRef"]["kind"]), "Deployment");
    let min: u64 = str_of(&autoscaler["spec"]["minReplicas"]).parse().expect("min");
    assert!(min >= 2, "never a single replica: the budget's one must stay while another moves");
}
