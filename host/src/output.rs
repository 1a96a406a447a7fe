//! A call's normalized answer as the JSON text it is sent as.
//!
//! Enforcement encodes the plugin's result straight from the contract's output type to text
//! ([`ponte_contract::enforce_to_json`]); from there the same shared text is the HTTP response's
//! body, the invocation log's payload, the read cache's entry and what identical reads that
//! shared the run are answered with. Nothing on a call's path turns it back into a
//! [`serde_json::Value`] except where a value is really read: a kiosk's answer being minimized,
//! the settlement worker checking the ERP's answer, the console's try-it view.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// JSON text, valid by construction, cheap to clone (shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Output(Arc<str>);

impl Output {
    /// `value`'s JSON.
    pub fn from_value(value: &Value) -> Output {
        Output(Arc::from(value.to_string()))
    }

    /// Text that is JSON.
    ///
    /// # Errors
    /// When `text` is not JSON (a stored answer that was tampered with).
    pub fn from_json(text: &str) -> Result<Output, serde_json::Error> {
        serde_json::from_str::<&RawValue>(text)?;
        Ok(Output(Arc::from(text)))
    }

    /// What [`ponte_contract::enforce_to_json`] encoded (JSON by its guarantee).
    pub(crate) fn enforced(json: String) -> Output {
        Output(Arc::from(json))
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        &self.0
    }

    /// The JSON as a value (parsed again: only for the few readers that look inside).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The text as a response body, without copying it.
    pub fn body(&self) -> bytes::Bytes {
        bytes::Bytes::from_owner(Text(Arc::clone(&self.0)))
    }
}

/// An `Arc<str>` seen as bytes, for [`bytes::Bytes::from_owner`].
struct Text(Arc<str>);

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Serialized as the JSON itself (a shared cache's entry embeds it).
impl Serialize for Output {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Output {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Output, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(Output(Arc::from(raw.get())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_value_and_body_agree() -> anyhow::Result<()> {
        let value = json!([{"fatura": "1", "valor_final": "10.50"}]);
        let output = Output::from_value(&value);
        assert_eq!(output.value(), value);
        assert_eq!(serde_json::from_slice::<Value>(&output.body())?, value);
        assert_eq!(Output::from_json(output.json())?, output);
        Ok(())
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        assert!(Output::from_json("{\"truncated").is_err());
        assert!(Output::from_json("").is_err());
    }

    #[test]
    fn embedded_as_json_not_as_a_string() -> anyhow::Result<()> {
        #[derive(Serialize, Deserialize)]
        struct Entry {
            output: Output,
        }
        let entry = Entry { output: Output::from_value(&json!({"a": [1, "2"]})) };
        let text = serde_json::to_string(&entry)?;
        assert_eq!(text, r#"{"output":{"a":[1,"2"]}}"#);
        let back: Entry = serde_json::from_str(&text)?;
        assert_eq!(back.output, entry.output);
        Ok(())
    }
}
