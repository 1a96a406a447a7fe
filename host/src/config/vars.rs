//! References in settings: `${env:NAME}` and `${secret:NAME}`.
//!
//! Secrets never sit inline in an automation file (they would end up in git): a secret
//! setting must be a reference, resolved when the file loads, from the process environment or
//! from the tenant's secrets file (a TOML table of names to values, outside git).

use std::collections::BTreeMap;

/// Where references are looked up.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// Values that override the environment (the demo uses this instead of mutating the
    /// process environment).
    overrides: BTreeMap<String, String>,
    /// Whether the process environment is consulted.
    use_env: bool,
}

impl Vars {
    /// The process environment.
    pub fn env() -> Self {
        Vars { overrides: BTreeMap::new(), use_env: true }
    }

    /// Only the given values (tests).
    pub fn none() -> Self {
        Vars::default()
    }

    /// Adds an override.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.overrides.insert(name.into(), value.into());
        self
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.overrides.get(name).cloned().or_else(|| if self.use_env { std::env::var(name).ok() } else { None })
    }
}

/// A setting's value after resolution, and whether it came from a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The value.
    pub value: String,
    /// Whether the value contained a reference (a secret must).
    pub referenced: bool,
}

/// Why a reference did not resolve; the text names the reference, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// `${` without its `}`.
    #[error("unterminated `${{` reference")]
    Unterminated,
    /// `${...}` without a kind (`env:` or `secret:`).
    #[error("`${{{0}}}` is not a reference like ${{env:NAME}} or ${{secret:NAME}}")]
    Malformed(String),
    /// `${env:NAME}` with `NAME` unset.
    #[error("environment variable `{0}` is not set")]
    EnvUnset(String),
    /// `${secret:NAME}` with no such secret.
    #[error("secret `{0}` is not in the secrets file")]
    SecretMissing(String),
    /// `${kind:...}` with a kind that is neither `env` nor `secret`.
    #[error("unknown reference kind `{0}` (expected env or secret)")]
    UnknownKind(String),
}

/// Resolves every `${env:NAME}` / `${secret:NAME}` in `text`.
///
/// # Errors
/// A [`ReferenceError`] naming the reference that is malformed or unset (never its value).
pub fn resolve(text: &str, vars: &Vars, secrets: &BTreeMap<String, String>) -> Result<Resolved, ReferenceError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut referenced = false;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(ReferenceError::Unterminated)?;
        let reference = &after[..end];
        let (kind, name) = reference.split_once(':').ok_or_else(|| ReferenceError::Malformed(reference.to_owned()))?;
        let value = match kind {
            "env" => vars.env_var(name).ok_or_else(|| ReferenceError::EnvUnset(name.to_owned()))?,
            "secret" => secrets.get(name).cloned().ok_or_else(|| ReferenceError::SecretMissing(name.to_owned()))?,
            other => return Err(ReferenceError::UnknownKind(other.to_owned())),
        };
        out.push_str(&value);
        referenced = true;
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Resolved { value: out, referenced })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_from_overrides_and_secrets() {
        let vars = Vars::none().with("IXC_URL", "http://127.0.0.1:9");
        let secrets = BTreeMap::from([("token".to_owned(), "t0k3n".to_owned())]);
        assert_eq!(
            resolve("${env:IXC_URL}/webservice", &vars, &secrets).map(|r| r.value),
            Ok("http://127.0.0.1:9/webservice".into())
        );
        assert_eq!(
            resolve("${secret:token}", &vars, &secrets),
            Ok(Resolved { value: "t0k3n".into(), referenced: true })
        );
        assert_eq!(resolve("plain", &vars, &secrets), Ok(Resolved { value: "plain".into(), referenced: false }));
    }

    #[test]
    fn bad_references_name_the_reference_not_a_value() {
        let secrets = BTreeMap::new();
        for (text, expected) in [
            ("${env:MISSING}", "environment variable `MISSING` is not set"),
            ("${secret:x}", "secret `x` is not in the secrets file"),
            ("${vault:x}", "unknown reference kind `vault` (expected env or secret)"),
            ("${env:X", "unterminated `${` reference"),
        ] {
            assert_eq!(resolve(text, &Vars::none(), &secrets).map_err(|e| e.to_string()), Err(expected.to_owned()));
        }
    }
}
