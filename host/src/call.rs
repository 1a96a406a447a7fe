//! A caller's call, from the HTTP layer's point of view: the scope, the input, then a read
//! (the cache, an identical read already running, or the plugin) or a write (the idempotency
//! key, the settlement queue for payments, the plugin). The shared pipeline under it (the
//! tenant's binding, bulkheads, the sandboxed run, enforcement, the invocation log) is
//! [`crate::invoke`]; the settlement worker uses that too, never this.
//!
//! ```text
//! scope allows? ─ input valid? ─ tenant automation? ─┬─ read: cached? ─ running? ─ run ─ cache it
//!                                                    └─ write: key claimed or answer replayed ─
//!                                                       [settle_invoice: queued] ─ run
//! ```

use std::sync::Arc;
use std::time::Duration;

use ponte_contract::Function;
use serde_json::Value;
use tracing::Instrument as _;

use crate::cache::{Cached, ReadKey};
use crate::coalesce::Join;
use crate::config::automation::FunctionBinding;
use crate::idempotency::{self, Begin};
use crate::invoke::{Answer, Host, Origin, Outcome, Served, SharedRun, Trace};
use crate::metrics::TenantLabels;
use crate::output::Output;
use crate::privacy::kiosk::Lookup;
use crate::problem::{Problem, ProblemCode};
use crate::registry::Connection;
use crate::settlement;
use crate::store::Caller;

/// Proof that a caller may call a function: only [`Host::authorize`] makes one, and
/// [`Host::call`] takes one, so the scope is checked exactly once, where the HTTP layer's order
/// of checks puts it.
#[derive(Debug, Clone, Copy)]
pub struct Authorized<'a> {
    caller: &'a Caller,
    function: Function,
}

impl Authorized<'_> {
    /// Who calls.
    pub fn caller(&self) -> &Caller {
        self.caller
    }

    /// What they may call.
    pub fn function(&self) -> Function {
        self.function
    }
}

impl Host {
    /// Whether `caller` may call `function`.
    ///
    /// # Errors
    /// `403 forbidden` when the key's scopes don't include it.
    pub fn authorize(caller: &Caller, function: Function) -> Result<Authorized<'_>, Problem> {
        let spec = function.spec();
        if caller.scopes.iter().any(|s| spec.allows(*s)) {
            Ok(Authorized { caller, function })
        } else {
            Err(Problem::new(ProblemCode::Forbidden, format!("this key's scope does not include `{function}`")))
        }
    }

    /// Calls an authorized function with the raw JSON body (empty means `{}`). Writing
    /// functions need `idempotency_key`.
    ///
    /// # Errors
    /// A [`Problem`] carrying `invocation_id`.
    pub async fn call(
        &self,
        authorized: Authorized<'_>,
        body: &[u8],
        invocation_id: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, Problem> {
        let (caller, function) = (authorized.caller, authorized.function);
        let span = tracing::info_span!(
            target: "ponte::call",
            "ponte.call",
            otel.name = %format_args!("call {function}"),
            ponte.tenant = caller.tenant.as_str(),
            ponte.function = function.as_str(),
            ponte.invocation_id = invocation_id,
            ponte.plugin = tracing::field::Empty,
            ponte.plugin.version = tracing::field::Empty,
            ponte.outcome = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        let mut trace = Trace::new(invocation_id, &caller.tenant, function, Origin::Caller);
        let result = self.run(caller, function, body, idempotency_key, &mut trace).instrument(span.clone()).await;
        let recorded = self.record(trace, result).instrument(span.clone()).await;
        match &recorded {
            Ok(answer) => span.record("ponte.outcome", answer.status),
            Err(problem) => {
                if problem.code.status().is_server_error() {
                    span.record("otel.status_code", "ERROR");
                }
                span.record("ponte.outcome", problem.code.as_str())
            }
        };
        let mut answer = recorded?;
        if caller.is_kiosk() && answer.status < 300 {
            let policy = self.registry().tenants.get(&caller.tenant).map(|t| t.automation.privacy.totem);
            // A kiosk's answer is read and rewritten: the one place a read's answer is parsed again.
            let mut output = answer.output.value();
            crate::privacy::minimize::minimize(&policy.unwrap_or_default(), function, &mut output);
            answer.output = Output::from_value(&output);
        }
        Ok(answer)
    }

    /// A kiosk key's lookup of `customer` (digest), under the kiosk lookup limit.
    ///
    /// # Errors
    /// `429 kiosk_locked` with `Retry-After` while the key is locked out.
    fn kiosk_lookup(&self, caller: &Caller, customer: Option<&str>) -> Result<(), Problem> {
        match self.kiosk_lookups.check(&caller.key_id, customer) {
            Lookup::Allowed => Ok(()),
            Lookup::Locked { remaining, newly } => {
                if newly {
                    self.metrics.kiosk_lockouts.get_or_create(&TenantLabels { tenant: caller.tenant.clone() }).inc();
                    tracing::warn!(
                        alert = "kiosk_locked",
                        tenant = %caller.tenant,
                        key = %caller.key_id,
                        locked_for_seconds = remaining.as_secs(),
                        "a kiosk key looked up more distinct customers than allowed and is locked out"
                    );
                }
                Err(Problem::new(
                    ProblemCode::KioskLocked,
                    format!(
                        "this kiosk key looked up more distinct customers than allowed; it is locked for {} s",
                        remaining.as_secs().max(1)
                    ),
                )
                .retry_after(remaining))
            }
        }
    }

    async fn run(
        &self,
        caller: &Caller,
        function: Function,
        body: &[u8],
        idempotency_key: Option<&str>,
        trace: &mut Trace,
    ) -> Result<Answer, Problem> {
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
        let input = ponte_contract::validate_input_json(function, body).map_err(Problem::from)?;
        trace.customer = crate::digest::customer_of(&input).map(|d| crate::digest::customer_digest(&caller.tenant, d));
        if caller.is_kiosk() {
            self.kiosk_lookup(caller, trace.customer.as_deref())?;
        }
        if self.options.log_payloads {
            trace.input = Some(crate::store::Payload::of(&input));
        }
        // Resolved once: a reload during the call changes nothing of it.
        let bound = self.binding(&caller.tenant, function)?;
        let timeout = bound.0.timeout;
        if !function.spec().is_write() {
            return self.read(&caller.tenant, function, &bound, input, trace).await;
        }
        let Some(key) = idempotency_key else {
            return Err(Problem::new(
                ProblemCode::IdempotencyKeyRequired,
                format!("`{function}` changes the ERP: send an `Idempotency-Key` header"),
            ));
        };
        let hash = idempotency::request_hash(function, &input);
        let request = idempotency::Request {
            tenant: &caller.tenant,
            function,
            key,
            hash: &hash,
            invocation_id: &trace.id,
            customer: trace.customer.as_deref(),
            lease: self.call_lease(function, timeout),
            retention: self.options.idempotency_retention,
        };
        let claim = match idempotency::begin(&self.store, request).await? {
            Begin::Run(claim) => claim,
            Begin::Replay(answer, first) => {
                trace.outcome = Some(Outcome::Replayed);
                trace.detail = Some(format!("idempotent replay of invocation {first}"));
                let output = Output::from_json(&answer.body)
                    .map_err(|_| Problem::new(ProblemCode::Internal, "a stored answer could not be read"))?;
                return Ok(Answer { status: answer.status, output, warnings: 0, served: None });
            }
        };
        let result = if function == Function::SettleInvoice {
            settlement::accept(self, &caller.tenant, input, &hash, trace).await
        } else {
            self.execute_bound(&caller.tenant, function, &bound, input, trace)
                .await
                .map(|(output, w)| Answer::ok(output, w))
        };
        if trace.executed {
            let (status, body) = match &result {
                Ok(answer) => (answer.status, answer.output.clone()),
                Err(problem) => (
                    problem.code.status().as_u16(),
                    Output::from_value(&problem.clone().with_invocation(&trace.id).body()),
                ),
            };
            claim.complete(&self.store, status, body.json()).await;
        } else {
            claim.release(&self.store).await;
        }
        result
    }

    /// A read: from the cache when the function is cacheable and the automation sets a
    /// `cache_ttl`; else shared with an identical read already running; else the plugin runs
    /// (and its answer is cached).
    async fn read(
        &self,
        tenant: &str,
        function: Function,
        bound: &(FunctionBinding, Arc<Connection>),
        input: Value,
        trace: &mut Trace,
    ) -> Result<Answer, Problem> {
        let (binding, connection) = bound;
        let manifest = &connection.plugin.manifest;
        trace.plugin = Some((manifest.name.clone(), manifest.version.clone()));
        let ttl = binding.cache_ttl.filter(|ttl| !ttl.is_zero() && function.spec().cacheable);
        let key = ReadKey::new(tenant, function, &input);
        let f = function.as_str();
        let mut stamp = None;
        if ttl.is_some() {
            let lookup = self.cache.get(&key).await;
            if let Some(cached) = lookup.hit {
                self.metrics.cache(tenant, f, "hit");
                trace.outcome = Some(Outcome::Cached);
                trace.detail = Some(format!("served from the cache (filled by invocation {})", cached.invocation_id));
                return Ok(Answer { served: Some(Served::Hit), ..Answer::ok(cached.output, cached.warnings) });
            }
            stamp = Some(lookup.stamp);
        }
        loop {
            match self.flights.join(&key) {
                Join::Lead(leader) => {
                    let result = self.execute_bound(tenant, function, bound, input, trace).await;
                    if let (Ok((output, warnings)), Some(ttl), Some(stamp)) = (&result, ttl, &stamp) {
                        let cached =
                            Cached { output: output.clone(), warnings: *warnings, invocation_id: trace.id.clone() };
                        self.cache.put(&key, stamp, &cached, ttl).await;
                    }
                    leader.finish(|| Arc::new(SharedRun { result: result.clone(), invocation_id: trace.id.clone() }));
                    self.metrics.cache(tenant, f, "miss");
                    return result.map(|(output, w)| Answer { served: Some(Served::Miss), ..Answer::ok(output, w) });
                }
                Join::Follow(follower) => {
                    // `None`: the leader's caller went away mid-run; join again (maybe leading).
                    let Some(run) = follower.wait().await else { continue };
                    self.metrics.cache(tenant, f, "coalesced");
                    trace.outcome = Some(Outcome::Coalesced);
                    let shared = format!("shared the plugin run of invocation {}", run.invocation_id);
                    return match &run.result {
                        Ok((output, warnings)) => {
                            trace.detail = Some(shared);
                            Ok(Answer { served: Some(Served::Coalesced), ..Answer::ok(output.clone(), *warnings) })
                        }
                        Err(problem) => {
                            trace.detail = Some(format!("{} ({shared})", problem.detail));
                            Err(problem.clone())
                        }
                    };
                }
            }
        }
    }

    /// How long a writing call may hold its idempotency key: its deadline, twice for a payment
    /// (a check of the invoice, then the posting), and a margin.
    fn call_lease(&self, function: Function, timeout: Duration) -> Duration {
        let calls = if function == Function::SettleInvoice { 2 } else { 1 };
        timeout * calls + self.options.settlement.lease_margin
    }
}
