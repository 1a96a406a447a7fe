//! Personal data out of recorded fixtures, before they are committed.
//!
//! Secrets never reach a recording (the connection's redactor and the credential headers see to
//! that, [`crate::capabilities::http::exchange`]). Personal data does: the ERP answered with its
//! customers' names, e-mails, phones and addresses. [`scrub`] finds them by field name (`nome`,
//! `razao_social`, `email`, `celular`, `logradouro`, ... in Portuguese and English) in whatever
//! form a body or URL carries them: JSON, form-encoded pairs (`nome=Maria+Silva`, bodies and
//! query strings), XML or SOAP elements and attributes (`<nome>Maria</nome>`, `nome="Maria"`),
//! plus any e-mail address in any text; and replaces every occurrence, everywhere in the
//! recording (answers, requests, URLs), with a made-up value of the same kind that still normalizes (`Pessoa 3`,
//! `pessoa3@example.com`, `(11) 90000-0003`, `Rua Exemplo 3`). The same value always becomes the
//! same fake, so a request built from an earlier answer still matches on replay.
//!
//! CPF/CNPJ numbers are kept: the test customers' documents are the roles the scenarios ask
//! for, and replay matches requests that carry them. Record against test customers.

use std::collections::BTreeMap;

use serde_json::Value;

use super::conformance::Fixtures;
use crate::capabilities::http::exchange::{Body, Exchange};

/// What kind of personal value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    Email,
    Phone,
    Street,
}

/// Values shorter than this are left alone (`SP`, a house number).
const MIN_LEN: usize = 4;

/// Fields that hold machine names, not people's, whatever else their name says (`hostname`,
/// `username`, `server_name`, `ip_address`, `boleto_url`).
const NOT_PERSONAL: &[&str] =
    &["host", "user", "login", "url", "uri", "link", "server", "servidor", "domain", "dominio", "ip", "token"];

fn kind_of(key: &str, value: &str) -> Option<Kind> {
    let key = key.to_lowercase();
    let tokens: Vec<&str> = key.split(|c: char| !c.is_alphanumeric()).collect();
    if tokens.iter().any(|t| NOT_PERSONAL.contains(t))
        || ["hostname", "username", "url"].iter().any(|w| key.contains(w))
    {
        return None;
    }
    let has = |words: &[&str]| words.iter().any(|w| key.contains(w));
    if has(&["email", "e-mail", "e_mail"]) || looks_like_email(value) {
        return Some(Kind::Email);
    }
    if has(&["fone", "phone", "celular", "telefone", "whatsapp", "movel", "móvel"]) {
        let digits = value.chars().filter(char::is_ascii_digit).count();
        return (8..=15).contains(&digits).then_some(Kind::Phone);
    }
    if has(&["logradouro", "endereco", "endereço", "street", "address", "rua", "bairro", "neighborhood", "complemento"])
    {
        return Some(Kind::Street);
    }
    if has(&["nome", "name", "razao", "razão", "fantasia", "responsavel", "responsável"]) {
        return Some(Kind::Name);
    }
    None
}

/// `local@domain.tld`, nothing else around it (a URL with an `@` in its path is no address).
fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    let plain = |part: &str| !part.is_empty() && !part.contains(['@', '/', ':', ' ', '?', '#']);
    plain(local) && plain(domain) && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
}

fn fake(kind: Kind, n: usize) -> String {
    match kind {
        Kind::Name => format!("Pessoa {n}"),
        Kind::Email => format!("pessoa{n}@example.com"),
        Kind::Phone => format!("(11) 9{:04}-{:04}", n / 10_000, n % 10_000),
        Kind::Street => format!("Rua Exemplo {n}"),
    }
}

/// Collects the personal values of a JSON answer, by the field that holds them.
fn collect(value: &Value, key: &str, found: &mut BTreeMap<String, Kind>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                collect(v, k, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, key, found);
            }
        }
        Value::String(text) => {
            let text = text.trim();
            if text.chars().count() >= MIN_LEN
                && let Some(kind) = kind_of(key, text)
            {
                found.entry(text.to_owned()).or_insert(kind);
            }
        }
        // A phone sent as a JSON number.
        Value::Number(number) => {
            let text = number.to_string();
            if kind_of(key, &text) == Some(Kind::Phone) {
                found.entry(text).or_insert(Kind::Phone);
            }
        }
        _ => {}
    }
}

/// `text` with every character past ASCII written as JSON's `\uXXXX` (surrogate pairs past the
/// basic plane), lower-case hex.
fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Collects from a text that is not JSON: form-encoded pairs, XML elements and attributes, and
/// any e-mail address.
fn collect_text(text: &str, found: &mut BTreeMap<String, Kind>) {
    let mut note = |key: &str, value: &str| {
        let value = value.trim();
        if value.chars().count() >= MIN_LEN
            && let Some(kind) = kind_of(key, value)
        {
            found.entry(value.to_owned()).or_insert(kind);
        }
    };
    // `a=1&nome=Maria+Silva`: a form body or a query string.
    if text.contains('=') && !text.contains(['<', '\n']) {
        for (key, value) in url::form_urlencoded::parse(text.trim().as_bytes()) {
            note(&key, &value);
        }
    }
    // `<nome>Maria</nome>`, `<ns:nome>…`, `nome="Maria"`.
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default();
        let local = name.rsplit(':').next().unwrap_or(name);
        for (key, value) in attributes(&tag[name.len()..]) {
            note(key, value);
            note(key, &xml_unescaped(value));
        }
        let after = &rest[close + 1..];
        if !tag.starts_with(['/', '?', '!'])
            && !tag.ends_with('/')
            && let Some(end) = after.find('<')
        {
            // As written (what is replaced) and read (what JSON elsewhere may carry).
            note(local, &after[..end]);
            note(local, &xml_unescaped(&after[..end]));
        }
        rest = after;
    }
    // An e-mail address anywhere, whatever holds it.
    for word in text
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ',' | ';' | '(' | ')' | '=' | '&'))
    {
        let word = word.trim_matches(|c: char| matches!(c, '.' | ':'));
        if looks_like_email(word) {
            found.entry(word.to_owned()).or_insert(Kind::Email);
        }
    }
}

/// The `key="value"` (or `'value'`) attributes of a tag's text after its name.
fn attributes(mut text: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    while let Some(eq) = text.find('=') {
        let key = text[..eq].split_whitespace().last().unwrap_or_default();
        let after = text[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
            text = after;
            continue;
        };
        let Some(end) = after[1..].find(quote) else { break };
        found.push((key, &after[1..=end]));
        text = &after[end + 2..];
    }
    found
}

/// XML's five entities read back (`Jo&#227;o` stays as written: rare in ERP answers).
fn xml_unescaped(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn bodies(exchange: &Exchange) -> impl Iterator<Item = &Body> {
    std::iter::once(&exchange.request.body).chain(exchange.response.as_ref().map(|r| &r.body))
}

/// Replaces the personal data of every exchange in `fixtures`; returns how many distinct
/// values were replaced.
pub fn scrub(fixtures: &mut Fixtures) -> usize {
    let mut found = BTreeMap::new();
    for run in &fixtures.runs {
        for exchange in &run.exchanges {
            for text in bodies(exchange).filter_map(|body| body.body.as_deref()) {
                match serde_json::from_str::<Value>(text) {
                    Ok(json) => collect(&json, "", &mut found),
                    Err(_) => collect_text(text, &mut found),
                }
            }
            if let Some((_, query)) = exchange.request.url.split_once('?') {
                collect_text(query.split('#').next().unwrap_or_default(), &mut found);
            }
        }
    }
    // Longest first, so "Maria Aparecida da Silva" goes whole before a shorter value inside it.
    let mut replacements: Vec<(String, String)> = Vec::new();
    let mut ordered: Vec<(&String, &Kind)> = found.iter().collect();
    ordered.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
    for (n, (text, kind)) in ordered.into_iter().enumerate() {
        // A phone written as digits alone (a JSON number among them) stays digits alone.
        let fake = if *kind == Kind::Phone && text.chars().all(|c| c.is_ascii_digit()) {
            format!("119{:08}", n + 1)
        } else {
            fake(*kind, n + 1)
        };
        // As written, JSON-escaped as PHP's json_encode writes it (accents as `\u00e3`), and
        // URL-encoded.
        let escaped = ascii_escaped(text);
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let encoded_fake: String = url::form_urlencoded::byte_serialize(fake.as_bytes()).collect();
        replacements.push((text.clone(), fake.clone()));
        if escaped != *text {
            replacements.push((escaped.to_uppercase().replace("\\U", "\\u"), fake.clone()));
            replacements.push((escaped, fake.clone()));
        }
        if encoded != *text {
            replacements.push((encoded, encoded_fake));
        }
    }
    let replace = |text: &mut String| {
        for (from, to) in &replacements {
            if text.contains(from.as_str()) {
                *text = text.replace(from.as_str(), to);
            }
        }
    };
    for run in &mut fixtures.runs {
        for exchange in &mut run.exchanges {
            // The URL's path and query; never its origin (replay builds it from the settings).
            let origin_end = exchange.request.url.find("://").map_or(0, |scheme| {
                exchange.request.url[scheme + 3..].find('/').map_or(exchange.request.url.len(), |p| scheme + 3 + p)
            });
            let mut rest = exchange.request.url.split_off(origin_end);
            replace(&mut rest);
            exchange.request.url.push_str(&rest);
            for (_, value) in &mut exchange.request.headers {
                replace(value);
            }
            if let Some(text) = &mut exchange.request.body.body {
                replace(text);
            }
            if let Some(response) = &mut exchange.response {
                if let Some(text) = &mut response.body.body {
                    replace(text);
                }
                for (_, value) in &mut response.headers {
                    replace(value);
                }
            }
            if let Some(error) = &mut exchange.error {
                replace(error);
            }
        }
    }
    found.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::author::conformance::RecordedRun;
    use crate::capabilities::http::exchange::{RecordedRequest, RecordedResponse};

    fn exchange(url: &str, answer: Value) -> Exchange {
        raw_exchange("GET", url, None, &answer.to_string())
    }

    /// One exchange with bodies as written (not JSON-encoded): a 200 answering `answer`.
    fn raw_exchange(method: &str, url: &str, body: Option<&str>, answer: &str) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: method.into(),
                url: url.into(),
                headers: vec![],
                body: Body { body: body.map(str::to_owned), body_base64: None },
            },
            response: Some(RecordedResponse {
                status: 200,
                headers: vec![],
                body: Body { body: Some(answer.to_owned()), body_base64: None },
            }),
            error: None,
        }
    }

    /// Fixtures of one `get_customer` run made of `exchanges`.
    fn one_run(exchanges: Vec<Exchange>) -> Fixtures {
        Fixtures {
            runs: vec![RecordedRun {
                scenario: "normal_customer".into(),
                function: ponte_contract::Function::GetCustomer,
                exchanges,
            }],
            ..Fixtures::default()
        }
    }

    #[test]
    fn escaped_accents_machine_names_and_numeric_phones() {
        let answer = r#"{"nome":"Jo\u00e3o Pereira","hostname":"erp.acme.example","celular":11987654321}"#;
        let mut fixtures =
            one_run(vec![raw_exchange("GET", "https://erp.acme.example/x?nome=Jo%C3%A3o+Pereira", None, answer)]);
        assert_eq!(scrub(&mut fixtures), 2, "the name and the phone; the host name is no person's");
        let text = serde_json::to_string(&fixtures).expect("json");
        assert!(!text.contains("Jo\\\\u00e3o") && !text.contains("Jo%C3%A3o") && !text.contains("98765"), "{text}");
        assert!(text.contains("https://erp.acme.example/x?nome=Pessoa"), "{text}");
        let body = fixtures.runs[0].exchanges[0].response.as_ref().and_then(|r| r.body.body.clone()).expect("body");
        let answer: Value = serde_json::from_str(&body).expect("still JSON");
        assert!(answer["celular"].is_u64(), "a numeric phone stays a number: {answer}");
    }

    #[test]
    fn form_bodies_query_strings_and_xml_are_scrubbed_too() {
        let soap = "<?xml version=\"1.0\"?><soap:Envelope><soap:Body><ns:Cliente id=\"7\" nome_fantasia=\"Padaria Central\">\
                    <ns:nome>Jos&amp;eacute Carlos Souza</ns:nome><ns:telefone>(21) 99876-5432</ns:telefone>\
                    <ns:obs>fale com carlos.souza@example.org</ns:obs><ns:uf>RJ</ns:uf></ns:Cliente></soap:Body></soap:Envelope>";
        let mut fixtures = one_run(vec![raw_exchange(
            "POST",
            "https://erp.acme.example/ws?email=ana.lima%40example.net&cpf=71460238001",
            Some("acao=buscar&razao_social=Mercado+Bom+Pre%C3%A7o"),
            soap,
        )]);
        scrub(&mut fixtures);
        let text = serde_json::to_string(&fixtures).expect("json");
        for personal in ["ana.lima", "Mercado", "Padaria", "Carlos Souza", "99876", "carlos.souza"] {
            assert!(!text.contains(personal), "{personal}: {text}");
        }
        for kept in ["71460238001", "acao=buscar", "<ns:uf>RJ</ns:uf>", "soap:Envelope", "erp.acme.example"] {
            assert!(text.contains(kept), "{kept}: {text}");
        }
    }

    #[test]
    fn only_whole_addresses_look_like_e_mails() {
        assert!(looks_like_email("maria.silva@example.com"));
        for not in ["https://boletos.example.com/@maria", "a@b", "@example.com", "x y@example.com", "user@.com"] {
            assert!(!looks_like_email(not), "{not}");
        }
    }

    #[test]
    fn names_contacts_and_addresses_go_everywhere_and_documents_stay() {
        let answer = serde_json::json!({ "registros": [{
            "id": 101, "nome": "Maria Aparecida da Silva", "cpf_cnpj": "714.602.380-01",
            "email": "maria.silva@example.com", "celular": "(11) 98765-4321", "uf": "SP",
            "endereco": { "logradouro": "Rua das Flores", "numero": "100", "bairro": "Centro Histórico" }
        }]});
        let mut fixtures = one_run(vec![
            exchange("https://erp/clientes?cpf=71460238001", answer),
            exchange("https://erp/contatos?nome=Maria+Aparecida+da+Silva", serde_json::json!({})),
        ]);
        assert_eq!(scrub(&mut fixtures), 5);
        let text = serde_json::to_string(&fixtures).expect("json");
        for personal in ["Maria", "maria.silva", "98765", "Flores", "Hist"] {
            assert!(!text.contains(personal), "{personal}: {text}");
        }
        for kept in ["71460238001", "714.602.380-01", "\\\"SP\\\"", "Pessoa", "@example.com", "(11) 9000"] {
            assert!(text.contains(kept), "{kept}: {text}");
        }
        let url = &fixtures.runs[0].exchanges[1].request.url;
        assert!(url.starts_with("https://erp/contatos?nome=Pessoa+"), "{url}");
    }
}
