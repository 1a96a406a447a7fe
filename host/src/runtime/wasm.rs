//! The WebAssembly runtime: adapters compiled to components (`wasm32-wasip2`) against the WIT
//! world `ponte:plugin@0.1.1` (`plugin-api/wit/`), which also runs plugins built against 0.1.0.
//!
//! This module is the only place that touches `wasmtime::Config` (STYLE.md: wrap wasmtime
//! once). What it narrows wasmtime to:
//!
//! - **One engine per process** with epoch interruption, ticked every [`EPOCH_TICK`] by a
//!   background thread. At every tick a running guest **yields** its tokio worker back (so a
//!   guest that never calls the host still lets every other call run: it holds a worker for one
//!   tick at most), and past its deadline it traps: a busy guest ends on time.
//! - **The pooling allocator**, sized for [`MAX_CONCURRENT_INSTANCES`] live instances of at
//!   most [`MAX_MEMORY`] of linear memory each (a call gets what its manifest asks, by default
//!   64 MiB).
//! - **Compiled artifacts cached on disk** (wasmtime's cache, keyed by the module's bytes and
//!   the engine's configuration) in `PONTE_WASM_CACHE_DIR` or the user's cache folder.
//! - **Pre-instantiation once per plugin digest** (`InstancePre`, shared by every call and by
//!   every registry that loads the same bytes) and **a fresh instance per call** in a fresh
//!   `Store` with memory and table limits: nothing leaks between calls or tenants.
//! - **No ambient authority.** The guest gets WASI only because Rust's `wasm32-wasip2` standard
//!   library imports it: an empty environment, no arguments, no preopened directories, no
//!   network, stdio closed. Everything else is the host's typed imports (`http`, `config`, `kv`,
//!   `log`, `clock`), each a thin adapter over `crate::capabilities`, the same implementations
//!   the Rhai runtime binds.
//!
//! A trap, running out of memory, or the deadline ends that call only: `plugin_failed` or
//! `upstream_timeout` for the caller, and the next call gets a new instance.

mod bindings;
mod imports;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ponte_contract::Function;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::Capabilities;
use crate::runtime::{BoxFuture, Call, MAX_MEMORY, Plugin, PluginError};
use bindings::{PluginPre, exports::ponte::plugin::adapter};

/// The epoch tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Instances alive at once across the process (the pooling allocator's slots).
pub const MAX_CONCURRENT_INSTANCES: u32 = 256;
/// WIT package versions of `ponte:plugin` this host runs.
pub const SUPPORTED_API_VERSIONS: &[&str] = &["0.1.0", "0.1.1"];

/// The per-call state of a `Store`.
pub(crate) struct CallState {
    /// The call's capabilities; `None` only while the host asks a plugin for its function list
    /// at load, when every import refuses.
    capabilities: Option<Capabilities>,
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl CallState {
    fn new(capabilities: Option<Capabilities>, memory: usize) -> Self {
        // Empty environment and arguments, no preopens, no network, stdio closed.
        let wasi = WasiCtx::builder().build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(memory.min(MAX_MEMORY))
            .instances(64)
            .tables(64)
            .table_elements(100_000)
            .build();
        CallState { capabilities, wasi, table: ResourceTable::new(), limits }
    }
}

/// The process's wasm engine and linker.
pub struct WasmRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    /// Pre-instantiated components by the SHA-256 of their bytes.
    loaded: Mutex<HashMap<[u8; 32], Arc<Compiled>>>,
}

/// Why a component could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(pub String);

impl WasmRuntime {
    /// The process's runtime (created on first use, with its epoch ticker).
    ///
    /// # Errors
    /// When wasmtime can't be configured on this machine (the message says why).
    pub fn get() -> Result<&'static WasmRuntime, LoadError> {
        static RUNTIME: OnceLock<Result<WasmRuntime, LoadError>> = OnceLock::new();
        RUNTIME.get_or_init(WasmRuntime::new).as_ref().map_err(Clone::clone)
    }

    fn new() -> Result<Self, LoadError> {
        let mut pooling = PoolingAllocationConfig::new();
        pooling
            .total_component_instances(MAX_CONCURRENT_INSTANCES)
            .total_core_instances(MAX_CONCURRENT_INSTANCES * 4)
            .total_memories(MAX_CONCURRENT_INSTANCES * 2)
            .total_tables(MAX_CONCURRENT_INSTANCES * 4)
            .total_stacks(MAX_CONCURRENT_INSTANCES)
            .max_memory_size(MAX_MEMORY)
            .max_core_instances_per_component(32)
            .max_tables_per_component(32)
            // A call's instance is torn down when it ends. Resetting its memory with `madvise`
            // costs page faults on the next call and, worse, a TLB shootdown across every core
            // per reset: the wasm hot path's largest cost in the load driver's profile. The first
            // 256 KiB of each memory, the tables and the stacks' tops are zeroed with `memset` and
            // stay resident instead, and the rest is decommitted in batches (+20% calls/s at 64
            // connections; a whole megabyte resident was slower: the memset then dominated).
            // Resident memory stays bounded by the slots: MAX_CONCURRENT_INSTANCES x 448 KiB.
            .linear_memory_keep_resident(256 * 1024)
            .table_keep_resident(64 * 1024)
            .async_stack_keep_resident(128 * 1024)
            .decommit_batch_size(16);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            // Small reservations keep the pool's virtual footprint modest (bounds checks are
            // explicit beyond them); 128 MiB of memory per call is the most a manifest may ask.
            .memory_reservation(MAX_MEMORY as u64)
            .memory_reservation_for_growth(0)
            .max_wasm_stack(1024 * 1024)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        match cache_dir() {
            Some(dir) => {
                let mut cache = wasmtime::CacheConfig::new();
                cache.with_directory(dir);
                match wasmtime::Cache::new(cache) {
                    Ok(cache) => {
                        config.cache(Some(cache));
                    }
                    Err(e) => tracing::warn!(error = %e, "the wasm compilation cache is disabled"),
                }
            }
            None => tracing::warn!("no folder for the wasm compilation cache; compiling on every start"),
        }
        let engine = Engine::new(&config).map_err(|e| LoadError(format!("failed to configure wasmtime: {e}")))?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| LoadError(format!("failed to link WASI: {e}")))?;
        bindings::Plugin::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(|e| LoadError(format!("failed to link the host API: {e}")))?;
        spawn_epoch_ticker(engine.weak());
        Ok(WasmRuntime { engine, linker, loaded: Mutex::new(HashMap::new()) })
    }

    /// Loads (or reuses) a component: checks its API version, compiles it (through the disk
    /// cache), pre-instantiates it, and asks it which functions it implements. Each call may
    /// use `memory` bytes of linear memory (at most [`MAX_MEMORY`]).
    ///
    /// # Errors
    /// A [`LoadError`] naming what is wrong with the component.
    pub async fn load(&'static self, path: &Path, memory: usize) -> Result<Arc<WasmPlugin>, LoadError> {
        let bytes =
            tokio::fs::read(path).await.map_err(|e| LoadError(format!("cannot read {}: {e}", path.display())))?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let known = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&digest).cloned();
        let compiled = match known {
            Some(compiled) => compiled,
            None => {
                let compiled = Arc::new(self.compile(bytes).await?);
                self.loaded
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(digest, Arc::clone(&compiled));
                compiled
            }
        };
        Ok(Arc::new(WasmPlugin { runtime: self, compiled, memory: memory.min(MAX_MEMORY) }))
    }

    async fn compile(&self, bytes: Vec<u8>) -> Result<Compiled, LoadError> {
        // Compiling is CPU-bound: off the async workers.
        let engine = self.engine.clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &bytes))
            .await
            .map_err(|_| LoadError("the compiler thread failed".into()))?
            .map_err(|e| LoadError(format!("not a valid component: {e}")))?;
        check_api_version(&self.engine, &component)?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError(format!("the component needs imports this host does not give: {e:#}")))?;
        let pre = PluginPre::new(instance_pre)
            .map_err(|e| LoadError(format!("the component is not a Ponte plugin: {e:#}")))?;

        let mut store = self.store(None, Instant::now() + Duration::from_secs(5), crate::runtime::DEFAULT_MEMORY);
        let instance =
            pre.instantiate_async(&mut store).await.map_err(|e| LoadError(format!("failed to instantiate: {e:#}")))?;
        let names = instance
            .ponte_plugin_adapter()
            .call_functions(&mut store)
            .await
            .map_err(|e| LoadError(format!("`functions()` trapped: {e:#}")))?;
        let mut functions = Vec::new();
        for name in names {
            let f = name
                .parse::<Function>()
                .map_err(|_| LoadError(format!("`functions()` lists `{name}`, not a function of the contract")))?;
            functions.push(f);
        }
        Ok(Compiled { pre, functions })
    }

    /// A fresh store for one call: its memory limit, and an epoch callback that yields the
    /// worker back at every tick and traps once `deadline` has passed.
    fn store(&self, capabilities: Option<Capabilities>, deadline: Instant, memory: usize) -> Store<CallState> {
        let mut store = Store::new(&self.engine, CallState::new(capabilities, memory));
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Trap::Interrupt.into())
            } else {
                Ok(wasmtime::UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

/// A component compiled and pre-instantiated, shared by every plugin with the same bytes.
struct Compiled {
    pre: PluginPre<CallState>,
    functions: Vec<Function>,
}

/// A loaded component, ready to call with its manifest's memory limit.
pub struct WasmPlugin {
    runtime: &'static WasmRuntime,
    compiled: Arc<Compiled>,
    memory: usize,
}

impl WasmPlugin {
    /// Bare wasmtime, for the benchmarks' baseline: a fresh store and instance from the
    /// pre-instantiated component and one call of its `functions()` export, with no input,
    /// capabilities or JSON.
    ///
    /// # Errors
    /// A trap.
    #[doc(hidden)]
    pub async fn baseline_instantiate_and_call(&self) -> Result<usize, PluginError> {
        let mut store = self.runtime.store(None, Instant::now() + Duration::from_secs(5), self.memory);
        let redactor = crate::secret::Redactor::default();
        let instance = self.compiled.pre.instantiate_async(&mut store).await.map_err(|e| trap(&e, &redactor))?;
        let names =
            instance.ponte_plugin_adapter().call_functions(&mut store).await.map_err(|e| trap(&e, &redactor))?;
        Ok(names.len())
    }
}

impl Plugin for WasmPlugin {
    fn invoke(&self, call: Call) -> BoxFuture<'_, Result<serde_json::Value, PluginError>> {
        Box::pin(async move {
            let deadline = call.capabilities.deadline;
            let redactor = Arc::clone(&call.capabilities.redactor);
            let run = async {
                let mut store = self.runtime.store(Some(call.capabilities), deadline, self.memory);
                let instance =
                    self.compiled.pre.instantiate_async(&mut store).await.map_err(|e| trap(&e, &redactor))?;
                let input = call.input.to_string();
                let result = instance
                    .ponte_plugin_adapter()
                    .call_call(&mut store, call.function.as_str(), &input)
                    .await
                    .map_err(|e| trap(&e, &redactor))?;
                match result {
                    Ok(json) => serde_json::from_str(&json)
                        .map_err(|_| PluginError::Failed("the plugin's result is not JSON".into())),
                    Err(error) => Err(guest_error(error, &redactor)),
                }
            };
            match tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), run).await {
                Ok(result) => result,
                Err(_) => Err(PluginError::Deadline),
            }
        })
    }

    fn defined_functions(&self) -> Vec<Function> {
        self.compiled.functions.clone()
    }
}

fn guest_error(error: adapter::Error, redactor: &crate::secret::Redactor) -> PluginError {
    match error {
        adapter::Error::UpstreamError(m) => PluginError::Upstream(redactor.redact(&m)),
        adapter::Error::UpstreamUnavailable(m) => PluginError::Unavailable(redactor.redact(&m)),
        adapter::Error::UpstreamTimeout => PluginError::UpstreamTimeout,
        adapter::Error::NotFound(m) => PluginError::NotFound(redactor.redact(&m)),
        adapter::Error::NotImplemented => PluginError::NotImplemented,
        adapter::Error::Failed(m) => PluginError::Failed(redactor.redact(&m)),
    }
}

/// A trap: the deadline, or the plugin's bug (including running out of memory).
fn trap(error: &wasmtime::Error, redactor: &crate::secret::Redactor) -> PluginError {
    if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
        return PluginError::Deadline;
    }
    PluginError::Failed(redactor.redact(&format!("the plugin trapped: {}", error.root_cause())))
}

/// Refuses a component built against a `ponte:plugin` version this host doesn't run, before
/// instantiating it (STYLE.md §3).
fn check_api_version(engine: &Engine, component: &Component) -> Result<(), LoadError> {
    let mut versions = Vec::new();
    for (name, _) in component.component_type().imports(engine) {
        if let Some(rest) = name.strip_prefix("ponte:plugin/")
            && let Some((_, version)) = rest.split_once('@')
            && !versions.contains(&version.to_owned())
        {
            versions.push(version.to_owned());
        }
    }
    for (name, _) in component.component_type().exports(engine) {
        if let Some((_, version)) = name.strip_prefix("ponte:plugin/").and_then(|r| r.split_once('@'))
            && !versions.contains(&version.to_owned())
        {
            versions.push(version.to_owned());
        }
    }
    if versions.is_empty() {
        return Err(LoadError("the component neither imports nor exports ponte:plugin: not a Ponte plugin".into()));
    }
    for version in versions {
        if !SUPPORTED_API_VERSIONS.contains(&version.as_str()) {
            return Err(LoadError(format!(
                "plugin API ponte:plugin@{version} is not supported by this host (supported: {})",
                SUPPORTED_API_VERSIONS.join(", ")
            )));
        }
    }
    Ok(())
}

fn spawn_epoch_ticker(engine: wasmtime::EngineWeak) {
    let spawned = std::thread::Builder::new().name("ponte-wasm-epoch".into()).spawn(move || {
        while let Some(engine) = engine.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(EPOCH_TICK);
        }
    });
    if spawned.is_err() {
        tracing::error!("could not start the wasm epoch ticker: wasm deadlines rely on the call timeout alone");
    }
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PONTE_WASM_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("ponte").join("wasm"))
}
