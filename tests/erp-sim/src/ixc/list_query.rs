//! IXC's list query language (ERPS.md §1.3): `qtype`/`query`/`oper`, `grid_param`, `page`,
//! `rp`, `sortname`, `sortorder`, and the `{"page","total","registros"}` envelope.
//!
//! # Semantics
//!
//! - Every column reference is `table.column`. A missing or unknown table prefix, or an unknown
//!   column, is the SQL error IXC answers with a generic HTTP 500 and its red HTML `<div>`
//!   (\[H\] S1). Column names compare case-insensitively, as MySQL's do (`vd_contratos.ativo`
//!   finds `Ativo`); table names exactly.
//! - `qtype` + `query` + `oper` is the main condition; `grid_param` is a **JSON-encoded string**
//!   holding `[{"TB","OP","P","P2"}]`, all conditions ANDed with the main one (no OR, \[H\] S1).
//!   A `grid_param` that isn't a string holding such an array is an SQL error (*inferred*).
//! - An empty or absent `query` means no main condition (*inferred*: the flexigrid backend only
//!   adds it when filled); `qtype` is still checked. In `grid_param` an empty `P` is a real
//!   condition (`pix_txid = ''` is how S6 finds invoices without a PIX). `oper` defaults to `=`.
//! - Comparison: when both sides are numbers they compare as numbers (`id >= 1`); otherwise as
//!   text, ASCII case-insensitively (MySQL's default `_ci` collation, *inferred*). So `=` on
//!   `cliente.cnpj_cpf` is exact text: `71460238001` does not find `714.602.380-01`.
//! - A value written `dd/mm/yyyy` is compared as the ISO date it means, so `BE 01/01/2020 ..
//!   31/12/2020` works on ISO columns; ISO values work too (\[H\] S1's note).
//! - `L`/`NL`: contains / does not contain (case-insensitive). `IN`/`NI`: comma list. `BE`/`NBE`:
//!   inclusive range with `P2` (missing `P2` is an SQL error, *inferred*).
//! - `P2` with `=`/`L` means "P or P2", with `!=`/`NL` "neither P nor P2": how S1's examples use
//!   it (`status != R, C` for open invoices); other operators ignore `P2` (*inferred*).
//! - Sorting: `sortname` (`table.column`) `sortorder` `asc` (default) or `desc`; without
//!   `sortname`, by `id` ascending (*inferred*). Stable.
//! - Paging: `page` 1-based (default 1), `rp` rows per page. The default `rp` is NOT FOUND in
//!   the docs; the simulator uses 20 (*inferred*, the flexigrid default in IXC's screens).
//!
//! # Envelope
//!
//! `{"page":"1","total":"37","registros":[...]}`: `page` echoes the request as a string,
//! `total` counts every matching row (all pages) as a string, except on `cliente` where the
//! official example gives a JSON number (\[H\] S1). When the page has no rows `registros` is
//! **absent** (`{"page":"1","total":"0"}`): the docs show no empty result; S6's client reads
//! `data.registros ?? []`, so adapters must not count on the key (*inferred*).

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::params::Params;
use super::store::{Row, Table, field};

/// Rows per page when `rp` is absent (*inferred*).
pub(crate) const DEFAULT_RP: usize = 20;

/// A malformed query: IXC answers HTTP 500 with its HTML error. The text is for logs only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqlError(pub String);

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Like,
    NotLike,
    In,
    NotIn,
    Between,
    NotBetween,
}

impl Op {
    fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_uppercase().as_str() {
            "=" => Op::Eq,
            "!=" | "<>" => Op::Ne,
            ">" => Op::Gt,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            "<=" => Op::Le,
            "L" => Op::Like,
            "NL" => Op::NotLike,
            "IN" => Op::In,
            "NI" => Op::NotIn,
            "BE" => Op::Between,
            "NBE" => Op::NotBetween,
            _ => return None,
        })
    }
}

/// One condition on one column.
#[derive(Debug, Clone)]
struct Condition {
    column: &'static str,
    op: Op,
    p: String,
    p2: Option<String>,
}

impl Condition {
    /// The rows that may match, from the table's index, when this is `=` on an indexed column
    /// with a plain integer (ids are stored as such, so numeric equality is text equality).
    fn indexed<'a>(&self, table: &'a Table) -> Option<Vec<&'a Row>> {
        let p = self.p.trim();
        let canonical = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'));
        if self.op != Op::Eq || self.p2.is_some() || !canonical {
            return None;
        }
        table.indexed(self.column, p)
    }

    fn matches(&self, row: &Row) -> bool {
        let value = field(row, self.column);
        let p = self.p.as_str();
        let p2 = self.p2.as_deref();
        match self.op {
            Op::Eq => equal(value, p) || p2.is_some_and(|p2| equal(value, p2)),
            Op::Ne => !equal(value, p) && !p2.is_some_and(|p2| equal(value, p2)),
            Op::Gt => compare(value, p) == Ordering::Greater,
            Op::Lt => compare(value, p) == Ordering::Less,
            Op::Ge => compare(value, p) != Ordering::Less,
            Op::Le => compare(value, p) != Ordering::Greater,
            Op::Like => contains(value, p) || p2.is_some_and(|p2| contains(value, p2)),
            Op::NotLike => !contains(value, p) && !p2.is_some_and(|p2| contains(value, p2)),
            Op::In => p.split(',').any(|item| equal(value, item.trim())),
            Op::NotIn => !p.split(',').any(|item| equal(value, item.trim())),
            Op::Between | Op::NotBetween => {
                let upper = p2.unwrap_or_default();
                let inside = compare(value, p) != Ordering::Less && compare(value, upper) != Ordering::Greater;
                inside == (self.op == Op::Between)
            }
        }
    }
}

/// A parsed listing request.
#[derive(Debug, Clone)]
pub(crate) struct ListRequest {
    conditions: Vec<Condition>,
    page: usize,
    rp: usize,
    sort: &'static str,
    descending: bool,
}

impl ListRequest {
    /// Parses the listing fields of `params` against `table`.
    pub(crate) fn parse(table: &Table, params: &Params) -> Result<Self, SqlError> {
        let mut conditions = Vec::new();

        let qtype = params.trimmed("qtype");
        let query = params.text("query").unwrap_or_default();
        if !qtype.is_empty() {
            let column = resolve(table, &qtype)?;
            let oper = params.trimmed("oper");
            let op = if oper.is_empty() {
                Op::Eq
            } else {
                Op::parse(&oper).ok_or_else(|| SqlError(format!("unknown oper {oper:?}")))?
            };
            if !query.is_empty() {
                conditions.push(Condition { column, op, p: normalize(&query), p2: None });
            }
        }

        match params.raw("grid_param") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) if text.trim().is_empty() => {}
            Some(Value::String(text)) => conditions.extend(parse_grid(table, text)?),
            Some(other) => return Err(SqlError(format!("grid_param must be a JSON-encoded string, got {other}"))),
        }

        let sortname = params.trimmed("sortname");
        let sort = if sortname.is_empty() { "id" } else { resolve(table, &sortname)? };
        let descending = params.trimmed("sortorder").eq_ignore_ascii_case("desc");
        let page = params.trimmed("page").parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1);
        let rp = params.trimmed("rp").parse::<usize>().ok().filter(|r| *r >= 1).unwrap_or(DEFAULT_RP);
        Ok(Self { conditions, page, rp, sort, descending })
    }

    /// Runs the query and builds IXC's envelope.
    pub(crate) fn run(&self, table: &Table) -> Value {
        // A condition an index answers narrows the candidates; every condition still runs on
        // them, so the result is the scan's.
        let candidates = self.conditions.iter().find_map(|c| c.indexed(table));
        let mut rows: Vec<&Row> = match candidates {
            Some(candidates) => {
                candidates.into_iter().filter(|r| self.conditions.iter().all(|c| c.matches(r))).collect()
            }
            None => table.rows.iter().filter(|r| self.conditions.iter().all(|c| c.matches(r))).collect(),
        };
        rows.sort_by(|a, b| {
            let order = compare(field(a, self.sort), field(b, self.sort));
            if self.descending { order.reverse() } else { order }
        });
        let total = rows.len();
        let start = (self.page - 1).saturating_mul(self.rp);
        let page_rows: Vec<Value> = rows.iter().skip(start).take(self.rp).map(|r| row_json(r)).collect();

        let mut envelope = Map::new();
        envelope.insert("page".into(), Value::String(self.page.to_string()));
        envelope
            .insert("total".into(), if table.spec.total_as_number { json!(total) } else { json!(total.to_string()) });
        if !page_rows.is_empty() {
            envelope.insert("registros".into(), Value::Array(page_rows));
        }
        Value::Object(envelope)
    }
}

/// A row as IXC lists it: every column a string.
pub(crate) fn row_json(row: &Row) -> Value {
    Value::Object(row.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

/// `table.column` → the column, or the SQL error IXC gives for a missing/wrong prefix.
fn resolve(table: &Table, reference: &str) -> Result<&'static str, SqlError> {
    let (prefix, column) =
        reference.split_once('.').ok_or_else(|| SqlError(format!("{reference:?} has no table prefix")))?;
    if prefix != table.spec.name && !table.spec.aliases.contains(&prefix) {
        return Err(SqlError(format!("unknown table prefix {prefix:?} for {}", table.spec.name)));
    }
    table.spec.resolve(column).ok_or_else(|| SqlError(format!("unknown column {reference:?}")))
}

fn parse_grid(table: &Table, text: &str) -> Result<Vec<Condition>, SqlError> {
    let items: Vec<Value> =
        serde_json::from_str(text).map_err(|e| SqlError(format!("grid_param is not a JSON array: {e}")))?;
    items
        .iter()
        .map(|item| {
            let text_of = |key: &str| -> Option<String> {
                match item.get(key)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }
            };
            let tb = text_of("TB").ok_or_else(|| SqlError("grid_param item without TB".into()))?;
            let column = resolve(table, tb.trim())?;
            let op_text = text_of("OP").unwrap_or_else(|| "=".into());
            let op = Op::parse(&op_text).ok_or_else(|| SqlError(format!("unknown OP {op_text:?}")))?;
            let p = normalize(&text_of("P").unwrap_or_default());
            let p2 = text_of("P2").map(|p2| normalize(&p2));
            if matches!(op, Op::Between | Op::NotBetween) && p2.is_none() {
                return Err(SqlError("BE/NBE without P2".into()));
            }
            Ok(Condition { column, op, p, p2 })
        })
        .collect()
}

/// A filter value as compared: `dd/mm/yyyy` becomes ISO; anything else is unchanged.
fn normalize(value: &str) -> String {
    let v = value.trim();
    let b = v.as_bytes();
    if b.len() == 10 && b[2] == b'/' && b[5] == b'/' && v.bytes().filter(u8::is_ascii_digit).count() == 8 {
        return format!("{}-{}-{}", &v[6..10], &v[3..5], &v[0..2]);
    }
    value.to_owned()
}

fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') || digits.starts_with('.') {
        return None;
    }
    t.parse().ok()
}

fn compare(a: &str, b: &str) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        // As comparing the lowercased strings, without allocating them.
        _ => a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
    }
}

fn equal(a: &str, b: &str) -> bool {
    compare(a, b) == Ordering::Equal
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_follow_numbers_then_text() {
        assert!(equal("101", "101.0"));
        assert!(!equal("714.602.380-01", "71460238001"));
        assert!(equal("ABC", "abc"));
        assert_eq!(compare("2026-04-10", "2026-05-15"), Ordering::Less);
        assert_eq!(compare("10", "9"), Ordering::Greater);
        assert_eq!(normalize("31/12/2020"), "2020-12-31");
        assert_eq!(normalize("2020-12-31"), "2020-12-31");
    }
}
