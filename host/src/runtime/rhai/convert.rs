//! JSON ↔ Rhai values, without floats.
//!
//! The engine is built with `no_float` and `decimal`: a JSON number with a fraction becomes a
//! Rhai `Decimal` (rust_decimal), so money an ERP sends as `26.5` stays exact inside a script,
//! and a script literal `1.5` is a decimal too.

use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;
use serde_json::{Number, Value};

/// Deepest nesting converted (Rhai's own limits bound sizes; this bounds recursion).
const MAX_DEPTH: usize = 64;

/// JSON to a Rhai value.
pub fn to_dynamic(value: &Value) -> Dynamic {
    to_dynamic_at(value, 0)
}

fn to_dynamic_at(value: &Value, depth: usize) -> Dynamic {
    if depth > MAX_DEPTH {
        return Dynamic::UNIT;
    }
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => number_to_dynamic(n),
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(items) => {
            let array: Array = items.iter().map(|v| to_dynamic_at(v, depth + 1)).collect();
            Dynamic::from_array(array)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.as_str().into(), to_dynamic_at(v, depth + 1));
            }
            Dynamic::from_map(out)
        }
    }
}

fn number_to_dynamic(n: &Number) -> Dynamic {
    if let Some(i) = n.as_i64() {
        return Dynamic::from_int(i);
    }
    let text = n.to_string();
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map(Dynamic::from_decimal)
        // Beyond a decimal's range: keep the exact text rather than a wrong number.
        .unwrap_or_else(|_| Dynamic::from(text))
}

/// Why a Rhai value can't be JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a value of type `{0}` can't be converted to JSON")]
pub struct NotJson(pub String);

/// A Rhai value to JSON.
pub fn to_json(value: &Dynamic) -> Result<Value, NotJson> {
    to_json_at(value, 0)
}

fn to_json_at(value: &Dynamic, depth: usize) -> Result<Value, NotJson> {
    if depth > MAX_DEPTH {
        return Err(NotJson("nesting deeper than 64".into()));
    }
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(d) = value.as_decimal() {
        let text = d.normalize().to_string();
        return serde_json::from_str::<Number>(&text).map(Value::Number).map_err(|_| NotJson("decimal".into()));
    }
    if let Some(text) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(Value::String(text.as_str().to_owned()));
    }
    if value.is_char() {
        return Ok(Value::String(value.to_string()));
    }
    if value.is_array() {
        let array = value.read_lock::<Array>().ok_or_else(|| NotJson("array".into()))?;
        return array.iter().map(|v| to_json_at(v, depth + 1)).collect::<Result<Vec<_>, _>>().map(Value::Array);
    }
    if value.is_map() {
        let map = value.read_lock::<Map>().ok_or_else(|| NotJson("map".into()))?;
        let mut out = serde_json::Map::new();
        for (k, v) in map.iter() {
            out.insert(k.as_str().to_owned(), to_json_at(v, depth + 1)?);
        }
        return Ok(Value::Object(out));
    }
    Err(NotJson(value.type_name().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_without_floats() {
        let value: Value =
            serde_json::from_str(r#"{"a": 1, "b": 26.50, "c": [true, null, "x"], "d": {"e": -3}}"#).expect("json");
        let dynamic = to_dynamic(&value);
        let map = dynamic.read_lock::<Map>().expect("map");
        assert!(map.get("b").is_some_and(|b| b.as_decimal().is_ok()), "fractions are decimals");
        drop(map);
        let back = to_json(&dynamic).expect("json");
        assert_eq!(back.to_string(), r#"{"a":1,"b":26.5,"c":[true,null,"x"],"d":{"e":-3}}"#);
    }

    #[test]
    fn huge_numbers_keep_their_text() {
        let value: Value = serde_json::from_str("123456789012345678901234567890123").expect("json");
        assert_eq!(to_json(&to_dynamic(&value)).expect("json"), json!("123456789012345678901234567890123"));
    }

    #[test]
    fn unsupported_values_are_an_error() {
        let blob = Dynamic::from_blob(vec![1, 2]);
        assert!(to_json(&blob).is_err());
    }
}
