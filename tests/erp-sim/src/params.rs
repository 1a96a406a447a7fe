//! The fields of a request, shared by the simulators: a JSON object body or a form-urlencoded
//! body (IXC's PHP and SGP's Django both read either), optionally merged with the query string
//! (SGP reads `token`/`app` and filters from it on GET).

use std::collections::BTreeMap;

use serde_json::Value;

/// The fields of a request. Scalar values are read as text (`"id": 101` and `"id": "101"`
/// are the same to IXC's PHP and to SGP's Django).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(BTreeMap<String, Value>);

impl Params {
    /// Reads a body: form-urlencoded when the content type says so, JSON otherwise, falling back
    /// to form-urlencoded. An empty or unreadable body gives no fields (*inferred*: IXC's PHP
    /// then sees no filter at all).
    pub(crate) fn parse(content_type: Option<&str>, body: &[u8]) -> Self {
        let is_form = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("x-www-form-urlencoded"));
        if !is_form && let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            return Self(map.into_iter().collect());
        }
        if body.contains(&b'=') {
            return Self(
                form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect(),
            );
        }
        Self::default()
    }

    /// Reads a query string (`a=1&b=x`); an empty one gives no fields.
    pub(crate) fn from_query(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        )
    }

    /// These fields with `other`'s on top: a field present in both takes `other`'s value.
    pub(crate) fn merged(mut self, other: Params) -> Self {
        self.0.extend(other.0);
        self
    }

    /// A field as text: strings as they are, numbers as written, booleans as `1`/`0` (as PHP
    /// prints them), `null` as absent. Arrays and objects are not text: `None`.
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "1" } else { "" }.to_owned()),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }

    /// A field as trimmed text, `""` when absent.
    pub(crate) fn trimmed(&self, key: &str) -> String {
        self.text(key).map(|s| s.trim().to_owned()).unwrap_or_default()
    }

    /// The field's raw JSON value.
    pub(crate) fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Every field name.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_and_strings_read_alike() {
        let p = Params::parse(Some("application/json"), br#"{"id":101,"query":"714.602.380-01","x":null}"#);
        assert_eq!(p.text("id").as_deref(), Some("101"));
        assert_eq!(p.text("query").as_deref(), Some("714.602.380-01"));
        assert_eq!(p.text("x"), None);
        assert!(p.keys().any(|k| k == "x"));
    }

    #[test]
    fn form_bodies_are_accepted() {
        let p = Params::parse(
            Some("application/x-www-form-urlencoded"),
            b"qtype=cliente.cnpj_cpf&query=714.602.380-01&oper=%3D",
        );
        assert_eq!(p.text("oper").as_deref(), Some("="));
        let p = Params::parse(None, b"qtype=cliente.id&query=1");
        assert_eq!(p.text("qtype").as_deref(), Some("cliente.id"));
    }

    #[test]
    fn query_fields_are_overridden_by_body_fields() {
        let query = Params::from_query("token=q&app=ponte&cpfcnpj=714.602.380-01");
        let body = Params::parse(Some("application/json"), br#"{"token":"b","limit":5}"#);
        let p = query.merged(body);
        assert_eq!(p.text("token").as_deref(), Some("b"));
        assert_eq!(p.text("app").as_deref(), Some("ponte"));
        assert_eq!(p.text("cpfcnpj").as_deref(), Some("714.602.380-01"));
        assert_eq!(p.text("limit").as_deref(), Some("5"));
        assert_eq!(Params::from_query("").keys().count(), 0);
    }

    #[test]
    fn unreadable_bodies_have_no_fields() {
        assert_eq!(Params::parse(None, b"").keys().count(), 0);
        assert_eq!(Params::parse(Some("application/json"), b"{not json").keys().count(), 0);
    }
}
