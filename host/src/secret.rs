//! Secrets: a type that never prints, and the redactor every outgoing text passes through.
//!
//! A tenant's ERP token must never reach a log line, an error, a metric label or the invocation
//! log. Plugins need the value to authenticate, so the host can't hide it from them; instead
//! everything a plugin says (log lines, error messages) and everything the host records about
//! upstream calls goes through the connection's [`Redactor`] first.

pub mod keyring;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// A secret value. `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that needs it (the plugin's config capability).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Removes a set of secrets from text, in plain form and in the encodings plugins put them in
/// (base64 of the value, or of `user:value` as in HTTP Basic auth; percent-encoded, as in a URL).
/// Plain and percent-encoded forms are matched without regard to ASCII case: a URL's host is
/// lower-cased by the parser and percent escapes may be written either way, so a secret a plugin
/// puts in a host name or a path is still found.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").field("secrets", &self.secrets.len()).finish()
    }
}

/// What replaces a secret.
pub const REDACTED: &str = "***";

/// Secrets shorter than this are not redacted as substrings: a one-character "secret" would
/// shred every message. Manifests should not declare such secrets; the loader warns.
const MIN_SECRET_LEN: usize = 4;

impl Redactor {
    /// A redactor for these secrets.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut list: Vec<String> = Vec::new();
        for secret in secrets {
            let value = secret.expose();
            if value.len() < MIN_SECRET_LEN {
                continue;
            }
            list.push(value.to_owned());
            list.push(STANDARD.encode(value));
            list.push(URL_SAFE_NO_PAD.encode(value));
            let escaped = url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
            if escaped != value {
                list.push(escaped.replace('+', "%20"));
                list.push(escaped);
            }
            let in_path = path_escaped(value);
            if in_path != value {
                list.push(in_path);
            }
        }
        // Compared without regard to ASCII case (see `redact`), so kept lower-cased.
        let mut list: Vec<String> = list.iter().map(|s| s.to_ascii_lowercase()).collect();
        list.sort();
        list.dedup();
        Redactor { secrets: list }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by `***`. Base64 words that decode to text containing
    /// a secret (an `Authorization: Basic` header a plugin logged) are replaced too.
    pub fn redact(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_owned();
        }
        // Every occurrence of every form, found once in the lower-cased text (ASCII lower-casing
        // keeps byte offsets); overlapping occurrences merge, so no part of one shows.
        let lower = text.to_ascii_lowercase();
        let mut found: Vec<(usize, usize)> = self
            .secrets
            .iter()
            .flat_map(|secret| lower.match_indices(secret.as_str()).map(|(at, s)| (at, at + s.len())))
            .collect();
        if found.is_empty() {
            return self.redact_encoded_words(text);
        }
        found.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in found {
            if end <= last {
                continue;
            }
            if start >= last {
                out.push_str(&text[last..start]);
                out.push_str(REDACTED);
            }
            last = end;
        }
        out.push_str(&text[last..]);
        self.redact_encoded_words(&out)
    }

    fn redact_encoded_words(&self, text: &str) -> String {
        let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if word.len() >= 8 && self.decodes_to_secret(word) {
                out.push_str(REDACTED);
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in text.chars() {
            if is_b64(c) {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }

    fn decodes_to_secret(&self, word: &str) -> bool {
        // The word is decoded as written (base64 is case-sensitive); the decoded text is compared
        // like any text.
        let decoded = STANDARD.decode(word).or_else(|_| URL_SAFE_NO_PAD.decode(word.trim_end_matches('=')));
        let Ok(bytes) = decoded else { return false };
        let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }
}

/// `value` as a URL's path or query carries it: bytes outside the characters a URL keeps as
/// they are percent-encoded (what the URL parser does to a secret a plugin puts in a path).
fn path_escaped(value: &str) -> String {
    const KEPT: &[u8] = b"-._~!$&'()*+,;=:@/";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || KEPT.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&[Secret::new("s3cr3t-token-value"), Secret::new("ab")])
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("s3cr3t-token-value");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }

    #[test]
    fn plain_and_base64_forms_are_redacted() {
        let r = redactor();
        assert_eq!(r.redact("token=s3cr3t-token-value&x=1"), "token=***&x=1");
        let b64 = STANDARD.encode("s3cr3t-token-value");
        assert_eq!(r.redact(&format!("got {b64} back")), "got *** back");
    }

    #[test]
    fn basic_auth_headers_carrying_a_secret_are_redacted() {
        let header = format!("Authorization: Basic {}", STANDARD.encode("1:s3cr3t-token-value"));
        assert_eq!(redactor().redact(&header), "Authorization: Basic ***");
    }

    #[test]
    fn secrets_as_a_url_path_carries_them_are_redacted() {
        let r = Redactor::new(&[Secret::new("p@ss wörd:1")]);
        let url = url::Url::parse("https://erp.example.com/api/p@ss wörd:1/x").expect("url");
        assert_eq!(r.redact(url.as_str()), "https://erp.example.com/api/***/x");
    }

    #[test]
    fn overlapping_secrets_are_removed_whole() {
        let r = Redactor::new(&[Secret::new("abcdef"), Secret::new("efghij")]);
        assert_eq!(r.redact("x abcdefghij y"), "x *** y");
    }

    #[test]
    fn any_case_and_url_escaped_forms_are_redacted() {
        let r = Redactor::new(&[Secret::new("S3cr3t Token/Value")]);
        assert_eq!(r.redact("https://s3cr3t token/value.example.com/"), "https://***.example.com/");
        assert_eq!(r.redact("path /S3CR3T%20TOKEN%2FVALUE/x"), "path /***/x");
        assert_eq!(r.redact("q=S3cr3t+Token%2FValue"), "q=***");
        assert_eq!(r.redact("method s3cr3t token/value"), "method ***");
    }

    #[test]
    fn short_secrets_and_innocent_text_are_left_alone() {
        let r = redactor();
        assert_eq!(r.redact("about a cab"), "about a cab");
        assert_eq!(r.redact("SGVsbG8gd29ybGQ="), "SGVsbG8gd29ybGQ=");
    }
}
