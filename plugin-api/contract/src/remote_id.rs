//! Ids of ERP records in callers' input.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of a record in the ERP (an invoice, a boleto, a contract), as a caller sends it.
///
/// Apps send ids as text or as integers; the plugin always receives text. Blank ids, ids longer
/// than 128 characters and ids with control characters are rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemoteId(String);

impl RemoteId {
    /// The longest id accepted.
    pub const MAX_LEN: usize = 128;

    /// Checks and wraps an id.
    ///
    /// # Errors
    /// A message when the id is blank, too long, only dots (a path segment) or has control
    /// characters.
    pub fn new(id: &str) -> Result<Self, &'static str> {
        if id.chars().count() > Self::MAX_LEN {
            return Err("id must be at most 128 characters");
        }
        let id = id.trim();
        if id.is_empty() {
            return Err("id must not be empty");
        }
        if id.chars().any(char::is_control) {
            return Err("id must not contain control characters");
        }
        // `.` and `..` are path segments, not ids: an adapter that puts an id in a URL's path
        // would otherwise send the connection's credentials to another resource.
        if id.chars().all(|c| c == '.' || c.is_whitespace()) {
            return Err("id must have a character that is not a dot");
        }
        Ok(RemoteId(id.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RemoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RemoteId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RemoteId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = RemoteId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id as text or a non-negative integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RemoteId, E> {
                RemoteId::new(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RemoteId, E> {
                Ok(RemoteId(v.to_string()))
            }
            /// A whole number written with a fraction (`1234.0`) is that integer, as JSON
            /// Schema's `integer` has it.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RemoteId, E> {
                let whole = format!("{v:.0}");
                match whole.parse::<u64>() {
                    Ok(n) if v.fract() == 0.0 && v < 9.0e15 => Ok(RemoteId(n.to_string())),
                    _ => Err(E::invalid_type(de::Unexpected::Float(v), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RemoteId, E> {
                u64::try_from(v).map(|v| RemoteId(v.to_string())).map_err(|_| E::custom("id must not be negative"))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

impl schemars::JsonSchema for RemoteId {
    fn schema_name() -> Cow<'static, str> {
        "RemoteId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An ERP record id, as text or a non-negative integer (the plugin receives text).",
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": 128, "pattern": crate::validate::ID_TEXT_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": u64::MAX}
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_text_and_integers_and_yields_text() {
        let id: RemoteId = serde_json::from_value(json!(" 1234 ")).expect("text id");
        assert_eq!(id.as_str(), "1234");
        let id: RemoteId = serde_json::from_value(json!(98765)).expect("integer id");
        assert_eq!(serde_json::to_value(&id).ok(), Some(json!("98765")));
        let whole: serde_json::Value = serde_json::from_str("252522.0").expect("JSON");
        let id: RemoteId = serde_json::from_value(whole).expect("a whole number with a fraction");
        assert_eq!(id.as_str(), "252522");
    }

    #[test]
    fn rejects_blank_negative_fractional_and_structured_ids() {
        for bad in
            [json!(""), json!("   "), json!(-1), json!(1.5), json!(null), json!({}), json!([1]), json!("a\u{0}b")]
        {
            assert!(serde_json::from_value::<RemoteId>(bad.clone()).is_err(), "{bad} accepted");
        }
        assert!(serde_json::from_value::<RemoteId>(json!("x".repeat(129))).is_err());
    }

    #[test]
    fn path_segments_are_no_ids_and_the_schema_says_so() {
        let pattern = regex::Regex::new(crate::validate::ID_TEXT_PATTERN).expect("the pattern compiles");
        for bad in [".", "..", " .. ", "...", ". ."] {
            assert!(RemoteId::new(bad).is_err(), "{bad:?} accepted");
            assert!(!pattern.is_match(bad.trim()), "{bad:?} matches the schema");
        }
        for good in ["1.2", ".5", "a..b", "..x", "5001"] {
            assert!(RemoteId::new(good).is_ok(), "{good:?} refused");
            assert!(pattern.is_match(good), "{good:?} doesn't match the schema");
        }
    }
}
