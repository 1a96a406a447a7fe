//! The Rhai runtime: adapters written as scripts.
//!
//! A script defines one Rhai function per contract function it implements, named as the
//! contract names it, taking the validated input and returning the raw result:
//!
//! ```rhai
//! fn list_due_dates(input) {
//!     let response = http(#{ method: "GET", url: config("base_url") + "/due-dates" });
//!     if response.status != 200 { fail("upstream_error", "due dates: HTTP " + response.status); }
//!     parse_json(response.body).map(|d| #{ code: d.id, name: d.day })
//! }
//! ```
//!
//! The host functions a script may call are in [`api`]: each is a thin adapter over a
//! capability in `crate::capabilities`, the same ones the WebAssembly runtime binds. The
//! helpers every script needs without a capability (text, the contract's normalizers,
//! encodings) are the [`prelude`].
//!
//! Safety: one [`Engine`] per process, built with `no_float` (money never becomes a float),
//! `no_module` (no imports), `eval` disabled, strict variables, and limits on operations, call
//! depth, expression depth, string, array and map sizes. Each call runs on a thread of the
//! script pool ([`pool`], never a tokio thread) under a memory budget (everything the call keeps
//! alive, metered by the process's allocator, `ponte_meter`); a progress callback, run at every
//! operation, stops the script at its deadline or past its budget. Scripts are compiled once per
//! plugin version and the AST is shared by every call.

mod api;
pub mod convert;
pub mod pool;
mod prelude;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ponte_contract::Function;
use rhai::{AST, Dynamic, Engine, EvalAltResult, Map, Scope};

use crate::capabilities::{Capabilities, CapabilityError};
use crate::runtime::{BoxFuture, Call, Plugin, PluginError};

/// Operations a single call may execute.
const MAX_OPERATIONS: u64 = 20_000_000;
/// Longest string (a base64 PDF fits).
const MAX_STRING: usize = 24 * 1024 * 1024;
/// Largest array and map.
const MAX_ARRAY: usize = 100_000;
const MAX_MAP: usize = 20_000;
/// How long past its deadline a script may take to notice it before the caller stops waiting.
const DEADLINE_GRACE: Duration = Duration::from_millis(250);

/// Why the progress callback stopped a script (the termination token).
const STOPPED_DEADLINE: &str = "deadline";
const STOPPED_MEMORY: &str = "memory";

/// How many operations run between two readings of the clock against the call's deadline
/// (microseconds apart): reading it on every operation was the script thread's most frequent
/// system call.
const DEADLINE_CHECK_EVERY: u64 = 64;

/// The state of the call running on this thread. Rhai's progress and print callbacks receive no
/// per-call state, and every native function of a call runs on the call's (blocking) thread, so
/// the call's context lives here for exactly the call's duration ([`CallGuard`]).
struct CallContext {
    capabilities: Capabilities,
    runtime: tokio::runtime::Handle,
    /// Bytes the call may keep alive.
    memory_budget: usize,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<CallContext>>> = const { RefCell::new(None) };
}

/// Sets the thread's call context and clears it on drop, even on panic.
struct CallGuard;

impl CallGuard {
    fn enter(context: Arc<CallContext>) -> Self {
        CURRENT.with(|c| *c.borrow_mut() = Some(context));
        CallGuard
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = None);
    }
}

impl CallContext {
    /// Waits on this (script) thread for a capability's future, with the memory meter paused,
    /// and returns what `adopt` makes of its output: a copy in metered memory. The output itself,
    /// allocated partly by other threads, is dropped unmetered, so reading the same value in a
    /// loop never counts as memory given back (`ponte_meter`).
    fn wait<F: std::future::Future, R>(&self, future: F, adopt: impl FnOnce(&F::Output) -> R) -> R {
        let made = ponte_meter::unmetered(|| self.runtime.block_on(future));
        let adopted = adopt(&made);
        ponte_meter::unmetered(move || drop(made));
        adopted
    }
}

fn current() -> Result<Arc<CallContext>, Box<EvalAltResult>> {
    CURRENT.with(|c| c.borrow().clone()).ok_or_else(|| "host function called outside a plugin call".into())
}

/// The process's Rhai engine, with the host API registered and the limits set.
pub fn engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(48);
    engine.set_max_expr_depths(64, 48);
    engine.set_max_string_size(MAX_STRING);
    engine.set_max_array_size(MAX_ARRAY);
    engine.set_max_map_size(MAX_MAP);
    engine.set_max_functions(512);
    engine.set_strict_variables(true);
    engine.disable_symbol("eval");
    engine.on_progress(|operations| {
        CURRENT.with(|c| {
            let current = c.borrow();
            let ctx = current.as_ref()?;
            let live = ponte_meter::current_live_bytes().unwrap_or(0);
            if usize::try_from(live).is_ok_and(|live| live > ctx.memory_budget) {
                return Some(Dynamic::from(STOPPED_MEMORY));
            }
            (operations % DEADLINE_CHECK_EVERY == 0 && Instant::now() >= ctx.capabilities.deadline)
                .then(|| Dynamic::from(STOPPED_DEADLINE))
        })
    });
    engine.on_print(|text| {
        if let Ok(ctx) = current() {
            ctx.capabilities.log.write(crate::capabilities::log::Level::Info, text);
        }
    });
    engine.on_debug(|text, _, _| {
        if let Ok(ctx) = current() {
            ctx.capabilities.log.write(crate::capabilities::log::Level::Debug, text);
        }
    });
    api::register(&mut engine);
    engine
}

/// A compiled Rhai plugin.
pub struct RhaiPlugin {
    engine: Arc<Engine>,
    ast: Arc<AST>,
    memory_budget: usize,
}

/// A script that does not compile, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

impl RhaiPlugin {
    /// Compiles a script whose calls may each keep `memory_budget` bytes alive.
    ///
    /// # Errors
    /// The parse error, with its line and column.
    pub fn compile(engine: Arc<Engine>, source: &str, memory_budget: usize) -> Result<Self, CompileError> {
        let ast = engine.compile(source).map_err(|e| CompileError(e.to_string()))?;
        Ok(RhaiPlugin { engine, ast: Arc::new(ast), memory_budget })
    }

    /// Compiles a plugin split into files (named for errors), as one script: each file's
    /// functions are callable from every other. A function defined in two files (same name and
    /// number of parameters) is an error, never a silent override.
    ///
    /// # Errors
    /// The first file that does not parse, with its line and column, or the clash.
    pub fn compile_files(
        engine: Arc<Engine>,
        files: &[(String, String)],
        memory_budget: usize,
    ) -> Result<Self, CompileError> {
        let mut merged = AST::empty();
        let mut defined: std::collections::HashMap<(String, usize), &str> = std::collections::HashMap::new();
        for (name, source) in files {
            let ast = engine.compile(source).map_err(|e| CompileError(format!("{name}: {e}")))?;
            for function in ast.iter_functions() {
                let key = (function.name.to_owned(), function.params.len());
                if let Some(first) = defined.insert(key, name) {
                    return Err(CompileError(format!(
                        "`fn {}` with {} parameter(s) is defined in both {first} and {name}",
                        function.name,
                        function.params.len()
                    )));
                }
            }
            merged += ast;
        }
        Ok(RhaiPlugin { engine, ast: Arc::new(merged), memory_budget })
    }
}

impl Plugin for RhaiPlugin {
    fn invoke(&self, call: Call) -> BoxFuture<'_, Result<serde_json::Value, PluginError>> {
        let engine = Arc::clone(&self.engine);
        let ast = Arc::clone(&self.ast);
        let memory_budget = self.memory_budget;
        Box::pin(async move {
            let deadline = call.capabilities.deadline;
            let runtime = tokio::runtime::Handle::current();
            let task = pool::ScriptPool::global().run(move || run(&engine, &ast, call, runtime, memory_budget));
            let backstop = tokio::time::Instant::from_std(deadline + DEADLINE_GRACE);
            match tokio::time::timeout_at(backstop, task).await {
                Ok(Ok(result)) => result,
                Ok(Err(None)) => Err(PluginError::Failed("the script panicked its thread".into())),
                Ok(Err(Some(exhausted))) => Err(PluginError::Failed(exhausted.to_string())),
                // The thread is still blocked (in a capability bounded by the same deadline); it
                // will notice and end on its own.
                Err(_) => Err(PluginError::Deadline),
            }
        })
    }

    fn defined_functions(&self) -> Vec<Function> {
        self.ast
            .iter_functions()
            .filter(|f| f.params.len() == 1)
            .filter_map(|f| f.name.parse::<Function>().ok())
            .collect()
    }
}

/// Runs one call on a script thread: the call's context and memory meter are set for exactly
/// its duration, and everything it made is dropped here, on this thread's deep stack.
fn run(
    engine: &Engine,
    ast: &AST,
    call: Call,
    runtime: tokio::runtime::Handle,
    memory_budget: usize,
) -> Result<serde_json::Value, PluginError> {
    let meter = ponte_meter::Meter::start();
    let redactor = Arc::clone(&call.capabilities.redactor);
    let context = Arc::new(CallContext { capabilities: call.capabilities, runtime, memory_budget });
    let _guard = CallGuard::enter(context);
    let mut scope = Scope::new();
    let input = convert::to_dynamic(&call.input);
    let result = engine.call_fn::<Dynamic>(&mut scope, ast, call.function.as_str(), (input,));
    let outcome = match result {
        Ok(value) => convert::to_json(&value).map_err(|e| PluginError::Failed(e.to_string())),
        Err(error) => Err(plugin_error(*error, call.function, &redactor, memory_budget)),
    };
    drop(scope);
    drop(meter);
    outcome
}

/// Maps a script's failure to the caller-facing error.
fn plugin_error(
    error: EvalAltResult,
    function: Function,
    redactor: &crate::secret::Redactor,
    memory_budget: usize,
) -> PluginError {
    match error {
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == STOPPED_MEMORY => PluginError::ResourceLimit(
            format!("the script kept more than its memory budget of {} MiB alive", memory_budget / (1024 * 1024)),
        ),
        EvalAltResult::ErrorRuntime(value, position) => match thrown(&value) {
            Some(Thrown::Plugin(code, message)) => PluginError::from_code(&code, redactor.redact(&message)),
            Some(Thrown::Capability(error)) => PluginError::from(error),
            None => PluginError::Failed(redactor.redact(&format!("the script threw `{value}` ({position})"))),
        },
        EvalAltResult::ErrorTerminated(_, _) => PluginError::Deadline,
        EvalAltResult::ErrorTooManyOperations(_) => {
            PluginError::ResourceLimit(format!("the script ran more than its {MAX_OPERATIONS} operations"))
        }
        EvalAltResult::ErrorFunctionNotFound(name, _) if name.starts_with(function.as_str()) => {
            PluginError::NotImplemented
        }
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => plugin_error(*inner, function, redactor, memory_budget),
        other => PluginError::Failed(redactor.redact(&other.to_string())),
    }
}

/// What a script threw through the host API.
enum Thrown {
    /// `fail(code, message)`.
    Plugin(String, String),
    /// A capability error the script didn't catch.
    Capability(CapabilityError),
}

fn thrown(value: &Dynamic) -> Option<Thrown> {
    let map = value.read_lock::<Map>()?;
    let text = |key: &str| map.get(key).map(|v| v.to_string()).unwrap_or_default();
    match text("kind").as_str() {
        "plugin" => Some(Thrown::Plugin(text("code"), text("message"))),
        "capability" => Some(Thrown::Capability(api::capability_error_from(&text("code"), text("message")))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::capabilities::test_capabilities;
    use crate::runtime::DEFAULT_MEMORY;

    async fn run_script(script: &str, function: Function, timeout: Duration) -> Result<serde_json::Value, PluginError> {
        let plugin = RhaiPlugin::compile(Arc::new(engine()), script, DEFAULT_MEMORY).expect("compiles");
        let capabilities = test_capabilities(Instant::now() + timeout, &[("label", "x")]).await;
        plugin.invoke(Call { function, input: json!({"n": 1.5, "doc": "52998224725"}), capabilities }).await
    }

    #[tokio::test]
    async fn one_operation_cant_build_a_value_past_the_limits() {
        for (attack, words) in [
            (r#"let s = "x"; while s.len() < 16777216 { s += s; } s.replace("x", "yyyyyyyyyyyyyyyy");"#, "replace"),
            (r#"let s = "x"; while s.len() < 16777216 { s += s; } s.split("");"#, "split"),
            (r#"let s = "x"; while s.len() < 16777216 { s += s; } s.to_chars();"#, "to_chars"),
            (
                r#"let s = ",0"; while s.len() < 8388608 { s += s; } parse_json("[0" + s + "]");"#,
                "more than 500000 values",
            ),
        ] {
            let script = format!("fn list_products(input) {{ {attack} [] }}");
            let out = run_script(&script, Function::ListProducts, Duration::from_secs(20)).await;
            assert!(matches!(&out, Err(PluginError::Failed(m)) if m.contains(words)), "{attack}: {out:?}");
        }
        let fine = r#"fn list_products(input) {
            let a = "a,b,c".split(","); let b = "a b".split(); let c = "x-y"; c.replace("-", "+");
            [#{ codigo: 1, nome: `${a.len()} ${b.len()} ${c} ${"ab".to_chars().len()} ${"".split(",").len()}` }] }"#;
        let out = run_script(fine, Function::ListProducts, Duration::from_secs(2)).await;
        assert_eq!(out, Ok(json!([{"codigo": 1, "nome": "3 2 x+y 2 1"}])));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reading_upstream_answers_in_a_loop_earns_no_memory_budget() {
        use crate::capabilities::http::{EgressPolicy, HostPattern, PrivateAllowance};
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        // An upstream answering 60 KB: its buffers are allocated on tokio's threads and freed on
        // the script's. Counted as frees, they would pay for what the script keeps, forever.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while socket.read(&mut buf).await.is_ok_and(|n| n > 0) {
                        let body = vec![b'x'; 60_000];
                        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
                        if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(&body).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let policy = EgressPolicy::new(
            vec![HostPattern::parse(&url).expect("pattern")],
            vec![PrivateAllowance::parse("127.0.0.1").expect("allowance")],
        );
        let script = r#"fn list_products(input) {
            let small = "y"; while small.len() < 16384 { small += small; }
            let keep = [];
            let i = 0;
            loop { http(#{ url: config("url") }); keep.push(small + i); i += 1; }
        }"#;
        let budget = 2 * 1024 * 1024;
        let plugin = RhaiPlugin::compile(Arc::new(engine()), script, budget).expect("compiles");
        let capabilities = crate::capabilities::test_capabilities_with(
            Instant::now() + Duration::from_secs(30),
            &[("url", &url)],
            policy,
        )
        .await;
        let out = plugin.invoke(Call { function: Function::ListProducts, input: json!({}), capabilities }).await;
        assert!(matches!(&out, Err(PluginError::ResourceLimit(m)) if m.contains("memory budget of 2 MiB")), "{out:?}");
    }

    #[tokio::test]
    async fn fractions_are_decimals_and_results_round_trip() {
        let out = run_script(
            "fn list_products(input) { [#{ codigo: input.n * 2, nome: config(\"label\") }] }",
            Function::ListProducts,
            Duration::from_secs(2),
        )
        .await;
        assert_eq!(out, Ok(json!([{"codigo": 3, "nome": "x"}])));
    }

    #[tokio::test]
    async fn kv_cached_produces_once_and_kv_replace_replaces_only_the_stale_value() {
        let script = r#"
            fn list_products(input) {
                let a = kv_cached("session", || #{ value: "v1", ttl_seconds: 60 });
                let b = kv_cached("session", || fail("upstream_error", "produced twice"));
                let c = kv_replace("session", "v1", || "v2");
                let d = kv_replace("session", "v1", || fail("upstream_error", "replaced twice"));
                let e = kv_cached("once", || #{ value: "for this call", ttl_seconds: 0 });
                [#{ codigo: 1, nome: `${a} ${b} ${c} ${d} ${e} ${type_of(kv_get("once"))}` }]
            }"#;
        let out = run_script(script, Function::ListProducts, Duration::from_secs(2)).await;
        assert_eq!(out, Ok(json!([{"codigo": 1, "nome": "v1 v1 v2 v2 for this call ()"}])));
    }

    #[tokio::test]
    async fn a_producers_failure_passes_through_and_bad_producers_are_named() {
        let refused = "fn list_products(input) { kv_cached(\"s\", || fail(\"upstream_error\", \"login refused\")) }";
        let out = run_script(refused, Function::ListProducts, Duration::from_secs(2)).await;
        assert_eq!(out, Err(PluginError::Upstream("login refused".into())));
        for (producer, words) in [
            ("|| 42", "return #{value, ttl_seconds} or a string"),
            ("|| #{ value: 7 }", "`value` must be a string"),
            ("|| #{ value: \"v\", ttl_seconds: -1 }", "negative `ttl_seconds`"),
        ] {
            let script = format!("fn list_products(input) {{ kv_cached(\"s\", {producer}) }}");
            let out = run_script(&script, Function::ListProducts, Duration::from_secs(2)).await;
            assert!(matches!(&out, Err(PluginError::Failed(m)) if m.contains(words)), "{producer}: {out:?}");
        }
        let negative = "fn list_products(input) { kv_lock(\"l\", -5) }";
        let out = run_script(negative, Function::ListProducts, Duration::from_secs(2)).await;
        assert!(matches!(&out, Err(PluginError::Failed(m)) if m.contains("negative wait")), "{out:?}");
    }

    #[tokio::test]
    async fn fail_codes_map_to_plugin_errors() {
        for (code, expected) in [
            ("upstream_error", PluginError::Upstream("m".into())),
            ("upstream_unavailable", PluginError::Unavailable("m".into())),
            ("not_found", PluginError::NotFound("m".into())),
            ("not_implemented", PluginError::NotImplemented),
        ] {
            let script = format!("fn list_products(input) {{ fail(\"{code}\", \"m\") }}");
            assert_eq!(run_script(&script, Function::ListProducts, Duration::from_secs(2)).await, Err(expected));
        }
        let out = run_script(
            "fn list_products(input) { fail(\"bogus\", \"m\") }",
            Function::ListProducts,
            Duration::from_secs(2),
        )
        .await;
        assert!(matches!(out, Err(PluginError::Failed(_))), "{out:?}");
    }

    #[tokio::test]
    async fn a_runaway_script_stops_at_its_deadline() {
        let started = Instant::now();
        let out =
            run_script("fn list_products(input) { loop { } }", Function::ListProducts, Duration::from_millis(200))
                .await;
        assert_eq!(out, Err(PluginError::Deadline));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_missing_function_is_not_implemented_and_script_errors_are_failures() {
        let out = run_script("fn list_products(input) { [] }", Function::ListPlans, Duration::from_secs(2)).await;
        assert_eq!(out, Err(PluginError::NotImplemented));
        let out =
            run_script("fn list_products(input) { let x = (); x.y.z }", Function::ListProducts, Duration::from_secs(2))
                .await;
        assert!(matches!(out, Err(PluginError::Failed(_))), "{out:?}");
    }

    #[tokio::test]
    async fn denied_requests_can_be_caught_or_become_plugin_failures() {
        let caught = "fn list_products(input) { try { http(#{ url: \"https://example.com/\" }); return []; } catch (e) { return [#{ codigo: e.code, nome: \"x\" }]; } }";
        assert_eq!(
            run_script(caught, Function::ListProducts, Duration::from_secs(2)).await,
            Ok(json!([{"codigo": "denied", "nome": "x"}]))
        );
        let uncaught = "fn list_products(input) { http(#{ url: \"https://example.com/\" }) }";
        let out = run_script(uncaught, Function::ListProducts, Duration::from_secs(2)).await;
        assert!(
            matches!(&out, Err(PluginError::Failed(m)) if m.contains("host not in the plugin's manifest")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_response_form_is_refused_before_sending() {
        let script = "fn list_products(input) { http(#{ url: \"https://example.com/\", response: \"bytes\" }) }";
        let out = run_script(script, Function::ListProducts, Duration::from_secs(2)).await;
        assert!(matches!(&out, Err(PluginError::Failed(m)) if m.contains("`response` must be")), "{out:?}");
    }

    #[tokio::test]
    async fn scripts_cannot_use_floats_eval_or_modules() {
        for script in ["fn list_products(input) { eval(\"1\") }", "import \"x\" as y; fn list_products(input) { [] }"] {
            assert!(RhaiPlugin::compile(Arc::new(engine()), script, DEFAULT_MEMORY).is_err(), "{script}");
        }
    }

    #[tokio::test]
    async fn a_plugin_split_into_files_is_one_script_and_a_clash_is_named() {
        let files = [
            ("main.rhai".to_owned(), "fn list_products(input) { [#{ codigo: 1, nome: greeting() }] }".to_owned()),
            ("helpers.rhai".to_owned(), "fn greeting() { \"olá\" }".to_owned()),
        ];
        let plugin = RhaiPlugin::compile_files(Arc::new(engine()), &files, DEFAULT_MEMORY).expect("compiles");
        let capabilities = test_capabilities(Instant::now() + Duration::from_secs(2), &[]).await;
        let out = plugin.invoke(Call { function: Function::ListProducts, input: json!({}), capabilities }).await;
        assert_eq!(out, Ok(json!([{"codigo": 1, "nome": "olá"}])));
        let clash = [files[0].clone(), files[1].clone(), ("more.rhai".to_owned(), "fn greeting() { 1 }".to_owned())];
        let error = RhaiPlugin::compile_files(Arc::new(engine()), &clash, DEFAULT_MEMORY).err().expect("clash");
        assert!(error.0.contains("defined in both helpers.rhai and more.rhai"), "{error}");
        let broken = [files[0].clone(), ("bad.rhai".to_owned(), "fn x( {".to_owned())];
        let error = RhaiPlugin::compile_files(Arc::new(engine()), &broken, DEFAULT_MEMORY).err().expect("broken");
        assert!(error.0.starts_with("bad.rhai: "), "{error}");
    }

    #[test]
    fn defined_functions_are_the_contract_names_with_one_parameter() {
        let plugin = RhaiPlugin::compile(
            Arc::new(engine()),
            "fn list_products(input) { [] } fn helper(a, b) { a } fn list_plans() { [] }",
            DEFAULT_MEMORY,
        )
        .expect("compiles");
        assert_eq!(plugin.defined_functions(), [Function::ListProducts]);
    }
}
