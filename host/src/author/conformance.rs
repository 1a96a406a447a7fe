//! `ponte plugin test`: the conformance scenarios the bundled adapters pass, against any plugin.
//!
//! The author names, in the plugin's `test.toml`, which of the ERP's test customers plays each
//! role ([`Roles`]); the scenarios follow from the functions the manifest serves:
//!
//! | scenario | functions | expected |
//! |---|---|---|
//! | `normal_customer` | every read taking a customer's document | a list (`get_customer`: their record); `list_invoices` not empty, each invoice theirs, a boleto line only with its barcode; totem invoices oldest first; contacts not empty |
//! | `one_invoice` | `get_invoice`, `get_boleto_pdf` | exactly that invoice; a PDF |
//! | `unknown_customer` | the same reads; `get_invoice` of the customer's invoice | `[]`; `get_customer` `404 not_found` |
//! | `unknown_invoice` | `get_invoice`, `get_boleto_pdf` of an id no ERP has | `[]`; `404 not_found` |
//! | `no_invoices` | `list_invoices`, `list_totem_invoices` | `[]` |
//! | `company` | the same reads, with a company's CNPJ | their invoices, their record |
//! | `catalogue` | reads without input (`list_products`, ...) | a list |
//! | `upstream_503`, `upstream_500`, `upstream_unreachable` | every read above | `upstream_unavailable`; `upstream_error` or `upstream_unavailable`; `upstream_unavailable` |
//! | `payment` | `get_invoice`, `settle_invoice` of `roles.payment_invoice` (opt-in) | the invoice, then `success: true` for its amount due, paid on its due date when that has passed (else now) |
//! | `payment_verified` | `get_invoice` of it again | the invoice still listed, nothing due (`valor_final` `0.00`): how the host checks a posting in doubt |
//!
//! Each runs live (the ERP in `test.toml`'s `[live]`) or replayed from `fixtures/recorded.json`
//! (what `ponte plugin record` saved), with the same checks. The upstream failures are the
//! host's doing in both modes: nothing is sent. Writing functions run only where the plan asks:
//! `payment` posts a real payment to a live ERP, so it runs only with `roles.payment_invoice`
//! (an open invoice of a test customer); tickets and orders are not exercised.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ponte_contract::Function;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Report, Session, SessionError, SessionOptions};
use crate::capabilities::http::exchange::{Exchange, Failure};

/// An invoice id no ERP has (the `unknown_invoice` scenario).
const NO_SUCH_ID: &str = "987654321";

/// The plan file in a plugin's folder.
pub const PLAN_FILE: &str = "test.toml";
/// Where recorded exchanges live in a plugin's folder.
pub const FIXTURES_FILE: &str = "fixtures/recorded.json";

/// `test.toml`: who plays each role, and the live ERP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The ERP's test customers.
    pub roles: Roles,
    /// The live ERP, for `ponte plugin test` without `--replay` and for `ponte plugin record`.
    #[serde(default)]
    pub live: Option<Live>,
}

/// Which of the ERP's customers plays each role (CPF or CNPJ, any punctuation).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// A customer with open invoices (and contacts, when the plugin serves them).
    pub customer: String,
    /// A valid CPF that is nobody's in the ERP.
    #[serde(default = "default_unknown")]
    pub unknown: String,
    /// A customer without open invoices.
    #[serde(default)]
    pub no_invoices: Option<String>,
    /// A company (a CNPJ, alphanumeric if the ERP takes them).
    #[serde(default)]
    pub company: Option<String>,
    /// One of `customer`'s open invoices (its id in the ERP); the first listed when absent.
    #[serde(default)]
    pub invoice: Option<String>,
    /// One of `customer`'s open invoices that the `payment` scenario pays in full: a payment is
    /// posted to the ERP (use a test customer). No payment scenario without it.
    #[serde(default)]
    pub payment_invoice: Option<String>,
}

fn default_unknown() -> String {
    "529.982.247-25".to_owned()
}

/// The live ERP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Live {
    /// The connection's settings (values or `${env:NAME}` references).
    pub settings: BTreeMap<String, String>,
    /// Private addresses the ERP lives at.
    #[serde(default)]
    pub allow_private: Vec<String>,
    /// Each call's deadline, as `20s` (default 20s).
    #[serde(default)]
    pub timeout: Option<String>,
}

/// `fixtures/recorded.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Fixtures {
    /// When the exchanges were recorded (RFC 3339): the clock the plugin sees on replay.
    pub recorded_at: Option<String>,
    /// The settings they were recorded with, secrets as `***`: replay uses them, so URLs match
    /// and no secret is needed.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// The private addresses the live ERP was allowed at.
    #[serde(default)]
    pub allow_private: Vec<String>,
    /// One entry per scenario and function.
    pub runs: Vec<RecordedRun>,
}

/// The exchanges behind one scenario's call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRun {
    /// The scenario.
    pub scenario: String,
    /// The function.
    pub function: Function,
    /// The upstream exchanges, in order.
    pub exchanges: Vec<Exchange>,
}

/// Why a test run could not start.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// A file is missing or wrong.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The plugin or its settings.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// How the upstream is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The live ERP of `test.toml`.
    Live,
    /// `fixtures/recorded.json`.
    Replay,
}

/// One scenario's call and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The scenario.
    pub scenario: String,
    /// The function.
    pub function: Function,
    /// `None` when it passed; what was expected and what came back otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The run behind the verdict (input, raw and normalized result, exchanges).
    pub report: Report,
}

impl Outcome {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Reads a plugin folder's `test.toml`.
///
/// # Errors
/// When it is missing or not a plan.
pub fn read_plan(plugin: &Path) -> Result<Plan, TestError> {
    let path = plugin.join(PLAN_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TestError::File {
        path: path.clone(),
        message: format!("cannot read ({e}); see docs/plugin-authors.md"),
    })?;
    toml::from_str(&text).map_err(|e| TestError::File { path, message: e.to_string() })
}

/// Reads a plugin folder's recorded fixtures.
///
/// # Errors
/// When they are missing or malformed.
pub fn read_fixtures(plugin: &Path) -> Result<Fixtures, TestError> {
    let path = plugin.join(FIXTURES_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TestError::File {
        path: path.clone(),
        message: format!("cannot read ({e}): record them with `ponte plugin record`"),
    })?;
    serde_json::from_str(&text).map_err(|e| TestError::File { path, message: e.to_string() })
}

/// Writes a plugin folder's recorded fixtures.
///
/// # Errors
/// When the file can't be written.
pub fn write_fixtures(plugin: &Path, fixtures: &Fixtures) -> Result<PathBuf, TestError> {
    let path = plugin.join(FIXTURES_FILE);
    let error = |e: std::io::Error| TestError::File { path: path.clone(), message: e.to_string() };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    let text = serde_json::to_string_pretty(fixtures).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(error)?;
    Ok(path)
}

/// The session options of a plan's live ERP.
///
/// # Errors
/// When the plan has no `[live]` table.
pub fn live_options(plugin: &Path, plan: &Plan) -> Result<SessionOptions, TestError> {
    let live = plan.live.clone().ok_or_else(|| TestError::File {
        path: plugin.join(PLAN_FILE),
        message: "no [live] table: name the ERP's settings there, or run with --replay".into(),
    })?;
    let timeout = match &live.timeout {
        None => Duration::from_secs(20),
        Some(text) => humantime::parse_duration(text)
            .map_err(|e| TestError::File { path: plugin.join(PLAN_FILE), message: format!("live.timeout: {e}") })?,
    };
    Ok(SessionOptions {
        plugin: plugin.to_owned(),
        settings: live.settings,
        allow_private: live.allow_private,
        timeout,
        clock: None,
    })
}

/// The session options that replay `fixtures`: their settings, their addresses, their clock.
pub fn replay_options(plugin: &Path, fixtures: &Fixtures) -> SessionOptions {
    SessionOptions {
        plugin: plugin.to_owned(),
        settings: fixtures.settings.clone(),
        allow_private: fixtures.allow_private.clone(),
        timeout: Duration::from_secs(20),
        clock: fixtures
            .recorded_at
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc)),
    }
}

/// Runs every scenario the plugin's functions call for. In [`Mode::Replay`] each call is
/// answered from `fixtures` (and a call with no recorded run fails, saying so); in
/// [`Mode::Live`] as the session was set up (the network, or a stand-in ERP); the upstream
/// failures come last, and the session then goes to the network. Returns the outcomes and, for recording, the exchanges of
/// every call.
pub async fn run(session: &mut Session, roles: &Roles, mode: Mode, fixtures: &Fixtures) -> (Vec<Outcome>, Fixtures) {
    let served = session.manifest().functions.clone();
    let mut recorded = Fixtures { recorded_at: Some(Utc::now().to_rfc3339()), ..Fixtures::default() };
    let mut outcomes = Vec::new();
    let mut ctx = Runner { session, mode, fixtures, recorded: &mut recorded, outcomes: &mut outcomes };

    let customer_reads: Vec<Function> = served
        .iter()
        .copied()
        .filter(|f| !f.spec().is_write() && takes_only(*f, json!({ "customer_document_number": roles.customer })))
        .collect();
    let catalogue: Vec<Function> =
        served.iter().copied().filter(|f| !f.spec().is_write() && takes_only(*f, json!({}))).collect();

    for function in &customer_reads {
        let report = ctx.call("normal_customer", *function, customer(&roles.customer)).await;
        let failure = check_normal(*function, &roles.customer, &report);
        ctx.verdict("normal_customer", report, failure);
    }
    let invoice = if served.contains(&Function::GetInvoice) || served.contains(&Function::GetBoletoPdf) {
        ctx.one_invoice(roles, &served).await
    } else {
        None
    };
    for function in &customer_reads {
        let report = ctx.call("unknown_customer", *function, customer(&roles.unknown)).await;
        let failure = if *function == Function::GetCustomer {
            expect_problem(&report, &["not_found"])
        } else {
            expect_empty(&report)
        };
        ctx.verdict("unknown_customer", report, failure);
    }
    if let (Some(id), true) = (&invoice, served.contains(&Function::GetInvoice)) {
        // Their invoice id, asked for by someone else: nothing.
        let input = json!({ "customer_bill_id": id, "customer_document_number": roles.unknown });
        let report = ctx.call("unknown_customer", Function::GetInvoice, input).await;
        let failure = expect_empty(&report);
        ctx.verdict("unknown_customer", report, failure);
    }
    if served.contains(&Function::GetInvoice) {
        let input = json!({ "customer_bill_id": NO_SUCH_ID, "customer_document_number": roles.customer });
        let report = ctx.call("unknown_invoice", Function::GetInvoice, input).await;
        let failure = expect_empty(&report);
        ctx.verdict("unknown_invoice", report, failure);
    }
    if served.contains(&Function::GetBoletoPdf) {
        let input = json!({ "boleto_id": NO_SUCH_ID, "customer_document_number": roles.customer });
        let report = ctx.call("unknown_invoice", Function::GetBoletoPdf, input).await;
        let failure = expect_problem(&report, &["not_found"]);
        ctx.verdict("unknown_invoice", report, failure);
    }
    if let Some(nobody) = &roles.no_invoices {
        for function in [Function::ListInvoices, Function::ListTotemInvoices].into_iter().filter(|f| served.contains(f))
        {
            let report = ctx.call("no_invoices", function, customer(nobody)).await;
            let failure = expect_empty(&report);
            ctx.verdict("no_invoices", report, failure);
        }
    }
    if let Some(company) = &roles.company {
        for function in [Function::GetCustomer, Function::ListInvoices].into_iter().filter(|f| served.contains(f)) {
            let report = ctx.call("company", function, customer(company)).await;
            let failure = check_theirs(function, company, &report);
            ctx.verdict("company", report, failure);
        }
    }
    for function in &catalogue {
        let report = ctx.call("catalogue", *function, json!({})).await;
        let failure = expect_list(&report).err();
        ctx.verdict("catalogue", report, failure);
    }
    if let Some(id) = &roles.payment_invoice
        && served.contains(&Function::SettleInvoice)
        && served.contains(&Function::GetInvoice)
    {
        ctx.payment(roles, id).await;
    }
    // Every read the scenarios ran, with an input it accepts, against an upstream in trouble.
    let mut probes: Vec<(Function, Value)> = customer_reads.iter().map(|f| (*f, customer(&roles.customer))).collect();
    probes.extend(catalogue.iter().map(|f| (*f, json!({}))));
    if let Some(id) = &invoice {
        for (function, input) in [
            (Function::GetInvoice, json!({ "customer_bill_id": id, "customer_document_number": roles.customer })),
            (Function::GetBoletoPdf, json!({ "boleto_id": id, "customer_document_number": roles.customer })),
        ] {
            if served.contains(&function) {
                probes.push((function, input));
            }
        }
    }
    for (scenario, failure, codes) in [
        ("upstream_503", Failure::Status(503), &["upstream_unavailable"][..]),
        ("upstream_500", Failure::Status(500), &["upstream_error", "upstream_unavailable"][..]),
        ("upstream_unreachable", Failure::Unreachable, &["upstream_unavailable"][..]),
    ] {
        for (function, input) in &probes {
            ctx.session.fail_with(failure.clone());
            let report = ctx.session.invoke(*function, input).await;
            let verdict = expect_problem(&report, codes);
            ctx.verdict(scenario, report, verdict);
        }
    }
    ctx.session.use_network();
    (outcomes, recorded)
}

struct Runner<'a> {
    session: &'a mut Session,
    mode: Mode,
    fixtures: &'a Fixtures,
    recorded: &'a mut Fixtures,
    outcomes: &'a mut Vec<Outcome>,
}

impl Runner<'_> {
    /// One call of a scenario, live or replayed; its exchanges are kept for recording.
    async fn call(&mut self, scenario: &str, function: Function, input: Value) -> Report {
        // Live: the session answers as it was set up (the network, or a stand-in ERP).
        if self.mode == Mode::Replay {
            let run = self.fixtures.runs.iter().find(|r| r.scenario == scenario && r.function == function);
            self.session.replay(run.map(|r| r.exchanges.clone()).unwrap_or_default());
        }
        let report = self.session.invoke(function, &input).await;
        self.recorded.runs.push(RecordedRun {
            scenario: scenario.to_owned(),
            function,
            exchanges: report.exchanges.clone(),
        });
        report
    }

    fn verdict(&mut self, scenario: &str, report: Report, failure: Option<String>) {
        let missing_fixture = self.mode == Mode::Replay
            && !scenario.starts_with("upstream_")
            && !self.fixtures.runs.iter().any(|r| r.scenario == scenario && r.function == report.function);
        let failure = match failure {
            Some(f) if missing_fixture => {
                Some(format!("{f} (nothing was recorded for this call: run `ponte plugin record`)"))
            }
            other => other,
        };
        self.outcomes.push(Outcome { scenario: scenario.to_owned(), function: report.function, failure, report });
    }

    /// Pays invoice `id` in full and reads it back: the amount due from `get_invoice`, a
    /// `settle_invoice` of that amount, then `get_invoice` again, which must still list the
    /// invoice with nothing due (the host's check of a posting whose answer was lost reads it so).
    async fn payment(&mut self, roles: &Roles, id: &str) {
        let query = json!({ "customer_bill_id": id, "customer_document_number": roles.customer });
        let before = self.call("payment", Function::GetInvoice, query.clone()).await;
        let invoice = expect_list(&before).ok().and_then(|list| list.first()).cloned().unwrap_or_default();
        let due = invoice["valor_final"].as_str().map(str::to_owned);
        let Some(due) = due.filter(|due| due.as_str() != "0.00") else {
            let failure = format!("open invoice {id} (something due) to pay, got {}", brief(&before));
            self.verdict("payment", before, Some(failure));
            return;
        };
        self.verdict("payment", before, None);
        // Paid on its due date at noon when that has passed, else now (ERPs refuse payments
        // dated in the future); the same payment on replay as when recorded: "now" is the
        // recording's clock.
        let at = match self.mode {
            Mode::Replay => self.fixtures.recorded_at.clone(),
            Mode::Live => self.recorded.recorded_at.clone(),
        };
        let brasilia = ponte_contract::normalize::date::brasilia();
        let now = at
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map_or_else(Utc::now, |at| at.with_timezone(&Utc))
            .with_timezone(&brasilia);
        let on_due_date = invoice["vencimento"]
            .as_str()
            .and_then(|date| DateTime::parse_from_rfc3339(&format!("{date}T12:00:00-03:00")).ok());
        let paid_at =
            on_due_date.filter(|due| *due < now).unwrap_or(now).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let payment = json!({
            "boleto_id": id,
            "customer_document_number": roles.customer,
            "transaction": { "id": format!("ponte-plugin-test-{id}"), "amount": due, "paid_at": paid_at, "method": "pix" },
        });
        let settled = self.call("payment", Function::SettleInvoice, payment).await;
        let failure = match &settled.normalized {
            Some(answer) if answer["success"] == true => None,
            _ => Some(format!("`success: true` for a payment of {due}, got {}", brief(&settled))),
        };
        let posted = failure.is_none();
        self.verdict("payment", settled, failure);
        if !posted {
            return;
        }
        let after = self.call("payment_verified", Function::GetInvoice, query).await;
        let failure = match expect_list(&after) {
            Ok(list) => match list.first() {
                Some(invoice) if invoice["valor_final"] == "0.00" => None,
                Some(invoice) => Some(format!(
                    "invoice {id} with nothing due (valor_final 0.00) after it was paid, got valor_final {}",
                    invoice["valor_final"]
                )),
                None => Some(format!(
                    "invoice {id} still listed (paid, nothing due) after it was paid, got []: the host checks a \
                     payment whose answer was lost by reading the invoice back"
                )),
            },
            Err(e) => Some(e),
        };
        self.verdict("payment_verified", after, failure);
    }

    /// `get_invoice` and `get_boleto_pdf` of one of the customer's invoices; returns its id.
    async fn one_invoice(&mut self, roles: &Roles, served: &[Function]) -> Option<String> {
        let id = match &roles.invoice {
            Some(id) => Some(id.clone()),
            None if served.contains(&Function::ListInvoices) => {
                let report = self.call("one_invoice", Function::ListInvoices, customer(&roles.customer)).await;
                report
                    .normalized
                    .as_ref()
                    .and_then(|list| list.get(0))
                    .and_then(|i| i["remote_id"].as_str())
                    .map(str::to_owned)
            }
            None => None,
        };
        let id = id?;
        if served.contains(&Function::GetInvoice) {
            let input = json!({ "customer_bill_id": id, "customer_document_number": roles.customer });
            let report = self.call("one_invoice", Function::GetInvoice, input).await;
            let failure = match expect_list(&report) {
                Ok(list) if list.len() == 1 && list[0]["remote_id"] == id.as_str() => None,
                Ok(list) => Some(format!("exactly invoice {id}, got {} invoices: {}", list.len(), brief(&report))),
                Err(e) => Some(e),
            };
            self.verdict("one_invoice", report, failure);
        }
        if served.contains(&Function::GetBoletoPdf) {
            let input = json!({ "boleto_id": id, "customer_document_number": roles.customer });
            let report = self.call("one_invoice", Function::GetBoletoPdf, input).await;
            let failure = match &report.normalized {
                Some(pdf) if pdf["base_64"].as_str().is_some_and(|b| b.starts_with("JVBER")) => None,
                _ => Some(format!("a PDF (`base_64` starting with JVBER), got {}", brief(&report))),
            };
            self.verdict("one_invoice", report, failure);
        }
        Some(id)
    }
}

/// Whether `input` is a complete, valid input of `function` (its only required field is the
/// one given, or it needs none).
fn takes_only(function: Function, input: Value) -> bool {
    ponte_contract::validate_input(function, &input).is_ok()
}

fn customer(document: &str) -> Value {
    json!({ "customer_document_number": document })
}

fn digits(document: &str) -> String {
    ponte_contract::text::document_key(document)
}

/// The normalized answer or the problem, briefly, for a failure line.
fn brief(report: &Report) -> String {
    match (&report.normalized, &report.problem) {
        (Some(value), _) => {
            let text = value.to_string();
            if text.chars().count() > 300 { text.chars().take(300).collect::<String>() + "…" } else { text }
        }
        (None, Some(p)) => format!("{} {} ({})", p.status, p.code, p.detail),
        (None, None) => "nothing".into(),
    }
}

fn expect_list(report: &Report) -> Result<&Vec<Value>, String> {
    match &report.normalized {
        Some(Value::Array(list)) => Ok(list),
        _ => Err(format!("a list, got {}", brief(report))),
    }
}

fn expect_empty(report: &Report) -> Option<String> {
    match expect_list(report) {
        Ok(list) if list.is_empty() => None,
        Ok(_) => Some(format!("[] (nothing for this customer), got {}", brief(report))),
        Err(e) => Some(format!("[] (nothing for this customer): {e}")),
    }
}

fn expect_problem(report: &Report, codes: &[&str]) -> Option<String> {
    match &report.problem {
        Some(p) if codes.contains(&p.code.as_str()) => None,
        _ => Some(format!("the problem {}, got {}", codes.join(" or "), brief(report))),
    }
}

fn check_normal(function: Function, document: &str, report: &Report) -> Option<String> {
    if let Some(failure) = check_theirs(function, document, report) {
        return Some(failure);
    }
    match function {
        Function::GetCustomer => None,
        Function::ListInvoices => match expect_list(report) {
            Ok(list) if list.is_empty() => Some("the customer's open invoices, got []".into()),
            Ok(list) => list.iter().find_map(|invoice| {
                let line = invoice["linha_digitavel"].as_str().unwrap_or_default();
                let barcode = invoice["codigo_barras"].as_str().unwrap_or_default();
                (line.is_empty() != barcode.is_empty())
                    .then(|| format!("a boleto line and its barcode together, got invoice {invoice}"))
            }),
            Err(e) => Some(e),
        },
        Function::ListTotemInvoices => match expect_list(report) {
            Ok(list) => {
                let dues: Vec<&str> = list.iter().filter_map(|i| i["vencimento"].as_str()).collect();
                dues.windows(2).any(|w| w[0] > w[1]).then(|| format!("the oldest due first, got {dues:?}"))
            }
            Err(e) => Some(e),
        },
        Function::GetCustomerContacts => match expect_list(report) {
            Ok(list) if list.is_empty() => Some("the customer's contacts, got []".into()),
            Ok(_) => None,
            Err(e) => Some(e),
        },
        _ => expect_list(report).err(),
    }
}

/// Everything returned belongs to `document`.
fn check_theirs(function: Function, document: &str, report: &Report) -> Option<String> {
    let digits = digits(document);
    match function {
        Function::GetCustomer => match &report.normalized {
            Some(found) if found["document_number"] == digits.as_str() => None,
            _ => Some(format!("the record of {digits}, got {}", brief(report))),
        },
        Function::ListInvoices | Function::ListTotemInvoices => match expect_list(report) {
            Ok(list) => list
                .iter()
                .find(|i| i["document_number"] != digits.as_str())
                .map(|i| format!("only {digits}'s invoices, got one of {}", i["document_number"])),
            Err(e) => Some(e),
        },
        _ => None,
    }
}

/// What `ponte plugin test` prints: one line per call, and for a failure what was expected,
/// what came back and the exchanges behind it.
pub fn render(outcomes: &[Outcome]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for outcome in outcomes {
        let mark = if outcome.passed() { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "{mark} {:<22} {}", outcome.scenario, outcome.function);
        if let Some(failure) = &outcome.failure {
            let _ = writeln!(out, "     expected {failure}");
            if let Some(raw) = &outcome.report.raw {
                let raw = raw.to_string();
                let raw =
                    if raw.chars().count() > 400 { raw.chars().take(400).collect::<String>() + "…" } else { raw };
                let _ = writeln!(out, "     the plugin returned {raw}");
            }
            for exchange in &outcome.report.exchanges {
                let _ = writeln!(out, "     {}", super::exchange_line(exchange));
            }
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let _ = writeln!(out, "\n{} calls, {} passed, {failed} failed", outcomes.len(), outcomes.len() - failed);
    out
}
