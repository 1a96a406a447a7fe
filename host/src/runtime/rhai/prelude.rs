//! The prelude: helpers every script gets without writing them, native and shared, from the
//! contract crate where the contract has them (the same code Rust plugins call through the PDK).
//!
//! | function | what it does |
//! |---|---|
//! | `text(value)` | a value as trimmed text: `()` is `""`, numbers their digits |
//! | `first_text(map, keys)` | the first of `keys` whose value in `map` has text, or `""` |
//! | `dig(value, path)` | the value at `path` (an array of keys) in nested maps, or `()` |
//! | `pick(object, keys)` | in an app's free-form object (a lead, an order): the first of `keys` with text, in the object or in objects nested up to two levels down, or `""` |
//! | `without_empty(map)` | the map without its `""` entries |
//! | `none(value)` | whether `value` is `()` |
//! | `join(items, separator)` | the items' text, joined |
//! | `document_key(value)` | a CPF/CNPJ/access key's letters and digits, upper-case |
//! | `masked_document(value)` | a CPF/CNPJ masked (`714.602.380-01`), or the text as given when it is none |
//! | `clean(value)` | text without HTML tags and entities, whitespace collapsed |
//! | `shorten(text, max_chars)` | at most `max_chars` characters, ending in `…` when cut |
//! | `says_not_found(message)` | whether an ERP's message says a record does not exist |
//! | `boleto_line(barcode)` | the 47/48-digit line of a 44-digit barcode (throws if it is none) |
//! | `brasilia_date(instant)` | the `YYYY-MM-DD` day in Brasília of an RFC 3339 instant |
//! | `only_digits(s)`, `format_document(doc)`, `date_br(date)`, `iso_date(text)`, `money(value)` | the contract's normalizers, for building ERP requests (`money` reads a JSON integer as reais) |
//! | `base64_encode(s)`, `base64_decode(s)`, `basic_auth(user, password)`, `url_encode(s)` | encodings |
//!
//! A script that defines a function of the same name and arity keeps its own: script functions
//! are found first, so scripts written before a helper joined the prelude run unchanged.
//!
//! The helpers that build text out of many values (`join`, `text` of an array or map) refuse
//! past the engine's string limit before building it; the others make at most a few times their
//! input (base64 a third more), which the engine's limit bounds.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ponte_contract::text;
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map};

use super::MAX_STRING;
use super::convert;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn register(engine: &mut Engine) {
    register_text(engine);
    register_normalizers(engine);
    register_encodings(engine);
}

fn register_text(engine: &mut Engine) {
    engine.register_fn("text", |value: Dynamic| text_of(&value));
    engine.register_fn("first_text", |row: Dynamic, keys: Array| -> RhaiResult<String> {
        let Some(map) = row.read_lock::<Map>() else { return Ok(String::new()) };
        for key in &keys {
            let Some(value) = key.read_lock::<rhai::ImmutableString>().and_then(|k| map.get(k.as_str()).cloned())
            else {
                continue;
            };
            let found = text_of(&value)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(String::new())
    });
    engine.register_fn("dig", |value: Dynamic, path: Array| {
        let mut current = value;
        for key in &path {
            let next = match (current.read_lock::<Map>(), key.read_lock::<rhai::ImmutableString>()) {
                (Some(map), Some(key)) => map.get(key.as_str()).cloned().unwrap_or(Dynamic::UNIT),
                _ => return Dynamic::UNIT,
            };
            current = next;
        }
        current
    });
    engine.register_fn("pick", |object: Dynamic, keys: Array| {
        pick(&object, &keys, 0).map(|found| found.unwrap_or_default())
    });
    engine.register_fn("without_empty", |map: Map| -> Map {
        map.into_iter().filter(|(_, v)| v.read_lock::<rhai::ImmutableString>().is_none_or(|t| !t.is_empty())).collect()
    });
    engine.register_fn("none", |value: Dynamic| value.is_unit());
    engine.register_fn("join", |items: Array, separator: &str| -> RhaiResult<String> {
        let mut out = Bounded::new("join");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(separator)?;
            }
            out.push(&text_of(item)?)?;
        }
        Ok(out.text)
    });
    engine.register_fn("document_key", |value: Dynamic| {
        Ok::<_, Box<EvalAltResult>>(text::document_key(&text_of(&value)?))
    });
    engine.register_fn("clean", |value: Dynamic| Ok::<_, Box<EvalAltResult>>(text::clean(&text_of(&value)?)));
    engine.register_fn("shorten", |value: &str, max_chars: i64| {
        text::shorten(value, usize::try_from(max_chars).unwrap_or(0))
    });
    engine.register_fn("says_not_found", |value: Dynamic| {
        Ok::<_, Box<EvalAltResult>>(text::says_not_found(&text_of(&value)?))
    });
}

/// The contract's normalizers, for building ERP requests and reading what they answer.
fn register_normalizers(engine: &mut Engine) {
    use ponte_contract::normalize::boleto::Barcode;
    use ponte_contract::normalize::{date, document::Document, money::Money};
    engine.register_fn("only_digits", |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>());
    engine.register_fn("format_document", |text: &str| -> RhaiResult<String> {
        Document::parse(text).map(|d| d.formatted()).map_err(|e| runtime_error(format!("format_document: {e}")))
    });
    engine.register_fn("masked_document", |value: Dynamic| -> RhaiResult<String> {
        let text = text_of(&value)?;
        Ok(Document::parse(&text).map_or(text, |d| d.formatted()))
    });
    engine.register_fn("iso_date", |text: &str| -> RhaiResult<String> {
        date::parse_date(text).map(date::format_date).map_err(|e| runtime_error(format!("iso_date: {e}")))
    });
    engine.register_fn("date_br", |text: &str| -> RhaiResult<String> {
        date::parse_date(text)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .map_err(|e| runtime_error(format!("date_br: {e}")))
    });
    engine.register_fn("brasilia_date", |instant: &str| -> RhaiResult<String> {
        date::brasilia_date(instant).map(date::format_date).map_err(|e| runtime_error(format!("brasilia_date: {e}")))
    });
    engine.register_fn("money", |value: Dynamic| -> RhaiResult<String> {
        let json = convert::to_json(&value).map_err(|e| runtime_error(e.to_string()))?;
        Money::from_json(&json, ponte_contract::normalize::money::IntegerUnit::Reais)
            .map(|m| m.to_string())
            .map_err(|e| runtime_error(format!("money: {e}")))
    });
    engine.register_fn("boleto_line", |barcode: &str| -> RhaiResult<String> {
        Barcode::parse(barcode)
            .map(|b| b.to_line().as_str().to_owned())
            .map_err(|e| runtime_error(format!("boleto_line: {e}")))
    });
}

fn register_encodings(engine: &mut Engine) {
    engine.register_fn("base64_encode", |text: &str| STANDARD.encode(text));
    engine.register_fn("base64_decode", |text: &str| -> RhaiResult<String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| runtime_error("base64_decode: not base64"))?;
        String::from_utf8(bytes).map_err(|_| runtime_error("base64_decode: not UTF-8 text"))
    });
    engine.register_fn("basic_auth", |user: &str, password: &str| {
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
    });
    engine.register_fn("url_encode", ponte_contract::text::url_encode);
}

/// `pick`: the first of `keys` holding a string or number with text, in `object` and then in
/// the objects it holds, breadth of keys before depth, at most two levels down.
fn pick(object: &Dynamic, keys: &Array, depth: usize) -> RhaiResult<Option<String>> {
    let Some(map) = object.read_lock::<Map>() else { return Ok(None) };
    if depth > 2 {
        return Ok(None);
    }
    for key in keys {
        let Some(value) = key.read_lock::<rhai::ImmutableString>().and_then(|k| map.get(k.as_str()).cloned()) else {
            continue;
        };
        if value.is_string() || value.is_int() || value.is::<rust_decimal::Decimal>() {
            let found = text_of(&value)?;
            if !found.is_empty() {
                return Ok(Some(found));
            }
        }
    }
    for value in map.values() {
        if let Some(found) = pick(value, keys, depth + 1)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// A value as trimmed text, refused past the engine's string limit before it is built (an
/// array holding one large string many times would otherwise print to gigabytes).
fn text_of(value: &Dynamic) -> RhaiResult<String> {
    if value.is_unit() {
        return Ok(String::new());
    }
    if let Some(text) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(text.trim().to_owned());
    }
    let mut out = Bounded::new("text");
    write!(out, "{value}").map_err(|_| out.too_long())?;
    Ok(out.text.trim().to_owned())
}

/// A string that refuses to grow past the engine's string limit.
struct Bounded {
    text: String,
    what: &'static str,
}

impl Bounded {
    fn new(what: &'static str) -> Self {
        Bounded { text: String::new(), what }
    }

    fn push(&mut self, piece: &str) -> RhaiResult<()> {
        self.write_str(piece).map_err(|_| self.too_long())
    }

    fn too_long(&self) -> Box<EvalAltResult> {
        runtime_error(format!("{}: the result would be longer than {MAX_STRING} bytes", self.what))
    }
}

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, piece: &str) -> std::fmt::Result {
        if self.text.len().saturating_add(piece.len()) > MAX_STRING {
            return Err(std::fmt::Error);
        }
        self.text.push_str(piece);
        Ok(())
    }
}

fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    super::api::runtime_error(message)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use ponte_contract::Function;
    use serde_json::json;

    use crate::capabilities::test_capabilities;
    use crate::runtime::rhai::{RhaiPlugin, engine};
    use crate::runtime::{Call, DEFAULT_MEMORY, Plugin, PluginError};

    async fn names(body: &str) -> Result<serde_json::Value, PluginError> {
        let script = format!("fn list_products(input) {{ [#{{ codigo: 1, nome: {body} }}] }}");
        let plugin = RhaiPlugin::compile(Arc::new(engine()), &script, DEFAULT_MEMORY).expect("compiles");
        let capabilities = test_capabilities(Instant::now() + Duration::from_secs(5), &[]).await;
        let input = json!({"row": {"a": "  ", "b": 42, "c": {"d": " x "}}, "n": 1.50});
        let out = plugin.invoke(Call { function: Function::ListProducts, input, capabilities }).await?;
        Ok(out[0]["nome"].clone())
    }

    #[tokio::test]
    async fn the_prelude_reads_erp_values() {
        for (expression, expected) in [
            ("text(())", json!("")),
            ("text(input.n)", json!("1.5")),
            ("first_text(input.row, [\"a\", \"zz\", \"b\"])", json!("42")),
            ("first_text(7, [\"a\"])", json!("")),
            ("text(dig(input, [\"row\", \"c\", \"d\"]))", json!("x")),
            ("type_of(dig(input, [\"row\", \"a\", \"d\"]))", json!("()")),
            ("`${none(()) && !none(0)}`", json!("true")),
            ("pick(#{ a: \"\", b: #{ c: #{ name: \" Ana \" } } }, [\"name\"])", json!("Ana")),
            ("pick(#{ a: #{ b: #{ c: #{ name: \"deep\" } } } }, [\"name\"])", json!("")),
            ("to_json(without_empty(#{ a: \"\", b: 0, c: \"x\" }))", json!("{\"b\":0,\"c\":\"x\"}")),
            ("masked_document(\"71460238001\") + \" \" + masked_document(\"123\")", json!("714.602.380-01 123")),
            ("join([\"a\", 1, ()], \", \")", json!("a, 1, ")),
            ("document_key(\" 12.abc.345/01de-35 \")", json!("12ABC34501DE35")),
            ("clean(\"<p>N&atilde;o  pago</p>\")", json!("Não pago")),
            ("shorten(\"abcdef\", 4)", json!("abc…")),
            ("`${says_not_found(\"Cliente não encontrado\")}`", json!("true")),
            (
                "boleto_line(\"00191141200000099900000003128557000000100117\")",
                json!("00190000090312855700000001001171114120000009990"),
            ),
            ("brasilia_date(\"2026-03-06T01:30:00Z\")", json!("2026-03-05")),
        ] {
            assert_eq!(names(expression).await, Ok(expected), "{expression}");
        }
    }

    #[tokio::test]
    async fn bad_values_are_script_errors_and_results_stay_bounded() {
        for (expression, words) in [
            ("boleto_line(\"123\")", "boleto_line"),
            ("brasilia_date(\"2026-03-06\")", "brasilia_date"),
            // Four one-letter items and an 8 MiB separator: 24 MiB and 4 bytes, past the limit.
            (
                "{ let s = \"x\"; while s.len() < 8388608 { s += s; } join([\"a\", \"b\", \"c\", \"d\"], s) }",
                "longer than",
            ),
        ] {
            let out = names(expression).await;
            assert!(matches!(&out, Err(PluginError::Failed(m)) if m.contains(words)), "{expression}: {out:?}");
        }
    }

    #[tokio::test]
    async fn a_scripts_own_helper_of_the_same_name_wins() {
        let script = "fn text(value) { \"mine\" } fn list_products(input) { [#{ codigo: 1, nome: text(5) + clean(\"<b>x</b>\") }] }";
        let plugin = RhaiPlugin::compile(Arc::new(engine()), script, DEFAULT_MEMORY).expect("compiles");
        let capabilities = test_capabilities(Instant::now() + Duration::from_secs(5), &[]).await;
        let out = plugin.invoke(Call { function: Function::ListProducts, input: json!({}), capabilities }).await;
        assert_eq!(out, Ok(json!([{"codigo": 1, "nome": "minex"}])));
    }
}
